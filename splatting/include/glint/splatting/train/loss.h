// The photometric training loss of 3D Gaussian splatting: (1 - lambda) L1 + lambda (1 - SSIM), with the
// reference's SSIM (11x11 Gaussian window, sigma 1.5, zero padding, C1 = 0.01^2, C2 = 0.03^2, averaged over
// pixels and channels), and its gradient with respect to the rendered image.
#pragma once

#include <span>

namespace glint::splatting {

struct LossValue {
    double loss = 0, l1 = 0, ssim = 0;
};

// `image` and `target` are [H, W, 3]; `v_image` ([H, W, 3]) receives dL/d image. Templated on the scalar
// (float for training, double for the gradient tests).
template <typename T>
LossValue photometric_loss(std::span<const T> image, std::span<const T> target, int width, int height,
                           double lambda, std::span<T> v_image);

// SSIM of two [H, W, 3] images as above (for evaluation); PSNR in dB for values in [0, 1].
double ssim(std::span<const float> a, std::span<const float> b, int width, int height);
double psnr(std::span<const float> a, std::span<const float> b);

}  // namespace glint::splatting
