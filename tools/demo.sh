#!/usr/bin/env bash
# The main job, from nothing: installs the Debian packages, builds, and runs glint on the embedded
# default scene: describes it, renders it (colour and depth), converts it to .splat and describes that,
# then opens the viewer on it when a display exists.
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
if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
    build/app/glint view
else
    set +x
    echo "demo: no display (DISPLAY and WAYLAND_DISPLAY are unset): not opening the viewer." \
         "Try: xvfb-run -a build/app/glint view --frames 5 --screenshot out/viewer.png"
fi
