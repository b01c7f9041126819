// Pruning panel: thresholds or significance (scored on a worker thread) with a live preview of what goes
// and what stays, Apply, fine-tuning on the dataset beside the scene, and Save As.
#include <imgui.h>
#include <imgui_stdlib.h>

#include <algorithm>

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
    if (s.open_pruning) ImGui::SetNextItemOpen(true);
    s.open_pruning = false;
    if (!ImGui::CollapsingHeader("Pruning")) return;
    if (s.is_nerf) {
        draw_nerf_pruning(s);
        return;
    }
    ImGui::Combo("Mode", &s.prune_mode, "Thresholds\0Significance\0");
    const bool busy = s.scoring || s.finetuning;
    if (s.prune_mode == 0) {
        ImGui::SliderFloat("Min opacity", &s.prune_min_opacity, 0.0f, 0.5f, "%.3f",
                           ImGuiSliderFlags_Logarithmic);
        ImGui::SliderFloat("Max scale", &s.prune_max_scale, 0.0f, 10.0f,
                           s.prune_max_scale > 0 ? "%.3g" : "no limit", ImGuiSliderFlags_Logarithmic);
        ImGui::SliderFloat("Min scale", &s.prune_min_scale, 0.0f, 0.1f,
                           s.prune_min_scale > 0 ? "%.3g" : "no limit", ImGuiSliderFlags_Logarithmic);
    } else {
        ImGui::TextWrapped(s.is_4d
                               ? "4DGS-1K's spatial-temporal score: what each Gaussian gives the views over "
                                 "time; short-lived, small, little-seen ones go first."
                               : "LightGaussian's significance: what each Gaussian gives the views, "
                                 "weighted by its volume; the least significant go first.");
        ImGui::TextWrapped("Views: %s", s.prune_views.c_str());
        if (s.scoring) {
            ImGui::ProgressBar(s.prune_job_fraction, ImVec2(-1.0f, 0.0f), "scoring");
            if (ImGui::Button("Cancel")) s.prune_job_cancel = true;
        } else {
            if (busy) ImGui::BeginDisabled();
            if (ImGui::Button(s.significance_ready ? "Score again" : "Score")) s.score_start = true;
            if (busy) ImGui::EndDisabled();
        }
        if (!s.significance_ready) ImGui::BeginDisabled();
        ImGui::SliderFloat("Remove", &s.prune_fraction, 0.0f, 0.99f, "%.2f");
        if (!s.significance_ready) ImGui::EndDisabled();
    }
    int preview = static_cast<int>(s.prune_preview);
    ImGui::Combo("Preview", &preview, "Off\0What stays\0What is removed\0");
    s.prune_preview = static_cast<PrunePreview>(preview);
    const std::size_t removed = s.gaussians - s.prune_kept;
    ImGui::Text(
        "Stay: %zu   removed: %zu (%.1f%%)", s.prune_kept, removed,
        s.gaussians > 0 ? 100.0 * static_cast<double>(removed) / static_cast<double>(s.gaussians) : 0.0);
    if (removed == 0 || busy) ImGui::BeginDisabled();
    if (ImGui::Button("Apply")) s.prune_apply = true;
    if (removed == 0 || busy) ImGui::EndDisabled();
    if (s.has_dataset) {
        if (s.finetuning) {
            ImGui::ProgressBar(s.prune_job_fraction, ImVec2(-1.0f, 0.0f), "fine-tuning");
            if (ImGui::Button("Cancel fine-tuning")) s.prune_job_cancel = true;
        } else {
            ImGui::SetNextItemWidth(ImGui::GetFontSize() * 6.0f);
            ImGui::InputInt("##iterations", &s.finetune_iterations, 100, 1000);
            s.finetune_iterations = std::clamp(s.finetune_iterations, 1, 100000);
            ImGui::SameLine();
            if (busy) ImGui::BeginDisabled();
            if (ImGui::Button("Fine-tune")) s.finetune_start = true;
            if (busy) ImGui::EndDisabled();
        }
        ImGui::PushTextWrapPos(0.0f);
        ImGui::TextDisabled("trains on the dataset beside the scene, no densification");
        ImGui::PopTextWrapPos();
    }
    ImGui::InputText("##save", &s.save_path);
    ImGui::SameLine();
    if (ImGui::Button("Save As")) s.save = true;
    ImGui::TextDisabled(".ply, .compressed.ply, .splat or .spz; written atomically");
}

}  // namespace glint::app
