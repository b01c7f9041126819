// Training panel (`glint train --view`): progress, pause/resume, stop, and the loss and PSNR curves.
#include <algorithm>
#include <cstdio>

#include <imgui.h>

#include "panels.h"

namespace glint::app {

void draw_training_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Training", ImGuiTreeNodeFlags_DefaultOpen)) return;
    const splatting::TrainingProgress& t = s.training_progress;
    const float fraction =
        t.iterations > 0 ? static_cast<float>(t.iteration) / static_cast<float>(t.iterations) : 0.0f;
    char overlay[64];
    std::snprintf(overlay, sizeof(overlay), "%d / %d", t.iteration, t.iterations);
    ImGui::ProgressBar(fraction, ImVec2(-1.0f, 0.0f), overlay);
    const bool paused = t.state == splatting::TrainingState::Paused;
    if (t.state == splatting::TrainingState::Running || paused) {
        if (ImGui::Button(paused ? "Resume" : "Pause")) s.training_pause_request = paused ? 0 : 1;
        ImGui::SameLine();
        if (ImGui::Button("Stop and save")) s.training_stop_request = true;
        ImGui::SameLine();
    }
    ImGui::TextDisabled("%s", to_string(t.state));
    ImGui::Text("loss %.4f   PSNR %.2f dB (training view)", t.loss, t.psnr);
    ImGui::Text("%zu Gaussians   %.1f it/s   %.0f s", t.gaussians, t.rate, t.seconds);
    if (!t.test_psnr.empty())
        ImGui::Text("test PSNR %.2f dB at iteration %.0f", static_cast<double>(t.test_psnr.back()),
                    static_cast<double>(t.test_iterations.back()));
    const float width = ImGui::GetContentRegionAvail().x;
    if (!t.loss_curve.empty()) {
        const auto [low, high] = std::minmax_element(t.loss_curve.begin(), t.loss_curve.end());
        ImGui::PlotLines("##loss", t.loss_curve.data(), static_cast<int>(t.loss_curve.size()), 0, "loss",
                         *low, *high, ImVec2(width, 60.0f));
        const auto [plow, phigh] = std::minmax_element(t.psnr_curve.begin(), t.psnr_curve.end());
        ImGui::PlotLines("##psnr", t.psnr_curve.data(), static_cast<int>(t.psnr_curve.size()), 0,
                         "PSNR (training views)", *plow, *phigh, ImVec2(width, 60.0f));
    }
    if (t.test_psnr.size() > 1) {
        const auto [low, high] = std::minmax_element(t.test_psnr.begin(), t.test_psnr.end());
        ImGui::PlotLines("##test", t.test_psnr.data(), static_cast<int>(t.test_psnr.size()), 0, "test PSNR",
                         *low, *high, ImVec2(width, 50.0f));
    }
    if (!t.status.empty()) ImGui::TextWrapped("%s", t.status.c_str());
}

}  // namespace glint::app
