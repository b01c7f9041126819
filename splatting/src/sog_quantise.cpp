// SOG's quantisers: Lloyd's 256-entry codebooks and the SH palette (principal-axis splits of a sample).
#include "sog_quantise.h"

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "glint/core/log.h"
#include "glint/core/radix_sort.h"

namespace glint::splatting::sog {

namespace {

// Sorts finite floats ascending by the radix sort of their ordered bits (std::sort took 0.1 s for a
// codebook's 1.5 million samples).
void sort_floats(std::vector<float>& values) {
    std::vector<std::uint64_t> keys(values.size()), scratch;
    for (std::size_t i = 0; i < values.size(); ++i) keys[i] = std::uint64_t{ordered_bits(values[i])} << 32;
    sort_by_high_word(keys, scratch);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = from_ordered_bits(static_cast<std::uint32_t>(keys[i] >> 32));
}

}  // namespace

Codebook fit_codebook(const std::vector<std::span<const float>>& columns, std::size_t stride,
                      std::size_t offset, std::size_t width) {
    std::size_t total = 0;
    for (const auto& c : columns) total += c.size() / stride * width;
    const std::size_t step = std::max<std::size_t>(1, total / (1u << 20));
    std::vector<float> sample;
    sample.reserve(total / step + 2);
    float lo = INFINITY, hi = -INFINITY;
    std::size_t seen = 0;
    for (const auto& column : columns)
        for (std::size_t row = 0; row < column.size() / stride; ++row)
            for (std::size_t w = 0; w < width; ++w, ++seen) {
                const float v = column[row * stride + offset + w];
                lo = std::min(lo, v), hi = std::max(hi, v);
                if (seen % step == 0) sample.push_back(v);
            }
    Codebook book;
    if (sample.empty()) {
        book.finish();
        return book;
    }
    sample.push_back(lo), sample.push_back(hi);
    sort_floats(sample);
    const std::size_t m = sample.size();
    // Each value weighs the square root of the local spacing of values, i.e. density^-1/2: sparse tails get
    // entries of their own rather than all 256 crowding the dense middle (an outlier colour keeps its
    // colour), while the middle still gets the most.
    const std::size_t reach = std::max<std::size_t>(1, m / 2048);
    const double floor_spacing = (static_cast<double>(hi) - lo) * 1e-9 + 1e-30;
    std::vector<double> weight_prefix(m + 1, 0.0), moment_prefix(m + 1, 0.0);
    for (std::size_t i = 0; i < m; ++i) {
        const std::size_t a = i >= reach ? i - reach : 0, b = std::min(m - 1, i + reach);
        const double spacing = (static_cast<double>(sample[b]) - sample[a]) / static_cast<double>(b - a);
        const double w = std::sqrt(std::max(spacing, floor_spacing));
        weight_prefix[i + 1] = weight_prefix[i] + w;
        moment_prefix[i + 1] = moment_prefix[i] + w * sample[i];
    }
    std::array<double, 256> c;
    for (std::size_t j = 0, i = 0; j < 256; ++j) {  // started at weighted quantiles
        const double target = (static_cast<double>(j) + 0.5) / 256.0 * weight_prefix[m];
        while (i + 1 < m && weight_prefix[i + 1] < target) ++i;
        c[j] = sample[i];
    }
    for (int iteration = 0; iteration < 64; ++iteration) {
        bool moved = false;
        std::size_t begin = 0;
        for (std::size_t j = 0; j < 256; ++j) {
            std::size_t end = m;
            if (j + 1 < 256) {
                const float bound = static_cast<float>(0.5 * (c[j] + c[j + 1]));
                end = static_cast<std::size_t>(std::upper_bound(sample.begin() + begin, sample.end(), bound) -
                                               sample.begin());
            }
            const double w = weight_prefix[end] - weight_prefix[begin];
            if (end > begin && w > 0.0) {
                const double mean = (moment_prefix[end] - moment_prefix[begin]) / w;
                moved = moved || mean != c[j];
                c[j] = mean;
            }
            begin = end;
        }
        if (!moved) break;
    }
    for (std::size_t j = 0; j < 256; ++j) book.values[j] = static_cast<float>(c[j]);
    std::sort(book.values.begin(), book.values.end());
    book.finish();
    return book;
}

namespace {

// x . y with eight independent partial sums (a single running sum is one long dependency chain).
float dot(const float* x, const float* y, std::size_t dim) {
    float partial[8] = {};
    std::size_t d = 0;
    for (; d + 8 <= dim; d += 8)
        for (std::size_t k = 0; k < 8; ++k) partial[k] += x[d + k] * y[d + k];
    float sum = 0.0f;
    for (; d < dim; ++d) sum += x[d] * y[d];
    for (const float p : partial) sum += p;
    return sum;
}

// The vectors are read through the index order, which the hardware prefetcher cannot follow: the loops
// over a range ask for the vector kAhead rows on themselves.
constexpr std::size_t kAhead = 16;
inline void prefetch_row(const float* row, std::size_t dim) {
    for (std::size_t d = 0; d < dim; d += 16) __builtin_prefetch(row + d);
}

// Sums over the vectors of order[begin, end): each dimension, and the squared norms.
struct RangeSums {
    std::vector<double> sum;
    double squares = 0.0;
};

constexpr std::size_t kParallelRows = 32768;  // ranges at least this long are summed and split in parallel

// Accumulates `per_row(i, accumulator)` for i in [begin, end) into `width` doubles, in
// parallel for long ranges (a fixed partition, so the result does not depend on the thread count).
template <typename PerRow>
std::vector<double> reduce_rows_indexed(std::size_t begin, std::size_t end, std::size_t width,
                                        const PerRow& per_row) {
    const std::size_t count = end - begin;
    const std::size_t blocks = count >= kParallelRows ? (count + kParallelRows - 1) / kParallelRows : 1;
    std::vector<std::vector<double>> partial(blocks, std::vector<double>(width, 0.0));
    const auto run = [&](std::size_t block) {
        const std::size_t b = begin + block * count / blocks, e = begin + (block + 1) * count / blocks;
        std::vector<float> local(width, 0.0f);
        for (std::size_t i = b; i < e; ++i) per_row(i, local.data());
        for (std::size_t d = 0; d < width; ++d) partial[block][d] = local[d];
    };
    if (blocks > 1)
        tbb::parallel_for(std::size_t{0}, blocks, run);
    else
        run(0);
    for (std::size_t block = 1; block < blocks; ++block)
        for (std::size_t d = 0; d < width; ++d) partial[0][d] += partial[block][d];
    return std::move(partial[0]);
}

RangeSums sums_of(const float* data, std::size_t dim, const std::vector<std::uint32_t>& order,
                  std::size_t begin, std::size_t end) {
    std::vector<double> all = reduce_rows_indexed(begin, end, dim + 1, [&](std::size_t i, float* acc) {
        if (i + kAhead < end) prefetch_row(data + static_cast<std::size_t>(order[i + kAhead]) * dim, dim);
        const float* x = data + static_cast<std::size_t>(order[i]) * dim;
        for (std::size_t d = 0; d < dim; ++d) acc[d] += x[d];
        acc[dim] += dot(x, x, dim);
    });
    RangeSums sums;
    sums.squares = all[dim];
    all.pop_back();
    sums.sum = std::move(all);
    return sums;
}

// The splits of a palette built on a sample, to classify every vector by: per split (named by the first
// leaf right of it) the axis, the threshold below which a vector goes left, and both sides.
struct PaletteTree {
    struct Ref {
        bool leaf = true;
        std::uint32_t id = 0;  // a leaf's entry, or a split's name
    };
    std::vector<float> axes, threshold;
    std::vector<Ref> below, above;
    Ref root;
};

// Splits the Gaussians order[begin, end) (whose sums are `sums`) into `leaves` clusters by recursive cuts
// across the principal axis, giving each half a share of the leaves in proportion to its squared error.
void split_palette(const float* data, std::size_t dim, std::vector<std::uint32_t>& order, std::size_t begin,
                   std::size_t end, const RangeSums& sums, std::size_t leaves, std::size_t first_leaf,
                   Palette& out, PaletteTree* tree, PaletteTree::Ref& self) {
    const std::size_t count = end - begin;
    std::vector<float> mean(dim);
    for (std::size_t d = 0; d < dim; ++d)
        mean[d] = static_cast<float>(sums.sum[d] / static_cast<double>(count));
    const auto make_leaf = [&] {
        self = {true, static_cast<std::uint32_t>(first_leaf)};
        std::copy(mean.begin(), mean.end(),
                  out.vectors.begin() + static_cast<std::ptrdiff_t>(first_leaf * dim));
        for (std::size_t i = begin; i < end; ++i)
            out.labels[order[i]] = static_cast<std::uint32_t>(first_leaf);
    };
    if (leaves <= 1 || count <= 1) return make_leaf();
    // Principal axis: power iterations on an evenly strided sample of at most 2,048 of the range's vectors
    // (enough to find the direction), started from the deviations of two of them.
    const std::size_t stride = std::max<std::size_t>(1, count / 2048);
    std::vector<float> axis(dim), next(dim);
    const float* a = data + static_cast<std::size_t>(order[begin]) * dim;
    const float* b = data + static_cast<std::size_t>(order[begin + count / 2]) * dim;
    for (std::size_t d = 0; d < dim; ++d) axis[d] = (a[d] - mean[d]) - (b[d] - mean[d]) + 1e-6f;
    for (int iteration = 0; iteration < 3; ++iteration) {
        std::fill(next.begin(), next.end(), 0.0f);
        for (std::size_t i = begin; i < end; i += stride) {
            const float* x = data + static_cast<std::size_t>(order[i]) * dim;
            float p = 0.0f;
            for (std::size_t d = 0; d < dim; ++d) p += (x[d] - mean[d]) * axis[d];
            for (std::size_t d = 0; d < dim; ++d) next[d] += p * (x[d] - mean[d]);
        }
        double norm = 0.0;
        for (const float v : next) norm += static_cast<double>(v) * v;
        if (!(norm > 0.0)) return make_leaf();  // every sampled vector equal
        for (std::size_t d = 0; d < dim; ++d) axis[d] = static_cast<float>(next[d] / std::sqrt(norm));
    }
    // One pass decides each vector's side (below the mean along the axis) and sums the lower side; then a
    // stable partition of the indices.
    const float threshold = dot(mean.data(), axis.data(), dim);
    std::vector<std::uint8_t> side(count);
    std::vector<double> lower = reduce_rows_indexed(begin, end, dim + 2, [&](std::size_t i, float* acc) {
        if (i + kAhead < end) prefetch_row(data + static_cast<std::size_t>(order[i + kAhead]) * dim, dim);
        const float* x = data + static_cast<std::size_t>(order[i]) * dim;
        const bool is_lower = dot(x, axis.data(), dim) < threshold;
        side[i - begin] = is_lower;
        if (!is_lower) return;
        for (std::size_t d = 0; d < dim; ++d) acc[d] += x[d];
        acc[dim] += dot(x, x, dim);
        acc[dim + 1] += 1.0f;
    });
    const std::size_t split = begin + static_cast<std::size_t>(std::llround(lower[dim + 1]));
    if (split == begin || split == end) return make_leaf();
    {
        std::vector<std::uint32_t> above;
        above.reserve(end - split);
        std::size_t next_lower = begin;
        for (std::size_t i = begin; i < end; ++i) {
            const std::uint32_t g = order[i];
            if (side[i - begin])
                order[next_lower++] = g;
            else
                above.push_back(g);
        }
        std::copy(above.begin(), above.end(), order.begin() + static_cast<std::ptrdiff_t>(split));
    }
    RangeSums left_sums;
    left_sums.squares = lower[dim];
    lower.resize(dim);
    left_sums.sum = std::move(lower);
    RangeSums right_sums;
    right_sums.sum.resize(dim);
    for (std::size_t d = 0; d < dim; ++d) right_sums.sum[d] = sums.sum[d] - left_sums.sum[d];
    right_sums.squares = sums.squares - left_sums.squares;
    const auto error_of = [](const RangeSums& r, std::size_t n) {
        double mean_squares = 0.0;
        for (const double v : r.sum) mean_squares += v * v;
        return std::max(0.0, r.squares - mean_squares / static_cast<double>(n));
    };
    const double left_error = error_of(left_sums, split - begin),
                 right_error = error_of(right_sums, end - split);
    const double share = left_error + right_error > 0.0 ? left_error / (left_error + right_error) : 0.5;
    std::size_t left = static_cast<std::size_t>(std::llround(share * static_cast<double>(leaves)));
    left = std::clamp<std::size_t>(left, 1, leaves - 1);
    left = std::min(left, split - begin);
    left = std::max(left, leaves - std::min(leaves - 1, end - split));
    // The split is named by the first leaf on its right, unique in the tree.
    const std::size_t name = first_leaf + left;
    self = {false, static_cast<std::uint32_t>(name)};
    if (tree != nullptr) {
        std::copy(axis.begin(), axis.end(), tree->axes.begin() + static_cast<std::ptrdiff_t>(name * dim));
        tree->threshold[name] = threshold;
    }
    PaletteTree::Ref unrecorded_left, unrecorded_right;  // without a tree, the sides go nowhere
    const auto recurse_left = [&] {
        split_palette(data, dim, order, begin, split, left_sums, left, first_leaf, out, tree,
                      tree != nullptr ? tree->below[name] : unrecorded_left);
    };
    const auto recurse_right = [&] {
        split_palette(data, dim, order, split, end, right_sums, leaves - left, first_leaf + left, out, tree,
                      tree != nullptr ? tree->above[name] : unrecorded_right);
    };
    if (count > 4096) {
        tbb::parallel_invoke(recurse_left, recurse_right);
    } else {
        recurse_left();
        recurse_right();
    }
}

}  // namespace

std::size_t palette_size(std::size_t n) {
    if (n <= 1024) return n;
    std::size_t size = 1024;
    while (size * 2 <= 65536 && size * 2 <= n) size *= 2;
    return size;
}

Palette fit_palette(std::span<const float> rest, std::size_t n, std::size_t dim) {
    Palette palette;
    palette.dim = dim;
    const std::size_t leaves = palette_size(n);
    palette.vectors.assign(leaves * dim, 0.0f);
    palette.labels.assign(n, 0);
    if (n == 0) return palette;
    // Up to kSampleFactor vectors per entry the splits are made on all of them; past it, on an evenly
    // strided sample of that many, and every vector then follows the splits to its entry, whose vector is
    // the mean of all that reached it (the sample's mean when none did).
    constexpr std::size_t kSampleFactor = 4;
    const std::size_t sampled = std::min(n, kSampleFactor * leaves);
    std::vector<std::uint32_t> order(sampled);
    for (std::size_t i = 0; i < sampled; ++i) order[i] = static_cast<std::uint32_t>(i * n / sampled);
    PaletteTree tree;
    PaletteTree* record = sampled < n ? &tree : nullptr;
    if (record != nullptr) {
        tree.axes.assign(leaves * dim, 0.0f);
        tree.threshold.assign(leaves, 0.0f);
        tree.below.resize(leaves);
        tree.above.resize(leaves);
    }
    const auto start = std::chrono::steady_clock::now();
    const auto ms = [&] {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    };
    split_palette(rest.data(), dim, order, 0, sampled, sums_of(rest.data(), dim, order, 0, sampled), leaves,
                  0, palette, record, tree.root);
    if (record == nullptr) return palette;
    const double split = ms();
    // Each vector walks the splits from the root; the deep splits' axes are not in cache, and one walk is
    // a chain of dependent loads, so kWalks vectors walk together, one level per round, their next axes
    // prefetched: their misses overlap (a million vectors at SH 3: 0.32 s walking alone, 0.19-0.21 s in
    // eights; sixteen gain nothing more).
    constexpr std::size_t kWalks = 8;
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, n, 4096), [&](const auto& range) {
        for (std::size_t i = range.begin(); i < range.end(); i += kWalks) {
            const std::size_t walks = std::min(kWalks, range.end() - i);
            PaletteTree::Ref at[kWalks];
            for (std::size_t w = 0; w < walks; ++w) at[w] = tree.root;
            for (bool walking = true; walking;) {
                walking = false;
                for (std::size_t w = 0; w < walks; ++w) {
                    if (at[w].leaf) continue;
                    const std::uint32_t id = at[w].id;
                    at[w] = dot(rest.data() + (i + w) * dim, &tree.axes[id * dim], dim) < tree.threshold[id]
                                ? tree.below[id]
                                : tree.above[id];
                    if (at[w].leaf) continue;
                    walking = true;
                    const float* next = &tree.axes[at[w].id * dim];
                    for (std::size_t line = 0; line < dim; line += 16) __builtin_prefetch(next + line);
                    __builtin_prefetch(&tree.threshold[at[w].id]);
                }
            }
            for (std::size_t w = 0; w < walks; ++w) palette.labels[i + w] = at[w].id;
        }
    });
    const double classified = ms();
    // Each entry's mean, summed in index order (deterministic).
    std::vector<double> sums(leaves * dim, 0.0);
    std::vector<std::uint32_t> counts(leaves, 0);
    for (std::size_t i = 0; i < n; ++i) {
        const std::uint32_t e = palette.labels[i];
        ++counts[e];
        const float* x = rest.data() + i * dim;
        double* sum = &sums[e * dim];
        for (std::size_t d = 0; d < dim; ++d) sum[d] += x[d];
    }
    for (std::size_t e = 0; e < leaves; ++e)
        if (counts[e] > 0)
            for (std::size_t d = 0; d < dim; ++d)
                palette.vectors[e * dim + d] = static_cast<float>(sums[e * dim + d] / counts[e]);
    log::debug("SOG palette: splits on ", sampled, " vectors ", split, " ms, ", n, " classified ",
               classified - split, " ms, means ", ms() - classified, " ms");
    return palette;
}

}  // namespace glint::splatting::sog
