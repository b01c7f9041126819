// The LSD radix sort of glint/core/radix_sort.h.
#include "glint/core/radix_sort.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstddef>
#include <utility>

namespace glint {
namespace {

// Ranges of work cut into a fixed number of blocks, so results never depend on the thread count.
constexpr std::size_t kSortBlocks = 16;
constexpr std::size_t kParallelKeys = std::size_t{1} << 16;  // fewer keys: one block

}  // namespace

// Stable LSD radix sort of keys by their high 32 bits (11-, 11- and 10-bit digits): per block a
// histogram, the blocks' write positions by digit then block, a parallel scatter (a serial sort of 10M
// keys took a tenth of a frame).
void sort_by_high_word(std::vector<std::uint64_t>& keys, std::vector<std::uint64_t>& scratch) {
    const std::size_t n = keys.size();
    scratch.resize(n);
    constexpr int kDigitBits[3] = {11, 11, 10};
    constexpr std::size_t kDigits = std::size_t{1} << 11;
    const std::size_t blocks = n >= kParallelKeys ? kSortBlocks : 1;
    std::vector<std::uint32_t> counts(blocks * kDigits);
    const auto block_range = [&](std::size_t block) {
        return std::pair{block * n / blocks, (block + 1) * n / blocks};
    };
    int shift = 32;
    for (const int bits : kDigitBits) {
        const std::uint64_t mask = (std::uint64_t{1} << bits) - 1;
        std::fill(counts.begin(), counts.end(), 0u);
        tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t block) {
            std::uint32_t* c = counts.data() + block * kDigits;
            const auto [begin, end] = block_range(block);
            for (std::size_t i = begin; i < end; ++i) ++c[(keys[i] >> shift) & mask];
        });
        // A digit every key shares (the sign and most exponent bits of depths in one range) sorts nothing.
        if (n > 0) {
            const std::size_t first = (keys.front() >> shift) & mask;
            std::size_t with_first = 0;
            for (std::size_t block = 0; block < blocks; ++block)
                with_first += counts[block * kDigits + first];
            if (with_first == n) {
                shift += bits;
                continue;
            }
        }
        std::uint32_t running = 0;
        for (std::size_t digit = 0; digit <= mask; ++digit)
            for (std::size_t block = 0; block < blocks; ++block) {
                std::uint32_t& c = counts[block * kDigits + digit];
                const std::uint32_t count = c;
                c = running;
                running += count;
            }
        tbb::parallel_for(std::size_t{0}, blocks, [&](std::size_t block) {
            std::uint32_t* position = counts.data() + block * kDigits;
            const auto [begin, end] = block_range(block);
            for (std::size_t i = begin; i < end; ++i)
                scratch[position[(keys[i] >> shift) & mask]++] = keys[i];
        });
        keys.swap(scratch);
        shift += bits;
    }
}

}  // namespace glint
