// The side window: errors and notices, then every panel.
#include <imgui.h>

#include "panels.h"

namespace glint::app {

void draw_side_window(ViewerState& state, double now) {
    if (!state.show_panel) return;
    const float top = ImGui::GetFrameHeight();  // below the menu bar
    ImGui::SetNextWindowPos(ImVec2(0.0f, top), ImGuiCond_Always);
    ImGui::SetNextWindowSize(ImVec2(kPanelWidth, ImGui::GetIO().DisplaySize.y - top), ImGuiCond_Always);
    ImGui::Begin("glint", &state.show_panel,
                 ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse);
    if (!state.error.empty()) {
        ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.45f, 0.4f, 1.0f));
        ImGui::TextWrapped("%s", state.error.c_str());
        ImGui::PopStyleColor();
        if (ImGui::SmallButton("Dismiss")) state.error.clear();
        ImGui::Separator();
    }
    if (!state.notice.empty() && now < state.notice_until) {
        ImGui::TextWrapped("%s", state.notice.c_str());
        ImGui::Separator();
    }
    if (state.training) draw_training_panel(state);
    draw_scene_panel(state);
    draw_render_panel(state);
    if (!state.is_nerf) draw_lod_panel(state);
    draw_pruning_panel(state);
    if (state.is_4d) draw_time_panel(state);
    draw_path_panel(state);
    draw_stats_panel(state);
    ImGui::End();
}

}  // namespace glint::app
