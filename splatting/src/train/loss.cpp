// L1 + D-SSIM and its gradient.
#include "glint/splatting/train/loss.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <vector>

#include <tbb/parallel_for.h>

#include "glint/core/error.h"

namespace glint::splatting {
namespace {

constexpr int kRadius = 5;           // 11x11 window
constexpr double kSigma = 1.5;       // the reference's window
constexpr double kC1 = 0.01 * 0.01;  // (K1 L)^2 with L = 1
constexpr double kC2 = 0.03 * 0.03;

std::array<double, 2 * kRadius + 1> window() {
    std::array<double, 2 * kRadius + 1> w{};
    double sum = 0;
    for (int i = -kRadius; i <= kRadius; ++i)
        sum += w[i + kRadius] = std::exp(-i * i / (2 * kSigma * kSigma));
    for (double& v : w) v /= sum;
    return w;
}

// Separable Gaussian blur of one channel [H, W] with zero padding (self-adjoint, as the kernel is
// symmetric). Rows are copied into a zero-padded line and the intermediate image has zero rows above and
// below, so every pixel takes all 11 taps with no bounds tests; each pass runs tap by tap over a row
// (which stays in L1), which vectorizes over x.
template <typename T>
[[gnu::always_inline]] inline void blur_any(const std::vector<T>& in, std::vector<T>& out,
                                            std::vector<T>& scratch, int width, int height) {
    static const auto weights = window();
    constexpr int kTaps = 2 * kRadius + 1;
    T w[kTaps];
    for (int k = 0; k < kTaps; ++k) w[k] = static_cast<T>(weights[static_cast<std::size_t>(k)]);
    const std::size_t stride = static_cast<std::size_t>(width);
    scratch.resize(static_cast<std::size_t>(height + 2 * kRadius) * stride);
    std::fill(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(kRadius * stride), T(0));
    std::fill(scratch.end() - static_cast<std::ptrdiff_t>(kRadius * stride), scratch.end(), T(0));
    out.resize(in.size());
    std::vector<T> line(stride + 2 * kRadius, T(0));
    for (int y = 0; y < height; ++y) {
        std::copy_n(in.data() + static_cast<std::size_t>(y) * stride, width, line.data() + kRadius);
        const T* __restrict src = line.data();
        T* __restrict dst = scratch.data() + static_cast<std::size_t>(y + kRadius) * stride;
        for (int x = 0; x < width; ++x) dst[x] = w[0] * src[x];
        for (int k = 1; k < kTaps; ++k)
            for (int x = 0; x < width; ++x) dst[x] += w[k] * src[x + k];
    }
    for (int y = 0; y < height; ++y) {
        const T* __restrict rows = scratch.data() + static_cast<std::size_t>(y) * stride;  // padded row y
        T* __restrict dst = out.data() + static_cast<std::size_t>(y) * stride;
        for (int x = 0; x < width; ++x) dst[x] = w[0] * rows[x];
        for (int k = 1; k < kTaps; ++k) {
            const T* __restrict row = rows + static_cast<std::size_t>(k) * stride;
            for (int x = 0; x < width; ++x) dst[x] += w[k] * row[x];
        }
    }
}

// The float version (training) compiled for AVX2+FMA too, chosen at load time.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void blur_float(const std::vector<float>& in,
                                                                            std::vector<float>& out,
                                                                            std::vector<float>& scratch,
                                                                            int width, int height) {
    blur_any(in, out, scratch, width, height);
}

template <typename T>
void blur(const std::vector<T>& in, std::vector<T>& out, std::vector<T>& scratch, int width, int height) {
    if constexpr (std::is_same_v<T, float>)
        blur_float(in, out, scratch, width, height);
    else
        blur_any(in, out, scratch, width, height);
}

// Mean SSIM over one channel; with `v` non-null, adds d(mean SSIM)/d x times `scale` into v (stride 3).
template <typename T>
double ssim_channel(const T* x, const T* y, int width, int height, T* v, double scale) {
    const std::size_t n = static_cast<std::size_t>(width) * height;
    // Buffers kept per thread between calls (every element is written before it is read).
    struct Buffers {
        std::vector<T> cx, cy, xx, yy, xy, scratch, mu1, mu2, e11, e22, e12, d_e12;
    };
    thread_local Buffers b;
    auto& [cx, cy, xx, yy, xy, scratch, mu1, mu2, e11, e22, e12, d_e12] = b;
    // Buffers are reused once dead: the products after their blur, the moments after the derivatives.
    std::vector<T>&map = xx, &d_mu1 = yy, &d_e11 = xy, &g_mu1 = e11, &g_e11 = e22, &g_e12 = e12;
    for (std::vector<T>* buffer : {&cx, &cy, &xx, &yy, &xy}) buffer->resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        cx[i] = x[3 * i];
        cy[i] = y[3 * i];
        xx[i] = cx[i] * cx[i];
        yy[i] = cy[i] * cy[i];
        xy[i] = cx[i] * cy[i];
    }
    blur(cx, mu1, scratch, width, height);
    blur(cy, mu2, scratch, width, height);
    blur(xx, e11, scratch, width, height);
    blur(yy, e22, scratch, width, height);
    blur(xy, e12, scratch, width, height);
    // The SSIM map and its derivatives in one vectorizable pass; the mean is summed in double after.
    if (v) {
        d_e12.resize(n);
    }
    for (std::size_t i = 0; i < n; ++i) {
        const T a1 = T(2) * mu1[i] * mu2[i] + T(kC1);
        const T a2 = T(2) * (e12[i] - mu1[i] * mu2[i]) + T(kC2);
        const T b1 = mu1[i] * mu1[i] + mu2[i] * mu2[i] + T(kC1);
        const T b2 = (e11[i] - mu1[i] * mu1[i]) + (e22[i] - mu2[i] * mu2[i]) + T(kC2);
        map[i] = a1 * a2 / (b1 * b2);
    }
    double total = 0;
    for (std::size_t i = 0; i < n; ++i) total += static_cast<double>(map[i]);
    if (v) {
        for (std::size_t i = 0; i < n; ++i) {
            const T a1 = T(2) * mu1[i] * mu2[i] + T(kC1);
            const T a2 = T(2) * (e12[i] - mu1[i] * mu2[i]) + T(kC2);
            const T b1 = mu1[i] * mu1[i] + mu2[i] * mu2[i] + T(kC1);
            const T b2 = (e11[i] - mu1[i] * mu1[i]) + (e22[i] - mu2[i] * mu2[i]) + T(kC2);
            const T s = map[i];
            d_mu1[i] = T(scale) * ((T(2) * mu2[i] * a2 - T(2) * mu2[i] * a1) / (b1 * b2) -
                                   s * (T(2) * mu1[i] / b1 - T(2) * mu1[i] / b2));
            d_e11[i] = T(scale) * (-s / b2);
            d_e12[i] = T(scale) * (T(2) * a1 / (b1 * b2));
        }
        blur(d_mu1, g_mu1, scratch, width, height);
        blur(d_e11, g_e11, scratch, width, height);
        blur(d_e12, g_e12, scratch, width, height);
        for (std::size_t i = 0; i < n; ++i) v[3 * i] += g_mu1[i] + T(2) * cx[i] * g_e11[i] + cy[i] * g_e12[i];
    }
    return total / static_cast<double>(n);
}

}  // namespace

template <typename T>
LossValue photometric_loss(std::span<const T> image, std::span<const T> target, int width, int height,
                           double lambda, std::span<T> v_image) {
    const std::size_t n = static_cast<std::size_t>(width) * height * 3;
    GLINT_CHECK(image.size() == n && target.size() == n && v_image.size() == n,
                "photometric_loss: sizes differ");
    LossValue value;
    const double inv = 1.0 / static_cast<double>(n);
    double l1 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const T d = image[i] - target[i];
        l1 += std::abs(static_cast<double>(d));
        v_image[i] = T((1.0 - lambda) * inv) * (d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0)));
    }
    value.l1 = l1 * inv;
    // L = ... + lambda (1 - mean over channels of mean SSIM): d/d SSIM_channel_mean = -lambda / 3.
    // The channels in parallel: each writes its own entries of v_image; summed in channel order.
    std::array<double, 3> per_channel{};
    tbb::parallel_for(0, 3, [&](int c) {
        per_channel[static_cast<std::size_t>(c)] =
            ssim_channel(image.data() + c, target.data() + c, width, height, v_image.data() + c,
                         -lambda / (3.0 * width * height));
    });
    const double s = per_channel[0] + per_channel[1] + per_channel[2];
    value.ssim = s / 3.0;
    value.loss = (1.0 - lambda) * value.l1 + lambda * (1.0 - value.ssim);
    return value;
}

template LossValue photometric_loss<float>(std::span<const float>, std::span<const float>, int, int, double,
                                           std::span<float>);
template LossValue photometric_loss<double>(std::span<const double>, std::span<const double>, int, int,
                                            double, std::span<double>);

double ssim(std::span<const float> a, std::span<const float> b, int width, int height) {
    GLINT_CHECK(a.size() == b.size() && a.size() == static_cast<std::size_t>(width) * height * 3,
                "ssim: sizes differ");
    double s = 0;
    for (int c = 0; c < 3; ++c)
        s += ssim_channel<float>(a.data() + c, b.data() + c, width, height, nullptr, 0.0);
    return s / 3.0;
}

double psnr(std::span<const float> a, std::span<const float> b) {
    GLINT_CHECK(a.size() == b.size() && !a.empty(), "psnr: sizes differ");
    double mse = 0;
    for (std::size_t i = 0; i < a.size(); ++i) mse += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    mse /= static_cast<double>(a.size());
    return mse > 0 ? -10.0 * std::log10(mse) : 99.0;
}

}  // namespace glint::splatting
