// glint-sim-distributed: what distributed training of a large scene would exchange, from a real scene's
// statistics. Renders the scene from views around it (glint's CPU rasterizer: each pixel's count of
// blended Gaussians is its work), projects every Gaussian to its footprint in 16x16 tiles, and for R ranks
// compares, per training step of B views:
//   data parallel (what `mpirun glint train` does): every rank holds every Gaussian and renders B / R
//     whole views; the gradients of all N Gaussians are summed across ranks (a ring all-reduce sends
//     2 (R - 1) / R of them per rank);
//   Grendel-style (Zhao et al. 2024): Gaussians sharded by space (Morton order, N / R each), pixels by
//     tile (contiguous runs of tiles in row order, balanced by work); each rank projects its Gaussians for
//     every view and sends each projected Gaussian to every other rank whose tiles it touches, and gets
//     its gradient back.
// The scene's pairs are scaled to --gaussians (the footprints kept: an assumption, stated in the output).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <exception>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glm/glm.hpp>
#include <glm/gtc/quaternion.hpp>

#include "glint/core/camera.h"
#include "glint/core/error.h"
#include "glint/scene/gaussian_scene.h"
#include "glint/splatting/morton_order.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"

namespace {

using glint::Camera;
using glint::splatting::GaussianCloud;

constexpr int kTile = 16;
constexpr double kSplatBytes = 44.0;     // mean 2, conic 3, opacity, colour 3, depth, index: floats
constexpr double kGradientBytes = 40.0;  // the 9 splat gradients and the index

// Each Gaussian's owner rank: equal shares of the Morton order.
std::vector<int> shard_by_space(const GaussianCloud& c, int ranks) {
    const std::vector<std::uint32_t> order = glint::splatting::morton_order(c.positions());
    std::vector<int> owner(c.size());
    for (std::size_t k = 0; k < order.size(); ++k)
        owner[order[k]] = static_cast<int>(k * static_cast<std::size_t>(ranks) / order.size());
    return owner;
}

// The tile rectangle [x0, x1) x [y0, y1) a Gaussian's 3-sigma footprint, its radius times `shrink`,
// covers in `camera`; false when it is behind the camera or outside the image.
bool footprint(const GaussianCloud& c, std::size_t i, const Camera& camera, int tiles_x, int tiles_y,
               float shrink, int r[4]) {
    const glm::vec3 p(c.positions()[3 * i], c.positions()[3 * i + 1], c.positions()[3 * i + 2]);
    const glm::vec3 t = camera.rotation * p + camera.translation;
    if (t.z < 0.2f) return false;
    const float* q = &c.rotations()[4 * i];
    const glm::mat3 rot = glm::mat3_cast(glm::normalize(glm::quat(q[0], q[1], q[2], q[3])));
    glm::mat3 s(0.0f);
    for (int a = 0; a < 3; ++a) s[a][a] = std::exp(2.0f * c.log_scales()[3 * i + a]);
    const glm::mat3 world = rot * s * glm::transpose(rot);
    const glm::mat3 view = camera.rotation * world * glm::transpose(camera.rotation);
    // EWA: J [2x3] = [[fx / z, 0, -fx x / z^2], [0, fy / z, -fy y / z^2]].
    const float z = t.z, jx[3] = {camera.fx / z, 0.0f, -camera.fx * t.x / (z * z)},
                jy[3] = {0.0f, camera.fy / z, -camera.fy * t.y / (z * z)};
    float a = 0.3f, b = 0.0f, d = 0.3f;
    for (int k = 0; k < 3; ++k)
        for (int l = 0; l < 3; ++l) {
            a += jx[k] * view[l][k] * jx[l];
            b += jx[k] * view[l][k] * jy[l];
            d += jy[k] * view[l][k] * jy[l];
        }
    const float mid = 0.5f * (a + d), lambda = mid + std::sqrt(std::max(0.1f, mid * mid - (a * d - b * b)));
    const float radius = std::ceil(3.0f * shrink * std::sqrt(lambda));
    const float u = camera.fx * t.x / z + camera.cx, v = camera.fy * t.y / z + camera.cy;
    r[0] = std::max(0, static_cast<int>((u - radius) / kTile));
    r[1] = std::min(tiles_x, static_cast<int>((u + radius) / kTile) + 1);
    r[2] = std::max(0, static_cast<int>((v - radius) / kTile));
    r[3] = std::min(tiles_y, static_cast<int>((v + radius) / kTile) + 1);
    return r[0] < r[1] && r[2] < r[3];
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "What distributed training would exchange: data parallel against Grendel-style sharding, "
        "from a real scene's per-tile work and footprints",
        "glint-sim-distributed"};
    std::string path;
    int views = 8, width = 1920, height = 1080, batch = 0;
    double target = 10e6;
    std::vector<int> rank_counts = {8, 16, 32};
    int sh_degree = 3;
    double bandwidth = 25.0;  // GB/s per rank: 200 Gb/s InfiniBand
    app.add_option("SCENE", path, "A trained 3D scene (.ply, .splat, ...)")->required();
    app.add_option("--views", views, "Views around the scene to measure")->check(CLI::Range(1, 256));
    app.add_option("--width", width, "View width")->check(CLI::Range(16, 8192));
    app.add_option("--height", height, "View height")->check(CLI::Range(16, 8192));
    app.add_option("--gaussians", target, "Scene size to scale to")->check(CLI::PositiveNumber);
    app.add_option("--ranks", rank_counts, "Rank counts")->check(CLI::Range(2, 4096));
    app.add_option("--batch", batch, "Views per step (default: one per rank)")->check(CLI::NonNegativeNumber);
    app.add_option("--sh-degree", sh_degree, "SH degree of the large scene")->check(CLI::Range(0, 3));
    app.add_option("--bandwidth", bandwidth, "Network bandwidth per rank, GB/s")->check(CLI::PositiveNumber);
    CLI11_PARSE(app, argc, argv);
    try {
        glint::splatting::LoadedScene loaded = glint::splatting::load_scene(path);
        const GaussianCloud& cloud = loaded.cloud;
        if (cloud.empty() || cloud.is_4d()) throw glint::InputError(path + ": a 3D scene with Gaussians");
        const glint::scene::Sphere sphere = glint::scene::framing_sphere(cloud);
        const int tiles_x = (width + kTile - 1) / kTile, tiles_y = (height + kTile - 1) / kTile;
        const std::size_t tiles = static_cast<std::size_t>(tiles_x) * tiles_y;
        // Views on a ring around the scene, a little above it, framing it as glint view does.
        std::vector<Camera> cameras;
        for (int k = 0; k < views; ++k) {
            const float angle = 6.2831853f * static_cast<float>(k) / static_cast<float>(views);
            const glm::vec3 eye =
                sphere.centre + 2.2f * sphere.radius * glm::vec3(std::cos(angle), -0.35f, std::sin(angle));
            cameras.push_back(Camera::look_at(eye, sphere.centre, {0.0f, -1.0f, 0.0f}, 50.0f, width, height));
        }
        const auto rasterizer = glint::splatting::create_rasterizer(glint::Backend::Cpu);
        std::vector<std::vector<double>> tile_work(views, std::vector<double>(tiles, 0.0));
        double pairs = 0;  // blended (pixel, Gaussian) pairs, all views
        for (int k = 0; k < views; ++k) {
            glint::splatting::RenderSettings settings;
            glint::Frame frame;
            rasterizer->render(cloud, cameras[static_cast<std::size_t>(k)], settings, frame);
            for (int y = 0; y < height; ++y)
                for (int x = 0; x < width; ++x) {
                    const double w = frame.contributors[static_cast<std::size_t>(y) * width + x];
                    tile_work[static_cast<std::size_t>(k)]
                             [static_cast<std::size_t>(y / kTile) * tiles_x + x / kTile] += w;
                    pairs += w;
                }
        }
        const double scale = target / static_cast<double>(cloud.size());
        const double params = 3 + 3 + 4 + 1 + 3 + 3.0 * ((sh_degree + 1) * (sh_degree + 1) - 1);
        std::printf(
            "scene %s: %zu Gaussians; %d views at %dx%d (%zu tiles); %.1f blended Gaussians per pixel\n",
            path.c_str(), cloud.size(), views, width, height, tiles,
            pairs / (views * double(width) * height));
        std::printf(
            "scaled to %.3g Gaussians at SH degree %d (%.0f parameters each); "
            "network %.0f GB/s per rank\n\n",
            target, sh_degree, params, bandwidth);
        // Footprints as measured, then shrunk as the same surfaces covered by target / N times as many
        // Gaussians would be (radius by sqrt(N / target)).
        const float smaller = static_cast<float>(std::sqrt(static_cast<double>(cloud.size()) / target));
        for (const float shrink : {1.0f, smaller}) {
            std::printf("footprints %s:\n", shrink == 1.0f ? "as measured" : "shrunk by sqrt(N / target)");
            std::printf("%6s %6s | %-40s | %-62s\n", "ranks", "views", "data parallel", "Grendel-style");
            std::printf("%6s %6s | %12s %12s %12s | %12s %12s %12s %10s %10s\n", "", "/step", "memory/rank",
                        "traffic/rank", "time", "memory/rank", "traffic/rank", "time", "pixel load",
                        "remote");
            for (const int ranks : rank_counts) {
                const int b = batch > 0 ? batch : ranks;
                const std::vector<int> owner = shard_by_space(cloud, ranks);
                // Data parallel: N x (parameters, gradients, two Adam moments) per rank; a ring all-reduce of
                // the gradients.
                const double dp_memory = target * params * 4.0 * 4.0;
                const double dp_traffic = 2.0 * (ranks - 1) / ranks * target * params * 4.0;
                // Grendel: per view, tiles to ranks balanced by work, then every projected Gaussian to each
                // other rank its footprint reaches (and its gradient back).
                std::vector<double> sent(static_cast<std::size_t>(ranks), 0.0),
                    load(static_cast<std::size_t>(ranks), 0.0);
                double remote_pairs = 0, projected = 0;
                for (int k = 0; k < views; ++k) {
                    const std::vector<double>& work = tile_work[static_cast<std::size_t>(k)];
                    const double total = std::accumulate(work.begin(), work.end(), 0.0);
                    std::vector<int> tile_rank(tiles);
                    double before = 0;
                    for (std::size_t t = 0; t < tiles; ++t) {
                        tile_rank[t] = std::min(ranks - 1, static_cast<int>((before + 0.5 * work[t]) /
                                                                            std::max(total, 1.0) * ranks));
                        before += work[t];
                        load[static_cast<std::size_t>(tile_rank[t])] += work[t];
                    }
                    std::vector<char> reached(static_cast<std::size_t>(ranks));
                    for (std::size_t i = 0; i < cloud.size(); ++i) {
                        int r[4];
                        if (!footprint(cloud, i, cameras[static_cast<std::size_t>(k)], tiles_x, tiles_y,
                                       shrink, r))
                            continue;
                        ++projected;
                        std::fill(reached.begin(), reached.end(), 0);
                        for (int ty = r[2]; ty < r[3]; ++ty)
                            for (int tx = r[0]; tx < r[1]; ++tx)
                                reached[static_cast<std::size_t>(
                                    tile_rank[static_cast<std::size_t>(ty) * tiles_x + tx])] = 1;
                        for (int to = 0; to < ranks; ++to) {
                            if (!reached[static_cast<std::size_t>(to)] || to == owner[i]) continue;
                            remote_pairs += 1;
                            // Splat out and gradient back: both ends move both messages.
                            sent[static_cast<std::size_t>(owner[i])] += kSplatBytes + kGradientBytes;
                            sent[static_cast<std::size_t>(to)] += kSplatBytes + kGradientBytes;
                        }
                    }
                }
                // Per step of b views: the measured views' averages times b, scaled to the target size.
                const double per_view = static_cast<double>(b) / views;
                const double gr_traffic = *std::max_element(sent.begin(), sent.end()) * per_view * scale;
                const double mean_load = std::accumulate(load.begin(), load.end(), 0.0) / ranks;
                const double imbalance =
                    *std::max_element(load.begin(), load.end()) / std::max(mean_load, 1.0);
                const double gr_memory = dp_memory / ranks;
                std::printf(
                    "%6d %6d | %9.2f GB %9.2f GB %9.3f s | %9.2f GB %9.2f GB %9.3f s %9.2fx %9.1f%%\n", ranks,
                    b, dp_memory / 1e9, dp_traffic / 1e9, dp_traffic / (bandwidth * 1e9), gr_memory / 1e9,
                    gr_traffic / 1e9, gr_traffic / (bandwidth * 1e9), imbalance,
                    100.0 * remote_pairs / std::max(projected, 1.0));
            }
            std::printf("\n");
        }
        std::printf(
            "\npixel load: the busiest rank's blended pairs over the mean (Grendel's pixel side; data "
            "parallel renders whole views, balanced when the batch divides evenly)\n"
            "remote: projected Gaussians sent to another rank, per projected Gaussian (a Gaussian may go "
            "to several)\n");
    } catch (const glint::InputError& e) {
        std::fprintf(stderr, "glint-sim-distributed: error: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "glint-sim-distributed: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
