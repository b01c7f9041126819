#!/usr/bin/env bash
# Installs the Debian packages, builds, and runs every test (CUDA tests skip with a message without a GPU).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)"
