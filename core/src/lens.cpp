#include "glint/core/lens.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {
namespace {

using Model = LensDistortion::Model;

// Keys' cubic convolution weights (a = -0.5) of the four samples around a point at fraction t.
void keys_weights(float t, float w[4]) {
    const auto k = [](float x) {
        x = std::fabs(x);
        if (x < 1.0f) return (1.5f * x - 2.5f) * x * x + 1.0f;
        if (x < 2.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
        return 0.0f;
    };
    for (int i = 0; i < 4; ++i) w[i] = k(t - static_cast<float>(i - 1));
}

bool is_fisheye(Model m) {
    return m == Model::SimpleRadialFisheye || m == Model::RadialFisheye || m == Model::OpenCVFisheye;
}

}  // namespace

const char* lens_model_name(Model model) {
    switch (model) {
        case Model::None:
            return "PINHOLE";
        case Model::SimpleRadial:
            return "SIMPLE_RADIAL";
        case Model::Radial:
            return "RADIAL";
        case Model::OpenCV:
            return "OPENCV";
        case Model::FullOpenCV:
            return "FULL_OPENCV";
        case Model::SimpleRadialFisheye:
            return "SIMPLE_RADIAL_FISHEYE";
        case Model::RadialFisheye:
            return "RADIAL_FISHEYE";
        case Model::OpenCVFisheye:
            return "OPENCV_FISHEYE";
    }
    return "?";
}

bool lens_model_from_name(const std::string& name, Model& model) {
    for (const Model m : {Model::SimpleRadial, Model::Radial, Model::OpenCV, Model::FullOpenCV,
                          Model::SimpleRadialFisheye, Model::RadialFisheye, Model::OpenCVFisheye})
        if (name == lens_model_name(m)) {
            model = m;
            return true;
        }
    if (name == "PINHOLE" || name == "SIMPLE_PINHOLE") {
        model = Model::None;
        return true;
    }
    return false;
}

std::string LensDistortion::describe() const {
    const char* name = lens_model_name(model);
    switch (model) {
        case Model::None:
            return name;
        case Model::SimpleRadial:
        case Model::SimpleRadialFisheye:
            return cat(name, " (k ", k1, ")");
        case Model::Radial:
        case Model::RadialFisheye:
            return cat(name, " (k1 ", k1, ", k2 ", k2, ")");
        case Model::OpenCV:
            return cat(name, " (k1 ", k1, ", k2 ", k2, ", p1 ", p1, ", p2 ", p2, ")");
        case Model::FullOpenCV:
            return cat(name, " (k1 ", k1, ", k2 ", k2, ", p1 ", p1, ", p2 ", p2, ", k3 ", k3, ", k4 ", k4,
                       ", k5 ", k5, ", k6 ", k6, ")");
        case Model::OpenCVFisheye:
            return cat(name, " (k1 ", k1, ", k2 ", k2, ", k3 ", k3, ", k4 ", k4, ")");
    }
    return name;
}

// COLMAP's formulas (src/colmap/sensor/models.h), in normalized coordinates.
glm::dvec2 distort(const LensDistortion& l, glm::dvec2 p) {
    const double u = p.x, v = p.y;
    if (l.model == Model::None) return p;
    if (is_fisheye(l.model)) {
        const double r = std::sqrt(u * u + v * v);
        if (r < 1e-12) return p;
        const double theta = std::atan(r), t2 = theta * theta;
        double thetad = theta;
        if (l.model == Model::SimpleRadialFisheye) thetad = theta * (1 + l.k1 * t2);
        if (l.model == Model::RadialFisheye) thetad = theta * (1 + l.k1 * t2 + l.k2 * t2 * t2);
        if (l.model == Model::OpenCVFisheye)
            thetad =
                theta * (1 + l.k1 * t2 + l.k2 * t2 * t2 + l.k3 * t2 * t2 * t2 + l.k4 * t2 * t2 * t2 * t2);
        return p * (thetad / r);
    }
    const double r2 = u * u + v * v;
    double radial = 1.0, du = 0.0, dv = 0.0;
    if (l.model == Model::SimpleRadial) radial = 1 + l.k1 * r2;
    if (l.model == Model::Radial || l.model == Model::OpenCV) radial = 1 + l.k1 * r2 + l.k2 * r2 * r2;
    if (l.model == Model::FullOpenCV)
        radial = (1 + l.k1 * r2 + l.k2 * r2 * r2 + l.k3 * r2 * r2 * r2) /
                 (1 + l.k4 * r2 + l.k5 * r2 * r2 + l.k6 * r2 * r2 * r2);
    if (l.model == Model::OpenCV || l.model == Model::FullOpenCV) {
        du = 2 * l.p1 * u * v + l.p2 * (r2 + 2 * u * u);
        dv = 2 * l.p2 * u * v + l.p1 * (r2 + 2 * v * v);
    }
    return {u * radial + du, v * radial + dv};
}

bool undistort(const LensDistortion& lens, glm::dvec2 d, glm::dvec2& u) {
    if (lens.none()) {
        u = d;
        return true;
    }
    // Newton's method with a numerical Jacobian, from the distorted point, damped: a step that does not
    // bring the residual down is halved until it does. Undamped, the first step overshoots past the
    // fold of a strong barrel lens near the image corners and diverges where an inverse exists.
    const auto jacobian = [&](glm::dvec2 x, glm::dvec2& fx, glm::dvec2& fy) {
        const double h = 1e-7 * std::max(1.0, glm::length(x));
        fx = (distort(lens, x + glm::dvec2(h, 0)) - distort(lens, x - glm::dvec2(h, 0))) / (2 * h);
        fy = (distort(lens, x + glm::dvec2(0, h)) - distort(lens, x - glm::dvec2(0, h))) / (2 * h);
        return fx.x * fy.y - fy.x * fx.y;
    };
    glm::dvec2 x = d;
    double residual = glm::length(distort(lens, x) - d);
    for (int it = 0; it < 100 && residual >= 1e-12; ++it) {
        const glm::dvec2 f = distort(lens, x) - d;
        glm::dvec2 fx, fy;
        const double det = jacobian(x, fx, fy);
        if (!(std::fabs(det) > 1e-12)) return false;
        const glm::dvec2 step = glm::dvec2(fy.y * f.x - fy.x * f.y, -fx.y * f.x + fx.x * f.y) / det;
        double scale = 1.0;
        for (int halving = 0; halving < 40; ++halving, scale *= 0.5) {
            const glm::dvec2 next = x - scale * step;
            const double r = glm::length(distort(lens, next) - d);
            if (std::isfinite(r) && r < residual) {
                x = next;
                residual = r;
                break;
            }
        }
        if (scale < 1e-11) return false;  // no step helps: a stationary point short of the answer
    }
    if (!(residual < 1e-9)) return false;
    // Only the unfolded branch is the lens's image: there the map keeps its orientation, and a point
    // stays on its side of the centre (a fitted model can have far roots with neither).
    glm::dvec2 fx, fy;
    if (!(jacobian(x, fx, fy) > 0.0) || glm::dot(x, d) < 0.0) return false;
    u = x;
    return true;
}

Camera undistorted_camera(const Camera& c, const LensDistortion& lens) {
    if (lens.none()) return c;
    // Undistorted normalized coordinates of points along the image border (pixel edges), then the largest
    // focal scale for which the new image's border, centred, stays inside what they enclose: per side,
    // the nearest undistorted border point.
    // Border points where the lens model folds (a fitted model whose inverse stops short of the corners)
    // are passed over: the crop is bound by the nearest points, and those lie on the unfolded side. The
    // middles of the four sides must invert.
    double left = -1e30, right = 1e30, top = -1e30, bottom = 1e30;
    const int steps = 64;
    const auto border = [&](double px, double py, bool required, double glm::dvec2::*axis, double& bound,
                            bool lower) {
        const glm::dvec2 d((px - c.cx) / c.fx, (py - c.cy) / c.fy);
        glm::dvec2 u;
        if (!undistort(lens, d, u)) {
            if (!required) return;
            throw InputError(cat(lens.describe(), ": the distortion cannot be inverted at pixel (", px, ", ",
                                 py, ") of a ", c.width, "x", c.height, " image"));
        }
        bound = lower ? std::max(bound, u.*axis) : std::min(bound, u.*axis);
    };
    for (int k = 0; k <= steps; ++k) {
        const double sx = c.width * static_cast<double>(k) / steps,
                     sy = c.height * static_cast<double>(k) / steps;
        const bool middle = 2 * k == steps;
        border(0.0, sy, middle, &glm::dvec2::x, left, true);
        border(c.width, sy, middle, &glm::dvec2::x, right, false);
        border(sx, 0.0, middle, &glm::dvec2::y, top, true);
        border(sx, c.height, middle, &glm::dvec2::y, bottom, false);
    }
    // The new camera sees [-w/2, w/2] / f' by [-h/2, h/2] / f'': it must fit in [left, right] x [top,
    // bottom].
    const double half_w = 0.5 * c.width, half_h = 0.5 * c.height;
    const double fx = std::max(half_w / std::min(-left, right), half_w / std::min(-left, right));
    const double fy = half_h / std::min(-top, bottom);
    if (!(left < 0 && right > 0 && top < 0 && bottom > 0) || !std::isfinite(fx) || !std::isfinite(fy))
        throw InputError(cat(lens.describe(), ": the undistorted image has no valid centre"));
    // Keep square pixels when the source had them.
    const double scale = std::max(fx / c.fx, fy / c.fy);
    Camera out = c;
    out.fx = static_cast<float>(c.fx * scale);
    out.fy = static_cast<float>(c.fy * scale);
    out.cx = static_cast<float>(half_w);
    out.cy = static_cast<float>(half_h);
    return out;
}

namespace {

// Keys' bicubic (a = -0.5) of `image` [height, width, channels] at the continuous pixel position (px, py)
// (pixel centres at +0.5), edges clamped, each channel into `out`, kept in the source's range [0, 1]
// (the kernel overshoots at edges).
void sample_bicubic(const std::vector<float>& image, int channels, int width, int height, double px,
                    double py, float* out) {
    const double sx = px - 0.5, sy = py - 0.5;
    const double fx0 = std::floor(sx), fy0 = std::floor(sy);
    const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
    float wx[4], wy[4];
    keys_weights(static_cast<float>(sx - fx0), wx);
    keys_weights(static_cast<float>(sy - fy0), wy);
    for (int ch = 0; ch < channels; ++ch) out[ch] = 0.0f;
    for (int j = 0; j < 4; ++j) {
        const auto yi = static_cast<std::size_t>(std::clamp(y0 - 1 + j, 0, height - 1));
        for (int i = 0; i < 4; ++i) {
            const auto xi = static_cast<std::size_t>(std::clamp(x0 - 1 + i, 0, width - 1));
            const float* texel =
                &image[(yi * static_cast<std::size_t>(width) + xi) * static_cast<std::size_t>(channels)];
            for (int ch = 0; ch < channels; ++ch) out[ch] += wy[j] * wx[i] * texel[ch];
        }
    }
    for (int ch = 0; ch < channels; ++ch) out[ch] = std::clamp(out[ch], 0.0f, 1.0f);
}

}  // namespace

std::vector<float> undistort_image(const std::vector<float>& image, int channels, const Camera& d,
                                   const LensDistortion& lens, const Camera& p) {
    const std::size_t w = static_cast<std::size_t>(p.width), h = static_cast<std::size_t>(p.height);
    std::vector<float> out(w * h * static_cast<std::size_t>(channels), 0.0f);
    tbb::parallel_for(std::size_t{0}, h, [&](std::size_t y) {
        for (std::size_t x = 0; x < w; ++x) {
            const glm::dvec2 u((static_cast<double>(x) + 0.5 - p.cx) / p.fx,
                               (static_cast<double>(y) + 0.5 - p.cy) / p.fy);
            const glm::dvec2 dd = distort(lens, u);
            // Bicubic: bilinear would blur every image it remaps, and a model trained on them with it.
            sample_bicubic(image, channels, d.width, d.height, dd.x * d.fx + d.cx, dd.y * d.fy + d.cy,
                           &out[(y * w + x) * static_cast<std::size_t>(channels)]);
        }
    });
    return out;
}

Camera covering_camera(const Camera& c, const LensDistortion& lens) {
    if (lens.none()) return c;
    // The undistorted border of the distorted image, in pixels of a camera with the same focal length.
    double left = 0.0, right = c.width, top = 0.0, bottom = c.height;
    const int steps = 64;
    for (int k = 0; k <= steps; ++k)
        for (const auto& [px, py] : {std::pair{0.0, c.height * double(k) / steps},
                                     std::pair{double(c.width), c.height * double(k) / steps},
                                     std::pair{c.width * double(k) / steps, 0.0},
                                     std::pair{c.width * double(k) / steps, double(c.height)}}) {
            glm::dvec2 u;
            if (!undistort(lens, {(px - c.cx) / c.fx, (py - c.cy) / c.fy}, u))
                throw InputError(cat(lens.describe(), ": the distortion cannot be inverted at pixel (", px,
                                     ", ", py, ") of a ", c.width, "x", c.height, " image"));
            left = std::min(left, u.x * c.fx + c.cx);
            right = std::max(right, u.x * c.fx + c.cx);
            top = std::min(top, u.y * c.fy + c.cy);
            bottom = std::max(bottom, u.y * c.fy + c.cy);
        }
    // Two pixels of margin for the bicubic footprint.
    const int pad_left = static_cast<int>(std::ceil(-left)) + 2,
              pad_top = static_cast<int>(std::ceil(-top)) + 2;
    Camera out = c;
    out.width = pad_left + static_cast<int>(std::ceil(right)) + 2;
    out.height = pad_top + static_cast<int>(std::ceil(bottom)) + 2;
    out.cx = c.cx + static_cast<float>(pad_left);
    out.cy = c.cy + static_cast<float>(pad_top);
    return out;
}

std::vector<float> distort_image(const std::vector<float>& image, int channels, const Camera& p,
                                 const LensDistortion& lens, const Camera& d) {
    const std::size_t w = static_cast<std::size_t>(d.width), h = static_cast<std::size_t>(d.height);
    std::vector<float> out(w * h * static_cast<std::size_t>(channels), 0.0f);
    tbb::parallel_for(std::size_t{0}, h, [&](std::size_t y) {
        for (std::size_t x = 0; x < w; ++x) {
            glm::dvec2 u;
            if (!undistort(lens,
                           {(static_cast<double>(x) + 0.5 - d.cx) / d.fx,
                            (static_cast<double>(y) + 0.5 - d.cy) / d.fy},
                           u))
                continue;  // beyond the lens's field: black
            sample_bicubic(image, channels, p.width, p.height, u.x * p.fx + p.cx, u.y * p.fy + p.cy,
                           &out[(y * w + x) * static_cast<std::size_t>(channels)]);
        }
    });
    return out;
}

LensDistortion parse_lens(const std::string& text) {
    const std::size_t colon = text.find(':');
    LensDistortion lens;
    if (colon == std::string::npos || !lens_model_from_name(text.substr(0, colon), lens.model) || lens.none())
        throw InputError(
            cat("--distortion '", printable(text),
                "': expected MODEL:PARAMS with MODEL one of SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV, "
                "SIMPLE_RADIAL_FISHEYE, RADIAL_FISHEYE, OPENCV_FISHEYE"));
    const std::vector<double> v = parse_number_list(text.substr(colon + 1), "--distortion");
    using M = LensDistortion::Model;
    const std::size_t want = lens.model == M::SimpleRadial || lens.model == M::SimpleRadialFisheye ? 1
                             : lens.model == M::Radial || lens.model == M::RadialFisheye           ? 2
                             : lens.model == M::FullOpenCV                                         ? 8
                                                                                                   : 4;
    if (v.size() != want)
        throw InputError(cat("--distortion: ", lens_model_name(lens.model), " takes ", want,
                             " parameters, not ", v.size()));
    lens.k1 = v[0];
    if (want >= 2) lens.k2 = v[1];
    if (lens.model == M::OpenCV || lens.model == M::FullOpenCV) lens.p1 = v[2], lens.p2 = v[3];
    if (lens.model == M::OpenCVFisheye) lens.k3 = v[2], lens.k4 = v[3];
    if (lens.model == M::FullOpenCV) lens.k3 = v[4], lens.k4 = v[5], lens.k5 = v[6], lens.k6 = v[7];
    return lens;
}

}  // namespace glint
