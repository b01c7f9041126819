#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan, UBSan), fuzzes each scene reader (PLY, .splat, .spz, compressed PLY, .ksplat, glTF, SOG) for SECONDS (default 300),
# and merges what it found into tests/fuzz/regressions/<reader>/, which the test suite replays.
# Usage: tools/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
build=build-fuzz
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang -DGLINT_CUDA=OFF \
      -DGLINT_FUZZ=ON -DGLINT_BUILD_TESTS=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C "$build" fuzz_ply fuzz_splat fuzz_spz fuzz_compressed_ply fuzz_ksplat fuzz_gltf fuzz_sog glint-make-scene >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/ply" "$work/splat" "$work/spz" "$work/compressed_ply" "$work/ksplat" "$work/gltf" "$work/sog"
# Seeds: small valid scenes of every SH degree, 3D and 4D, binary and ASCII.
for degree in 0 1 2 3; do
    "$build/tools/glint-make-scene" random 3 "$work/ply/b$degree.ply" --sh-degree $degree --seed $degree >/dev/null
    "$build/tools/glint-make-scene" random 2 "$work/ply/a$degree.ply" --sh-degree $degree --ascii >/dev/null
    "$build/tools/glint-make-scene" random 2 "$work/ply/t$degree.ply" --sh-degree $degree --4d >/dev/null
done
"$build/tools/glint-make-scene" random 4 "$work/splat/s.splat" --sh-degree 0 >/dev/null
for degree in 0 1 3; do
    "$build/tools/glint-make-scene" random 3 "$work/spz/s$degree.spz" --sh-degree $degree --seed $degree >/dev/null
done
cp tests/data/splats/*.spz "$work/spz/"
cp tests/data/splats/*.ksplat "$work/ksplat/"
cp tests/data/splats/khr_*.gl* "$work/gltf/"
for degree in 0 1 3; do
    "$build/tools/glint-make-scene" random 3 "$work/sog/s$degree.sog" --sh-degree $degree --seed $degree >/dev/null
done
for degree in 0 1; do
    "$build/tools/glint-make-scene" random 3 "$work/compressed_ply/c$degree.compressed.ply" --sh-degree $degree >/dev/null
done
cp tests/fuzz/regressions/ply/* "$work/ply/" 2>/dev/null || true
cp tests/fuzz/regressions/splat/* "$work/splat/" 2>/dev/null || true
cp tests/fuzz/regressions/spz/* "$work/spz/" 2>/dev/null || true
cp tests/fuzz/regressions/compressed_ply/* "$work/compressed_ply/" 2>/dev/null || true
cp tests/fuzz/regressions/ksplat/* "$work/ksplat/" 2>/dev/null || true
cp tests/fuzz/regressions/gltf/* "$work/gltf/" 2>/dev/null || true
cp tests/fuzz/regressions/sog/* "$work/sog/" 2>/dev/null || true

for reader in ply splat spz compressed_ply ksplat gltf sog; do
    dict=()
    max_len=4096
    [ "$reader" = ksplat ] && max_len=8192  # its header alone is 4 KiB
    [ "$reader" = gltf ] && max_len=32768   # the conformance files are about 20 KiB
    [ "$reader" = sog ] && max_len=20000    # a 3-Gaussian archive is 11 to 17 KiB (three 256-entry codebooks)
    [ -f "tests/fuzz/$reader.dict" ] && dict=(-dict="tests/fuzz/$reader.dict")
    mkdir -p "$work/$reader-found" "tests/fuzz/regressions/$reader"
    echo "fuzzing the $reader reader for $seconds s"
    "$build/tests/fuzz_$reader" "$work/$reader" "${dict[@]}" -max_total_time="$seconds" -max_len="$max_len" \
        -artifact_prefix="tests/fuzz/regressions/$reader/" -print_final_stats=1 2>"$work/$reader.log" || {
        echo "the $reader fuzzer stopped on a failure; the input is in tests/fuzz/regressions/$reader/"; tail -40 "$work/$reader.log"; exit 1; }
    tail -12 "$work/$reader.log" | grep -E "stat::|Done" || true
    # Keep a minimal set of inputs that covers what the whole corpus covers.
    "$build/tests/fuzz_$reader" -merge=1 "tests/fuzz/regressions/$reader" "$work/$reader" 2>/dev/null
    echo "$reader: $(ls "tests/fuzz/regressions/$reader" | wc -l) regression inputs"
done
