#!/usr/bin/env bash
# The main job, from nothing: installs the Debian packages, builds, and runs glint on the embedded
# default scene: describes it, renders it (colour and depth), converts it to .splat and describes that;
# then trains the shipped sample dataset (assets/sample, made by `glint synth`) briefly on the CPU and
# renders the result beside its ground truth, records a fly-through of it (MP4) and an orbit of the 4D
# default scene; opens the viewer on the trained scene when a display exists.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
mkdir -p out
set -x
build/app/glint
build/app/glint render -o out/default_scene.png --depth out/default_scene_depth.png
build/app/glint render assets/default_scene_4d.ply --time 0.5 -o out/default_scene_4d_t0.5.png
build/app/glint convert assets/default_scene.ply out/default_scene.splat
build/app/glint info out/default_scene.splat
build/app/glint synth assets/sample/model.glb -o out/sample_small --views 12 --res 96 --overwrite
build/app/glint train assets/sample/dataset -o out/sample.ply --iters 500 --eval-every 250
build/app/glint render out/sample.ply --cameras assets/sample/dataset/transforms.json --index 0 \
    --background white -o out/sample_trained_view0.png
build/app/glint record out/sample.ply --path assets/sample/flythrough.json -o out/sample_flythrough.mp4 \
    --res 640x360 --background white
build/app/glint record assets/default_scene_4d.ply -o out/default_scene_4d_orbit.mp4 --res 640x360 --duration 4
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    build/app/glint view out/sample.ply --cameras assets/sample/dataset/transforms.json \
        --path assets/sample/flythrough.json
else
    set +x
    echo "demo: no display (DISPLAY and WAYLAND_DISPLAY are unset): not opening the viewer." \
         "Try: xvfb-run -a build/app/glint view out/sample.ply --frames 5 --screenshot out/viewer.png"
fi
