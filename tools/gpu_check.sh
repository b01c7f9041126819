#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and a glint build: runs the "cuda" test suite (each CUDA kernel against
# the CPU backend), renders the default scene on both backends, and measures the CUDA rasterizer (1080p,
# 10^5 to 10^7 Gaussians, with and without presenting through Vulkan) and Gaussian training on both
# backends. Writes logs, images and a summary to OUT.
# Usage: tools/gpu_check.sh [BUILD=build] [OUT=gpu-check]
set -uo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
out=${2:-gpu-check}
glint=$build/app/glint
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=$out/summary.txt
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }
field() { grep -o "\"$1\": [0-9.e+-]*" | head -1 | sed 's/.*: //'; }

say "== GPU"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader | tee -a "$summary"
say "CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) threads"

say "== cuda test suite"
start=$(date +%s)
timeout 240 "$build/tests/glint_tests" -ts=cuda >"$out/cuda_suite.log" 2>&1
rc=$?
grep -E "MESSAGE|ERROR|FAILED|SKIP|skipp|test cases|assertions" "$out/cuda_suite.log" | head -60 | tee -a "$summary"
say "cuda suite exit $rc after $(($(date +%s) - start)) s"

say "== default scene, CPU and CUDA"
for backend in cpu cuda; do
    "$glint" render -o "$out/default_$backend.png" --width 960 --height 720 --backend "$backend" \
        --depth "$work/depth_$backend.png" 2>&1 | tee -a "$summary"
done

say "== rasterizer, 1920x1080"
say "| scene | backend | Gaussians | tile pairs | preprocess ms | sort ms | blend ms | frame ms | FPS |"
for spec in "structured 100000" "structured 1000000" "random 1000000" "structured 10000000"; do
    set -- $spec
    scene="$work/$1-$2.ply"
    if [ "$1" = structured ]; then
        "$build/tools/glint-make-scene" structured "$2" "$scene" >/dev/null
    else
        "$build/tools/glint-make-scene" random "$2" "$scene" --sh-degree 3 >/dev/null
    fi
    for backend in cuda cpu; do
        [ "$backend" = cpu ] && [ "$2" -gt 1000000 ] && continue
        frames=30
        [ "$backend" = cpu ] && frames=5
        json=$(timeout 60 "$glint" -q bench "$scene" --width 1920 --height 1080 --frames $frames --backend $backend --json 2>&1)
        echo "$json" >>"$out/bench.log"
        say "| $1 | $backend | $(echo "$json" | field gaussians) | $(echo "$json" | field tile_pairs) |" \
            "$(echo "$json" | field preprocess) | $(echo "$json" | field sort) | $(echo "$json" | field blend) |" \
            "$(echo "$json" | field frame) | $(echo "$json" | field fps) |"
    done
    rm -f "$scene"
done
say "== presenting through Vulkan (CUDA-Vulkan shared buffers), default scene 1920x1080"
"$glint" bench --width 1920 --height 1080 --frames 60 --backend cuda --present 2>&1 | tee -a "$summary"

say "== Gaussian training, 48 views at 128x128, 3000 iterations"
"$glint" -q synth assets/sample/model.glb -o "$work/data" --views 48 --res 128 --hemisphere --seed 1
for backend in cuda cpu; do
    start=$(date +%s.%N)
    timeout 150 "$glint" train "$work/data" -o "$work/out_$backend.ply" --iters 3000 --eval-every 3000 \
        --backend "$backend" --profile >"$out/train_$backend.log" 2>&1
    end=$(date +%s.%N)
    tail -25 "$out/train_$backend.log" | tee -a "$summary"
    say "train $backend: $(python3 -c "print(f'{$end - $start:.1f}')") s wall"
done
