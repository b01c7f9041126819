// Gaussian scenes (3D and 4D) behind the Scene interface: a cloud, what its file was, and a rasterizer
// on the chosen backend.
#pragma once

#include <memory>
#include <optional>

#include "glint/scene/scene.h"
#include "glint/splatting/lod.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/temporal_hierarchy.h"

namespace glint::scene {

class GaussianScene final : public Scene {
public:
    // Backend::Auto: CUDA when usable. Throws InputError when the cloud holds a NaN or infinity, naming
    // `name` and the Gaussian.
    GaussianScene(splatting::LoadedScene loaded, const std::string& name, Backend backend);

    SceneKind kind() const override;
    std::string summary() const override;
    Sphere framing_sphere() const override;
    void bounds(glm::vec3& lo, glm::vec3& hi) const override;
    std::optional<TimeSpan> time_span() const override;
    std::size_t memory_bytes() const override;
    std::size_t primitives() const override { return m_loaded.cloud.size(); }
    std::optional<UpHint> up_hint() const override;
    std::optional<glm::vec3> background() const override;
    bool has_counts() const override { return true; }
    bool progressive() const override { return false; }
    Backend backend() const override { return m_rasterizer->backend(); }
    void set_backend(Backend backend) override;
    std::unique_ptr<Scene> cpu_copy() const override;
    void save(const std::filesystem::path& path) const override;
    FrameStats render(const Camera& camera, float time, const DrawSettings& settings, Frame& frame) override;

    const splatting::GaussianCloud& cloud() const { return m_loaded.cloud; }
    // Replaces the Gaussians (live training, level-of-detail ordering); the file's description stays.
    void set_cloud(splatting::GaussianCloud cloud);
    const splatting::LoadedScene& loaded() const { return m_loaded; }

private:
    splatting::LoadedScene m_loaded;
    std::string m_name;
    std::unique_ptr<splatting::Rasterizer> m_rasterizer;
    // 4D scenes: the temporal hierarchy over the time span, built on the first frame that wants it and
    // again when the cloud or the temporal cut-off changes, and the last frame's Gaussians alive.
    std::optional<splatting::TemporalHierarchy> m_temporal;
    std::vector<std::uint32_t> m_alive;
    // Level of detail: the hierarchy (the file's, or built on the first frame that asks for a cut) and the
    // last cut's Gaussians.
    std::shared_ptr<const splatting::LodHierarchy> m_lod;
    splatting::GaussianCloud m_cut;
};

// What a Gaussian file says about up: its "glint up" line; the convention of .splat and of reference
// PLY files not written by glint (-y); else the estimate from its flat Gaussians when confident.
std::optional<UpHint> gaussian_up_hint(const splatting::LoadedScene& loaded);

// The sphere the automatic view frames: the box of the 1st to 99th percentile of positions per axis.
Sphere framing_sphere(const splatting::GaussianCloud& cloud);

}  // namespace glint::scene
