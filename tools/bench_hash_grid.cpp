// The hash encoding's speed goal: forward and backward of the multiresolution hash encoding (L 16, F 2,
// T 2^19, N_min 16, N_max 2048) on the CPU, for points along rays and points at random in the unit cube.
// Prints the median over repeats, for the given count and for the first 65,536 points (the trainer's
// default batch), with the widest instruction set the processor has, then with each narrower one. Usage: glint-bench-hash-grid [points (default 1048576)] [repeats (default 7)]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <span>
#include <vector>

#include <tbb/info.h>

#include "glint/nerf/hash_grid.h"

int main(int argc, char** argv) {
    const std::size_t n = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : (std::size_t{1} << 20);
    const int repeats = argc > 2 ? std::atoi(argv[2]) : 7;
    glint::nerf::HashGrid<float> grid(glint::nerf::HashGridConfig{});
    grid.initialize(1);
    std::mt19937 random(1);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    // Two workloads: points in ray order, as NeRF marching produces them (rays from a camera 2.5 cube
    // sides from the centre through a 60-degree view, 128 samples each across the cube), and points
    // uniformly at random (no locality at all).
    std::vector<float> ray_points(3 * n), random_points(3 * n);
    for (float& p : random_points) p = u(random);
    constexpr std::size_t kSamples = 128;
    for (std::size_t r = 0; r * kSamples < n; ++r) {
        const float eye[3] = {0.5f, 0.5f, -2.0f};
        const float dir[3] = {0.6f * (u(random) - 0.5f), 0.6f * (u(random) - 0.5f), 1.0f};
        for (std::size_t s = 0; s < kSamples && r * kSamples + s < n; ++s) {
            const float t = 2.0f + (static_cast<float>(s) + 0.5f) / kSamples;  // z from 0 to 1
            for (int k = 0; k < 3; ++k)
                ray_points[3 * (r * kSamples + s) + static_cast<std::size_t>(k)] =
                    std::clamp(eye[k] + t * dir[k], 0.0f, 1.0f);
        }
    }
    std::vector<float> features(n * static_cast<std::size_t>(grid.output_width()));
    std::vector<float> grad_features(features.size(), 1e-3f), grad_params(grid.params().size());
    using Clock = std::chrono::steady_clock;
    auto measure = [&](std::size_t count, bool rays) {
        const std::span<const float> points((rays ? ray_points : random_points).data(), 3 * count);
        const std::size_t width = static_cast<std::size_t>(grid.output_width());
        const std::span<float> out(features.data(), count * width);
        const std::span<const float> grad_out(grad_features.data(), count * width);
        std::vector<double> forward_ms, backward_ms;
        for (int r = 0; r < repeats; ++r) {
            auto start = Clock::now();
            grid.forward(points, out);
            forward_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
            std::fill(grad_params.begin(), grad_params.end(), 0.0f);
            start = Clock::now();
            grid.backward(points, grad_out, grad_params);
            backward_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
        }
        std::sort(forward_ms.begin(), forward_ms.end());
        std::sort(backward_ms.begin(), backward_ms.end());
        const double f = forward_ms[forward_ms.size() / 2], b = backward_ms[backward_ms.size() / 2];
        const double points_k = static_cast<double>(count) / 1e3;  // points per ms / 1e3 = M points/s
        std::printf(
            "hash encoding (%s), %zu points %s, L 16 F 2 T 2^19, %d threads: forward %.1f ms (%.2f M points/s), "
            "backward %.1f ms (%.2f M points/s), both %.2f M points/s\n",
            glint::nerf::encoding_isa_name(glint::nerf::encoding_isa()), count, rays ? "along rays" : "at random",
            tbb::info::default_concurrency(), f, points_k / f, b,
            points_k / b, points_k / (f + b));
    };
    constexpr std::size_t kBatch = 65536;  // the trainer's default samples per step
    for (const bool rays : {true, false}) measure(n, rays);
    if (n > kBatch)
        for (const bool rays : {true, false}) measure(kBatch, rays);
    // The narrower instruction sets this processor also has (the widest is the default above).
    const glint::nerf::EncodingIsa widest = glint::nerf::encoding_isa();
    for (const auto isa : {glint::nerf::EncodingIsa::Avx2, glint::nerf::EncodingIsa::Scalar}) {
        if (isa == widest || !glint::nerf::set_encoding_isa(isa)) continue;
        for (const bool rays : {true, false}) measure(n, rays);
    }
    return 0;
}
