#!/usr/bin/env bash
# Makes tests/data/colmap_fixture: 24 views of a textured Gaussian scene (flat opaque Gaussians covering
# a ground square and a box, coloured in random cells: surfaces with corners for SIFT) rendered by glint
# at 240x180 on two rings around it, then reconstructed by the real COLMAP program (Debian's colmap: SIFT features,
# exhaustive matching, incremental mapper), saved as binary and as text. The loader tests read what
# COLMAP wrote. Needs `colmap` (apt-get install colmap; not part of tools/setup.sh) and a built glint.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/data/colmap_fixture
glint=build/app/glint
command -v colmap > /dev/null || { echo "make_colmap_fixture: needs colmap (apt-get install colmap)" >&2; exit 1; }
rm -rf "$out" && mkdir -p "$out/images" "$out/sparse/0" "$out/text"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 tools/textured_scene.py "$work/scene.ply"
i=0
for ring in "6.0 1.5" "5.0 3.5"; do
    read -r radius height <<< "$ring"
    for k in $(seq 0 11); do
        angle=$(python3 -c "import math; print(2 * math.pi * ($k + 0.5 * ($i >= 12)) / 12)")
        eye=$(python3 -c "import math; print(f'{$radius * math.cos($angle):.4f},{$radius * math.sin($angle):.4f},$height')")
        name=$(printf "view_%02d.png" "$i")
        "$glint" render -q "$work/scene.ply" --lookat "$eye,0,0,0.4,0,0,1" --fov 50 --width 240 --height 180 \
            --background 0.35,0.35,0.38 -o "$out/images/$name"
        i=$((i + 1))
    done
done
# One shared pinhole camera, as a user with one camera would ask for; single-threaded SIFT keeps the
# result the same from run to run on a given machine.
colmap feature_extractor --database_path "$work/db.db" --image_path "$out/images" \
    --ImageReader.single_camera 1 --ImageReader.camera_model PINHOLE --SiftExtraction.use_gpu 0 \
    --SiftExtraction.num_threads 1 > "$work/log.txt" 2>&1
colmap exhaustive_matcher --database_path "$work/db.db" --SiftMatching.use_gpu 0 \
    --SiftMatching.num_threads 1 >> "$work/log.txt" 2>&1
mkdir -p "$work/sparse"
colmap mapper --database_path "$work/db.db" --image_path "$out/images" --output_path "$work/sparse" \
    --Mapper.num_threads 1 >> "$work/log.txt" 2>&1 || { cat "$work/log.txt" >&2; exit 1; }
cp "$work"/sparse/0/{cameras,images,points3D}.bin "$out/sparse/0/"
colmap model_converter --input_path "$out/sparse/0" --output_path "$out/text" --output_type TXT \
    >> "$work/log.txt" 2>&1
colmap --help 2>&1 | head -1 > "$out/COLMAP_VERSION"
echo "make_colmap_fixture: $(ls "$out/images" | wc -l) images;" \
     "$(grep -c '' "$out/text/images.txt") lines in images.txt; $(du -sh "$out" | cut -f1)"
