// The background colour behind renders of photos without alpha, learnt with the scene by both trainers
// (Gaussians and the NeRF). A render is C + T b (T the final transmittance), so the loss's gradient for
// b sums T times each pixel's (or ray's) colour gradient; Adam steps it once per iteration, clamped to
// [0, 1]. It starts from the mean colour of the training photos' one-pixel borders, where a backdrop or a
// sky shows most, or from a given colour.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "glint/core/binary_io.h"

namespace glint {

class LearntBackground {
public:
    void start(std::array<float, 3> colour);  // clamped to [0, 1]; moments and gradient zero
    const std::array<float, 3>& colour() const { return m_colour; }
    std::array<double, 3>& gradient() { return m_gradient; }  // this step's, summed by the trainer
    // One Adam step at `lr` (`iteration`: 1 for the first) from gradient(), which is then cleared.
    void step(float lr, int iteration);
    // Checkpoints: whether the trainer learns it, the colour and Adam's moments. read() fails through `r`
    // when the stored flag is not `learnt` or a value is out of range, and keeps the state only when
    // learnt.
    void write(BinaryWriter& w, bool learnt) const;
    void read(BinaryReader& r, bool learnt);

private:
    std::array<float, 3> m_colour{}, m_m{}, m_v{};
    std::array<double, 3> m_gradient{};
};

// Where a trainer's learnt background starts, or nothing when it does not learn one: not `asked`, or
// images with alpha (a warning naming `first_image`: their background is the dataset's colour). From
// `given`, else the mean of the borders `add_borders(sum, count)` adds (add_border_colours per photo).
// Logs the start.
std::optional<std::array<float, 3>> learnt_background_start(
    bool asked, bool images_have_alpha, const std::string& first_image,
    const std::optional<std::array<float, 3>>& given,
    const std::function<void(double sum[3], std::size_t& count)>& add_borders);

// Adds the colours of an [height, width, 3] image's one-pixel border to `sum` and their count to `count`
// (the learnt background's start is the mean over the training photos).
void add_border_colours(std::span<const float> rgb, int width, int height, double sum[3], std::size_t& count);

}  // namespace glint
