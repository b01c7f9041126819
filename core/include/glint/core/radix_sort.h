// One sort for 64-bit keys ordered by their high 32 bits (depth order in the rasterizer, Morton order for
// the compressed formats, codebook samples): a stable LSD radix sort, parallel over a fixed number of
// blocks, so the result never depends on the thread count.
#pragma once

#include <bit>
#include <cstdint>
#include <vector>

namespace glint {

// Sorts `keys` by (key >> 32), stably (keys with equal high words keep their order); `scratch` is
// working memory, kept by callers that sort every frame.
void sort_by_high_word(std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>& scratch);

// A finite float's bits made to order as unsigned integers do (the sign flipped, negatives inverted),
// and back.
inline std::uint32_t ordered_bits(float v) {
    const auto bits = std::bit_cast<std::uint32_t>(v);
    return (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
}
inline float from_ordered_bits(std::uint32_t k) {
    return std::bit_cast<float>((k & 0x80000000u) != 0 ? k & 0x7fffffffu : ~k);
}

}  // namespace glint
