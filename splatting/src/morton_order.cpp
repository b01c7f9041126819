#include "glint/splatting/morton_order.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "glint/core/radix_sort.h"

namespace glint::splatting {
namespace {

std::uint32_t spread_bits(std::uint32_t v) {
    v &= 0x3ff;
    v = (v | (v << 16)) & 0x030000ff;
    v = (v | (v << 8)) & 0x0300f00f;
    v = (v | (v << 4)) & 0x030c30c3;
    v = (v | (v << 2)) & 0x09249249;
    return v;
}

}  // namespace

std::vector<std::uint32_t> morton_order(std::span<const float> positions) {
    const std::size_t n = positions.size() / 3;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (std::size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a)
            lo[a] = std::min(lo[a], positions[3 * i + a]), hi[a] = std::max(hi[a], positions[3 * i + a]);
    // Keys of code << 32 | index, sorted stably by code (equal codes keep index order; a comparison sort
    // of the indices missed the cache on every comparison: 0.12 s for a million).
    std::vector<std::uint64_t> keys(n), scratch;
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t c = 0;
        for (int a = 0; a < 3; ++a) {
            const float t = hi[a] > lo[a] ? (positions[3 * i + a] - lo[a]) / (hi[a] - lo[a]) : 0.0f;
            c |= spread_bits(static_cast<std::uint32_t>(std::clamp(t, 0.0f, 1.0f) * 1023.0f + 0.5f)) << a;
        }
        keys[i] = std::uint64_t{c} << 32 | i;
    }
    sort_by_high_word(keys, scratch);
    std::vector<std::uint32_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::uint32_t>(keys[i]);
    return order;
}

}  // namespace glint::splatting
