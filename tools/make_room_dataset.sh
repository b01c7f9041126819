#!/usr/bin/env bash
# Makes a room dataset: the textured room of tools/room_scene.py, seen from N cameras inside it looking
# outward (transforms.json, images rendered by glint render), with no sparse points: the unbounded kind of
# capture where random initialisation must fill the cameras' frustums rather than a box at their centre.
# Usage: tools/make_room_dataset.sh OUT [VIEWS=48] [WIDTH=160] [HEIGHT=120]. Needs a built glint.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: make_room_dataset.sh OUT [VIEWS] [WIDTH] [HEIGHT]}
views=${2:-48}
width=${3:-160}
height=${4:-120}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/images"
python3 tools/room_scene.py "$work/room.ply" "$out/transforms.json" "$views" "$width" "$height"
for i in $(seq 0 $((views - 1))); do
    build/app/glint render -q "$work/room.ply" --cameras "$out/transforms.json" --index "$i" \
        -o "$out/images/$(printf "r_%03d.png" "$i")"
done
echo "make_room_dataset: $views views at ${width}x${height} in $out"
