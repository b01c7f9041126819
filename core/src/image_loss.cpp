// L1 + D-SSIM and its gradient.
//
// The SSIM of a channel needs five blurred planes (mean of x and y, and of x^2, y^2, xy) and its gradient
// three more; the eight blurs of each of the three channels are independent tasks, and the element-wise
// passes run over fixed pixel chunks whose partial sums are added in chunk order (the same result for any
// number of threads).
#include "glint/core/image_loss.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <type_traits>
#include <vector>

#include <tbb/parallel_for.h>

#include "glint/core/error.h"

namespace glint {
namespace {

constexpr int kRadius = 5;           // 11x11 window
constexpr double kSigma = 1.5;       // the reference's window
constexpr double kC1 = 0.01 * 0.01;  // (K1 L)^2 with L = 1
constexpr double kC2 = 0.03 * 0.03;
constexpr std::size_t kChunks = 16;  // pixel chunks of the element-wise passes (fixed: deterministic sums)
constexpr std::size_t kBlock = 256;  // SSIM values kept per block before they are summed in double

// The five planes of a channel: blurred x, y, x^2, y^2, xy; the gradient pass then overwrites 0, 2 and 4
// with d/d mu1, d/d e11 and d/d e12, blurred again.
enum Plane { kMu1 = 0, kMu2, kE11, kE22, kE12, kPlanes };

std::array<double, 2 * kRadius + 1> window() {
    std::array<double, 2 * kRadius + 1> w{};
    double sum = 0;
    for (int i = -kRadius; i <= kRadius; ++i)
        sum += w[i + kRadius] = std::exp(-i * i / (2 * kSigma * kSigma));
    for (double& v : w) v /= sum;
    return w;
}

// Separable Gaussian blur of one [H, W] plane in place, with zero padding (self-adjoint, as the kernel is
// symmetric). Rows are copied into a zero-padded line and the intermediate image has zero rows above and
// below, so every pixel takes all 11 taps with no bounds tests; each pass runs tap by tap over a row
// (which stays in L1), which vectorizes over x.
template <typename T>
[[gnu::always_inline]] inline void blur_any(T* plane, int width, int height) {
    static const auto weights = window();
    constexpr int kTaps = 2 * kRadius + 1;
    T w[kTaps];
    for (int k = 0; k < kTaps; ++k) w[k] = static_cast<T>(weights[static_cast<std::size_t>(k)]);
    const std::size_t stride = static_cast<std::size_t>(width);
    // Per thread and reused: a blur runs inside one task and starts no other.
    thread_local std::vector<T> scratch, line;
    scratch.resize(static_cast<std::size_t>(height + 2 * kRadius) * stride);
    std::fill(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(kRadius * stride), T(0));
    std::fill(scratch.end() - static_cast<std::ptrdiff_t>(kRadius * stride), scratch.end(), T(0));
    line.assign(stride + 2 * kRadius, T(0));
    for (int y = 0; y < height; ++y) {
        std::copy_n(plane + static_cast<std::size_t>(y) * stride, width, line.data() + kRadius);
        const T* __restrict src = line.data();
        T* __restrict dst = scratch.data() + static_cast<std::size_t>(y + kRadius) * stride;
        for (int x = 0; x < width; ++x) dst[x] = w[0] * src[x];
        for (int k = 1; k < kTaps; ++k)
            for (int x = 0; x < width; ++x) dst[x] += w[k] * src[x + k];
    }
    for (int y = 0; y < height; ++y) {
        const T* __restrict rows = scratch.data() + static_cast<std::size_t>(y) * stride;  // padded row y
        T* __restrict dst = plane + static_cast<std::size_t>(y) * stride;
        for (int x = 0; x < width; ++x) dst[x] = w[0] * rows[x];
        for (int k = 1; k < kTaps; ++k) {
            const T* __restrict row = rows + static_cast<std::size_t>(k) * stride;
            for (int x = 0; x < width; ++x) dst[x] += w[k] * row[x];
        }
    }
}

// The float version (training) compiled for AVX2+FMA too, chosen at load time.
__attribute__((target_clones("arch=x86-64-v3", "default"))) void blur_float(float* plane, int width,
                                                                            int height) {
    blur_any(plane, width, height);
}

template <typename T>
void blur(T* plane, int width, int height) {
    if constexpr (std::is_same_v<T, float>)
        blur_float(plane, width, height);
    else
        blur_any(plane, width, height);
}

// One channel's plane `kind` from the interleaved images (x = image, y = target), blurred.
template <typename T>
void fill_and_blur(T* plane, int kind, const T* x, const T* y, int width, int height) {
    const std::size_t n = static_cast<std::size_t>(width) * height;
    for (std::size_t i = 0; i < n; ++i) {
        const T a = x[3 * i], b = y[3 * i];
        plane[i] = kind == kMu1 ? a : kind == kMu2 ? b : kind == kE11 ? a * a : kind == kE22 ? b * b : a * b;
    }
    blur(plane, width, height);
}

// The SSIM map over pixels [begin, end) of one channel, summed; with `scale` non-zero, planes kMu1, kE11
// and kE12 are overwritten with scale times d SSIM / d (mu1, e11, e12). Vectorizable (one division).
template <typename T>
[[gnu::always_inline]] inline double ssim_pass_any(T* __restrict mu1, const T* __restrict mu2,
                                                   T* __restrict e11, const T* __restrict e22,
                                                   T* __restrict e12, std::size_t begin, std::size_t end,
                                                   T scale, bool gradient) {
    double total = 0;
    T map[kBlock];
    for (std::size_t block = begin; block < end; block += kBlock) {
        const std::size_t count = std::min(kBlock, end - block);
        T* __restrict m1 = mu1 + block;
        const T* __restrict m2 = mu2 + block;
        T* __restrict s11 = e11 + block;
        const T* __restrict s22 = e22 + block;
        T* __restrict s12 = e12 + block;
        for (std::size_t i = 0; i < count; ++i) {
            const T u = m1[i], v = m2[i];
            const T uv = u * v, uu = u * u, vv = v * v;
            const T a1 = T(2) * uv + T(kC1);
            const T a2 = T(2) * (s12[i] - uv) + T(kC2);
            const T b1 = uu + vv + T(kC1);
            const T b2 = (s11[i] - uu) + (s22[i] - vv) + T(kC2);
            const T inv = T(1) / (b1 * b2);
            const T s = a1 * a2 * inv;
            map[i] = s;
            if (gradient) {
                // d/d mu1 = [2 mu2 (a2 - a1) - 2 mu1 s (b2 - b1)] / (b1 b2); d/d e11 = -s / b2;
                // d/d e12 = 2 a1 / (b1 b2).
                m1[i] = scale * (T(2) * v * (a2 - a1) - T(2) * u * s * (b2 - b1)) * inv;
                s11[i] = scale * (-s * b1 * inv);
                s12[i] = scale * (T(2) * a1 * inv);
            }
        }
        for (std::size_t i = 0; i < count; ++i) total += static_cast<double>(map[i]);
    }
    return total;
}

__attribute__((target_clones("arch=x86-64-v3", "default"))) double ssim_pass_float(
    float* mu1, const float* mu2, float* e11, const float* e22, float* e12, std::size_t begin,
    std::size_t end, float scale, bool gradient) {
    return ssim_pass_any(mu1, mu2, e11, e22, e12, begin, end, scale, gradient);
}

template <typename T>
double ssim_pass(T* mu1, const T* mu2, T* e11, const T* e22, T* e12, std::size_t begin, std::size_t end,
                 T scale, bool gradient) {
    if constexpr (std::is_same_v<T, float>)
        return ssim_pass_float(mu1, mu2, e11, e22, e12, begin, end, scale, gradient);
    else
        return ssim_pass_any(mu1, mu2, e11, e22, e12, begin, end, scale, gradient);
}

std::size_t chunk_begin(std::size_t chunk, std::size_t n) {
    return chunk * n / kChunks;
}

// Mean SSIM over the three channels of [H, W, 3] images. With `gradient`, leaves in planes kMu1, kE11
// and kE12 of each channel the blurred d(mean SSIM)/d(mu1, e11, e12) times `scale`, from which
// d/d x = g_mu1 + 2 x g_e11 + y g_e12.
template <typename T>
double ssim_planes(const T* x, const T* y, int width, int height, std::vector<T>& planes,
                   const SsimMoments<T>* moments, bool gradient, T scale) {
    const std::size_t n = static_cast<std::size_t>(width) * height;
    planes.resize(3 * kPlanes * n);
    const auto plane = [&](int channel, int kind) {
        return planes.data() + (static_cast<std::size_t>(channel) * kPlanes + kind) * n;
    };
    // The target's planes: from `moments`, or blurred here.
    const auto target_plane = [&](int channel, int kind) -> const T* {
        if (!moments) return plane(channel, kind);
        const std::vector<T>& source = kind == kMu2 ? moments->mean : moments->second;
        return source.data() + static_cast<std::size_t>(channel) * n;
    };
    std::array<std::pair<int, int>, 15> tasks;
    std::size_t count = 0;
    for (int c = 0; c < 3; ++c)
        for (int kind = 0; kind < kPlanes; ++kind)
            if (!moments || (kind != kMu2 && kind != kE22)) tasks[count++] = {c, kind};
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t t) {
        const auto [c, kind] = tasks[t];
        fill_and_blur(plane(c, kind), kind, x + c, y + c, width, height);
    });
    std::array<double, 3 * kChunks> sums{};
    tbb::parallel_for(std::size_t{0}, 3 * kChunks, [&](std::size_t t) {
        const int c = static_cast<int>(t / kChunks);
        const std::size_t chunk = t % kChunks;
        sums[t] =
            ssim_pass(plane(c, kMu1), target_plane(c, kMu2), plane(c, kE11), target_plane(c, kE22),
                      plane(c, kE12), chunk_begin(chunk, n), chunk_begin(chunk + 1, n), scale, gradient);
    });
    if (gradient) {
        static constexpr int kGradientPlanes[3] = {kMu1, kE11, kE12};
        tbb::parallel_for(0, 9, [&](int t) { blur(plane(t / 3, kGradientPlanes[t % 3]), width, height); });
    }
    double total = 0;
    for (const double s : sums) total += s;
    return total / (3.0 * static_cast<double>(n));
}

}  // namespace

template <typename T>
SsimMoments<T> ssim_moments(std::span<const T> target, int width, int height) {
    const std::size_t n = static_cast<std::size_t>(width) * height;
    GLINT_CHECK(target.size() == 3 * n, "ssim_moments: size differs");
    SsimMoments<T> m{width, height, std::vector<T>(3 * n), std::vector<T>(3 * n)};
    tbb::parallel_for(0, 6, [&](int t) {
        const int c = t % 3;
        T* plane = (t < 3 ? m.mean : m.second).data() + static_cast<std::size_t>(c) * n;
        fill_and_blur(plane, t < 3 ? kMu2 : kE22, target.data() + c, target.data() + c, width, height);
    });
    return m;
}

template <typename T>
LossValue photometric_loss(std::span<const T> image, std::span<const T> target, int width, int height,
                           double lambda, std::span<T> v_image, LossBuffers<T>& buffers,
                           const SsimMoments<T>* moments) {
    const std::size_t pixels = static_cast<std::size_t>(width) * height;
    const std::size_t n = pixels * 3;
    GLINT_CHECK(image.size() == n && target.size() == n && v_image.size() == n,
                "photometric_loss: sizes differ");
    GLINT_CHECK(!moments || (moments->width == width && moments->height == height &&
                             moments->mean.size() == n && moments->second.size() == n),
                "photometric_loss: the target moments are of another image");
    LossValue value;
    // L = (1 - lambda) mean |x - y| + lambda (1 - mean SSIM), the mean over pixels and channels.
    const T ssim_scale = static_cast<T>(-lambda / static_cast<double>(n));
    value.ssim =
        ssim_planes(image.data(), target.data(), width, height, buffers.planes, moments, true, ssim_scale);
    const T l1_scale = static_cast<T>((1.0 - lambda) / static_cast<double>(n));
    std::array<double, kChunks> l1{}, squared{};
    const T* planes = buffers.planes.data();
    tbb::parallel_for(std::size_t{0}, kChunks, [&](std::size_t chunk) {
        double abs_sum = 0, square_sum = 0;
        for (std::size_t i = chunk_begin(chunk, pixels); i < chunk_begin(chunk + 1, pixels); ++i)
            for (std::size_t c = 0; c < 3; ++c) {
                const T x = image[3 * i + c], y = target[3 * i + c];
                const T d = x - y;
                abs_sum += std::abs(static_cast<double>(d));
                square_sum += static_cast<double>(d) * static_cast<double>(d);
                const T* p = planes + c * kPlanes * pixels + i;
                const T g_mu1 = p[kMu1 * pixels], g_e11 = p[kE11 * pixels], g_e12 = p[kE12 * pixels];
                v_image[3 * i + c] = l1_scale * (d > T(0) ? T(1) : (d < T(0) ? T(-1) : T(0))) + g_mu1 +
                                     T(2) * x * g_e11 + y * g_e12;
            }
        l1[chunk] = abs_sum;
        squared[chunk] = square_sum;
    });
    for (std::size_t chunk = 0; chunk < kChunks; ++chunk) {
        value.l1 += l1[chunk];
        value.mse += squared[chunk];
    }
    value.l1 /= static_cast<double>(n);
    value.mse /= static_cast<double>(n);
    value.loss = (1.0 - lambda) * value.l1 + lambda * (1.0 - value.ssim);
    return value;
}

template SsimMoments<float> ssim_moments<float>(std::span<const float>, int, int);
template SsimMoments<double> ssim_moments<double>(std::span<const double>, int, int);
template LossValue photometric_loss<float>(std::span<const float>, std::span<const float>, int, int, double,
                                           std::span<float>, LossBuffers<float>&, const SsimMoments<float>*);
template LossValue photometric_loss<double>(std::span<const double>, std::span<const double>, int, int,
                                            double, std::span<double>, LossBuffers<double>&,
                                            const SsimMoments<double>*);

double ssim(std::span<const float> a, std::span<const float> b, int width, int height) {
    GLINT_CHECK(a.size() == b.size() && a.size() == static_cast<std::size_t>(width) * height * 3,
                "ssim: sizes differ");
    std::vector<float> planes;
    return ssim_planes<float>(a.data(), b.data(), width, height, planes, nullptr, false, 0.0f);
}

double psnr_from_mse(double mse) {
    return mse > 0 ? -10.0 * std::log10(mse) : 99.0;
}

double psnr(std::span<const float> a, std::span<const float> b) {
    GLINT_CHECK(a.size() == b.size() && !a.empty(), "psnr: sizes differ");
    double mse = 0;
    for (std::size_t i = 0; i < a.size(); ++i) mse += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    return psnr_from_mse(mse / static_cast<double>(a.size()));
}

}  // namespace glint
