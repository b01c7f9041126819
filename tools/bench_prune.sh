#!/usr/bin/env bash
# The pruning goals: trains the sample scenes, prunes them by contribution, fine-tunes, and prints the
# `glint prune` reports (Gaussians, file size, CPU render time, test PSNR before and after).
#   3D: assets/sample/dataset (42 training + 6 test views, 200x200) trained with default settings, then
#       two thirds removed by LightGaussian's significance and fine-tuned (FINETUNE_3D iterations).
#   4D: tests/data/gltf/Fox.glb's walk made by `glint synth` (16 cameras x 20 frames at 96x96, cameras 0
#       and 8 held out) trained as 4D Gaussians, then 80% removed by 4DGS-1K's spatial-temporal score,
#       SH distilled to degree SH_4D and fine-tuned (FINETUNE_4D iterations); render times with and
#       without active masks.
# Usage: tools/bench_prune.sh [3d|4d|both]   (needs a built glint: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
finetune_3d=${FINETUNE_3D:-3000}
finetune_4d=${FINETUNE_4D:-1000}
sh_4d=${SH_4D:-1}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
glint=build/app/glint
seconds() { echo "$(date +%s.%N) - $1" | bc; }

if [[ $which == 3d || $which == both ]]; then
    start=$(date +%s.%N)
    $glint train assets/sample/dataset -o "$work/sample.ply" 2>&1 | grep -E "test PSNR" || true
    echo "bench_prune: 3D training $(seconds "$start") s"
    start=$(date +%s.%N)
    $glint prune "$work/sample.ply" -o "$work/sample_pruned.ply" --dataset assets/sample/dataset \
        --significance 0.66 --finetune "$finetune_3d"
    echo "bench_prune: 3D prune and fine-tune ($finetune_3d iterations) $(seconds "$start") s"
    $glint prune "$work/sample.ply" -o "$work/sample_cut.ply" --dataset assets/sample/dataset \
        --significance 0.66 | grep -E "test PSNR" | sed 's/^/without fine-tuning: /'
fi

if [[ $which == 4d || $which == both ]]; then
    $glint -q synth tests/data/gltf/Fox.glb -o "$work/fox" --views 16 --frames 20 --res 96 --hemisphere \
        --animation Walk
    start=$(date +%s.%N)
    $glint train "$work/fox" -o "$work/fox.ply" 2>&1 | grep -E "test PSNR" || true
    echo "bench_prune: 4D training $(seconds "$start") s"
    start=$(date +%s.%N)
    $glint prune "$work/fox.ply" -o "$work/fox_pruned.ply" --dataset "$work/fox" --spatiotemporal 0.8 \
        --sh-degree "$sh_4d" --finetune "$finetune_4d"
    echo "bench_prune: 4D prune, SH $sh_4d and fine-tune ($finetune_4d iterations) $(seconds "$start") s"
    $glint prune "$work/fox.ply" -o "$work/fox_cut.ply" --dataset "$work/fox" --spatiotemporal 0.8 |
        grep -E "test PSNR|masks" | sed 's/^/without distillation or fine-tuning: /'
    $glint bench "$work/fox_pruned.ply" --cameras "$work/fox/transforms.json" --index 0 --frames 20 | tail -8
fi
