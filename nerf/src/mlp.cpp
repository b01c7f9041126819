// CPU MLP: rows of the batch in parallel blocks; per row, each layer is a vector-matrix product whose
// inner loop runs over the contiguous outputs of a weight row.
#include "glint/nerf/mlp.h"

#include <algorithm>
#include <cmath>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include "glint/core/error.h"

namespace glint::nerf {
namespace {

constexpr std::size_t kRows = 256;  // batch rows per task

}  // namespace

template <typename T>
Mlp<T>::Mlp(std::vector<int> widths) : m_widths(std::move(widths)) {
    if (m_widths.size() < 2) throw InputError("an MLP needs an input and an output width");
    for (const int w : m_widths)
        if (w < 1 || w > 4096) throw InputError("MLP widths must be between 1 and 4096");
    std::size_t total = 0;
    for (std::size_t l = 0; l + 1 < m_widths.size(); ++l) {
        m_offsets.push_back(total);
        total += static_cast<std::size_t>(m_widths[l]) * static_cast<std::size_t>(m_widths[l + 1]);
    }
    m_weights.assign(total, T(0));
}

template <typename T>
void Mlp<T>::initialize(std::uint64_t seed) {
    std::uint64_t state = seed;
    for (std::size_t l = 0; l + 1 < m_widths.size(); ++l) {
        const double bound = std::sqrt(6.0 / (m_widths[l] + m_widths[l + 1]));
        const std::size_t count =
            static_cast<std::size_t>(m_widths[l]) * static_cast<std::size_t>(m_widths[l + 1]);
        for (std::size_t k = 0; k < count; ++k) {
            std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
            z ^= z >> 31;
            const double u = static_cast<double>(z >> 11) / static_cast<double>(std::uint64_t{1} << 53);
            m_weights[m_offsets[l] + k] = static_cast<T>((2.0 * u - 1.0) * bound);
        }
    }
}

template <typename T>
void Mlp<T>::forward(std::span<const T> input, std::span<T> output, Activations& keep) const {
    const std::size_t in = static_cast<std::size_t>(m_widths.front()),
                      out = static_cast<std::size_t>(m_widths.back());
    const std::size_t batch = input.size() / in;
    GLINT_CHECK(input.size() == batch * in && output.size() == batch * out, "Mlp::forward: sizes differ");
    const std::size_t layers = m_widths.size() - 1;
    keep.batch = batch;
    keep.layers.resize(layers);
    keep.layers[0].assign(input.begin(), input.end());
    for (std::size_t l = 1; l < layers; ++l)
        keep.layers[l].resize(batch * static_cast<std::size_t>(m_widths[l]));
    tbb::parallel_for(tbb::blocked_range<std::size_t>(0, batch, kRows), [&](const auto& rows) {
        for (std::size_t l = 0; l < layers; ++l) {
            const std::size_t n_in = static_cast<std::size_t>(m_widths[l]),
                              n_out = static_cast<std::size_t>(m_widths[l + 1]);
            const T* __restrict w = m_weights.data() + m_offsets[l];
            const bool last = l + 1 == layers;
            for (std::size_t r = rows.begin(); r != rows.end(); ++r) {
                const T* __restrict x = keep.layers[l].data() + r * n_in;
                T* __restrict y = last ? output.data() + r * n_out : keep.layers[l + 1].data() + r * n_out;
                for (std::size_t o = 0; o < n_out; ++o) y[o] = T(0);
                for (std::size_t i = 0; i < n_in; ++i) {
                    const T xi = x[i];
                    const T* __restrict row = w + i * n_out;
                    for (std::size_t o = 0; o < n_out; ++o) y[o] += xi * row[o];
                }
                if (!last)
                    for (std::size_t o = 0; o < n_out; ++o) y[o] = y[o] > T(0) ? y[o] : T(0);  // ReLU
            }
        }
    });
}

template <typename T>
void Mlp<T>::backward(const Activations& keep, std::span<const T> grad_output, std::span<T> grad_weights,
                      std::span<T> grad_input) const {
    const std::size_t batch = keep.batch, layers = m_widths.size() - 1;
    GLINT_CHECK(
        grad_output.size() == batch * static_cast<std::size_t>(m_widths.back()) &&
            grad_weights.size() == m_weights.size() &&
            (grad_input.empty() || grad_input.size() == batch * static_cast<std::size_t>(m_widths.front())),
        "Mlp::backward: sizes differ");
    // Weight gradients are summed over the batch: each task sums its rows into its own buffer, and the
    // buffers are added in task order (the same result for any thread count).
    const std::size_t tasks = (batch + kRows - 1) / kRows;
    std::vector<std::vector<T>> partial(tasks);
    tbb::parallel_for(std::size_t{0}, tasks, [&](std::size_t task) {
        std::vector<T>& gw = partial[task];
        gw.assign(m_weights.size(), T(0));
        int widest = 0;
        for (const int w : m_widths) widest = std::max(widest, w);
        std::vector<T> delta(static_cast<std::size_t>(widest)), previous(static_cast<std::size_t>(widest));
        for (std::size_t r = task * kRows; r < std::min(batch, (task + 1) * kRows); ++r) {
            const std::size_t n_last = static_cast<std::size_t>(m_widths.back());
            std::copy_n(grad_output.data() + r * n_last, n_last, delta.begin());
            for (std::size_t l = layers; l-- > 0;) {
                const std::size_t n_in = static_cast<std::size_t>(m_widths[l]),
                                  n_out = static_cast<std::size_t>(m_widths[l + 1]);
                const T* __restrict x = keep.layers[l].data() + r * n_in;
                const T* __restrict w = m_weights.data() + m_offsets[l];
                T* __restrict g = gw.data() + m_offsets[l];
                for (std::size_t i = 0; i < n_in; ++i) {
                    const T xi = x[i];
                    const T* __restrict row = w + i * n_out;
                    T* __restrict grow = g + i * n_out;
                    T sum = T(0);
                    for (std::size_t o = 0; o < n_out; ++o) {
                        grow[o] += xi * delta[o];
                        sum += row[o] * delta[o];
                    }
                    // Through the ReLU that produced x (layer inputs after the first are ReLU outputs).
                    previous[i] = l > 0 ? (xi > T(0) ? sum : T(0)) : sum;
                }
                std::swap(delta, previous);
            }
            if (!grad_input.empty())
                std::copy_n(delta.begin(), static_cast<std::size_t>(m_widths.front()),
                            grad_input.data() + r * static_cast<std::size_t>(m_widths.front()));
        }
    });
    for (const std::vector<T>& gw : partial)
        for (std::size_t k = 0; k < gw.size(); ++k) grad_weights[k] += gw[k];
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace glint::nerf
