// `glint synth` datasets: camera rig, per-frame posing, rendering, points, and the camera files.
#include "glint/synth/synth.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "glint/core/camera_io.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/text.h"
#include "glint/synth/mesh_renderer.h"

namespace glint::synth {
namespace {

namespace fs = std::filesystem;

constexpr float kPi = 3.14159265358979f;

int find_animation(const Model& model, const std::string& wanted, const fs::path& path) {
    if (model.animations.empty())
        throw InputError(cat(path.string(), ": --frames needs an animation; the model has none"));
    if (wanted.empty()) return 0;
    for (std::size_t i = 0; i < model.animations.size(); ++i)
        if (model.animations[i].name == wanted) return static_cast<int>(i);
    if (wanted.find_first_not_of("0123456789") == std::string::npos && wanted.size() < 6) {
        const int index = std::stoi(wanted);
        if (index < static_cast<int>(model.animations.size())) return index;
    }
    std::vector<std::string> names;
    for (const Animation& a : model.animations) names.push_back("'" + a.name + "'");
    throw InputError(
        cat(path.string(), ": no animation '", wanted, "' (the model has ", join(names, ", "), ")"));
}

}  // namespace

namespace {

// The pinhole camera to render a lens's view from: the same focal length and pose, the canvas grown to
// hold every undistorted point the distorted image sees (sampled over the image), capped at 3x.
Camera pinhole_canvas(const Camera& c, const LensDistortion& lens) {
    double lo_x = 1e30, hi_x = -1e30, lo_y = 1e30, hi_y = -1e30;
    const int steps = 48;
    for (int j = 0; j <= steps; ++j)
        for (int i = 0; i <= steps; ++i) {
            const double px = c.width * static_cast<double>(i) / steps,
                         py = c.height * static_cast<double>(j) / steps;
            glm::dvec2 u;
            if (!undistort(lens, {(px - c.cx) / c.fx, (py - c.cy) / c.fy}, u))
                throw InputError(cat(lens.describe(), ": the distortion cannot be inverted at pixel (", px,
                                     ", ", py, ") of a ", c.width, "x", c.height, " image"));
            lo_x = std::min(lo_x, u.x), hi_x = std::max(hi_x, u.x);
            lo_y = std::min(lo_y, u.y), hi_y = std::max(hi_y, u.y);
        }
    Camera canvas = c;
    const double margin = 2.0;  // pixels beyond the extremes, for the bilinear lookups
    const double left = std::max(-lo_x * c.fx, 0.0) + margin, right = std::max(hi_x * c.fx, 0.0) + margin;
    const double top = std::max(-lo_y * c.fy, 0.0) + margin, bottom = std::max(hi_y * c.fy, 0.0) + margin;
    canvas.width = static_cast<int>(std::ceil(left + right));
    canvas.height = static_cast<int>(std::ceil(top + bottom));
    if (canvas.width > 3 * c.width || canvas.height > 3 * c.height)
        throw InputError(cat(lens.describe(), ": the lens sees more than 3 times the image's pinhole field"));
    canvas.cx = static_cast<float>(left);
    canvas.cy = static_cast<float>(top);
    return canvas;
}

// The view through the lens, as a camera integrates it: each distorted pixel averages `samples` x
// `samples` points over its area, each looked up (bilinear, on premultiplied colour) in a pinhole
// render of `canvas` made at `samples` times the resolution.
MeshImage through_lens(const MeshImage& pinhole, const Camera& canvas, const Camera& c,
                       const LensDistortion& lens, int samples) {
    MeshImage out;
    out.width = c.width;
    out.height = c.height;
    out.rgba.assign(static_cast<std::size_t>(c.width) * c.height * 4, 0);
    out.depth.assign(static_cast<std::size_t>(c.width) * c.height, 0.0f);
    const double scale = samples;
    for (int y = 0; y < c.height; ++y)
        for (int x = 0; x < c.width; ++x) {
            double acc[4] = {0, 0, 0, 0};
            for (int j = 0; j < samples; ++j)
                for (int i = 0; i < samples; ++i) {
                    const double px = x + (i + 0.5) / samples, py = y + (j + 0.5) / samples;
                    glm::dvec2 u;
                    if (!undistort(lens, {(px - c.cx) / c.fx, (py - c.cy) / c.fy}, u)) continue;
                    const double sx = u.x * canvas.fx * scale + canvas.cx * scale - 0.5;
                    const double sy = u.y * canvas.fy * scale + canvas.cy * scale - 0.5;
                    const int x0 = static_cast<int>(std::floor(sx)), y0 = static_cast<int>(std::floor(sy));
                    const double ax = sx - x0, ay = sy - y0;
                    for (int k = 0; k < 4; ++k) {
                        const int xi = std::clamp(x0 + (k & 1), 0, pinhole.width - 1);
                        const int yi = std::clamp(y0 + (k >> 1), 0, pinhole.height - 1);
                        const double w = ((k & 1) ? ax : 1 - ax) * ((k >> 1) ? ay : 1 - ay);
                        const std::uint8_t* p =
                            &pinhole.rgba[(static_cast<std::size_t>(yi) * pinhole.width + xi) * 4];
                        const double a = p[3] / 255.0;
                        for (int ch = 0; ch < 3; ++ch) acc[ch] += w * a * p[ch];
                        acc[3] += w * a;
                    }
                }
            const double n = static_cast<double>(samples) * samples;
            std::uint8_t* q = &out.rgba[(static_cast<std::size_t>(y) * c.width + x) * 4];
            for (int ch = 0; ch < 3; ++ch)
                q[ch] = static_cast<std::uint8_t>(
                    std::clamp(acc[3] > 0 ? acc[ch] / acc[3] : 0.0, 0.0, 255.0) + 0.5);
            q[3] = static_cast<std::uint8_t>(std::clamp(acc[3] / n * 255.0 + 0.5, 0.0, 255.0));
        }
    return out;
}

}  // namespace

std::vector<glm::vec3> view_directions(int count, bool hemisphere, glm::vec3 up) {
    up = glm::normalize(up);
    // A basis with `up` as its second axis.
    const glm::vec3 helper = std::abs(up.x) < 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 0, 1);
    const glm::vec3 side = glm::normalize(glm::cross(helper, up));
    const glm::vec3 front = glm::cross(side, up);
    const float golden = kPi * (3.0f - std::sqrt(5.0f));
    std::vector<glm::vec3> out;
    for (int i = 0; i < count; ++i) {
        const float s = (static_cast<float>(i) + 0.5f) / static_cast<float>(count);
        const float h = hemisphere ? 1.0f - s : 1.0f - 2.0f * s;  // height along up, never exactly +-1
        const float r = std::sqrt(std::max(0.0f, 1.0f - h * h));
        const float phi = golden * static_cast<float>(i);
        out.push_back(r * std::cos(phi) * side + h * up + r * std::sin(phi) * front);
    }
    return out;
}

std::vector<Camera> orbit_cameras(const Bounds& bounds, const std::vector<glm::vec3>& directions,
                                  const SynthOptions& options, float& distance) {
    const int width = options.width, height = options.height > 0 ? options.height : options.width;
    const float half_x = 0.5f * options.fov_x_degrees * kPi / 180.0f;
    const float half_y = std::atan(std::tan(half_x) * static_cast<float>(height) / static_cast<float>(width));
    distance = options.distance > 0 ? options.distance
                                    : std::max(bounds.radius(), 1e-6f) / std::sin(std::min(half_x, half_y));
    std::vector<Camera> cameras;
    for (const glm::vec3& d : directions) {
        // Up in the image is the model's up, except straight above or below, where no roll is preferred.
        const glm::vec3 up = std::abs(d.y) > 0.999f ? glm::vec3(0, 0, -1) : glm::vec3(0, 1, 0);
        cameras.push_back(Camera::look_at(bounds.centre() + distance * d, bounds.centre(), up,
                                          2.0f * half_y * 180.0f / kPi, width, height));
    }
    return cameras;
}

SynthReport synthesize(const fs::path& model_path, const fs::path& output, const SynthOptions& options,
                       const std::function<void(int, int)>& progress) {
    if (options.views < 2)
        throw InputError(cat("--views ", options.views, ": a dataset needs at least 2 views"));
    if (options.width < 8 || options.width > 8192 || options.height < 0 || options.height > 8192 ||
        (options.height > 0 && options.height < 8))
        throw InputError("image size: width and height are in [8, 8192]");
    if (!(options.fov_x_degrees > 1.0f && options.fov_x_degrees < 170.0f))
        throw InputError(cat("--fov ", options.fov_x_degrees, ": the field of view is in (1, 170) degrees"));
    if (options.frames < 1 || options.frames > 10000)
        throw InputError(cat("--frames ", options.frames, ": not in [1, 10000]"));
    if (options.supersample < 1 || options.supersample > 16)
        throw InputError(cat("--supersample ", options.supersample, ": not in [1, 16]"));
    if (options.points < 0) throw InputError("--points: not negative");
    if (!(options.distance >= 0.0f)) throw InputError("--distance: not negative");
    if (fs::exists(output) && !fs::is_directory(output))
        throw InputError(cat(output.string(), ": exists and is not a folder"));
    if (fs::exists(output / "transforms.json") && !options.overwrite)
        throw InputError(cat(output.string(),
                             ": already holds a dataset (transforms.json); pass --overwrite to replace it"));

    const Model model = load_gltf(model_path);
    SynthReport report;
    report.warnings = model.warnings;
    report.triangles = model.triangle_count();
    const int animation = options.frames > 1 ? find_animation(model, options.animation, model_path) : -1;
    std::vector<float> seconds(static_cast<std::size_t>(options.frames), 0.0f);
    if (animation >= 0) {
        const Animation& a = model.animations[static_cast<std::size_t>(animation)];
        report.animation = a.name;
        for (int f = 0; f < options.frames; ++f)
            seconds[static_cast<std::size_t>(f)] =
                a.start + (a.end - a.start) * static_cast<float>(f) / static_cast<float>(options.frames - 1);
    }
    // One camera rig for every frame: the bounds of the whole animation.
    std::vector<std::vector<PosedPrimitive>> poses;
    Bounds bounds{glm::vec3(INFINITY), glm::vec3(-INFINITY)};
    for (float s : seconds) {
        poses.push_back(model.pose(animation, s));
        const Bounds b = bounds_of(poses.back());
        bounds.min = glm::min(bounds.min, b.min);
        bounds.max = glm::max(bounds.max, b.max);
    }
    for (const std::vector<PosedPrimitive>& posed : poses)
        bounds.sphere = std::max(bounds.sphere, farthest_from(posed, bounds.centre()));
    if (!std::isfinite(bounds.radius()) || bounds.radius() <= 0.0f)
        throw InputError(cat(model_path.string(), ": the model has no extent (all vertices at one point)"));
    report.bounds = bounds;

    const std::vector<Camera> rig =
        orbit_cameras(bounds, view_directions(options.views, options.hemisphere), options, report.distance);
    MeshRenderOptions render;
    render.supersample = options.supersample;
    render.lighting.enabled = options.lighting;
    render.near = std::max(1e-6f, 1e-3f * bounds.radius());

    std::error_code error;
    fs::create_directories(output / "images", error);
    if (error)
        throw Error(cat((output / "images").string(), ": cannot create the folder: ", error.message()));
    // Replacing a dataset: the images of the previous one (glint synth's names only) go first, so that a
    // run with fewer views or frames leaves none behind.
    if (options.overwrite)
        for (const fs::directory_entry& entry : fs::directory_iterator(output / "images")) {
            const std::string name = entry.path().filename().string();
            if (entry.is_regular_file() && name.starts_with("r_") && name.ends_with(".png"))
                fs::remove(entry.path());
        }

    CameraSet all, first_frame;
    PointCloud points;
    std::mt19937 random(options.seed);
    const int total = options.views * options.frames;
    const int digits = options.views > 1000 ? 4 : 3;
    const auto number = [](int value, int width) {
        std::string s = std::to_string(value);
        return std::string(static_cast<std::size_t>(std::max(0, width - static_cast<int>(s.size()))), '0') +
               s;
    };
    for (int f = 0; f < options.frames; ++f) {
        for (int v = 0; v < options.views; ++v) {
            const Camera& camera = rig[static_cast<std::size_t>(v)];
            // Through a lens: a pinhole render over the lens's field, warped; points come from the render.
            const Camera canvas = options.lens.none() ? camera : pinhole_canvas(camera, options.lens);
            const MeshImage pinhole = render_mesh(model, poses[static_cast<std::size_t>(f)], canvas, render);
            // The lens's image integrates its pixels from a render at the supersampling resolution.
            const int samples = std::max(1, options.supersample);
            MeshRenderOptions fine = render;
            fine.supersample = 1;
            const MeshImage image =
                options.lens.none()
                    ? pinhole
                    : through_lens(
                          render_mesh(model, poses[static_cast<std::size_t>(f)],
                                      canvas.resized(canvas.width * samples, canvas.height * samples), fine),
                          canvas, camera, options.lens, samples);
            std::string name = "r_" + number(v, digits);
            if (options.frames > 1) name += "_f" + number(f, options.frames > 1000 ? 4 : 3);
            name += ".png";
            write_png(output / "images" / name, image.width, image.height, 4, image.rgba);
            all.cameras.push_back(camera);
            all.names.push_back("images/" + name);
            all.lenses.push_back(options.lens);
            if (options.frames > 1)
                all.times.push_back(static_cast<float>(f) / static_cast<float>(options.frames - 1));
            if (f == 0) {
                first_frame.cameras.push_back(camera);
                first_frame.names.push_back(name);
                first_frame.lenses.push_back(options.lens);
                // Points on the surfaces this view sees (fully covered pixels), for initialisation.
                const int quota =
                    options.points / options.views + (v < options.points % options.views ? 1 : 0);
                std::vector<std::size_t> solid;
                for (std::size_t o = 0; o < pinhole.depth.size(); ++o)
                    if (pinhole.rgba[4 * o + 3] == 255 && pinhole.depth[o] > 0) solid.push_back(o);
                for (int k = 0; k < quota && !solid.empty(); ++k) {
                    const std::size_t o =
                        solid[std::uniform_int_distribution<std::size_t>(0, solid.size() - 1)(random)];
                    const float x = static_cast<float>(o % static_cast<std::size_t>(pinhole.width)) + 0.5f;
                    const float y = static_cast<float>(o / static_cast<std::size_t>(pinhole.width)) + 0.5f;
                    const float z = pinhole.depth[o];
                    const glm::vec3 cam((x - canvas.cx) / canvas.fx * z, (y - canvas.cy) / canvas.fy * z, z);
                    const glm::vec3 world = glm::transpose(canvas.rotation) * (cam - canvas.translation);
                    for (int c = 0; c < 3; ++c) {
                        points.positions.push_back(world[c]);
                        points.colors.push_back(pinhole.rgba[4 * o + static_cast<std::size_t>(c)] / 255.0f);
                    }
                }
            }
            ++report.images;
            if (progress) progress(report.images, total);
        }
    }
    report.points = points.size();
    write_point_ply(output / "points3D.ply", points);
    write_colmap_text(output / "sparse" / "0", first_frame, points);
    write_transforms(output / "transforms.json", all, "points3D.ply");
    return report;
}

}  // namespace glint::synth
