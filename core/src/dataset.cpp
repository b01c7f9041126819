// Dataset loading: camera files, test split, image checks, and images on demand.
#include "glint/core/dataset.h"

#include <stb_image.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>

#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/core/npy.h"
#include "glint/core/text.h"

namespace glint {
namespace {

namespace fs = std::filesystem;

Camera downscaled(const Camera& c, int factor) {
    if (factor == 1) return c;
    Camera d = c;
    const auto f = static_cast<float>(factor);
    d.width = c.width / factor;
    d.height = c.height / factor;
    // Box filtering maps pixel centres x -> x / f exactly.
    d.fx = c.fx / f;
    d.fy = c.fy / f;
    d.cx = c.cx / f;
    d.cy = c.cy / f;
    return d;
}

std::vector<DatasetView> make_views(const CameraSet& set, const fs::path& image_base, int downscale) {
    std::vector<DatasetView> views;
    for (std::size_t i = 0; i < set.cameras.size(); ++i) {
        DatasetView v;
        v.name = set.names[i];
        v.image = find_image(image_base, set.names[i]);
        v.camera = set.cameras[i];
        v.time = set.times.empty() ? 0.0f : set.times[i];
        if (!fs::exists(v.image))
            throw InputError(
                cat(v.image.string(), ": no such image (named by ", set.model_folder.string(), ")"));
        const ImageSize size = read_image_size(v.image);
        if (size.width != v.camera.width || size.height != v.camera.height)
            throw InputError(cat(v.image.string(), ": the image is ", size.width, "x", size.height,
                                 " but its camera in ", set.model_folder.string(), " is ", v.camera.width,
                                 "x", v.camera.height));
        if (v.camera.width / downscale < 1 || v.camera.height / downscale < 1)
            throw InputError(cat(v.image.string(), ": ", v.camera.width, "x", v.camera.height,
                                 " is too small for --downscale ", downscale));
        v.camera = downscaled(v.camera, downscale);
        // The mask: the camera file's, or masks/NAME (or NAME.png, COLMAP's convention) beside the images.
        if (i < set.masks.size() && !set.masks[i].empty()) {
            v.mask = set.masks[i];
        } else {
            const fs::path masks =
                v.image.parent_path().parent_path() / "masks";  // beside the images' folder
            const fs::path file = fs::path(set.names[i]).filename();
            for (const fs::path& candidate : {masks / file, masks / (file.string() + ".png")})
                if (v.mask.empty() && fs::is_regular_file(candidate)) v.mask = candidate;
        }
        if (!v.mask.empty()) {
            if (!fs::exists(v.mask))
                throw InputError(cat(v.mask.string(), ": no such mask (for ", v.image.string(), ")"));
            const ImageSize mask_size = read_image_size(v.mask);
            if (mask_size.width != size.width || mask_size.height != size.height)
                throw InputError(cat(v.mask.string(), ": the mask is ", mask_size.width, "x",
                                     mask_size.height, " but its image ", v.image.string(), " is ",
                                     size.width, "x", size.height));
        }
        if (i < set.lenses.size() && !set.lenses[i].none()) {
            v.lens = set.lenses[i];
            v.distorted_camera = v.camera;
            try {
                v.camera = undistorted_camera(v.distorted_camera, v.lens);
            } catch (const InputError& e) {
                throw InputError(
                    cat(set.model_folder.string(), ": camera of ", set.names[i], ": ", e.what()));
            }
        }
        views.push_back(std::move(v));
    }
    return views;
}

// A mask file as weights in [0, 1] (its alpha when it has one, else its first channel), box-filtered by
// `factor` to width x height.
std::vector<float> load_mask(const fs::path& path, int factor, int width, int height) {
    int w = 0, h = 0, channels = 0;
    stbi_uc* data = stbi_load(path.c_str(), &w, &h, &channels, 0);
    if (data == nullptr)
        throw InputError(cat(path.string(), ": not a readable mask image (", stbi_failure_reason(), ")"));
    const std::unique_ptr<stbi_uc, void (*)(void*)> owned(data, stbi_image_free);
    if (w / factor != width || h / factor != height)
        throw InputError(cat(path.string(), ": the mask is ", w, "x", h, ", not its image's ", width * factor,
                             "x", height * factor));
    const int channel = channels == 2 || channels == 4 ? channels - 1 : 0;
    std::vector<float> mask(static_cast<std::size_t>(width) * static_cast<std::size_t>(height), 0.0f);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            float sum = 0.0f;
            for (int dy = 0; dy < factor; ++dy)
                for (int dx = 0; dx < factor; ++dx)
                    sum += data[(static_cast<std::size_t>(y * factor + dy) * static_cast<std::size_t>(w) +
                                 static_cast<std::size_t>(x * factor + dx)) *
                                    static_cast<std::size_t>(channels) +
                                static_cast<std::size_t>(channel)] /
                           255.0f;
            mask[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                 static_cast<std::size_t>(x)] = sum / static_cast<float>(factor * factor);
        }
    return mask;
}

// Numbers the physical cameras: views with the same pose and intrinsics share one (a multi-view video's
// frames), in order of first appearance.
void number_cameras(std::vector<DatasetView>& views) {
    std::map<std::vector<float>, std::size_t> ids;
    for (DatasetView& v : views) {
        const Camera& c = v.camera;
        std::vector<float> key{c.fx, c.fy, c.cx, c.cy, c.translation.x, c.translation.y, c.translation.z};
        for (int i = 0; i < 3; ++i)
            for (int j = 0; j < 3; ++j) key.push_back(c.rotation[i][j]);
        v.camera_id = ids.emplace(std::move(key), ids.size()).first->second;
    }
}

// Every `every`-th view is held out, counting from the first; when the views carry several times (a
// multi-view video), every `every`-th camera instead, with all of its frames, so that test views are
// seen from cameras training never used (a monocular video, one camera per frame, splits by frame).
void split_every(std::vector<DatasetView> all, int every, std::vector<DatasetView>& train,
                 std::vector<DatasetView>& test) {
    number_cameras(all);
    std::set<float> times;
    for (const DatasetView& v : all) times.insert(v.time);
    for (std::size_t i = 0; i < all.size(); ++i) {
        const std::size_t index = times.size() > 1 ? all[i].camera_id : i;
        (every > 0 && index % static_cast<std::size_t>(every) == 0 ? test : train)
            .push_back(std::move(all[i]));
    }
}

// A number of a Panoptic meta file's JSON, checked finite.
double json_number(const nlohmann::json& value, const std::string& where, const std::string& file) {
    if (!value.is_number()) throw InputError(cat(file, ": ", where, " is not a number"));
    const double v = value.get<double>();
    if (!std::isfinite(v)) throw InputError(cat(file, ": ", where, " is not finite"));
    return v;
}

// The Dynamic 3D Gaussians / CMU Panoptic layout's train_meta.json or test_meta.json: image size w, h and
// per time step t and camera c the intrinsics k[t][c] (3x3), the OpenCV world-to-camera pose w2c[t][c]
// (4x4), the image fn[t][c] under ims/ and cam_id[t][c]. Time t of T is t / (T - 1).
CameraSet load_panoptic_meta(const fs::path& path) {
    const std::string file = path.string();
    nlohmann::json meta;
    try {
        std::ifstream in(path);
        if (!in) throw InputError(cat(file, ": cannot open"));
        meta = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw InputError(cat(file, ": not valid JSON: ", e.what()));
    }
    for (const char* key : {"w", "h", "k", "w2c", "fn"})
        if (!meta.contains(key)) throw InputError(cat(file, ": no \"", key, "\""));
    const int width = static_cast<int>(json_number(meta["w"], "w", file)),
              height = static_cast<int>(json_number(meta["h"], "h", file));
    if (width < 1 || height < 1) throw InputError(cat(file, ": image size ", width, "x", height));
    const nlohmann::json &k = meta["k"], &w2c = meta["w2c"], &fn = meta["fn"];
    if (!k.is_array() || !w2c.is_array() || !fn.is_array() || k.size() != fn.size() ||
        w2c.size() != fn.size() || fn.empty())
        throw InputError(cat(file, ": k, w2c and fn must be lists over the same time steps"));
    CameraSet set;
    set.model_folder = path;
    const std::size_t steps = fn.size();
    for (std::size_t t = 0; t < steps; ++t) {
        if (!fn[t].is_array() || !k[t].is_array() || !w2c[t].is_array() || k[t].size() != fn[t].size() ||
            w2c[t].size() != fn[t].size())
            throw InputError(cat(file, ": time step ", t, ": k, w2c and fn list different cameras"));
        for (std::size_t c = 0; c < fn[t].size(); ++c) {
            const std::string where = cat("[", t, "][", c, "]");
            const nlohmann::json &kk = k[t][c], &pose = w2c[t][c];
            if (!kk.is_array() || kk.size() != 3 || !pose.is_array() || pose.size() != 4)
                throw InputError(cat(file, ": k", where, " must be 3x3 and w2c", where, " 4x4"));
            Camera camera;
            camera.width = width;
            camera.height = height;
            double intrinsics[3][3], m[4][4];
            for (int i = 0; i < 3; ++i) {
                if (!kk[i].is_array() || kk[i].size() != 3)
                    throw InputError(cat(file, ": k", where, " must be 3x3"));
                for (int j = 0; j < 3; ++j) intrinsics[i][j] = json_number(kk[i][j], cat("k", where), file);
            }
            for (int i = 0; i < 4; ++i) {
                if (!pose[i].is_array() || pose[i].size() != 4)
                    throw InputError(cat(file, ": w2c", where, " must be 4x4"));
                for (int j = 0; j < 4; ++j) m[i][j] = json_number(pose[i][j], cat("w2c", where), file);
            }
            camera.fx = static_cast<float>(intrinsics[0][0]);
            camera.fy = static_cast<float>(intrinsics[1][1]);
            camera.cx = static_cast<float>(intrinsics[0][2]);
            camera.cy = static_cast<float>(intrinsics[1][2]);
            if (!(camera.fx > 0) || !(camera.fy > 0))
                throw InputError(cat(file, ": k", where, " has a focal length that is not positive"));
            for (int i = 0; i < 3; ++i) {
                for (int j = 0; j < 3; ++j)
                    camera.rotation[j][i] = static_cast<float>(m[i][j]);  // column-major
                camera.translation[i] = static_cast<float>(m[i][3]);
            }
            if (!fn[t][c].is_string()) throw InputError(cat(file, ": fn", where, " is not a file name"));
            set.cameras.push_back(camera);
            set.names.push_back(fn[t][c].get<std::string>());
            set.models.push_back("PINHOLE");
            set.lenses.emplace_back();
            set.times.push_back(steps > 1 ? static_cast<float>(t) / static_cast<float>(steps - 1) : 0.0f);
        }
    }
    return set;
}

// Dynamic 3D Gaussians' init_pt_cld.npz: "data" [N, 7 or more], x y z r g b (colour in [0, 1]), then the
// segmentation label.
PointCloud read_panoptic_points(const fs::path& path) {
    const std::map<std::string, NpyArray> arrays = read_npz(path);
    const auto data = arrays.find("data");
    if (data == arrays.end()) throw InputError(cat(path.string(), ": no \"data\" array"));
    const NpyArray& a = data->second;
    if (a.shape.size() != 2 || a.shape[1] < 6)
        throw InputError(cat(path.string(), ": \"data\" must be N x 7 (x y z r g b segmentation)"));
    PointCloud points;
    const std::size_t n = a.shape[0], stride = a.shape[1];
    for (std::size_t i = 0; i < n; ++i)
        for (int k = 0; k < 3; ++k) {
            points.positions.push_back(static_cast<float>(a.data[stride * i + static_cast<std::size_t>(k)]));
            points.colors.push_back(std::clamp(
                static_cast<float>(a.data[stride * i + 3 + static_cast<std::size_t>(k)]), 0.0f, 1.0f));
        }
    return points;
}

}  // namespace

Dataset load_dataset(const fs::path& path, const DatasetOptions& options) {
    if (options.downscale < 1 || options.downscale > 64)
        throw InputError(cat("downscale factor ", options.downscale, " is not in [1, 64]"));
    if (!fs::exists(path)) throw InputError(cat(path.string(), ": no such file or folder"));
    Dataset d;
    d.root = fs::is_directory(path) ? path : path.parent_path();
    d.options = options;
    const bool folder = fs::is_directory(path);
    const bool split_files =
        folder && fs::exists(path / "transforms_train.json") && fs::exists(path / "transforms_test.json");
    const bool transforms = !folder || split_files || fs::exists(path / "transforms.json");
    bool colmap = false;
    if (folder)
        for (const fs::path& model : {path / "sparse" / "0", path / "sparse", path})
            colmap = colmap || fs::exists(model / "cameras.bin") || fs::exists(model / "cameras.txt");

    // transforms.json first: folders holding both (nerfstudio's, glint synth's) describe the same cameras
    // in both, and only transforms.json carries frame times and the point file.
    const bool panoptic = folder && fs::exists(path / "train_meta.json");
    if (panoptic) {
        // Dynamic 3D Gaussians / CMU Panoptic: the test cameras are the ones test_meta.json lists.
        d.kind = "Panoptic (Dynamic 3D Gaussians)";
        d.train = make_views(load_panoptic_meta(path / "train_meta.json"), path / "ims", options.downscale);
        if (fs::exists(path / "test_meta.json"))
            d.test = make_views(load_panoptic_meta(path / "test_meta.json"), path / "ims", options.downscale);
        number_cameras(d.train);
        number_cameras(d.test);
        if (fs::exists(path / "init_pt_cld.npz")) d.points = read_panoptic_points(path / "init_pt_cld.npz");
    } else if (split_files) {
        d.kind = "transforms.json";
        const CameraSet train = load_cameras(path / "transforms_train.json", Distortion::Keep);
        const CameraSet test = load_cameras(path / "transforms_test.json", Distortion::Keep);
        d.train = make_views(train, path, options.downscale);
        d.test = make_views(test, path, options.downscale);
        number_cameras(d.train);
        number_cameras(d.test);
        d.aabb_scale = train.aabb_scale;
        if (!train.points_file.empty()) d.points = read_point_ply(train.points_file);
    } else if (transforms) {
        const fs::path file = folder ? path / "transforms.json" : path;
        d.kind = "transforms.json";
        const CameraSet set = load_cameras(file, Distortion::Keep);
        split_every(make_views(set, file.parent_path(), options.downscale), options.test_every, d.train,
                    d.test);
        d.aabb_scale = set.aabb_scale;
        if (!set.points_file.empty()) d.points = read_point_ply(set.points_file);
    } else if (colmap) {
        const CameraSet set = load_cameras(path, Distortion::Keep);
        d.kind = fs::exists(set.model_folder / "cameras.bin") ? "COLMAP (binary)" : "COLMAP (text)";
        const fs::path images = path / (options.images_folder.empty() ? "images" : options.images_folder);
        if (!fs::is_directory(images))
            throw InputError(cat(images.string(), ": no images folder beside the COLMAP model"));
        split_every(make_views(set, images, options.downscale), options.test_every, d.train, d.test);
        d.points = load_colmap_points(set.model_folder);
    } else {
        throw InputError(cat(path.string(),
                             ": no COLMAP model (sparse/0), transforms.json, "
                             "transforms_train.json with transforms_test.json, or train_meta.json"));
    }
    const std::size_t views = d.train.size() + d.test.size();
    if (views < 2)
        throw InputError(cat(path.string(), ": the dataset has ", views, " view", views == 1 ? "" : "s",
                             "; training needs at least two"));
    if (d.train.empty())
        throw InputError(cat(path.string(), ": every view is a test view; none is left to train on"));

    for (const std::vector<DatasetView>* split : {&d.train, &d.test})
        for (const DatasetView& v : *split) d.masked_views += v.mask.empty() ? 0 : 1;

    // Lens distortion: which model, on how many views, and the focal scale of the pinhole cameras.
    std::size_t distorted = 0;
    const DatasetView* example = nullptr;
    for (const std::vector<DatasetView>* split : {&d.train, &d.test})
        for (const DatasetView& v : *split)
            if (!v.lens.none()) {
                ++distorted;
                if (example == nullptr) example = &v;
            }
    if (example != nullptr)
        d.distortion = cat(example->lens.describe(), " on ", distorted, " of ", views,
                           " views: undistorted at load onto pinhole cameras (focal length x",
                           example->camera.fx / example->distorted_camera.fx, ")");

    // Camera extent (reference 3DGS getNerfppNorm), over the training cameras.
    glm::vec3 sum(0.0f);
    for (const DatasetView& v : d.train) sum += v.camera.position();
    d.camera_centre = sum / static_cast<float>(d.train.size());
    float largest = 0.0f;
    for (const DatasetView& v : d.train)
        largest = std::max(largest, glm::length(v.camera.position() - d.camera_centre));
    d.camera_extent = 1.1f * std::max(largest, 1e-6f);
    // sum (I - a a^T) p = sum (I - a a^T) c over the optical axes a through the camera centres c.
    glm::dmat3 lhs(0.0);
    glm::dvec3 rhs(0.0);
    for (const DatasetView& v : d.train) {
        const glm::dvec3 axis =
            glm::normalize(glm::dvec3(glm::transpose(v.camera.rotation) * glm::vec3(0, 0, 1)));
        const glm::dmat3 project = glm::dmat3(1.0) - glm::outerProduct(axis, axis);
        lhs += project;
        rhs += project * glm::dvec3(v.camera.position());
    }
    d.look_at_centre = d.camera_centre;
    if (std::abs(glm::determinant(lhs)) > 1e-6 * static_cast<double>(d.train.size()))
        d.look_at_centre = glm::vec3(glm::inverse(lhs) * rhs);
    std::size_t facing = 0;
    for (const DatasetView& v : d.train) {
        const glm::vec3 to_centre = v.camera.rotation * (d.look_at_centre - v.camera.position());
        const float distance = glm::length(to_centre);
        if (distance > 1e-6f && to_centre.z > std::cos(glm::radians(30.0f)) * distance) ++facing;
    }
    d.surrounds_centre = 4 * facing >= 3 * d.train.size();
    return d;
}

ImageRgb Dataset::load_image(const DatasetView& view) const {
    int width = 0, height = 0, channels = 0;
    stbi_uc* data = stbi_load(view.image.c_str(), &width, &height, &channels, 0);
    if (data == nullptr)
        throw InputError(cat(view.image.string(), ": not a readable image (", stbi_failure_reason(), ")"));
    const std::unique_ptr<stbi_uc, void (*)(void*)> owned(data, stbi_image_free);
    const int factor = options.downscale;
    if (width / factor != view.camera.width || height / factor != view.camera.height)
        throw InputError(cat(view.image.string(), ": the image is ", width, "x", height, ", not the ",
                             view.camera.width * factor, "x", view.camera.height * factor, " of its camera"));
    const std::array<float, 3> background = options.background;
    const bool has_alpha = channels == 2 || channels == 4;
    ImageRgb image;
    image.width = view.camera.width;
    image.height = view.camera.height;
    image.rgb.assign(static_cast<std::size_t>(image.width) * image.height * 3, 0.0f);
    if (has_alpha) image.alpha.assign(static_cast<std::size_t>(image.width) * image.height, 0.0f);
    const float weight = 1.0f / static_cast<float>(factor * factor);
    for (int y = 0; y < image.height; ++y)
        for (int x = 0; x < image.width; ++x) {
            float rgb[3] = {0, 0, 0}, alpha = 0;
            for (int dy = 0; dy < factor; ++dy)
                for (int dx = 0; dx < factor; ++dx) {
                    const stbi_uc* p =
                        data + (static_cast<std::size_t>(y * factor + dy) * width + (x * factor + dx)) *
                                   static_cast<std::size_t>(channels);
                    const float a = has_alpha ? p[channels - 1] / 255.0f : 1.0f;
                    for (int k = 0; k < 3; ++k) {
                        const float c = (channels < 3 ? p[0] : p[k]) / 255.0f;
                        rgb[k] += c * a + background[static_cast<std::size_t>(k)] * (1.0f - a);
                    }
                    alpha += a;
                }
            const std::size_t o = static_cast<std::size_t>(y) * image.width + x;
            for (int k = 0; k < 3; ++k) image.rgb[3 * o + k] = rgb[k] * weight;
            if (has_alpha) image.alpha[o] = alpha * weight;
        }
    if (!view.mask.empty()) image.mask = load_mask(view.mask, factor, image.width, image.height);
    if (!view.lens.none()) {
        image.rgb = undistort_image(image.rgb, 3, view.distorted_camera, view.lens, view.camera);
        if (!image.mask.empty())
            image.mask = undistort_image(image.mask, 1, view.distorted_camera, view.lens, view.camera);
        if (has_alpha)
            image.alpha = undistort_image(image.alpha, 1, view.distorted_camera, view.lens, view.camera);
    }
    return image;
}

}  // namespace glint
