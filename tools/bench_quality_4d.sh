#!/usr/bin/env bash
# The 4D training goals: a multi-view video made by `glint synth` (16 cameras on the upper hemisphere x 20
# frames at 96x96; cameras 0 and 8 held out), trained with default settings as 4D Gaussians and as a
# static 3D scene; prints both test PSNRs (mean over frames) with their wall times, the per-frame spread,
# then `glint bench` of the 4D result across its time span.
# Usage: tools/bench_quality_4d.sh [sample|fox] [more glint train options]
#   sample: the sample model's animation "spin" (the torus turns, the sphere bounces)
#   fox:    tests/data/gltf/Fox.glb's walk
# (needs a built glint: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-sample}
case "$which" in
    sample) model=assets/sample/model.glb; animation=() ;;
    fox) model=tests/data/gltf/Fox.glb; animation=(--animation Walk) ;;
    *) echo "bench_quality_4d: the dataset is sample or fox, not $which" >&2; exit 2 ;;
esac
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/app/glint -q synth "$model" -o "$work/data" --views 16 --frames 20 --res 96 --hemisphere "${animation[@]}"
for kind in gaussians4d gaussians; do
    start=$(date +%s.%N)
    build/app/glint train "$work/data" -o "$work/$kind.ply" --model "$kind" "${@:2}" 2>&1 |
        grep -E "test PSNR|over [0-9]+ frame times|training views|wrote"
    echo "bench_quality_4d: $which, --model $kind: $(echo "$(date +%s.%N) - $start" | bc) s wall"
done
build/app/glint bench "$work/gaussians4d.ply" --cameras "$work/data/transforms.json" --index 0 --frames 20
