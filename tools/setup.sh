#!/usr/bin/env bash
# Installs every Debian 12 package glint needs to build, test and run. Idempotent: packages already
# present are left alone, so running it again costs one `apt-get update` and a dpkg query.
set -euo pipefail

packages=(
    build-essential cmake ninja-build pkg-config git
    clang libclang-rt-14-dev                      # libFuzzer targets and sanitizers
    libglm-dev libglfw3-dev libimgui-dev
    libvulkan-dev vulkan-validationlayers glslc mesa-vulkan-drivers
    libtinygltf-dev libstb-dev doctest-dev libtbb-dev libcli11-dev nlohmann-json3-dev
    libavcodec-dev libavformat-dev libswscale-dev libavutil-dev
    libopenblas-pthread-dev                       # the NeRF networks' matrix products
    libzip-dev                                    # .npz archives (Dynamic 3D Gaussians' point clouds)
    zlib1g-dev libzstd-dev                        # .spz scenes (gzip in versions 2-3, zstd in 4)
    libwebp-dev                                   # SOG scenes (WebP textures)
    libopenmpi-dev openmpi-bin                    # distributed training (mpirun -np N glint train)
    colmap                                        # glint process: photos and video posed by COLMAP
    xvfb xauth                                    # the viewer's tests, on a virtual display
    libxcursor1 libxrandr2 libxinerama1 libxi6 libx11-xcb1   # loaded by GLFW at run time (dlopen)
    python3                                       # the independent reference-rasterizer check in tests/
)

missing=()
for p in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: all ${#packages[@]} packages are installed"
    exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: run as root or install sudo" >&2; exit 1; }
    sudo_cmd=(sudo)
fi
echo "setup: installing ${#missing[@]} packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
