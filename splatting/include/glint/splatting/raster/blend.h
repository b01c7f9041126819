// The blend rule of the tile rasterizer and its backward, written once for every backend: the CPU's
// forward pass, its backward replay and undo, and both CUDA kernels call these. (The tests' brute-force
// renderer keeps its own, as an independent check.)
//
// Each function runs over a run of pixels [p0, p1) of a pixel state: the CPU passes an 8-pixel span of
// its tile state (structure of arrays; the loop then vectorizes into one AVX2 vector), a CUDA thread its
// own pixel as arrays of one in registers. The loop bodies are branch-free (0/1 masks as floats and
// selects) so that each lane follows exactly the reference's rules: skip a splat whose exponent is > 0
// or whose alpha is below 1/255, stop before the transmittance drops below 1e-4. GLINT_HD, no STL.
#pragma once

#include "glint/splatting/raster/raster_math.h"

namespace glint::splatting::raster {

// Blends one splat (centre (ox, oy) in the coordinates of `centre`, conic, opacity, colour, depth) into
// pixels [p0, p1) of `s`, front to back. `s` has the arrays transmittance, done (1 once the pixel has
// stopped) and, as the flags ask, red, green, blue (Colour), depth and count (Aux: the depth sum and the
// number of contributions), last (Track: `index` of the last contribution). `centre` has the arrays x
// and y of pixel centres.
template <bool Colour, bool Track, bool Aux, typename Pixels, typename Centres>
GLINT_HD_INLINE void blend_pixels(Pixels& s, const Centres& centre, int p0, int p1, const Sym2& conic,
                                  float ox, float oy, float opacity, Vec3 color, float depth, float index) {
    for (int p = p0; p < p1; ++p) {
        const float dx = centre.x[p] - ox;
        const float dy = centre.y[p] - oy;
        const float power = gaussian_power(conic, dx, dy);
        const float weighted = opacity * blend_exp(power);
        const float alpha = weighted < kMaxAlpha ? weighted : kMaxAlpha;
        const float t = s.transmittance[p];
        const float test_t = t * (1.0f - alpha);
        // The pixel's state is read in the test itself: GCC then if-converts the && into lane masks
        // (on values held in registers it forms a mask it does not vectorize).
        const float valid = (s.done[p] == 0.0f && power <= 0.0f && alpha >= kMinAlpha) ? 1.0f : 0.0f;
        const float stop = test_t < kMinTransmittance ? valid : 0.0f;
        const float take = valid - stop;
        if constexpr (Colour) {
            const float weight = take * alpha * t;
            s.red[p] += weight * color.x;
            s.green[p] += weight * color.y;
            s.blue[p] += weight * color.z;
            if constexpr (Aux) {
                s.depth[p] += weight * depth;
                s.count[p] += take;
            }
        }
        s.transmittance[p] = take != 0.0f ? test_t : t;
        s.done[p] += stop;
        if constexpr (Track) s.last[p] = take != 0.0f ? index : s.last[p];
    }
}

// Gradients per splat, in this order: screen mean x, y; conic a, b, c; opacity; colour r, g, b.
inline constexpr int kBlendGradients = 9;

// Undoes one splat (index `index` in its tile's list) at pixels [p0, p0 + Lanes) of `b`, back to front
// (Kerbl et al. 2023), adding its gradients at pixel p0 + l to lanes[j][l]. `b` has px, py (pixel centres),
// transmittance (on entry the transmittance behind the splat, on return in front of it), last (the index
// of the pixel's last contribution: splats behind it were never blended there), after (the colour
// blended behind the splat, the background's share included; the splat's is added) and v_color (dL/d of
// the pixel's colour). No gradient flows through the alpha cap.
template <int Lanes, typename Pixels>
GLINT_HD_INLINE void undo_pixels(Pixels& b, int p0, const Sym2& conic, float ox, float oy, float opacity,
                                 Vec3 color, float index, float (&lanes)[kBlendGradients][Lanes]) {
    for (int l = 0; l < Lanes; ++l) {
        const int p = p0 + l;
        const float dx = b.px[p] - ox, dy = b.py[p] - oy;
        const float power = gaussian_power(conic, dx, dy);
        const float g = blend_exp(power);
        const float raw = opacity * g;
        const float alpha = raw < kMaxAlpha ? raw : kMaxAlpha;
        const float m = (index <= b.last[p] && power <= 0.0f && alpha >= kMinAlpha) ? 1.0f : 0.0f;
        const float inv = 1.0f / (1.0f - alpha);
        const float t = m != 0.0f ? b.transmittance[p] * inv : b.transmittance[p];
        b.transmittance[p] = t;
        const float w = m * alpha * t;
        float v_alpha = 0.0f;
        const float c[3] = {color.x, color.y, color.z};
        for (int ch = 0; ch < 3; ++ch) {
            lanes[6 + ch][l] += w * b.v_color[ch][p];
            v_alpha += (t * c[ch] - b.after[ch][p] * inv) * b.v_color[ch][p];
            b.after[ch][p] += w * c[ch];
        }
        const float open = raw < kMaxAlpha ? m : 0.0f;
        lanes[5][l] += open * g * v_alpha;
        const float v_power = open * opacity * g * v_alpha;
        lanes[0][l] += v_power * (conic.a * dx + conic.b * dy);
        lanes[1][l] += v_power * (conic.c * dy + conic.b * dx);
        lanes[2][l] += v_power * (-0.5f * dx * dx);
        lanes[3][l] += v_power * (-dx * dy);
        lanes[4][l] += v_power * (-0.5f * dy * dy);
    }
}

}  // namespace glint::splatting::raster
