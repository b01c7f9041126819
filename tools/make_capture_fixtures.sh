#!/usr/bin/env bash
# Makes the fixtures of `glint process` from the textured test scene (tools/textured_scene.py), each run
# through the real COLMAP program by glint process:
#   tests/data/capture_video/orbit.mp4   an 8 s half orbit recorded by glint record (320x240, 12 fps), the video
#                                        input the process tests pose;
#   tests/data/colmap_video/             what glint process made of it (3 frames a second, SIMPLE_RADIAL, sequential
#                                        matching): the undistorted dataset, images/ and sparse/0;
#   tests/data/colmap_distorted/         24 photos rendered through a known OPENCV lens (LENS says which)
#                                        and the distorted model COLMAP estimated from them (OPENCV camera),
#                                        images/ and sparse/0: a dataset glint undistorts at load.
# Needs colmap (tools/setup.sh installs it) and a built glint.
set -euo pipefail
cd "$(dirname "$0")/.."
glint=build/app/glint
lens="OPENCV:-0.25,0.06,0.001,-0.001"
command -v colmap > /dev/null || { echo "make_capture_fixtures: needs colmap (tools/setup.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tools/textured_scene.py "$work/scene.ply"

# The video (half an orbit at constant speed, as someone walking around the scene) and what glint
# process makes of it.
python3 - "$work/path.json" <<'PY'
import json, math, sys
keys = [{"position": [3.4 * math.cos(a), 3.4 * math.sin(a), 1.6], "look_at": [0, 0, 0.4], "up": [0, 0, 1],
         "fov": 60} for a in (math.pi * k / 8 for k in range(9))]
json.dump({"version": 1, "timing": "constant-speed", "duration": 8, "easing": "linear", "keyframes": keys},
          open(sys.argv[1], "w"))
PY
mkdir -p tests/data/capture_video
"$glint" record -q "$work/scene.ply" -o tests/data/capture_video/orbit.mp4 --path "$work/path.json" --res 320x240 \
    --fps 12 --background 0.35,0.35,0.38 --preset veryslow --crf 23
"$glint" process tests/data/capture_video/orbit.mp4 -o "$work/video" --fps 3 --camera-model SIMPLE_RADIAL --threads 1
rm -rf tests/data/colmap_video && mkdir -p tests/data/colmap_video
cp -r "$work/video/images" "$work/video/sparse" tests/data/colmap_video/

# Photos through a lens, on two rings, and the distorted model.
mkdir -p "$work/photos"
i=0
for ring in "3.6 1.4" "3.0 2.6"; do
    read -r radius height <<< "$ring"
    for k in $(seq 0 11); do
        eye=$(python3 -c "import math; a = 2 * math.pi * ($k + 0.5 * ($i >= 12)) / 12; print(f'{$radius * math.cos(a):.4f},{$radius * math.sin(a):.4f},$height')")
        "$glint" render -q "$work/scene.ply" --lookat "$eye,0,0,0.4,0,0,1" --fov 60 --width 240 --height 180 \
            --background 0.35,0.35,0.38 --distortion "$lens" -o "$work/photos/$(printf "view_%02d.png" "$i")"
        i=$((i + 1))
    done
done
"$glint" process "$work/photos" -o "$work/distorted" --camera-model OPENCV --threads 1
rm -rf tests/data/colmap_distorted && mkdir -p tests/data/colmap_distorted/images tests/data/colmap_distorted/sparse
cp -r "$work/distorted/distorted/sparse/0" tests/data/colmap_distorted/sparse/
for f in "$work"/distorted/images/*.png; do cp "$work/photos/$(basename "$f")" tests/data/colmap_distorted/images/; done
echo "$lens" > tests/data/colmap_distorted/LENS
colmap --help 2>&1 | head -1 > tests/data/colmap_distorted/COLMAP_VERSION
cp tests/data/colmap_distorted/COLMAP_VERSION tests/data/colmap_video/
du -sh tests/data/capture_video tests/data/colmap_video tests/data/colmap_distorted
