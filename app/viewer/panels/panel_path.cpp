// Camera path panel: keyframes from the current view (add, update, remove, reorder, go to), timing,
// easing and loop, preview playback, save and load, and Record (offline, full quality).
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>
#include <cstdio>

#include "panels.h"

namespace glint::app {

void draw_path_panel(ViewerState& s) {
    if (!s.path.keyframes.empty())
        ImGui::SetNextItemOpen(true, ImGuiCond_Once);  // a path opened with the scene
    if (!ImGui::CollapsingHeader("Camera path")) return;
    using Edit = ViewerState::PathEdit;
    auto& keys = s.path.keyframes;
    const bool selected = s.path_selected >= 0 && s.path_selected < static_cast<int>(keys.size());
    if (ImGui::Button("Add view")) s.path_edit = Edit::Add;
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("A keyframe from the current view, after the selected one (K)");
    ImGui::SameLine();
    if (!selected) ImGui::BeginDisabled();
    if (ImGui::Button("Update")) s.path_edit = Edit::Update;
    ImGui::SameLine();
    if (ImGui::Button("Go to")) s.path_edit = Edit::Go;
    ImGui::SameLine();
    if (ImGui::Button("Remove")) s.path_edit = Edit::Remove;
    ImGui::SameLine();
    if (ImGui::ArrowButton("##up", ImGuiDir_Up)) s.path_edit = Edit::Up;
    ImGui::SameLine();
    if (ImGui::ArrowButton("##down", ImGuiDir_Down)) s.path_edit = Edit::Down;
    if (!selected) ImGui::EndDisabled();

    if (ImGui::BeginListBox("##keyframes", ImVec2(-1.0f, 5.5f * ImGui::GetTextLineHeightWithSpacing()))) {
        for (int i = 0; i < static_cast<int>(keys.size()); ++i) {
            const Keyframe& k = keys[static_cast<std::size_t>(i)];
            char label[160];
            if (k.time)
                std::snprintf(label, sizeof label, "%d  (%.2f, %.2f, %.2f)  fov %.0f  t %.3f", i + 1,
                              k.position.x, k.position.y, k.position.z, k.fov_y_degrees, *k.time);
            else
                std::snprintf(label, sizeof label, "%d  (%.2f, %.2f, %.2f)  fov %.0f", i + 1, k.position.x,
                              k.position.y, k.position.z, k.fov_y_degrees);
            ImGui::PushID(i);
            if (ImGui::Selectable(label, i == s.path_selected)) s.path_selected = i;
            if (ImGui::IsItemHovered() && ImGui::IsMouseDoubleClicked(0)) s.path_edit = Edit::Go;
            ImGui::PopID();
        }
        ImGui::EndListBox();
    }
    if (keys.empty()) ImGui::TextDisabled("No keyframes: move the view, then Add view");

    int timing = static_cast<int>(s.path.timing);
    ImGui::SetNextItemWidth(150.0f);
    if (ImGui::Combo("Timing", &timing, "Per keyframe\0Constant speed\0"))
        s.path.timing = static_cast<PathTiming>(timing);
    if (s.path.timing == PathTiming::ConstantSpeed) {
        ImGui::DragFloat("Duration (s)", &s.path.total_duration, 0.1f, 0.1f, 600.0f, "%.1f");
    } else if (selected) {
        ImGui::DragFloat("To next (s)", &keys[static_cast<std::size_t>(s.path_selected)].duration, 0.05f,
                         0.05f, 600.0f, "%.2f");
    }
    if (selected) {
        ImGui::DragFloat("Field of view", &keys[static_cast<std::size_t>(s.path_selected)].fov_y_degrees,
                         0.2f, 5.0f, 150.0f, "%.1f deg");
        auto& time = keys[static_cast<std::size_t>(s.path_selected)].time;
        if (time) ImGui::DragFloat("Scene time", &*time, 0.005f, s.time_min, s.time_max, "%.3f");
    }
    int easing = static_cast<int>(s.path.easing);
    ImGui::SetNextItemWidth(150.0f);
    if (ImGui::Combo("Easing", &easing, "Linear\0Ease in and out\0"))
        s.path.easing = static_cast<PathEasing>(easing);
    ImGui::Checkbox("Loop", &s.path.loop);
    ImGui::SameLine();
    ImGui::Checkbox("Show path", &s.path_show);
    if (s.is_4d) {
        ImGui::SameLine();
        ImGui::Checkbox("Bind time", &s.path_bind_time);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("New keyframes take the current scene time; the path then plays it");
    }

    if (keys.empty()) ImGui::BeginDisabled();
    if (ImGui::Button(s.path_previewing ? "Stop preview" : "Preview")) {
        s.path_previewing = !s.path_previewing;
        if (s.path_previewing && s.path_preview_time >= s.path_duration) s.path_preview_time = 0.0f;
    }
    ImGui::SameLine();
    ImGui::SetNextItemWidth(-1.0f);
    if (ImGui::SliderFloat("##preview", &s.path_preview_time, 0.0f, std::max(s.path_duration, 1e-3f),
                           "%.2f s")) {
        s.path_previewing = false;
        s.path_scrub = true;
    }
    if (keys.empty()) ImGui::EndDisabled();

    ImGui::InputText("##pathfile", &s.path_file);
    ImGui::SameLine();
    if (ImGui::Button("Save")) s.path_save = true;
    ImGui::SameLine();
    if (ImGui::Button("Load")) s.path_load = true;

    ImGui::Separator();
    ImGui::InputText("Video", &s.record_output);
    ImGui::SetNextItemWidth(60.0f);
    ImGui::InputInt("##w", &s.record_width, 0);
    ImGui::SameLine();
    ImGui::TextUnformatted("x");
    ImGui::SameLine();
    ImGui::SetNextItemWidth(60.0f);
    ImGui::InputInt("##h", &s.record_height, 0);
    ImGui::SameLine();
    ImGui::SetNextItemWidth(60.0f);
    ImGui::InputInt("fps", &s.record_fps, 0);
    if (s.recording) {
        char text[64];
        std::snprintf(text, sizeof text, "%.0f%%", 100.0f * s.record_fraction);
        ImGui::ProgressBar(s.record_fraction, ImVec2(-70.0f, 0.0f), text);
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) s.record_cancel = true;
    } else {
        if (keys.empty()) ImGui::BeginDisabled();
        if (ImGui::Button("Record")) s.record_start = true;
        if (keys.empty()) ImGui::EndDisabled();
        ImGui::SameLine();
        ImGui::TextDisabled(".mp4 or frames/%%05d.png; full quality");
    }
    if (!s.record_status.empty()) ImGui::TextWrapped("%s", s.record_status.c_str());
}

}  // namespace glint::app
