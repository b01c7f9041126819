#!/usr/bin/env bash
# Configures and builds glint in build/ (Release). Extra arguments go to the CMake configure step.
# Without a GPU, CUDA code is compiled for one architecture only (a compile check), unless
# GLINT_CUDA_ARCHITECTURES says otherwise; with one, CMake builds for the GPUs it finds.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! nvidia-smi >/dev/null 2>&1; then
    export GLINT_CUDA_ARCHITECTURES=${GLINT_CUDA_ARCHITECTURES:-90}
fi
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release "$@"
cmake --build build --parallel "$(nproc)"
