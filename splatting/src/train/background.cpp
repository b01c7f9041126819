// The learnt background of photos without alpha (TrainOptions::learn_background): one colour behind
// every training render, fitted with the Gaussians. A render is C + T * b (C the Gaussians' blend, T the
// pixel's final transmittance, b the background), so the loss's gradient for b is the sum over pixels of
// T times the loss's gradient for the pixel's colour; Adam takes one step of it per iteration.
#include <algorithm>
#include <cmath>

#include "glint/core/adam.h"
#include "glint/core/log.h"
#include "glint/splatting/train/trainer.h"

namespace glint::splatting {

std::array<float, 3> Trainer::background() const {
    return m_learn_background ? m_background : m_dataset.options.background;
}

void Trainer::initialise_background() {
    m_learn_background = false;
    if (!m_options.learn_background) return;
    if (!image(0, false).alpha.empty()) {
        log::warn(m_dataset.train.front().image.string(),
                  ": the images have alpha, so the background is the dataset's colour, not a learnt one");
        return;
    }
    m_learn_background = true;
    if (m_options.background_start) {
        m_background = *m_options.background_start;
        for (float& v : m_background) v = std::clamp(v, 0.0f, 1.0f);
        m_cloud.set_background(m_background);
        return;
    }
    // The start: the mean colour of the training photos' one-pixel borders, where a backdrop or a sky
    // shows most.
    double sum[3] = {0.0, 0.0, 0.0};
    std::size_t count = 0;
    for (std::size_t view = 0; view < m_dataset.train.size(); ++view) {
        const ImageRgb& photo = image(view, false);
        const int w = photo.width, h = photo.height;
        for (int y = 0; y < h; ++y)
            for (int x = 0; x < w; ++x) {
                if (y != 0 && y != h - 1 && x != 0 && x != w - 1) x = w - 1;  // the row's two ends
                const std::size_t p = static_cast<std::size_t>(y) * static_cast<std::size_t>(w) + x;
                for (int k = 0; k < 3; ++k) sum[k] += photo.rgb[3 * p + k];
                ++count;
            }
    }
    for (int k = 0; k < 3; ++k)
        m_background[k] = std::clamp(static_cast<float>(sum[k] / static_cast<double>(count)), 0.0f, 1.0f);
    m_cloud.set_background(m_background);
    log::info("background: learnt (the photos have no alpha), starting from their borders' mean colour (",
              m_background[0], ", ", m_background[1], ", ", m_background[2], ")");
}

void Trainer::add_background_gradient(std::span<const float> v_image, std::span<const float> alpha) {
    if (!m_learn_background) return;
    double g[3] = {0.0, 0.0, 0.0};
    for (std::size_t p = 0; p < alpha.size(); ++p) {
        const double transmittance = 1.0 - static_cast<double>(alpha[p]);
        for (int k = 0; k < 3; ++k) g[k] += transmittance * static_cast<double>(v_image[3 * p + k]);
    }
    for (int k = 0; k < 3; ++k) m_background_grad[k] += g[k];
}

void Trainer::step_background(float progress) {
    if (!m_learn_background) return;
    const float lr = m_options.lr_background * std::pow(0.01f, progress);
    const AdamStep s = adam_step_constants(lr, m_iteration, AdamSettings{});
    for (int k = 0; k < 3; ++k) {
        adam_update(m_background[k], static_cast<float>(m_background_grad[k]), m_background_m[k],
                    m_background_v[k], s);
        m_background[k] = std::clamp(m_background[k], 0.0f, 1.0f);
        m_background_grad[k] = 0.0;
    }
    m_cloud.set_background(m_background);
}

}  // namespace glint::splatting
