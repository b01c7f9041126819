// Pruning panel: thresholds with a live preview of what goes and what stays, Apply, and Save As.
#include <imgui.h>
#include <imgui_stdlib.h>

#include "panels.h"

namespace glint::app {

namespace {

void draw_nerf_pruning(ViewerState& s) {
    ImGui::TextWrapped(
        "Removes the occupancy cells no view uses (samples lighter than the weight below in every view) "
        "and the hash-table entries no occupied cell reaches.");
    ImGui::SliderFloat("Min weight", &s.nerf_prune_min_weight, 1e-5f, 0.1f, "%.1e",
                       ImGuiSliderFlags_Logarithmic);
    ImGui::TextWrapped("Views: %s", s.nerf_prune_views.c_str());
    if (s.nerf_pruning) {
        ImGui::ProgressBar(s.nerf_prune_fraction, ImVec2(-1.0f, 0.0f));
        if (ImGui::Button("Cancel")) s.nerf_prune_cancel = true;
    } else {
        if (ImGui::Button("Prune")) s.nerf_prune_start = true;
        if (s.nerf_pruned) {
            ImGui::SameLine();
            if (ImGui::Button("Revert")) s.nerf_prune_revert = true;
        }
    }
    if (!s.nerf_prune_report.empty()) ImGui::TextWrapped("%s", s.nerf_prune_report.c_str());
    ImGui::InputText("##save", &s.save_path);
    ImGui::SameLine();
    if (ImGui::Button("Save As")) s.save = true;
    ImGui::TextDisabled(".nerf (sparse tables); written atomically");
}

}  // namespace

void draw_pruning_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Pruning")) return;
    if (s.is_nerf) {
        draw_nerf_pruning(s);
        return;
    }
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
