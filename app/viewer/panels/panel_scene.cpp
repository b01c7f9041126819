// Scene panel: what is loaded.
#include <imgui.h>

#include "glint/core/text.h"
#include "panels.h"

namespace glint::app {

void draw_scene_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Scene", ImGuiTreeNodeFlags_DefaultOpen)) return;
    ImGui::TextWrapped("%s", s.scene_name.c_str());
    if (!s.up_how.empty()) ImGui::TextWrapped("up %s", s.up_how.c_str());
    if (s.is_nerf) {
        ImGui::Text("Type: hash-grid NeRF");
        ImGui::TextWrapped("%s", s.nerf_summary.c_str());
        ImGui::Text("Parameters: %s", cat(s.nerf_parameters).c_str());
        ImGui::Text("Occupied cells: %s of %s", cat(s.nerf_occupied).c_str(), cat(s.nerf_cells).c_str());
        ImGui::Text("Memory: %s", human_bytes(s.memory_bytes).c_str());
        ImGui::Text("Bounds: x [%.3g, %.3g]", s.bounds_min[0], s.bounds_max[0]);
        ImGui::Text("        y [%.3g, %.3g]", s.bounds_min[1], s.bounds_max[1]);
        ImGui::Text("        z [%.3g, %.3g]", s.bounds_min[2], s.bounds_max[2]);
        return;
    }
    ImGui::Text("Type: %s Gaussians", s.is_4d ? "4D" : "3D");
    ImGui::Text("Gaussians: %s", cat(s.gaussians).c_str());
    if (s.gaussians != s.gaussians_loaded) ImGui::Text("  (%zu when loaded)", s.gaussians_loaded);
    ImGui::Text("SH degree: %d", s.sh_degree);
    ImGui::Text("Memory: %s", human_bytes(s.memory_bytes).c_str());
    ImGui::Text("Bounds: x [%.3g, %.3g]", s.bounds_min[0], s.bounds_max[0]);
    ImGui::Text("        y [%.3g, %.3g]", s.bounds_min[1], s.bounds_max[1]);
    ImGui::Text("        z [%.3g, %.3g]", s.bounds_min[2], s.bounds_max[2]);
    if (s.is_4d) ImGui::Text("Time span: [%.3g, %.3g]", s.time_min, s.time_max);
}

}  // namespace glint::app
