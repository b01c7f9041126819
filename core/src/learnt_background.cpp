#include "glint/core/learnt_background.h"

#include <algorithm>
#include <cmath>

#include "glint/core/adam.h"
#include "glint/core/log.h"

namespace glint {

void LearntBackground::start(std::array<float, 3> colour) {
    for (int k = 0; k < 3; ++k) m_colour[k] = std::clamp(colour[k], 0.0f, 1.0f);
    m_m = {};
    m_v = {};
    m_gradient = {};
}

void LearntBackground::step(float lr, int iteration) {
    const AdamStep s = adam_step_constants(lr, iteration, AdamSettings{});
    for (int k = 0; k < 3; ++k) {
        adam_update(m_colour[k], static_cast<float>(m_gradient[k]), m_m[k], m_v[k], s);
        m_colour[k] = std::clamp(m_colour[k], 0.0f, 1.0f);
        m_gradient[k] = 0.0;
    }
}

void LearntBackground::write(BinaryWriter& w, bool learnt) const {
    w.put(static_cast<std::int32_t>(learnt ? 1 : 0));
    for (const std::array<float, 3>* a : {&m_colour, &m_m, &m_v})
        for (const float value : *a) w.put(value);
}

void LearntBackground::read(BinaryReader& r, bool learnt) {
    const bool stored = r.get<std::int32_t>() != 0;
    if (stored != learnt)
        r.fail(stored ? "it was trained with a learnt background; these options keep the dataset's colour"
                      : "it was trained over the dataset's colour; these options learn the background");
    std::array<float, 3> colour{}, m{}, v{};
    for (std::array<float, 3>* a : {&colour, &m, &v})
        for (float& value : *a) value = r.get<float>();
    for (int k = 0; k < 3; ++k) {
        if (!(colour[k] >= 0.0f && colour[k] <= 1.0f)) r.fail("its background is not a colour in [0, 1]");
        if (!std::isfinite(m[k]) || !(v[k] >= 0.0f) || !std::isfinite(v[k]))
            r.fail("its background's optimiser state is not finite");
    }
    if (!learnt) return;
    m_colour = colour;
    m_m = m;
    m_v = v;
    m_gradient = {};
}

void add_border_colours(std::span<const float> rgb, int width, int height, double sum[3],
                        std::size_t& count) {
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            if (y != 0 && y != height - 1 && x != 0 && x != width - 1) x = width - 1;  // the row's two ends
            const std::size_t p =
                static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x);
            for (int k = 0; k < 3; ++k) sum[k] += rgb[3 * p + static_cast<std::size_t>(k)];
            ++count;
        }
}

std::optional<std::array<float, 3>> learnt_background_start(
    bool asked, bool images_have_alpha, const std::string& first_image,
    const std::optional<std::array<float, 3>>& given,
    const std::function<void(double sum[3], std::size_t& count)>& add_borders) {
    if (!asked) return std::nullopt;
    if (images_have_alpha) {
        log::warn(first_image,
                  ": the images have alpha, so the background is the dataset's colour, not a learnt one");
        return std::nullopt;
    }
    std::array<float, 3> start{};
    if (given) {
        start = *given;
    } else {
        double sum[3] = {0.0, 0.0, 0.0};
        std::size_t count = 0;
        add_borders(sum, count);
        for (int k = 0; k < 3; ++k) start[k] = static_cast<float>(sum[k] / static_cast<double>(count));
    }
    for (float& v : start) v = std::clamp(v, 0.0f, 1.0f);
    log::info("background: learnt (the photos have no alpha), starting from ",
              given ? "the given colour (" : "their borders' mean colour (", start[0], ", ", start[1], ", ",
              start[2], ")");
    return start;
}

}  // namespace glint
