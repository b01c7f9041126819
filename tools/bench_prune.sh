#!/usr/bin/env bash
# The pruning goals: trains the sample scenes, prunes them by contribution, fine-tunes, and prints the
# `glint prune` reports (Gaussians, file size, CPU render time, test PSNR before and after).
#   3D: assets/sample/dataset (42 training + 6 test views, 200x200; or DATASET_3D) trained with default settings, then
#       two thirds removed by significance in 8 rounds (blend weights alone: --volume-power 0) with
#       4000 fine-tuning iterations between them; and the one-shot cut for comparison.
#   4D: tests/data/gltf/Fox.glb's walk made by `glint synth` (16 cameras x 20 frames at 96x96, cameras 0
#       and 8 held out) trained as 4D Gaussians, then 90% removed by 4DGS-1K's spatial-temporal score in
#       3 rounds, SH distilled to degree 1, 3000 fine-tuning iterations; render times with and without
#       active masks; and the one-shot 80% cut for comparison.
# Usage: tools/bench_prune.sh [3d|4d|both]   (needs a built glint: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
dataset_3d=${DATASET_3D:-assets/sample/dataset}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
glint=build/app/glint
seconds() { echo "$(date +%s.%N) - $1" | bc; }

if [[ $which == 3d || $which == both ]]; then
    start=$(date +%s.%N)
    $glint train "$dataset_3d" -o "$work/sample.ply" 2>&1 | grep -E "test PSNR" || true
    echo "bench_prune: 3D training $(seconds "$start") s"
    start=$(date +%s.%N)
    $glint prune "$work/sample.ply" -o "$work/sample_pruned.ply" --dataset "$dataset_3d" \
        --significance 0.66 --rounds 8 --volume-power 0 --finetune 4000
    echo "bench_prune: 3D prune and fine-tune $(seconds "$start") s"
    $glint prune "$work/sample.ply" -o "$work/sample_cut.ply" --dataset "$dataset_3d" \
        --significance 0.66 | grep -E "test PSNR" | sed 's/^/one cut, no fine-tuning: /'
fi

if [[ $which == 4d || $which == both ]]; then
    $glint -q synth tests/data/gltf/Fox.glb -o "$work/fox" --views 16 --frames 20 --res 96 --hemisphere \
        --animation Walk
    start=$(date +%s.%N)
    $glint train "$work/fox" -o "$work/fox.ply" 2>&1 | grep -E "test PSNR" || true
    echo "bench_prune: 4D training $(seconds "$start") s"
    start=$(date +%s.%N)
    $glint prune "$work/fox.ply" -o "$work/fox_pruned.ply" --dataset "$work/fox" --spatiotemporal 0.9 \
        --rounds 3 --sh-degree 1 --finetune 3000
    echo "bench_prune: 4D prune, SH distillation and fine-tune $(seconds "$start") s"
    $glint prune "$work/fox.ply" -o "$work/fox_cut.ply" --dataset "$work/fox" --spatiotemporal 0.8 |
        grep -E "test PSNR|masks" | sed 's/^/80% in one cut, no distillation or fine-tuning: /'
    $glint bench "$work/fox_pruned.ply" --cameras "$work/fox/transforms.json" --index 0 --frames 20 | tail -8
fi
