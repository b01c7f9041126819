#!/usr/bin/env bash
# The main job, from nothing: installs the Debian packages, builds, and runs glint on the embedded
# default scene (shows it, converts it to .splat and back, and describes the result).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
tools/build.sh
mkdir -p out
set -x
build/app/glint
build/app/glint convert assets/default_scene.ply out/default_scene.splat
build/app/glint info out/default_scene.splat
