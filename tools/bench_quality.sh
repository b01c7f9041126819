#!/usr/bin/env bash
# Training quality on data glint was not tuned on: a matrix of datasets rendered by `glint synth` from every
# glTF model in the repository (the sample model, FlightHelmet, Fox, BoxTextured), trained over white and
# over black, from sparse points and from random initialisation, with ADC and with MCMC densification,
# plus the COLMAP fixture (a real COLMAP reconstruction of photos over a grey backdrop), its background
# learnt and over black. Each row: training and test PSNR and SSIM, the
# gap between them, Gaussians, seconds and peak memory; each run's first test view is rendered beside its
# image into OUT/views/. Writes OUT/quality.md (a Markdown table with the commit) and OUT/quality.csv.
#
# usage: tools/bench_quality.sh [OUT] [ITERATIONS]     (defaults: out/quality, 3000)
#   QUALITY_MODELS="sample Fox" QUALITY_BACKGROUNDS=white QUALITY_INITS=random QUALITY_DENSIFY=mcmc
#   QUALITY_FIXTURE_BACKGROUNDS=learnt narrow the matrix; QUALITY_VIEWS and QUALITY_RES set the
#   datasets' size (default 56 views, 128 px).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out/quality}
iterations=${2:-3000}
glint=build/app/glint
[ -x "$glint" ] || { echo "bench_quality: build glint first (tools/build.sh)" >&2; exit 1; }
models=${QUALITY_MODELS:-"sample FlightHelmet Fox BoxTextured"}
backgrounds=${QUALITY_BACKGROUNDS:-"white black"}
inits=${QUALITY_INITS:-"points random"}
densifiers=${QUALITY_DENSIFY:-"adc mcmc"}
views=${QUALITY_VIEWS:-56}
res=${QUALITY_RES:-128}
mkdir -p "$out/datasets" "$out/runs" "$out/views"

model_file() {
    case $1 in
        sample) echo assets/sample/model.glb ;;
        FlightHelmet) echo tests/data/gltf/FlightHelmet/FlightHelmet.gltf ;;
        *) echo "tests/data/gltf/$1.glb" ;;
    esac
}

field() {  # field LOG REGEX: the first capture of the last line matching REGEX
    sed -nE "s/.*$2.*/\1/p" "$1" | tail -1
}

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
cpu=$(sed -nE 's/^model name\s*: //p' /proc/cpuinfo | head -1)
csv="$out/quality.csv"
md="$out/quality.md"
echo "dataset,background,init,densify,train_psnr,test_psnr,gap,train_ssim,test_ssim,gaussians,seconds,peak_memory" > "$csv"
{
    echo "Measured at commit $commit on $cpu ($(nproc) threads), $iterations iterations, ${views} views at ${res}x${res} (every 8th held out)."
    echo
    echo "| dataset | background | start | densify | train PSNR | test PSNR | test - train | train SSIM | test SSIM | Gaussians | seconds | peak memory |"
    echo "| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$md"

run() {  # run NAME DATASET BACKGROUND INIT DENSIFY FIRST_TEST_INDEX
    local name=$1 dataset=$2 bg=$3 init=$4 densify=$5 index=$6
    local log="$out/runs/$name.log"
    local background=(--background "$bg")
    [ "$bg" = learnt ] && background=()  # photos without alpha: the default learns their background
    "$glint" train "$dataset" -o "$out/runs/$name.ply" --iters "$iterations" \
        "${background[@]}" --init "$init" --densify "$densify" > "$log" 2>&1 || {
        echo "bench_quality: $name failed, see $log" >&2
        return 0
    }
    local train_psnr test_psnr train_ssim test_ssim gaussians seconds peak
    test_psnr=$(field "$log" 'test PSNR ([0-9.]+) dB')
    test_ssim=$(field "$log" 'test PSNR [0-9.]+ dB, SSIM ([0-9.]+)')
    train_psnr=$(field "$log" 'training views: PSNR ([0-9.]+) dB')
    train_ssim=$(field "$log" 'training views: PSNR [0-9.]+ dB, SSIM ([0-9.]+)')
    gaussians=$(field "$log" '\(([0-9]+) Gaussians\), ')
    seconds=$(field "$log" 'trained in ([0-9.]+) s')
    peak=$(field "$log" 'peak memory ([0-9.]+ [KMG]iB)')
    local gap
    gap=$(awk -v a="$test_psnr" -v b="$train_psnr" 'BEGIN { printf "%.2f", a - b }')
    printf '%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s\n' "$(basename "$dataset")" "$bg" "$init" "$densify" \
        "$train_psnr" "$test_psnr" "$gap" "$train_ssim" "$test_ssim" "$gaussians" "$seconds" "$peak" >> "$csv"
    printf '| %s | %s | %s | %s | %.2f | %.2f | %s | %.4f | %.4f | %s | %.1f | %s |\n' "$(basename "$dataset")" \
        "$bg" "$init" "$densify" "$train_psnr" "$test_psnr" "$gap" "$train_ssim" "$test_ssim" "$gaussians" \
        "$seconds" "$peak" >> "$md"
    echo "$name: train $train_psnr dB, test $test_psnr dB, $gaussians Gaussians, $seconds s"
    "$glint" render -q "$out/runs/$name.ply" --cameras "$dataset" --index "$index" "${background[@]}" \
        -o "$out/views/$name.png"
}

for model in $models; do
    dataset="$out/datasets/$model"
    if [ ! -f "$dataset/transforms.json" ]; then
        "$glint" synth -q "$(model_file "$model")" -o "$dataset" --views "$views" --res "$res" --points 5000 \
            --overwrite
    fi
    for bg in $backgrounds; do
        for init in $inits; do
            for densify in $densifiers; do
                run "$model-$bg-$init-$densify" "$dataset" "$bg" "$init" "$densify" 0
            done
        done
    done
done
# A real COLMAP reconstruction of photos over a grey backdrop (every 8th view held out), with the
# background learnt (the default for photos) and over black (the reference's colour for photos).
for bg in ${QUALITY_FIXTURE_BACKGROUNDS:-learnt black}; do
    for init in $inits; do
        for densify in $densifiers; do
            run "colmap_fixture-$bg-$init-$densify" tests/data/colmap_fixture "$bg" "$init" "$densify" 0
        done
    done
done
echo "bench_quality: wrote $md and $csv"
