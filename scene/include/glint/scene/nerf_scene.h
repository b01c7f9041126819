// Hash-grid NeRF scenes behind the Scene interface. A frame is marched ray by ray (nerf/render.h), slow
// on the CPU: the scene says so (progressive()), and the viewer refines its views band by band. Its
// images come back to host memory on either backend, so Frame::packed_rgba, when set, is host memory.
#pragma once

#include <memory>

#include "glint/nerf/model.h"
#include "glint/nerf/render.h"
#include "glint/scene/scene.h"

namespace glint::scene {

class NerfScene final : public Scene {
public:
    // Backend::Auto: CUDA when usable.
    NerfScene(std::shared_ptr<const nerf::NerfModel> model, const std::string& name, Backend backend);

    SceneKind kind() const override { return SceneKind::Nerf; }
    std::string summary() const override;
    Sphere framing_sphere() const override;
    void bounds(glm::vec3& lo, glm::vec3& hi) const override;
    std::optional<TimeSpan> time_span() const override { return std::nullopt; }
    // As the file stores it: the non-zero hash entries, the networks and the occupancy bits.
    std::size_t memory_bytes() const override;
    std::size_t primitives() const override { return 0; }
    std::optional<UpHint> up_hint() const override { return std::nullopt; }
    std::optional<glm::vec3> background() const override {
        if (!m_model->background()) return std::nullopt;
        const auto& c = *m_model->background();
        return glm::vec3(c[0], c[1], c[2]);
    }
    bool has_counts() const override { return false; }
    bool progressive() const override { return true; }
    Backend backend() const override { return m_backend; }
    void set_backend(Backend backend) override;
    std::unique_ptr<Scene> cpu_copy() const override;
    void save(const std::filesystem::path& path) const override;
    FrameStats render(const Camera& camera, float time, const DrawSettings& settings, Frame& frame) override;

    const std::shared_ptr<const nerf::NerfModel>& model() const { return m_model; }
    // Replaces the model (pruned, or reverted to the one before pruning).
    void set_model(std::shared_ptr<const nerf::NerfModel> model) { m_model = std::move(model); }

private:
    std::shared_ptr<const nerf::NerfModel> m_model;
    nerf::NerfRenderer m_renderer;  // keeps the model on the device between frames (CUDA)
    std::string m_name;
    Backend m_backend;
};

}  // namespace glint::scene
