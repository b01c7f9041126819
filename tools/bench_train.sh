#!/usr/bin/env bash
# The training speed goal: 3,000 iterations on a 48-view 128x128 object dataset (the sample model rendered
# by `glint synth`, 42 training and 6 test views), on the CPU unless a backend is given. Prints the
# progress, test PSNR/SSIM, wall time, peak memory and the time per stage (--profile).
# Usage: tools/bench_train.sh [cpu|cuda] [iterations] [more glint train options]   (needs a built glint: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:-cpu}
iters=${2:-3000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/app/glint -q synth assets/sample/model.glb -o "$work/data" --views 48 --res 128 --hemisphere --seed 1
start=$(date +%s.%N)
build/app/glint train "$work/data" -o "$work/out.ply" --iters "$iters" --eval-every "$iters" \
    --backend "$backend" --profile "${@:3}"
end=$(date +%s.%N)
echo "bench_train: $iters iterations, 48 views at 128x128, backend $backend: $(echo "$end - $start" | bc) s wall"
