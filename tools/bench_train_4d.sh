#!/usr/bin/env bash
# 4D training against 3D training at the same Gaussian count and resolution: the sample model's
# animation rendered by `glint synth` from 16 cameras at 20 frames (96x96), trained from the same 50,000
# random Gaussians without densification (so the count stays), once as 4D Gaussians and once as a static
# 3D scene, with --profile. Prints the milliseconds per iteration of each and their ratio.
# Usage: tools/bench_train_4d.sh [iterations] [more glint train options]   (needs a built glint: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
iters=${1:-500}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/app/glint -q synth assets/sample/model.glb -o "$work/data" --views 16 --frames 20 --res 96 --hemisphere
run() {
    build/app/glint train "$work/data" -o "$work/$1.ply" --model "$1" --iters "$iters" --init random \
        --init-count 50000 --densify-from 1000000 --eval-every "$iters" --profile "${@:2}" 2>&1 |
        tee "$work/$1.log" | grep -E "test PSNR|ms/iteration"
}
run gaussians4d "${@:2}"
run gaussians "${@:2}"
# The sum of the stages' per-iteration times (the profile's last column).
per_iteration() { grep "ms/iteration" "$work/$1.log" | awk '{ s += $(NF - 1) } END { printf "%.2f", s }'; }
four=$(per_iteration gaussians4d)
three=$(per_iteration gaussians)
echo "bench_train_4d: $iters iterations, 50,000 Gaussians, 96x96: 4D $four ms/iteration, 3D $three ms/iteration," \
    "ratio $(echo "scale=2; $four / $three" | bc)"
