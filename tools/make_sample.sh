#!/usr/bin/env bash
# Makes assets/sample/: the sample glTF model (glint-make-sample-model: a still life made by glint's own
# tool) and its dataset, rendered by `glint synth` (48 views on the upper hemisphere at 200x200, RGBA,
# transforms.json, COLMAP text model, 5,000 surface points). The demo and the training tests use it.
# Needs a built glint (tools/build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
out=assets/sample
mkdir -p "$out"
build/tools/glint-make-sample-model "$out/model.glb"
rm -rf "$out/dataset"
build/app/glint synth "$out/model.glb" -o "$out/dataset" --views 48 --res 200 --hemisphere --seed 1
