#!/usr/bin/env bash
# Level of detail on a large scene: a city of about COUNT Gaussians (copies of the default scene on a grid
# over a street, glint-make-scene city), its hierarchy (glint lod: build time, file size, memory), then
# `glint bench` at 1280x720 from a street-level view and from above, the full scene against the cut at
# several targets: frame time, Gaussians drawn, the cut's PSNR against the full render, peak memory.
# Usage: tools/bench_lod.sh [count (default 10000000)] [work folder (default: a temporary one, removed)]
# Needs a built glint (tools/build.sh) and, for 10M Gaussians, about 8 GiB of memory and 3.5 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-10000000}
if [[ $# -ge 2 ]]; then
    work=$2
    mkdir -p "$work"
else
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
fi
glint=build/app/glint
if [[ ! -f "$work/city_lod.ply" ]]; then
    build/tools/glint-make-scene city "$work/city.ply" --count "$count"
    /usr/bin/time -f "glint lod: %e s wall, peak memory %M KiB" "$glint" lod "$work/city.ply" -o "$work/city_lod.ply"
fi
"$glint" info "$work/city_lod.ply" | sed -n 2,5p
# Street level: down the street between the first two columns of blocks, eye 0.8 above the ground.
street="4,-100,-0.5,4,100,-0.6,0,0,1"
# Above: a bird's-eye view over the whole city.
above="0,-190,80,0,0,-1.2,0,0,1"
for view in street above; do
    echo "== $view view, 1280x720 =="
    for px in 2 4 8 16; do
        "$glint" bench "$work/city_lod.ply" --lookat "${!view}" --width 1280 --height 720 --frames 5 \
            --warmup 1 --lod-pixels "$px" --json >"$work/bench.json"
        python3 - "$px" "$work/bench.json" <<'PY'
import json, sys
px, report = sys.argv[1], json.load(open(sys.argv[2]))
lod = report["lod"]
print(f"  --lod-pixels {px:>2}: cut {lod['cut_gaussians']:>10,} Gaussians, frame {report['median_ms']['frame']:7.1f} ms "
      f"({report['fps']:5.1f} FPS; the cut {lod['cut_ms']:5.1f} ms of it), {lod['psnr_against_full']:6.2f} dB "
      f"against the full render; full {lod['full_visible']:,} visible, {lod['full_frame_ms']:.0f} ms "
      f"({lod['full_fps']:.1f} FPS); peak memory {report['peak_memory_bytes'] / 2**30:.2f} GiB")
PY
    done
done
