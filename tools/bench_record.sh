#!/usr/bin/env bash
# What encoding adds to recording: each scene's 3-second 1920x1080 fly-through (the automatic orbit, 90
# frames, CPU) rendered with --dry-run (rendering only) and recorded to MP4 with each x264 preset given,
# wall time and CPU time of each, and the overhead over rendering alone.
# Usage: tools/bench_record.sh [presets...]   (default: ultrafast veryfast; needs a built glint: tools/build.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
presets=("${@:-ultrafast veryfast}")
read -r -a presets <<< "${presets[*]}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() {  # prints "wall user"
    /usr/bin/time -f "%e %U" -o "$work/time" build/app/glint -q record "$@" --res 1920x1080 --fps 30 --duration 3 \
        --backend cpu >/dev/null
    cat "$work/time"
}
for scene in "" tests/data/splats/donut_sh0.ply; do
    name=${scene:-default scene}
    read -r dry_wall dry_user < <(run $scene -o "$work/dry.mp4" --dry-run)
    echo "$name: rendering only ${dry_wall} s wall, ${dry_user} s CPU"
    for preset in "${presets[@]}"; do
        read -r wall user < <(run $scene -o "$work/fly.mp4" --preset "$preset")
        size=$(stat -c %s "$work/fly.mp4")
        echo "  $preset: ${wall} s wall (+$(echo "scale=0; 100 * ($wall - $dry_wall) / $dry_wall" | bc)%)," \
             "${user} s CPU (+$(echo "scale=0; 100 * ($user - $dry_user) / $dry_user" | bc)%), $((size / 1024)) KiB"
    done
done
