// A rendered frame, whatever drew it (Gaussians on the CPU or CUDA, a NeRF): the images the display,
// `glint render`, the recorder and the tests read.
#pragma once

#include <cstdint>
#include <vector>

namespace glint {

// Images, row-major, [height, width(, 3)].
struct Frame {
    int width = 0, height = 0;
    std::vector<float> color;                 // [H, W, 3] blended colour over the background
    std::vector<float> alpha;                 // [H, W] 1 - final transmittance
    std::vector<float> depth;                 // [H, W] expected depth sum(w z) / sum(w); 0 where alpha is 0
    std::vector<std::uint32_t> contributors;  // [H, W] primitives blended into the pixel (0 for a NeRF)
    // Optional, not owned: the colour is also written here as 8-bit RGBA (R in the lowest byte, A = 255),
    // [H, W] rows top to bottom; host memory for the CPU backend, device memory for CUDA (a presentation
    // buffer the window shows with no copy).
    std::uint32_t* packed_rgba = nullptr;
    // With packed_rgba set, false skips the float images above (left empty): a window showing the colour
    // needs only the packed pixels, and writing four float images costs memory bandwidth.
    bool float_images = true;
};

}  // namespace glint
