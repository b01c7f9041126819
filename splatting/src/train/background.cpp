// The Gaussian trainer's learnt background (TrainOptions::learn_background, core/learnt_background.h):
// its start, each view's gradient from the render's transmittance, and its step.
#include <cmath>

#include "glint/splatting/train/trainer.h"

namespace glint::splatting {

std::array<float, 3> Trainer::background() const {
    return m_learn_background ? m_background.colour() : m_dataset.options.background;
}

void Trainer::initialise_background() {
    const std::optional<std::array<float, 3>> start = learnt_background_start(
        m_options.learn_background, !image(0, false).alpha.empty(), m_dataset.train.front().image.string(),
        m_options.background_start, [&](double sum[3], std::size_t& count) {
            for (std::size_t view = 0; view < m_dataset.train.size(); ++view) {
                const ImageRgb& photo = image(view, false);
                add_border_colours(photo.rgb, photo.width, photo.height, sum, count);
            }
        });
    m_learn_background = start.has_value();
    if (!start) return;
    m_background.start(*start);
    m_cloud.set_background(m_background.colour());
}

void Trainer::add_background_gradient(std::span<const float> v_image, std::span<const float> alpha) {
    if (!m_learn_background) return;
    double g[3] = {0.0, 0.0, 0.0};
    for (std::size_t p = 0; p < alpha.size(); ++p) {
        const double transmittance = 1.0 - static_cast<double>(alpha[p]);
        for (int k = 0; k < 3; ++k) g[k] += transmittance * static_cast<double>(v_image[3 * p + k]);
    }
    for (int k = 0; k < 3; ++k) m_background.gradient()[k] += g[k];
}

void Trainer::step_background(float progress) {
    if (!m_learn_background) return;
    m_background.step(m_options.lr_background * std::pow(0.01f, progress), m_iteration);
    m_cloud.set_background(m_background.colour());
}

}  // namespace glint::splatting
