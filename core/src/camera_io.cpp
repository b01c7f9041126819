// transforms.json and COLMAP camera readers, COLMAP and PLY point clouds (the writers: camera_writers.cpp).
#include "glint/core/camera_io.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <numeric>
#include <optional>
#include <sstream>

#include <glm/gtc/quaternion.hpp>
#include <nlohmann/json.hpp>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/core/ply_header.h"
#include "glint/core/text.h"

namespace glint {
namespace {

namespace fs = std::filesystem;

std::vector<char> read_whole(const fs::path& path) {
    if (fs::is_directory(path)) throw InputError(cat(path.string(), ": is a directory, not a file"));
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(path.string(), ": cannot open"));
    return std::vector<char>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool finite(const Camera& c) {
    for (int i = 0; i < 3; ++i) {
        for (int j = 0; j < 3; ++j)
            if (!std::isfinite(c.rotation[i][j])) return false;
        if (!std::isfinite(c.translation[i])) return false;
    }
    return std::isfinite(c.fx) && std::isfinite(c.fy) && std::isfinite(c.cx) && std::isfinite(c.cy) &&
           c.fx > 0 && c.fy > 0;
}

// ---- transforms.json ----------------------------------------------------------------------------

// One transforms.json being read: keys given per frame or once for all, errors naming the file.
class TransformsFile {
public:
    TransformsFile(const fs::path& path, const nlohmann::json& root) : m_path(path), m_root(root) {}

    [[noreturn]] void fail(const std::string& problem) const {
        throw InputError(cat(m_path.string(), ": ", problem));
    }

    // The frame's value of `key`, else the file's, else none.
    std::optional<double> number(const nlohmann::json& frame, const char* key) const {
        const nlohmann::json* source =
            frame.contains(key) ? &frame[key] : (m_root.contains(key) ? &m_root[key] : nullptr);
        if (source == nullptr) return std::nullopt;
        if (!source->is_number()) fail(cat("'", key, "' is not a number"));
        return source->get<double>();
    }

    // The frame's pinhole camera (pose, size, focal lengths, centre); `name` is its image's.
    Camera camera(const nlohmann::json& frame, const std::string& where, const std::string& name) const {
        if (!frame.contains("transform_matrix")) fail(where + ": no transform_matrix");
        const nlohmann::json& m = frame["transform_matrix"];
        if (!m.is_array() || m.size() < 3) fail(where + ": transform_matrix is not a 4x4 matrix");
        double c2w[3][4];
        for (int r = 0; r < 3; ++r) {
            if (!m[r].is_array() || m[r].size() != 4) fail(where + ": transform_matrix is not a 4x4 matrix");
            for (int c = 0; c < 4; ++c) {
                if (!m[r][c].is_number()) fail(where + ": transform_matrix holds a non-number");
                c2w[r][c] = m[r][c].get<double>();
            }
        }
        Camera camera;
        std::optional<double> w = number(frame, "w"), h = number(frame, "h");
        if (!w || !h) {
            // The size is the image's: look at the file (paths often omit the extension).
            const fs::path image = find_image(m_path.parent_path(), name);
            if (!fs::exists(image))
                fail(cat(where, ": no 'w'/'h' and the image '", name, "' was not found to read its size"));
            const ImageSize size = read_image_size(image);
            w = size.width;
            h = size.height;
        }
        camera.width = static_cast<int>(*w);
        camera.height = static_cast<int>(*h);
        if (camera.width <= 0 || camera.height <= 0) fail(where + ": image size is not positive");
        if (auto fl_x = number(frame, "fl_x")) {
            camera.fx = static_cast<float>(*fl_x);
        } else if (auto angle_x = number(frame, "camera_angle_x")) {
            camera.fx = static_cast<float>(0.5 * *w / std::tan(0.5 * *angle_x));
        } else {
            fail(where + ": no focal length (fl_x or camera_angle_x)");
        }
        if (auto fl_y = number(frame, "fl_y"))
            camera.fy = static_cast<float>(*fl_y);
        else if (auto angle_y = number(frame, "camera_angle_y"))
            camera.fy = static_cast<float>(0.5 * *h / std::tan(0.5 * *angle_y));
        else
            camera.fy = camera.fx;
        camera.cx = static_cast<float>(number(frame, "cx").value_or(0.5 * *w));
        camera.cy = static_cast<float>(number(frame, "cy").value_or(0.5 * *h));
        // OpenGL camera-to-world (x right, y up, z back) -> OpenCV world-to-camera: flip y and z axes.
        glm::mat3 rotation_c2w;
        for (int r = 0; r < 3; ++r) {
            rotation_c2w[0][r] = static_cast<float>(c2w[r][0]);
            rotation_c2w[1][r] = static_cast<float>(-c2w[r][1]);
            rotation_c2w[2][r] = static_cast<float>(-c2w[r][2]);
        }
        const glm::vec3 position(c2w[0][3], c2w[1][3], c2w[2][3]);
        camera.rotation = glm::transpose(rotation_c2w);
        camera.translation = -(camera.rotation * position);
        if (!finite(camera)) fail(where + ": the pose or intrinsics are not finite");
        return camera;
    }

    // The frame's lens distortion: instant-ngp's and nerfstudio's keys, per frame or for all.
    LensDistortion lens(const nlohmann::json& frame, const std::string& where) const {
        LensDistortion lens;
        const double k1 = number(frame, "k1").value_or(0), k2 = number(frame, "k2").value_or(0),
                     k3 = number(frame, "k3").value_or(0), k4 = number(frame, "k4").value_or(0),
                     p1 = number(frame, "p1").value_or(0), p2 = number(frame, "p2").value_or(0);
        const nlohmann::json* model_key =
            frame.contains("camera_model")
                ? &frame["camera_model"]
                : (m_root.contains("camera_model") ? &m_root["camera_model"] : nullptr);
        std::string model_name = "OPENCV";
        if (model_key != nullptr) {
            if (!model_key->is_string()) fail(where + ": 'camera_model' is not a string");
            model_name = model_key->get<std::string>();
        }
        if (k1 == 0 && k2 == 0 && k3 == 0 && k4 == 0 && p1 == 0 && p2 == 0 && model_name != "OPENCV_FISHEYE")
            return lens;
        if (model_name == "OPENCV") {
            if (k3 != 0 || k4 != 0) {
                lens.model = LensDistortion::Model::FullOpenCV;  // k3 as OpenCV's sixth-order term
                lens.k3 = k3;
                if (k4 != 0) fail(where + ": k4 with camera_model OPENCV (k4 is a fisheye coefficient)");
            } else {
                lens.model = LensDistortion::Model::OpenCV;
            }
            lens.k1 = k1, lens.k2 = k2, lens.p1 = p1, lens.p2 = p2;
        } else if (model_name == "OPENCV_FISHEYE") {
            if (p1 != 0 || p2 != 0)
                fail(where + ": p1/p2 with camera_model OPENCV_FISHEYE (no tangential terms)");
            lens.model = LensDistortion::Model::OpenCVFisheye;
            lens.k1 = k1, lens.k2 = k2, lens.k3 = k3, lens.k4 = k4;
        } else {
            fail(cat(where, ": camera_model '", printable(model_name),
                     "' with distortion coefficients; glint reads OPENCV and OPENCV_FISHEYE"));
        }
        return lens;
    }

private:
    const fs::path& m_path;
    const nlohmann::json& m_root;
};

CameraSet load_transforms(const fs::path& path, Distortion distortion) {
    const std::vector<char> text = read_whole(path);
    nlohmann::json root;
    try {
        root = nlohmann::json::parse(text.begin(), text.end());
    } catch (const nlohmann::json::exception& e) {  // syntax errors, and numbers too large for a double
        throw InputError(cat(path.string(), ": not valid JSON: ", e.what()));
    }
    const TransformsFile file(path, root);
    if (!root.is_object() || !root.contains("frames") || !root["frames"].is_array())
        file.fail("no 'frames' array (not a transforms.json camera file)");
    if (root["frames"].empty()) file.fail("'frames' is empty");
    CameraSet set;
    int index = 0;
    bool warned_lens = false;
    for (const nlohmann::json& frame : root["frames"]) {
        const std::string where = cat("frame ", index++);
        std::string name = frame.contains("file_path") && frame["file_path"].is_string()
                               ? frame["file_path"].get<std::string>()
                               : where;
        const Camera camera = file.camera(frame, where, name);
        LensDistortion lens = file.lens(frame, where);
        if (lens.model != LensDistortion::Model::None) {
            if (distortion == Distortion::Refuse)
                file.fail(
                    cat(where, ": lens distortion ", lens.describe(), "; glint needs pinhole cameras here"));
            if (distortion == Distortion::Ignore) {
                if (!warned_lens)
                    log::warn(path.string(), ": lens distortion is ignored (pinhole projection)");
                warned_lens = true;
                lens = {};
            }
        }
        set.cameras.push_back(camera);
        set.names.push_back(std::move(name));
        set.models.push_back(lens_model_name(lens.model));
        set.lenses.push_back(lens);
        if (frame.contains("mask_path")) {
            if (!frame["mask_path"].is_string()) file.fail(where + ": 'mask_path' is not a string");
            set.masks.resize(set.cameras.size());
            set.masks.back() = path.parent_path() / frame["mask_path"].get<std::string>();
        }
        if (frame.contains("time")) {
            if (!frame["time"].is_number()) file.fail(where + ": 'time' is not a number");
            set.times.resize(set.cameras.size(), 0.0f);
            set.times.back() = frame["time"].get<float>();
            if (!std::isfinite(set.times.back())) file.fail(where + ": 'time' is not finite");
        }
    }
    if (!set.times.empty()) set.times.resize(set.cameras.size(), 0.0f);
    if (!set.masks.empty()) set.masks.resize(set.cameras.size());
    set.model_folder = path;
    if (root.contains("ply_file_path")) {
        if (!root["ply_file_path"].is_string()) file.fail("'ply_file_path' is not a string");
        set.points_file = path.parent_path() / root["ply_file_path"].get<std::string>();
    }
    if (root.contains("aabb_scale")) {
        if (!root["aabb_scale"].is_number()) file.fail("'aabb_scale' is not a number");
        set.aabb_scale = root["aabb_scale"].get<float>();
    }
    return set;
}

// ---- COLMAP -------------------------------------------------------------------------------------

// Calls visit(line, number) for each line of a COLMAP text file that holds data (not a comment, not
// blank).
template <typename Visit>
void for_each_data_line(const fs::path& file, Visit visit) {
    const std::vector<char> text = read_whole(file);
    std::istringstream lines(std::string(text.begin(), text.end()));
    std::string line;
    int number = 0;
    while (std::getline(lines, line)) {
        ++number;
        if (line.empty() || line[0] == '#' || line.find_first_not_of(" \t\r") == std::string::npos) continue;
        visit(line, number);
    }
}

struct ColmapCamera {
    int width = 0, height = 0;
    float fx = 0, fy = 0, cx = 0, cy = 0;
    bool distorted = false;
    std::string model;
    LensDistortion lens;
    bool undistortable = true;  // glint can undistort this model (not FOV or THIN_PRISM_FISHEYE)
};

// Number of parameters and whether the model has distortion, by COLMAP's model id.
bool colmap_model(int id, int& params, bool& distorted, std::string& name) {
    struct Model {
        const char* name;
        int params;
        bool distorted;
    };
    static const Model models[] = {{"SIMPLE_PINHOLE", 3, false},
                                   {"PINHOLE", 4, false},
                                   {"SIMPLE_RADIAL", 4, true},
                                   {"RADIAL", 5, true},
                                   {"OPENCV", 8, true},
                                   {"OPENCV_FISHEYE", 8, true},
                                   {"FULL_OPENCV", 12, true},
                                   {"FOV", 5, true},
                                   {"SIMPLE_RADIAL_FISHEYE", 4, true},
                                   {"RADIAL_FISHEYE", 5, true},
                                   {"THIN_PRISM_FISHEYE", 12, true}};
    if (id < 0 || id >= static_cast<int>(std::size(models))) return false;
    params = models[id].params;
    distorted = models[id].distorted;
    name = models[id].name;
    return true;
}

int colmap_model_id(const std::string& name) {
    for (int id = 0; id < 11; ++id) {
        int params;
        bool distorted;
        std::string model;
        colmap_model(id, params, distorted, model);
        if (model == name) return id;
    }
    return -1;
}

ColmapCamera make_colmap_camera(int model, int width, int height, const std::vector<double>& p) {
    ColmapCamera c;
    c.width = width;
    c.height = height;
    // Single-focal models list f, cx, cy first; the others fx, fy, cx, cy.
    const bool single = model == 0 || model == 2 || model == 3 || model == 8 || model == 9;
    c.fx = static_cast<float>(p[0]);
    c.fy = static_cast<float>(single ? p[0] : p[1]);
    c.cx = static_cast<float>(single ? p[1] : p[2]);
    c.cy = static_cast<float>(single ? p[2] : p[3]);
    int params;
    colmap_model(model, params, c.distorted, c.model);
    using M = LensDistortion::Model;
    LensDistortion& l = c.lens;
    switch (model) {
        case 2:
            l.model = M::SimpleRadial, l.k1 = p[3];
            break;
        case 3:
            l.model = M::Radial, l.k1 = p[3], l.k2 = p[4];
            break;
        case 4:
            l.model = M::OpenCV, l.k1 = p[4], l.k2 = p[5], l.p1 = p[6], l.p2 = p[7];
            break;
        case 5:
            l.model = M::OpenCVFisheye, l.k1 = p[4], l.k2 = p[5], l.k3 = p[6], l.k4 = p[7];
            break;
        case 6:
            l.model = M::FullOpenCV, l.k1 = p[4], l.k2 = p[5], l.p1 = p[6], l.p2 = p[7], l.k3 = p[8],
            l.k4 = p[9], l.k5 = p[10], l.k6 = p[11];
            break;
        case 8:
            l.model = M::SimpleRadialFisheye, l.k1 = p[3];
            break;
        case 9:
            l.model = M::RadialFisheye, l.k1 = p[3], l.k2 = p[4];
            break;
        case 7:
        case 10:
            c.undistortable = false;
            break;
        default:
            break;
    }
    return c;
}

Camera colmap_pose(const ColmapCamera& intrinsics, const double q[4], const double t[3]) {
    Camera camera;
    const glm::dquat rotation(q[0], q[1], q[2], q[3]);  // w, x, y, z: world to camera
    camera.rotation = glm::mat3(glm::mat3_cast(glm::normalize(rotation)));
    camera.translation = glm::vec3(t[0], t[1], t[2]);
    camera.width = intrinsics.width;
    camera.height = intrinsics.height;
    camera.fx = intrinsics.fx;
    camera.fy = intrinsics.fy;
    camera.cx = intrinsics.cx;
    camera.cy = intrinsics.cy;
    return camera;
}

// Bounds-checked reader for COLMAP's little-endian binary files.
class BinaryReader {
public:
    BinaryReader(std::vector<char> data, fs::path path) : m_data(std::move(data)), m_path(std::move(path)) {}
    template <typename T>
    T read() {
        if (m_data.size() - m_pos < sizeof(T)) throw InputError(cat(m_path.string(), ": truncated"));
        T value;
        std::memcpy(&value, m_data.data() + m_pos, sizeof(T));
        m_pos += sizeof(T);
        return value;
    }
    std::string read_string() {
        const auto end = std::find(m_data.begin() + static_cast<std::ptrdiff_t>(m_pos), m_data.end(), '\0');
        if (end == m_data.end()) throw InputError(cat(m_path.string(), ": truncated image name"));
        std::string s(m_data.begin() + static_cast<std::ptrdiff_t>(m_pos), end);
        m_pos = static_cast<std::size_t>(end - m_data.begin()) + 1;
        return s;
    }
    void skip(std::uint64_t bytes) {
        if (bytes > m_data.size() - m_pos) throw InputError(cat(m_path.string(), ": truncated"));
        m_pos += bytes;
    }
    std::size_t remaining() const { return m_data.size() - m_pos; }

private:
    std::vector<char> m_data;
    fs::path m_path;
    std::size_t m_pos = 0;
};

void add_colmap_image(CameraSet& set, const std::map<int, ColmapCamera>& cameras, int camera_id,
                      const double q[4], const double t[3], std::string name, const fs::path& file,
                      Distortion distortion, bool& warned) {
    const auto it = cameras.find(camera_id);
    if (it == cameras.end())
        throw InputError(
            cat(file.string(), ": image '", name, "' uses camera ", camera_id, ", which is not defined"));
    if (it->second.distorted && distortion == Distortion::Refuse)
        throw InputError(cat(file.parent_path().string(), ": camera ", camera_id, " is ", it->second.model,
                             ", with lens distortion; glint trains on pinhole images: undistort them first "
                             "(colmap image_undistorter --image_path IMAGES --input_path ",
                             file.parent_path().string(), " --output_path OUT), then use OUT"));
    if (it->second.distorted && distortion == Distortion::Keep && !it->second.undistortable)
        throw InputError(cat(file.parent_path().string(), ": camera ", camera_id, " is ", it->second.model,
                             ", a lens model glint cannot undistort; undistort the images first (colmap "
                             "image_undistorter --image_path IMAGES --input_path ",
                             file.parent_path().string(), " --output_path OUT), then use OUT"));
    if (it->second.distorted && distortion == Distortion::Ignore && !warned) {
        log::warn(file.parent_path().string(),
                  ": lens distortion of COLMAP cameras is ignored (pinhole projection)");
        warned = true;
    }
    Camera camera = colmap_pose(it->second, q, t);
    if (!finite(camera)) throw InputError(cat(file.string(), ": image '", name, "': the pose is not finite"));
    set.cameras.push_back(camera);
    set.names.push_back(std::move(name));
    set.models.push_back(it->second.model);
    set.lenses.push_back(distortion == Distortion::Keep ? it->second.lens : LensDistortion{});
}

CameraSet load_colmap(const fs::path& folder, Distortion distortion) {
    std::map<int, ColmapCamera> cameras;
    CameraSet set;
    bool warned = false;
    if (fs::exists(folder / "cameras.bin") && fs::exists(folder / "images.bin")) {
        BinaryReader in(read_whole(folder / "cameras.bin"), folder / "cameras.bin");
        const auto count = in.read<std::uint64_t>();
        for (std::uint64_t i = 0; i < count; ++i) {
            const int id = in.read<std::int32_t>();
            const int model = in.read<std::int32_t>();
            const auto width = in.read<std::uint64_t>(), height = in.read<std::uint64_t>();
            int params;
            bool distorted;
            std::string name;
            if (!colmap_model(model, params, distorted, name))
                throw InputError(
                    cat((folder / "cameras.bin").string(), ": camera ", id, " has unknown model id ", model));
            std::vector<double> p(static_cast<std::size_t>(params));
            for (double& v : p) v = in.read<double>();
            cameras[id] = make_colmap_camera(model, static_cast<int>(width), static_cast<int>(height), p);
        }
        BinaryReader images(read_whole(folder / "images.bin"), folder / "images.bin");
        const auto image_count = images.read<std::uint64_t>();
        for (std::uint64_t i = 0; i < image_count; ++i) {
            images.read<std::uint32_t>();  // image id
            double q[4], t[3];
            for (double& v : q) v = images.read<double>();
            for (double& v : t) v = images.read<double>();
            const int camera_id = images.read<std::int32_t>();
            std::string name = images.read_string();
            const auto points = images.read<std::uint64_t>();
            if (points > images.remaining() / 24)
                throw InputError(cat((folder / "images.bin").string(), ": truncated"));
            images.skip(points * 24);  // x, y (double) and point3D id (int64) per point
            add_colmap_image(set, cameras, camera_id, q, t, std::move(name), folder / "images.bin",
                             distortion, warned);
        }
    } else if (fs::exists(folder / "cameras.txt") && fs::exists(folder / "images.txt")) {
        for_each_data_line(folder / "cameras.txt", [&](const std::string& line, int number) {
            std::istringstream fields(line);
            int id, width, height;
            std::string model_name;
            if (!(fields >> id >> model_name >> width >> height))
                throw InputError(cat((folder / "cameras.txt").string(), ": line ", number,
                                     ": expected ID MODEL WIDTH HEIGHT PARAMS"));
            const int model = colmap_model_id(model_name);
            if (model < 0)
                throw InputError(cat((folder / "cameras.txt").string(), ": line ", number,
                                     ": unknown camera model '", printable(model_name), "'"));
            int params;
            bool distorted;
            std::string name;
            colmap_model(model, params, distorted, name);
            std::vector<double> p(static_cast<std::size_t>(params));
            for (double& v : p)
                if (!(fields >> v))
                    throw InputError(cat((folder / "cameras.txt").string(), ": line ", number, ": ",
                                         model_name, " needs ", params, " parameters"));
            cameras[id] = make_colmap_camera(model, width, height, p);
        });
        const std::vector<char> image_text = read_whole(folder / "images.txt");
        std::istringstream image_lines(std::string(image_text.begin(), image_text.end()));
        std::string line;
        int number = 0;
        bool expect_points = false;
        while (std::getline(image_lines, line)) {
            ++number;
            if (!line.empty() && line[0] == '#') continue;
            if (expect_points) {  // the second line of each image lists its 2D points
                expect_points = false;
                continue;
            }
            if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
            std::istringstream fields(line);
            int image_id, camera_id;
            double q[4], t[3];
            std::string name;
            if (!(fields >> image_id >> q[0] >> q[1] >> q[2] >> q[3] >> t[0] >> t[1] >> t[2] >> camera_id >>
                  name))
                throw InputError(cat((folder / "images.txt").string(), ": line ", number,
                                     ": expected IMAGE_ID QW QX QY QZ TX TY TZ CAMERA_ID NAME"));
            add_colmap_image(set, cameras, camera_id, q, t, name, folder / "images.txt", distortion, warned);
            expect_points = true;
        }
    } else {
        throw InputError(cat(folder.string(), ": no COLMAP model here (cameras and images .bin or .txt)"));
    }
    if (set.cameras.empty()) throw InputError(cat(folder.string(), ": the COLMAP model has no images"));
    // COLMAP writes images in id order; name order is what users see in their folders.
    std::vector<std::size_t> order(set.cameras.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return set.names[a] < set.names[b]; });
    CameraSet sorted;
    sorted.model_folder = folder;
    for (std::size_t i : order) {
        sorted.cameras.push_back(set.cameras[i]);
        sorted.names.push_back(set.names[i]);
        sorted.models.push_back(set.models[i]);
        sorted.lenses.push_back(set.lenses[i]);
    }
    return sorted;
}

}  // namespace

fs::path find_image(const fs::path& base, const std::string& name) {
    const fs::path image = base / name;
    if (fs::exists(image)) return image;
    for (const char* ext : {".png", ".jpg", ".jpeg", ".PNG", ".JPG"})
        if (fs::exists(fs::path(image.string() + ext))) return fs::path(image.string() + ext);
    return image;
}

PointCloud load_colmap_points(const fs::path& folder) {
    PointCloud points;
    const auto add = [&](const double xyz[3], const int rgb[3], const fs::path& file, std::uint64_t id) {
        for (int k = 0; k < 3; ++k) {
            if (!std::isfinite(xyz[k]))
                throw InputError(cat(file.string(), ": point ", id, " has a non-finite position"));
            points.positions.push_back(static_cast<float>(xyz[k]));
            points.colors.push_back(static_cast<float>(std::clamp(rgb[k], 0, 255)) / 255.0f);
        }
    };
    if (fs::exists(folder / "points3D.bin")) {
        const fs::path file = folder / "points3D.bin";
        BinaryReader in(read_whole(file), file);
        const auto count = in.read<std::uint64_t>();
        // Each point takes at least 43 bytes (id, xyz, rgb, error, track length).
        if (count > in.remaining() / 43) throw InputError(cat(file.string(), ": truncated"));
        for (std::uint64_t i = 0; i < count; ++i) {
            const auto id = in.read<std::uint64_t>();
            double xyz[3];
            for (double& v : xyz) v = in.read<double>();
            int rgb[3];
            for (int& v : rgb) v = in.read<std::uint8_t>();
            const auto error = in.read<double>();
            const auto track = in.read<std::uint64_t>();
            if (track > in.remaining() / 8) throw InputError(cat(file.string(), ": truncated"));
            in.skip(track * 8);  // image id and point2D index (int32 each) per observation
            add(xyz, rgb, file, id);
            points.errors.push_back(static_cast<float>(error));
            points.track_lengths.push_back(static_cast<std::uint32_t>(track));
        }
    } else if (fs::exists(folder / "points3D.txt")) {
        const fs::path file = folder / "points3D.txt";
        for_each_data_line(file, [&](const std::string& line, int number) {
            std::istringstream fields(line);
            std::uint64_t id;
            double xyz[3];
            int rgb[3];
            double error = 0.0;
            if (!(fields >> id >> xyz[0] >> xyz[1] >> xyz[2] >> rgb[0] >> rgb[1] >> rgb[2] >> error))
                throw InputError(
                    cat(file.string(), ": line ", number, ": expected POINT3D_ID X Y Z R G B ERROR ..."));
            std::uint32_t track = 0;
            for (std::uint64_t image, point2d; fields >> image >> point2d;) ++track;
            add(xyz, rgb, file, id);
            points.errors.push_back(static_cast<float>(error));
            points.track_lengths.push_back(track);
        });
    }
    return points;
}

CameraSet load_cameras(const fs::path& path, Distortion distortion) {
    if (!fs::exists(path)) throw InputError(cat(path.string(), ": no such file or folder"));
    if (fs::is_directory(path)) {
        // transforms.json first: folders holding both (nerfstudio's, glint synth's) describe the same
        // cameras in both, and only transforms.json carries frame times and the point file.
        if (fs::exists(path / "transforms.json"))
            return load_transforms(path / "transforms.json", distortion);
        for (const fs::path& folder : {path, path / "sparse" / "0", path / "sparse"})
            if (fs::exists(folder / "cameras.bin") || fs::exists(folder / "cameras.txt"))
                return load_colmap(folder, distortion);
        throw InputError(
            cat(path.string(), ": no transforms.json or COLMAP model (cameras.bin/.txt) in this folder"));
    }
    if (to_lower(path.extension().string()) == ".json") return load_transforms(path, distortion);
    throw InputError(
        cat(path.string(), ": not a camera file (expected transforms.json or a COLMAP model folder)"));
}

// ---- point PLY ----------------------------------------------------------------------------------

PointCloud read_point_ply(const fs::path& path) {
    const std::vector<char> bytes = read_whole(path);
    const auto fail = [&](const std::string& problem) -> void {
        throw InputError(cat(path.string(), ": ", problem));
    };
    const std::string_view text(bytes.data(), bytes.size());
    const PlyHeader header = parse_ply_header(text, path.string());
    const auto vertex_it = std::find_if(header.elements.begin(), header.elements.end(),
                                        [](const PlyElement& e) { return e.name == "vertex"; });
    if (vertex_it == header.elements.end()) fail("no vertex element");
    for (auto it = header.elements.begin(); it != vertex_it; ++it)
        if (it->count > 0) fail("elements before the vertex element are not supported");
    if (vertex_it->has_list()) fail("list properties in the vertex element are not supported");
    const std::vector<PlyProperty>& properties = vertex_it->properties;
    const std::uint64_t count = vertex_it->count;
    const bool ascii = header.encoding == PlyEncoding::Ascii;
    const std::size_t body = header.body_offset;
    int column[6] = {-1, -1, -1, -1, -1, -1};
    const char* wanted[6] = {"x", "y", "z", "red", "green", "blue"};
    std::size_t stride = 0;
    std::vector<std::size_t> offsets;
    for (std::size_t i = 0; i < properties.size(); ++i) {
        offsets.push_back(stride);
        stride += ply_type_size(properties[i].type);
        for (int k = 0; k < 6; ++k)
            if (properties[i].name == wanted[k]) column[k] = static_cast<int>(i);
    }
    if (column[0] < 0 || column[1] < 0 || column[2] < 0) fail("the vertex element has no x, y, z");
    const bool has_color = column[3] >= 0 && column[4] >= 0 && column[5] >= 0;
    const auto read_binary = [&](const char* at, PlyType type) -> double {
        const auto get = [&](auto value) {
            std::memcpy(&value, at, sizeof(value));
            return static_cast<double>(value);
        };
        switch (type) {
            case PlyType::Int8:
                return get(std::int8_t{});
            case PlyType::UInt8:
                return get(std::uint8_t{});
            case PlyType::Int16:
                return get(std::int16_t{});
            case PlyType::UInt16:
                return get(std::uint16_t{});
            case PlyType::Int32:
                return get(std::int32_t{});
            case PlyType::UInt32:
                return get(std::uint32_t{});
            case PlyType::Float32:
                return get(float{});
            case PlyType::Float64:
                break;
        }
        return get(double{});
    };
    PointCloud points;
    const auto add = [&](const std::vector<double>& values, std::uint64_t index) {
        for (int k = 0; k < 3; ++k) {
            const double v = values[static_cast<std::size_t>(column[k])];
            if (!std::isfinite(v)) fail(cat("point ", index, " has a non-finite position"));
            points.positions.push_back(static_cast<float>(v));
        }
        for (int k = 3; k < 6; ++k) {
            double c = has_color ? values[static_cast<std::size_t>(column[k])] : 1.0;
            if (has_color && !is_float_type(properties[static_cast<std::size_t>(column[k])].type)) c /= 255.0;
            points.colors.push_back(std::isfinite(c) ? static_cast<float>(std::clamp(c, 0.0, 1.0)) : 0.0f);
        }
    };
    std::vector<double> values(properties.size());
    if (ascii) {
        std::istringstream in{std::string(text.substr(body))};
        for (std::uint64_t i = 0; i < count; ++i) {
            for (double& v : values) {
                std::string word;
                char* stop = nullptr;
                if (!(in >> word) || (v = std::strtod(word.c_str(), &stop), *stop != '\0'))
                    fail(cat("truncated or malformed at vertex ", i, " of ", count));
            }
            add(values, i);
        }
    } else {
        if (stride == 0 || count > (bytes.size() - body) / stride)
            fail(cat("truncated: ", count, " vertices of ", stride, " bytes do not fit in the file"));
        for (std::uint64_t i = 0; i < count; ++i) {
            const char* row = bytes.data() + body + i * stride;
            for (std::size_t p = 0; p < properties.size(); ++p)
                values[p] = read_binary(row + offsets[p], properties[p].type);
            add(values, i);
        }
    }
    return points;
}

void write_point_ply(const fs::path& path, const PointCloud& points) {
    std::string out = cat("ply\nformat binary_little_endian 1.0\nelement vertex ", points.size(),
                          "\nproperty float x\nproperty float y\nproperty float z\n"
                          "property uchar red\nproperty uchar green\nproperty uchar blue\nend_header\n");
    for (std::size_t i = 0; i < points.size(); ++i) {
        char row[15];
        std::memcpy(row, &points.positions[3 * i], 12);
        for (int k = 0; k < 3; ++k)
            row[12 + k] = static_cast<char>(
                to_unorm8(points.colors.size() == points.positions.size() ? points.colors[3 * i + k] : 1.0f));
        out.append(row, sizeof(row));
    }
    AtomicFile file(path);
    file.write(out);
    file.commit();
}

}  // namespace glint
