#!/usr/bin/env bash
# Prints how the CPU rasterizer's frame time scales with the number of Gaussians and pixels, as a
# Markdown table: structured scenes (the default scene's construction, SH degree 1) and random scenes
# (SH degree 3), from 10^4 up to MAX Gaussians, at 640x480 and 1280x720. Needs a build (tools/build.sh).
# Usage: tools/bench_scaling.sh [MAX=1000000] [FRAMES=10]
set -euo pipefail
cd "$(dirname "$0")/.."
max=${1:-1000000}
frames=${2:-10}
glint=build/app/glint
make_scene=build/tools/glint-make-scene
[ -x "$glint" ] && [ -x "$make_scene" ] || { echo "build first: tools/build.sh" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

field() { grep -o "\"$1\": [0-9.e+-]*" | head -1 | sed 's/.*: //'; }

echo "| scene | Gaussians | resolution | tile pairs | preprocess ms | sort ms | blend ms | frame ms | FPS | peak memory MiB |"
echo "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for kind in structured random; do
    for count in 10000 100000 1000000 10000000; do
        [ "$count" -le "$max" ] || continue
        scene="$work/$kind-$count.ply"
        if [ "$kind" = structured ]; then
            "$make_scene" structured "$count" "$scene" >/dev/null
        else
            "$make_scene" random "$count" "$scene" --sh-degree 3 >/dev/null
        fi
        n=$frames
        [ "$count" -ge 10000000 ] && n=3
        for size in 640x480 1280x720; do
            json=$("$glint" -q bench "$scene" --width "${size%x*}" --height "${size#*x}" --frames "$n" --json)
            printf "| %s | %s | %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.0f |\n" "$kind" \
                "$(echo "$json" | field gaussians)" "$size" "$(echo "$json" | field tile_pairs)" \
                "$(echo "$json" | field preprocess)" "$(echo "$json" | field sort)" "$(echo "$json" | field blend)" \
                "$(echo "$json" | field frame)" "$(echo "$json" | field fps)" \
                "$(echo "$json" | field peak_memory_bytes | awk '{print $1 / 1048576}')"
        done
        rm -f "$scene"
    done
done
echo
echo "Machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) threads; glint $("$glint" --version | sed 's/glint //')"
