// Procedural Gaussian scenes: the default scene in assets/ and random scenes for tests and benchmarks.
// Deterministic for a seed on every platform (own RNG, no std:: distributions).
#pragma once

#include <array>
#include <cstdint>

#include "glint/splatting/gaussian_cloud.h"

namespace glint::tools {

// splitmix64: small, fast, and identical everywhere.
class Rng {
public:
    explicit Rng(std::uint64_t seed) : m_state(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1) with 24 bits, exact in float.
    float uniform() { return static_cast<float>(next() >> 40) * (1.0f / 16777216.0f); }
    float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
    float normal();  // standard normal, Box-Muller

private:
    std::uint64_t m_state;
};

// A trefoil knot of rainbow surface Gaussians (SH degree 1 shading that brightens surfaces facing the
// viewer) over a checkered ground disc. About 8,800 Gaussians, z up, centred at the origin, radius ~3.
splatting::GaussianCloud make_default_scene();

// The same construction with about `count` Gaussians (within a few percent), their sizes shrinking as
// the count grows so that surfaces stay covered: realistic, surface-like scenes for benchmarks.
splatting::GaussianCloud make_structured_scene(std::size_t count);

// The left and right unit quaternions (w, x, y, z) of a 4D rotation matrix (row-major): R4 = L(left)
// R(right) as in raster::rotation_4d. R4 is bilinear in the pair, so projecting it onto the 16 basis
// products gives the rank-one matrix left right^T, from which both factors are read.
void isoclinic_from_rotation(const float rotation[4][4], float left[4], float right[4]);

// A 4D cloud with the 3D cloud's positions, scales, opacities and colour; its rotations, time means,
// time scales and right rotations are zero, for the caller to set.
splatting::GaussianCloud with_time_fields(const splatting::GaussianCloud& still);

// The default scene as a 4D scene over t in [0, 1]: a segment of the knot travels along it as time
// passes (each disc is present within about 0.1 of the time of its place on the knot), the ground is
// there throughout. With `laps` > 1 the knot is drawn again in every unit of time over [0, laps] (its
// Gaussians once per lap, the ground once): a scene `laps` times longer with as much alive at any time.
// With `count` > 0, the structured scene of about that many Gaussians is the still scene.
splatting::GaussianCloud make_default_scene_4d(int laps = 1, std::size_t count = 0);

struct RandomSceneOptions {
    std::size_t count = 10000;
    int sh_degree = 3;
    bool temporal = false;
    int time_color_degree = 0;  // 4D only: time frequencies of the colour, 0 to 2
    float time_period = 1.0f;   // 4D only
    std::uint64_t seed = 1;
    float extent = 1.0f;  // positions uniform in [-extent, extent]^3
};

// Random Gaussians: log-scales uniform in [ln(extent) - 6, ln(extent) - 3], random rotations, opacity
// logits in [-2, 4], SH coefficients ~ N(0, 0.3) with decreasing weight by degree.
splatting::GaussianCloud make_random_scene(const RandomSceneOptions& options);

}  // namespace glint::tools

namespace glint::tools {

struct CityOptions {
    std::size_t count = 10'000'000;  // at least this many Gaussians, blocks and ground together
    float spacing = 8.0f;            // distance between neighbouring blocks' centres, in scene units
    float ground_step = 0.5f;        // spacing of the street's flat Gaussians; 0: no street
    std::uint64_t seed = 1;
};

// A city-like scene for level-of-detail benchmarks: copies of a 3D scene (a "block") on a square grid
// about the block's up axis, each turned by a random angle about it (positions, rotations and SH rotated
// together, so view-dependent colour turns with the block) and scaled by 0.8 to 1.25, over a grey street
// of flat Gaussians at the block's ground level. The grid has as many blocks as it takes to reach
// `count`. The block's up is its `glint up` line, or +z.
splatting::GaussianCloud make_city_scene(const splatting::GaussianCloud& block, const CityOptions& options);

// The matrix M (15 x 15, row-major, acting on SH coefficients 1..15 of one channel) such that a scene
// turned by `rotation` (3 x 3, row-major) has coefficients M c where it had c: found by least squares on
// directions spread over the sphere, exact up to rounding because rotations keep each band.
std::array<float, 225> sh_rotation(const float rotation[3][3]);

}  // namespace glint::tools
