// L1 + D-SSIM and its gradient.
#include "glint/splatting/train/loss.h"

#include <algorithm>
#include <array>
#include <cmath>
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
// symmetric). Each pass runs tap by tap over whole rows (tap outer, pixel inner), which vectorizes;
// zero padding is the rows' ends left out of each tap's range.
template <typename T>
void blur(const std::vector<T>& in, std::vector<T>& out, std::vector<T>& scratch, int width, int height) {
    static const auto weights = window();
    T w[2 * kRadius + 1];
    for (int k = 0; k <= 2 * kRadius; ++k) w[k] = static_cast<T>(weights[static_cast<std::size_t>(k)]);
    scratch.assign(in.size(), T(0));
    out.assign(in.size(), T(0));
    for (int y = 0; y < height; ++y) {
        const T* src = in.data() + static_cast<std::size_t>(y) * width;
        T* dst = scratch.data() + static_cast<std::size_t>(y) * width;
        for (int k = -kRadius; k <= kRadius; ++k) {
            const T wk = w[k + kRadius];
            const int x0 = std::max(0, -k), x1 = std::min(width, width - k);
            for (int x = x0; x < x1; ++x) dst[x] += wk * src[x + k];
        }
    }
    for (int y = 0; y < height; ++y) {
        T* dst = out.data() + static_cast<std::size_t>(y) * width;
        for (int k = -kRadius; k <= kRadius; ++k) {
            const int yy = y + k;
            if (yy < 0 || yy >= height) continue;
            const T wk = w[k + kRadius];
            const T* src = scratch.data() + static_cast<std::size_t>(yy) * width;
            for (int x = 0; x < width; ++x) dst[x] += wk * src[x];
        }
    }
}

// Mean SSIM over one channel; with `v` non-null, adds d(mean SSIM)/d x times `scale` into v (stride 3).
template <typename T>
double ssim_channel(const T* x, const T* y, int width, int height, T* v, double scale) {
    const std::size_t n = static_cast<std::size_t>(width) * height;
    std::vector<T> cx(n), cy(n), xx(n), yy(n), xy(n), scratch;
    for (std::size_t i = 0; i < n; ++i) {
        cx[i] = x[3 * i];
        cy[i] = y[3 * i];
        xx[i] = cx[i] * cx[i];
        yy[i] = cy[i] * cy[i];
        xy[i] = cx[i] * cy[i];
    }
    std::vector<T> mu1, mu2, e11, e22, e12;
    blur(cx, mu1, scratch, width, height);
    blur(cy, mu2, scratch, width, height);
    blur(xx, e11, scratch, width, height);
    blur(yy, e22, scratch, width, height);
    blur(xy, e12, scratch, width, height);
    double total = 0;
    std::vector<T> d_mu1(v ? n : 0), d_e11(v ? n : 0), d_e12(v ? n : 0);
    for (std::size_t i = 0; i < n; ++i) {
        const T a1 = T(2) * mu1[i] * mu2[i] + T(kC1);
        const T a2 = T(2) * (e12[i] - mu1[i] * mu2[i]) + T(kC2);
        const T b1 = mu1[i] * mu1[i] + mu2[i] * mu2[i] + T(kC1);
        const T b2 = (e11[i] - mu1[i] * mu1[i]) + (e22[i] - mu2[i] * mu2[i]) + T(kC2);
        const T s = a1 * a2 / (b1 * b2);
        total += static_cast<double>(s);
        if (v) {
            d_mu1[i] = T(scale) * ((T(2) * mu2[i] * a2 - T(2) * mu2[i] * a1) / (b1 * b2) -
                                   s * (T(2) * mu1[i] / b1 - T(2) * mu1[i] / b2));
            d_e11[i] = T(scale) * (-s / b2);
            d_e12[i] = T(scale) * (T(2) * a1 / (b1 * b2));
        }
    }
    if (v) {
        std::vector<T> g_mu1, g_e11, g_e12;
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
