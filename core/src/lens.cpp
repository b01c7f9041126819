#include "glint/core/lens.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>

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
    // Newton's method with a numerical Jacobian, from the distorted point.
    glm::dvec2 x = d;
    for (int it = 0; it < 100; ++it) {
        const glm::dvec2 f = distort(lens, x) - d;
        if (glm::length(f) < 1e-12) break;
        const double h = 1e-7 * std::max(1.0, glm::length(x));
        const glm::dvec2 fx =
            (distort(lens, x + glm::dvec2(h, 0)) - distort(lens, x - glm::dvec2(h, 0))) / (2 * h);
        const glm::dvec2 fy =
            (distort(lens, x + glm::dvec2(0, h)) - distort(lens, x - glm::dvec2(0, h))) / (2 * h);
        const double det = fx.x * fy.y - fy.x * fx.y;
        if (!(std::fabs(det) > 1e-12)) return false;
        x -= glm::dvec2(fy.y * f.x - fy.x * f.y, -fx.y * f.x + fx.x * f.y) / det;
        if (!std::isfinite(x.x) || !std::isfinite(x.y)) return false;
    }
    if (!(glm::length(distort(lens, x) - d) < 1e-9)) return false;
    u = x;
    return true;
}

Camera undistorted_camera(const Camera& c, const LensDistortion& lens) {
    if (lens.none()) return c;
    // Undistorted normalized coordinates of points along the image border (pixel edges), then the largest
    // focal scale for which the new image's border, centred, stays inside what they enclose: per side,
    // the nearest undistorted border point.
    double left = -1e30, right = 1e30, top = -1e30, bottom = 1e30;
    const int steps = 64;
    const auto border = [&](double px, double py) {
        const glm::dvec2 d((px - c.cx) / c.fx, (py - c.cy) / c.fy);
        glm::dvec2 u;
        if (!undistort(lens, d, u))
            throw InputError(cat(lens.describe(), ": the distortion cannot be inverted at pixel (", px, ", ",
                                 py, ") of a ", c.width, "x", c.height, " image"));
        return u;
    };
    for (int k = 0; k <= steps; ++k) {
        const double sx = c.width * static_cast<double>(k) / steps,
                     sy = c.height * static_cast<double>(k) / steps;
        left = std::max(left, border(0.0, sy).x);
        right = std::min(right, border(c.width, sy).x);
        top = std::max(top, border(sx, 0.0).y);
        bottom = std::min(bottom, border(sx, c.height).y);
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

std::vector<float> undistort_image(const std::vector<float>& image, int channels, const Camera& d,
                                   const LensDistortion& lens, const Camera& p) {
    const std::size_t w = static_cast<std::size_t>(p.width), h = static_cast<std::size_t>(p.height);
    std::vector<float> out(w * h * static_cast<std::size_t>(channels), 0.0f);
    tbb::parallel_for(std::size_t{0}, h, [&](std::size_t y) {
        for (std::size_t x = 0; x < w; ++x) {
            const glm::dvec2 u((static_cast<double>(x) + 0.5 - p.cx) / p.fx,
                               (static_cast<double>(y) + 0.5 - p.cy) / p.fy);
            const glm::dvec2 dd = distort(lens, u);
            // Source pixel centres are at +0.5: bicubic (Keys, a = -0.5) over the 4x4 around (sx, sy);
            // bilinear would blur every image it remaps, and a model trained on them with it.
            const double sx = dd.x * d.fx + d.cx - 0.5, sy = dd.y * d.fy + d.cy - 0.5;
            const double fx0 = std::floor(sx), fy0 = std::floor(sy);
            const int x0 = static_cast<int>(fx0), y0 = static_cast<int>(fy0);
            float wx[4], wy[4];
            keys_weights(static_cast<float>(sx - fx0), wx);
            keys_weights(static_cast<float>(sy - fy0), wy);
            const auto at = [&](int xi, int yi, int ch) {
                xi = std::clamp(xi, 0, d.width - 1);
                yi = std::clamp(yi, 0, d.height - 1);
                return image[(static_cast<std::size_t>(yi) * static_cast<std::size_t>(d.width) +
                              static_cast<std::size_t>(xi)) *
                                 static_cast<std::size_t>(channels) +
                             static_cast<std::size_t>(ch)];
            };
            for (int ch = 0; ch < channels; ++ch) {
                float sum = 0.0f;
                for (int j = 0; j < 4; ++j)
                    for (int i = 0; i < 4; ++i) sum += wy[j] * wx[i] * at(x0 - 1 + i, y0 - 1 + j, ch);
                // Keys' kernel overshoots at edges: keep values in the source's range [0, 1].
                out[(y * w + x) * static_cast<std::size_t>(channels) + static_cast<std::size_t>(ch)] =
                    std::clamp(sum, 0.0f, 1.0f);
            }
        }
    });
    return out;
}

}  // namespace glint
