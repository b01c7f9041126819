// Pruning panel: thresholds with a live preview of what goes and what stays, Apply, and Save As.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "panels.h"

namespace glint::app {

void draw_pruning_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Pruning")) return;
    ImGui::SliderFloat("Min opacity", &s.prune_min_opacity, 0.0f, 0.5f, "%.3f", ImGuiSliderFlags_Logarithmic);
    ImGui::SliderFloat("Max scale", &s.prune_max_scale, 0.0f, 10.0f,
                       s.prune_max_scale > 0 ? "%.3g" : "no limit", ImGuiSliderFlags_Logarithmic);
    ImGui::SliderFloat("Min scale", &s.prune_min_scale, 0.0f, 0.1f,
                       s.prune_min_scale > 0 ? "%.3g" : "no limit", ImGuiSliderFlags_Logarithmic);
    int preview = static_cast<int>(s.prune_preview);
    ImGui::Combo("Preview", &preview, "Off\0What stays\0What is removed\0");
    s.prune_preview = static_cast<PrunePreview>(preview);
    const std::size_t removed = s.gaussians - s.prune_kept;
    ImGui::Text(
        "Stay: %zu   removed: %zu (%.1f%%)", s.prune_kept, removed,
        s.gaussians > 0 ? 100.0 * static_cast<double>(removed) / static_cast<double>(s.gaussians) : 0.0);
    if (removed == 0) ImGui::BeginDisabled();
    if (ImGui::Button("Apply")) s.prune_apply = true;
    if (removed == 0) ImGui::EndDisabled();
    ImGui::InputText("##save", &s.save_path);
    ImGui::SameLine();
    if (ImGui::Button("Save As")) s.save = true;
    ImGui::TextDisabled(".ply or .splat; written atomically");
}

}  // namespace glint::app
