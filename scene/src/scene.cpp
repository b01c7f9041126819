#include "glint/scene/scene.h"

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/nerf/model.h"
#include "glint/scene/gaussian_scene.h"
#include "glint/scene/nerf_scene.h"
#include "glint/splatting/scene_io.h"

namespace glint::scene {

const char* kind_name(SceneKind kind) {
    switch (kind) {
        case SceneKind::Gaussians3D:
            return "3D Gaussians";
        case SceneKind::Gaussians4D:
            return "4D Gaussians";
        case SceneKind::Nerf:
            return "hash-grid NeRF";
    }
    return "scene";
}

std::string FrameStats::describe() const {
    if (samples > 0 || primitives == 0) return cat(samples, " samples in ", ms, " ms");
    return cat(visible, " of ", primitives, " Gaussians visible, ", tile_pairs, " tile pairs; preprocess ",
               preprocess_ms, " ms, sort ", sort_ms, " ms, blend ", blend_ms, " ms");
}

Camera band_camera(const Camera& camera, int first_row, int rows) {
    const int end = rows < 0 ? camera.height : std::min(camera.height, first_row + rows);
    if (first_row < 0 || first_row >= end)
        throw InputError(
            cat("rows ", first_row, " to ", end, " of a ", camera.height, "-row image: an empty band"));
    Camera band = camera;
    band.height = end - first_row;
    band.cy = camera.cy - static_cast<float>(first_row);
    return band;
}

bool is_nerf_path(const std::filesystem::path& path) {
    return to_lower(path.extension().string()) == ".nerf";
}

std::unique_ptr<Scene> open_scene(const std::filesystem::path& path, Backend backend) {
    if (is_nerf_path(path))
        return std::make_unique<NerfScene>(std::make_shared<const nerf::NerfModel>(nerf::load_nerf(path)),
                                           path.string(), backend);
    return std::make_unique<GaussianScene>(splatting::load_scene(path), path.string(), backend);
}

std::unique_ptr<Scene> open_scene_from_memory(std::span<const std::byte> bytes, const std::string& name,
                                              Backend backend) {
    return std::make_unique<GaussianScene>(
        splatting::load_scene_from_memory(bytes, splatting::SceneFormat::Ply, name), name, backend);
}

}  // namespace glint::scene
