#include "path_editor.h"

#include <algorithm>
#include <cmath>
#include <string>

#include <imgui.h>

#include "glint/core/camera_io.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint::app {

PathEditor::PathEditor(ViewerState& state, CameraController& camera, Notify notice)
    : m_state(state), m_camera(camera), m_notice(std::move(notice)) {}

// A pose of the path becomes the view (and, where keyframes carry it, the scene time).
void PathEditor::show_pose(const PathPose& pose, int width, int height) {
    const Camera camera = camera_at(pose, width, height);
    m_camera.set_from_camera(camera, m_camera.up(), m_camera.distance());
    m_camera.set_fov_y(pose.fov_y_degrees);
    if (pose.time && m_state.is_4d) m_state.time = std::clamp(*pose.time, m_state.time_min, m_state.time_max);
}

void PathEditor::update(double seconds, int width, int height, bool& moved) {
    using Edit = ViewerState::PathEdit;
    auto& keys = m_state.path.keyframes;
    const int count = static_cast<int>(keys.size());
    int& selected = m_state.path_selected;
    if (selected >= count) selected = count - 1;
    const Edit edit = m_state.path_edit;
    m_state.path_edit = Edit::None;
    const auto current_view = [&] {
        Keyframe k = keyframe_from_camera(m_camera.camera(width, height));
        // Every keyframe carries a time or none does: the first one decides.
        const bool timed =
            keys.empty() ? (m_state.is_4d && m_state.path_bind_time) : keys.front().time.has_value();
        if (timed) k.time = m_state.time;
        if (selected >= 0) k.duration = keys[static_cast<std::size_t>(selected)].duration;
        return k;
    };
    try {
        if (edit == Edit::Add) {
            keys.insert(keys.begin() + (selected + 1), current_view());
            ++selected;
            m_notice(cat("keyframe ", selected + 1, " of ", keys.size(), " added"));
        } else if (selected >= 0 && edit == Edit::Update) {
            const float duration = keys[static_cast<std::size_t>(selected)].duration;
            keys[static_cast<std::size_t>(selected)] = current_view();
            keys[static_cast<std::size_t>(selected)].duration = duration;
        } else if (selected >= 0 && edit == Edit::Remove) {
            keys.erase(keys.begin() + selected);
            selected = std::min(selected, static_cast<int>(keys.size()) - 1);
        } else if (selected > 0 && edit == Edit::Up) {
            std::swap(keys[static_cast<std::size_t>(selected)], keys[static_cast<std::size_t>(selected - 1)]);
            --selected;
        } else if (selected >= 0 && selected + 1 < count && edit == Edit::Down) {
            std::swap(keys[static_cast<std::size_t>(selected)], keys[static_cast<std::size_t>(selected + 1)]);
            ++selected;
        } else if (selected >= 0 && edit == Edit::Go) {
            const Keyframe& k = keys[static_cast<std::size_t>(selected)];
            show_pose({k.position, k.orientation, k.fov_y_degrees, k.time}, width, height);
            moved = true;
        }
        if (m_state.path_save) {
            m_state.path_save = false;
            write_camera_path(m_state.path_file, m_state.path);
            m_notice(cat("saved ", keys.size(), " keyframes to ", m_state.path_file));
        }
        if (m_state.path_load) {
            m_state.path_load = false;
            m_state.path = read_camera_path(m_state.path_file);
            m_state.path_selected = 0;
            m_state.path_preview_time = 0.0f;
            m_notice(cat("loaded ", m_state.path.keyframes.size(), " keyframes from ", m_state.path_file));
        }
        m_sampler.reset();
        if (!keys.empty()) m_sampler.emplace(m_state.path);
        m_state.path_duration = m_sampler ? m_sampler->duration() : 0.0f;
        if (m_state.path_previewing && !keys.empty()) {
            m_state.path_preview_time += static_cast<float>(seconds);
            if (m_state.path_preview_time >= m_state.path_duration) {
                if (m_state.path.loop) {
                    m_state.path_preview_time = std::fmod(m_state.path_preview_time, m_state.path_duration);
                } else {
                    m_state.path_preview_time = m_state.path_duration;
                    m_state.path_previewing = false;
                }
            }
            show_pose(m_sampler->at(m_state.path_preview_time), width, height);
            moved = true;
        } else if (m_state.path_scrub && !keys.empty()) {
            show_pose(m_sampler->at(m_state.path_preview_time), width, height);
            moved = true;
        }
    } catch (const std::exception& e) {
        m_state.error = e.what();
        m_state.path_previewing = false;
        log::error(e.what());
    }
    m_state.path_scrub = false;
    if (keys.empty()) m_state.path_previewing = false;
}

// The path drawn over the scene: the curve, keyframes as dots (the selected one larger), numbered.
void PathEditor::draw_overlay(const vk::Rect2D& area) const {
    const auto& keys = m_state.path.keyframes;
    if (!m_state.path_show || !m_sampler || m_state.path_previewing) return;
    const Camera camera =
        m_camera.camera(static_cast<int>(area.extent.width), static_cast<int>(area.extent.height));
    const auto project = [&](glm::vec3 p, ImVec2& out) {
        const glm::vec3 c = camera.rotation * p + camera.translation;
        if (c.z < 1e-3f) return false;
        out = ImVec2(camera.fx * c.x / c.z + camera.cx + static_cast<float>(area.offset.x),
                     camera.fy * c.y / c.z + camera.cy + static_cast<float>(area.offset.y));
        return true;
    };
    ImDrawList* draw = ImGui::GetBackgroundDrawList();
    const PathSampler& sampler = *m_sampler;
    constexpr int kSamples = 240;
    ImVec2 previous;
    bool have_previous = false;
    for (int i = 0; i <= kSamples; ++i) {
        ImVec2 point;
        const bool visible =
            project(sampler.at(sampler.duration() * static_cast<float>(i) / kSamples).position, point);
        if (visible && have_previous) draw->AddLine(previous, point, IM_COL32(255, 200, 40, 220), 2.0f);
        previous = point;
        have_previous = visible;
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ImVec2 point;
        if (!project(keys[i].position, point)) continue;
        const bool chosen = static_cast<int>(i) == m_state.path_selected;
        draw->AddCircleFilled(point, chosen ? 7.0f : 5.0f,
                              chosen ? IM_COL32(255, 80, 60, 255) : IM_COL32(255, 230, 120, 255));
        // Where the keyframe looks.
        ImVec2 ahead;
        const glm::vec3 forward = glm::mat3_cast(keys[i].orientation)[2];
        const float length = 0.05f * glm::length(m_camera.eye() - keys[i].position);
        if (project(keys[i].position + length * forward, ahead))
            draw->AddLine(point, ahead, IM_COL32(255, 230, 120, 200), 1.5f);
        draw->AddText(ImVec2(point.x + 8.0f, point.y - 8.0f), IM_COL32(255, 255, 255, 230),
                      std::to_string(i + 1).c_str());
    }
}

}  // namespace glint::app
