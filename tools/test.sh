#!/usr/bin/env bash
# Installs the Debian packages, builds, and runs every test. Tests that cannot run here (CUDA without a
# GPU, the viewer without Xvfb) are reported by CTest as skipped, not passed; the last lines count them
# and say why they skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
ctest --test-dir build --output-on-failure --parallel "$(nproc)" | tee build/ctest-summary.log
ran=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .* (Passed|Failed)' build/ctest-summary.log || true)
skipped=$(grep -cE '^ *[0-9]+/[0-9]+ Test +#[0-9]+: .*\*\*\*Skipped' build/ctest-summary.log || true)
echo "test.sh: ${ran} tests ran, ${skipped} skipped"
if [ "$skipped" -gt 0 ]; then
    echo "test.sh: why they skipped:"
    grep -h '^test skipped: ' build/Testing/Temporary/LastTest.log | sort | uniq -c || true
fi
