// The trainer's random numbers: splitmix64, deterministic across platforms, and what it draws.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace glint::splatting {

inline std::uint64_t next_random(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
// Uniform in [0, 1) with 24 bits.
inline float uniform(std::uint64_t& state) {
    return static_cast<float>(next_random(state) >> 40) / static_cast<float>(1ull << 24);
}
// Standard normal (Box-Muller).
inline float normal(std::uint64_t& state) {
    const float u1 = std::max(uniform(state), 1e-7f), u2 = uniform(state);
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(6.2831853f * u2);
}

// A standard normal that depends only on (key, index): the same draw whatever thread computes it.
inline float normal_at(std::uint64_t key, std::uint64_t index) {
    std::uint64_t state = key ^ (index * 0xd1b54a32d192ed03ull);
    return normal(state);
}

}  // namespace glint::splatting
