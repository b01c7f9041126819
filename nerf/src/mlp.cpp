// CPU MLP: rows of the batch in parallel blocks; per block, each layer is one matrix product (OpenBLAS).
#include "glint/nerf/mlp.h"

#include <algorithm>
#include <cmath>
#include <mutex>

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cblas.h>

#include "glint/core/error.h"

namespace glint::nerf {
namespace {

constexpr std::size_t kRows = 1024;  // batch rows per task

// C = alpha op(A) op(B) + beta C, row-major, through OpenBLAS (one thread per call: the tasks here are
// the parallelism).
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const float* a, std::size_t lda,
          const float* b, std::size_t ldb, float beta, float* c, std::size_t ldc) {
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), 1.0f, a,
                static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}
void gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, const double* a, std::size_t lda,
          const double* b, std::size_t ldb, double beta, double* c, std::size_t ldc) {
    cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
                static_cast<blasint>(m), static_cast<blasint>(n), static_cast<blasint>(k), 1.0, a,
                static_cast<blasint>(lda), b, static_cast<blasint>(ldb), beta, c, static_cast<blasint>(ldc));
}

// OpenBLAS runs each product on the calling thread (the oneTBB tasks are the parallelism), and sets
// itself up once, before any task calls it.
void initialize_blas() {
    static std::once_flag once;
    std::call_once(once, [] {
        openblas_set_num_threads(1);
        const float a[1] = {1.0f}, b[1] = {1.0f};
        float c[1] = {0.0f};
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, a, 1, b, 1, 0.0f, c, 1);
        const double ad[1] = {1.0}, bd[1] = {1.0};
        double cd[1] = {0.0};
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0, ad, 1, bd, 1, 0.0, cd, 1);
    });
}

// One layer for a block of rows: Y = X W, then ReLU unless it is the last layer.
template <typename T>
void layer_rows(const T* w, std::size_t n_in, std::size_t n_out, bool last, const T* x, T* y,
                std::size_t rows) {
    gemm(false, false, rows, n_out, n_in, x, n_in, w, n_out, T(0), y, n_out);
    if (!last)
        for (std::size_t i = 0; i < rows * n_out; ++i) y[i] = y[i] > T(0) ? y[i] : T(0);
}

}  // namespace

template <typename T>
Mlp<T>::Mlp(std::vector<int> widths) : m_widths(std::move(widths)) {
    initialize_blas();
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
    // Fixed blocks of kRows (not TBB's adaptive ranges): a matrix product's rounding can depend on
    // its row count, and training must not depend on thread timing.
    tbb::parallel_for(std::size_t{0}, (batch + kRows - 1) / kRows, [&](std::size_t block) {
        const tbb::blocked_range<std::size_t> rows(block * kRows, std::min(batch, (block + 1) * kRows));
        for (std::size_t l = 0; l < layers; ++l) {
            const std::size_t n_in = static_cast<std::size_t>(m_widths[l]),
                              n_out = static_cast<std::size_t>(m_widths[l + 1]);
            const bool last = l + 1 == layers;
            const std::size_t r = rows.begin();
            layer_rows(m_weights.data() + m_offsets[l], n_in, n_out, last, keep.layers[l].data() + r * n_in,
                       last ? output.data() + r * n_out : keep.layers[l + 1].data() + r * n_out, rows.size());
        }
    });
}

template <typename T>
void Mlp<T>::infer(std::span<const T> input, std::span<T> output) const {
    const std::size_t in = static_cast<std::size_t>(m_widths.front()),
                      out = static_cast<std::size_t>(m_widths.back());
    const std::size_t batch = input.size() / in;
    GLINT_CHECK(input.size() == batch * in && output.size() == batch * out, "Mlp::infer: sizes differ");
    const std::size_t layers = m_widths.size() - 1;
    const std::size_t widest = static_cast<std::size_t>(*std::max_element(m_widths.begin(), m_widths.end()));
    // Fixed blocks of kRows (not TBB's adaptive ranges): a matrix product's rounding can depend on
    // its row count, and training must not depend on thread timing.
    tbb::parallel_for(std::size_t{0}, (batch + kRows - 1) / kRows, [&](std::size_t block) {
        const tbb::blocked_range<std::size_t> rows(block * kRows, std::min(batch, (block + 1) * kRows));
        const std::size_t r = rows.begin(), count = rows.size();
        std::vector<T> a(widest * count), b(widest * count);
        const T* x = input.data() + r * in;
        for (std::size_t l = 0; l < layers; ++l) {
            const bool last = l + 1 == layers;
            T* y = last ? output.data() + r * out : (l % 2 == 0 ? a.data() : b.data());
            layer_rows(m_weights.data() + m_offsets[l], static_cast<std::size_t>(m_widths[l]),
                       static_cast<std::size_t>(m_widths[l + 1]), last, x, y, count);
            x = y;
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
    int widest = 0;
    for (const int w : m_widths) widest = std::max(widest, w);
    tbb::parallel_for(std::size_t{0}, tasks, [&](std::size_t task) {
        std::vector<T>& gw = partial[task];
        gw.assign(m_weights.size(), T(0));
        const std::size_t r0 = task * kRows, rows = std::min(batch, r0 + kRows) - r0;
        const std::size_t n_last = static_cast<std::size_t>(m_widths.back());
        std::vector<T> delta(grad_output.begin() + static_cast<std::ptrdiff_t>(r0 * n_last),
                             grad_output.begin() + static_cast<std::ptrdiff_t>((r0 + rows) * n_last));
        std::vector<T> previous(rows * static_cast<std::size_t>(widest));
        for (std::size_t l = layers; l-- > 0;) {
            const std::size_t n_in = static_cast<std::size_t>(m_widths[l]),
                              n_out = static_cast<std::size_t>(m_widths[l + 1]);
            const T* x = keep.layers[l].data() + r0 * n_in;
            const T* w = m_weights.data() + m_offsets[l];
            // dW += X^T delta; delta_previous = delta W^T, through the ReLU that produced X (after the first
            // layer, inputs are ReLU outputs: zero where the ReLU was off).
            gemm(true, false, n_in, n_out, rows, x, n_in, delta.data(), n_out, T(1), gw.data() + m_offsets[l],
                 n_out);
            if (l == 0 && grad_input.empty()) break;
            T* out = l == 0 ? grad_input.data() + r0 * n_in : previous.data();
            gemm(false, true, rows, n_in, n_out, delta.data(), n_out, w, n_out, T(0), out, n_in);
            if (l > 0) {
                for (std::size_t i = 0; i < rows * n_in; ++i)
                    if (!(x[i] > T(0))) out[i] = T(0);
                delta.assign(previous.begin(), previous.begin() + static_cast<std::ptrdiff_t>(rows * n_in));
            }
        }
    });
    for (const std::vector<T>& gw : partial)
        for (std::size_t k = 0; k < gw.size(); ++k) grad_weights[k] += gw[k];
}

template class Mlp<float>;
template class Mlp<double>;

}  // namespace glint::nerf
