// transforms.json and COLMAP text writers (glint synth's datasets, glint process's exports).
#include <filesystem>
#include <sstream>
#include <string>

#include <glm/gtc/quaternion.hpp>
#include <nlohmann/json.hpp>

#include "glint/core/atomic_file.h"
#include "glint/core/camera_io.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/text.h"

namespace glint {

namespace fs = std::filesystem;

// ---- writers ------------------------------------------------------------------------------------

namespace {

bool same_intrinsics(const Camera& a, const Camera& b) {
    return a.fx == b.fx && a.fy == b.fy && a.cx == b.cx && a.cy == b.cy && a.width == b.width &&
           a.height == b.height;
}

void write_text(const fs::path& path, const std::string& text) {
    AtomicFile file(path);
    file.write(text);
    file.commit();
}

}  // namespace

namespace {

bool same_lens(const LensDistortion& a, const LensDistortion& b) {
    return a.model == b.model && a.k1 == b.k1 && a.k2 == b.k2 && a.k3 == b.k3 && a.k4 == b.k4 &&
           a.k5 == b.k5 && a.k6 == b.k6 && a.p1 == b.p1 && a.p2 == b.p2;
}

LensDistortion lens_of(const CameraSet& set, std::size_t i) {
    return i < set.lenses.size() ? set.lenses[i] : LensDistortion{};
}

// A lens as transforms.json's keys: OPENCV (k1 k2 p1 p2, k3) or OPENCV_FISHEYE (k1-k4), which hold every
// model but FULL_OPENCV's rational terms k4-k6.
void lens_json(nlohmann::json& j, const LensDistortion& l, const fs::path& file) {
    using M = LensDistortion::Model;
    if (l.none()) return;
    const bool fisheye =
        l.model == M::SimpleRadialFisheye || l.model == M::RadialFisheye || l.model == M::OpenCVFisheye;
    if (l.model == M::FullOpenCV && (l.k4 != 0 || l.k5 != 0 || l.k6 != 0))
        throw Error(
            cat(file.string(), ": ", l.describe(), " has rational terms transforms.json cannot hold"));
    j["camera_model"] = fisheye ? "OPENCV_FISHEYE" : "OPENCV";
    j["k1"] = l.k1;
    j["k2"] = l.k2;
    if (fisheye) {
        j["k3"] = l.k3;
        j["k4"] = l.k4;
    } else {
        j["p1"] = l.p1;
        j["p2"] = l.p2;
        if (l.k3 != 0) j["k3"] = l.k3;
    }
}

}  // namespace

void write_transforms(const fs::path& file, const CameraSet& set, const std::string& points_ply) {
    if (set.cameras.empty()) throw Error(cat(file.string(), ": no cameras to write"));
    const Camera& first = set.cameras.front();
    bool shared = true;
    for (std::size_t i = 0; i < set.cameras.size(); ++i)
        shared =
            shared && same_intrinsics(set.cameras[i], first) && same_lens(lens_of(set, i), lens_of(set, 0));
    const auto intrinsics = [&](nlohmann::json& j, const Camera& c, const LensDistortion& lens) {
        lens_json(j, lens, file);
        j["camera_angle_x"] = 2.0 * std::atan(0.5 * c.width / static_cast<double>(c.fx));
        j["fl_x"] = c.fx;
        j["fl_y"] = c.fy;
        j["cx"] = c.cx;
        j["cy"] = c.cy;
        j["w"] = c.width;
        j["h"] = c.height;
    };
    nlohmann::json root = nlohmann::json::object();
    if (shared) intrinsics(root, first, lens_of(set, 0));
    if (set.aabb_scale) root["aabb_scale"] = *set.aabb_scale;
    if (!points_ply.empty()) root["ply_file_path"] = points_ply;
    nlohmann::json frames = nlohmann::json::array();
    for (std::size_t i = 0; i < set.cameras.size(); ++i) {
        const Camera& c = set.cameras[i];
        // OpenCV world-to-camera -> OpenGL camera-to-world: invert, then flip the y and z axes.
        const glm::mat3 c2w = glm::transpose(c.rotation);
        const glm::vec3 position = c.position();
        nlohmann::json m = nlohmann::json::array();
        for (int r = 0; r < 3; ++r) m.push_back({c2w[0][r], -c2w[1][r], -c2w[2][r], position[r]});
        m.push_back({0, 0, 0, 1});
        nlohmann::json frame;
        frame["file_path"] = i < set.names.size() ? set.names[i] : cat("frame_", i);
        frame["transform_matrix"] = m;
        if (!shared) intrinsics(frame, c, lens_of(set, i));
        if (i < set.times.size()) frame["time"] = set.times[i];
        frames.push_back(frame);
    }
    root["frames"] = frames;
    write_text(file, root.dump(2) + "\n");
}

void write_colmap_text(const fs::path& folder, const CameraSet& set, const PointCloud& points) {
    std::error_code error;
    fs::create_directories(folder, error);
    if (error) throw Error(cat(folder.string(), ": cannot create the folder: ", error.message()));
    std::ostringstream cameras, images, points3d;
    cameras.precision(9);
    images.precision(9);
    points3d.precision(9);
    cameras << "# Camera list with one line of data per camera:\n"
               "#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\n";
    images << "# Image list with two lines of data per image:\n"
              "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n"
              "#   POINTS2D[] as (X, Y, POINT3D_ID)\n";
    std::vector<std::size_t> unique;  // the first camera of each set of intrinsics and lens
    for (std::size_t i = 0; i < set.cameras.size(); ++i) {
        const Camera& c = set.cameras[i];
        const LensDistortion lens = lens_of(set, i);
        std::size_t id = 0;
        while (id < unique.size() &&
               !(same_intrinsics(set.cameras[unique[id]], c) && same_lens(lens_of(set, unique[id]), lens)))
            ++id;
        if (id == unique.size()) {
            using M = LensDistortion::Model;
            unique.push_back(i);
            cameras << id + 1 << ' ' << lens_model_name(lens.model) << ' ' << c.width << ' ' << c.height
                    << ' ';
            switch (lens.model) {
                case M::None:
                    cameras << c.fx << ' ' << c.fy << ' ' << c.cx << ' ' << c.cy;
                    break;
                case M::SimpleRadial:
                case M::SimpleRadialFisheye:
                    cameras << c.fx << ' ' << c.cx << ' ' << c.cy << ' ' << lens.k1;
                    break;
                case M::Radial:
                case M::RadialFisheye:
                    cameras << c.fx << ' ' << c.cx << ' ' << c.cy << ' ' << lens.k1 << ' ' << lens.k2;
                    break;
                case M::OpenCV:
                    cameras << c.fx << ' ' << c.fy << ' ' << c.cx << ' ' << c.cy << ' ' << lens.k1 << ' '
                            << lens.k2 << ' ' << lens.p1 << ' ' << lens.p2;
                    break;
                case M::OpenCVFisheye:
                    cameras << c.fx << ' ' << c.fy << ' ' << c.cx << ' ' << c.cy << ' ' << lens.k1 << ' '
                            << lens.k2 << ' ' << lens.k3 << ' ' << lens.k4;
                    break;
                case M::FullOpenCV:
                    cameras << c.fx << ' ' << c.fy << ' ' << c.cx << ' ' << c.cy << ' ' << lens.k1 << ' '
                            << lens.k2 << ' ' << lens.p1 << ' ' << lens.p2 << ' ' << lens.k3 << ' ' << lens.k4
                            << ' ' << lens.k5 << ' ' << lens.k6;
                    break;
            }
            cameras << '\n';
        }
        const glm::dquat q = glm::normalize(glm::quat_cast(glm::dmat3(c.rotation)));
        images << i + 1 << ' ' << q.w << ' ' << q.x << ' ' << q.y << ' ' << q.z << ' ' << c.translation.x
               << ' ' << c.translation.y << ' ' << c.translation.z << ' ' << id + 1 << ' '
               << (i < set.names.size() ? set.names[i] : cat("image_", i)) << "\n\n";
    }
    points3d << "# 3D point list with one line of data per point:\n"
                "#   POINT3D_ID, X, Y, Z, R, G, B, ERROR, TRACK[] as (IMAGE_ID, POINT2D_IDX)\n";
    for (std::size_t i = 0; i < points.size(); ++i) {
        points3d << i + 1;
        for (int k = 0; k < 3; ++k) points3d << ' ' << points.positions[3 * i + k];
        for (int k = 0; k < 3; ++k)
            points3d << ' '
                     << static_cast<int>(to_unorm8(points.colors.size() == points.positions.size()
                                                       ? points.colors[3 * i + k]
                                                       : 1.0f));
        points3d << " 0\n";
    }
    write_text(folder / "cameras.txt", cameras.str());
    write_text(folder / "images.txt", images.str());
    write_text(folder / "points3D.txt", points3d.str());
}

}  // namespace glint
