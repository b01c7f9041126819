// Image losses and metrics shared by the Gaussian and NeRF trainers. The photometric loss of 3D Gaussian
// splatting: (1 - lambda) L1 + lambda (1 - SSIM), with the reference's SSIM (11x11 Gaussian window,
// sigma 1.5, zero padding, C1 = 0.01^2, C2 = 0.03^2, averaged over pixels and channels), and its gradient
// with respect to the rendered image.
#pragma once

#include <span>
#include <vector>

namespace glint {

struct LossValue {
    double loss = 0, l1 = 0, ssim = 0;
    double mse = 0;  // mean squared error, for the PSNR
};

// The blurred first and second moments of a target image, [3][H*W] channel planes each: the loss needs
// them every time the view comes round, so a trainer computes them once per view.
template <typename T>
struct SsimMoments {
    int width = 0, height = 0;
    std::vector<T> mean, second;
};
template <typename T>
SsimMoments<T> ssim_moments(std::span<const T> target, int width, int height);

// Buffers the loss reuses between calls (sized on first use).
template <typename T>
struct LossBuffers {
    std::vector<T> planes;
};

// `image` and `target` are [H, W, 3]; `v_image` ([H, W, 3]) receives dL/d image. With `moments` (of this
// target), the target's blurs are taken from there. Templated on the scalar (float for training, double
// for the gradient tests).
template <typename T>
LossValue photometric_loss(std::span<const T> image, std::span<const T> target, int width, int height,
                           double lambda, std::span<T> v_image, LossBuffers<T>& buffers,
                           const SsimMoments<T>* moments = nullptr);
template <typename T>
LossValue photometric_loss(std::span<const T> image, std::span<const T> target, int width, int height,
                           double lambda, std::span<T> v_image) {
    LossBuffers<T> buffers;
    return photometric_loss(image, target, width, height, lambda, v_image, buffers);
}

// SSIM of two [H, W, 3] images as above (for evaluation); PSNR in dB for values in [0, 1], and from a mean
// squared error.
double ssim(std::span<const float> a, std::span<const float> b, int width, int height);
double psnr(std::span<const float> a, std::span<const float> b);
double psnr_from_mse(double mse);

}  // namespace glint
