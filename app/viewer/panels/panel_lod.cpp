// Level-of-detail panel: a Gaussian budget, a minimum projected size, or a budget that holds a frame rate.
#include <algorithm>

#include <imgui.h>

#include "panels.h"

namespace glint::app {

void draw_lod_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Level of detail")) return;
    int mode = static_cast<int>(s.lod);
    ImGui::Combo("Mode", &mode, "Off\0Gaussian budget\0Minimum size\0Automatic (hold FPS)\0");
    s.lod = static_cast<LodMode>(mode);
    const int total = static_cast<int>(std::min<std::size_t>(s.gaussians, 2'000'000'000));
    if (s.budget <= 0 || s.budget > total) s.budget = total;
    switch (s.lod) {
        case LodMode::Off:
            ImGui::TextDisabled("every Gaussian is drawn");
            break;
        case LodMode::Budget:
            ImGui::SliderInt("Budget", &s.budget, std::min(total, 1000), total, "%d",
                             ImGuiSliderFlags_Logarithmic);
            ImGui::TextDisabled("the most important first (opacity x area)");
            break;
        case LodMode::MinSize:
            ImGui::SliderFloat("Min radius (px)", &s.min_radius, 0.0f, 16.0f, "%.1f");
            break;
        case LodMode::Auto:
            ImGui::Text("Budget: %d (%.0f%%)", s.budget, 100.0 * s.budget / std::max(1, total));
            ImGui::TextDisabled("holds %.0f FPS while moving or playing", s.target_fps);
            ImGui::TextDisabled("(target in Render); still: every Gaussian");
            break;
    }
    ImGui::Text("Drawn: %zu, visible: %zu", s.drawn, s.visible);
}

}  // namespace glint::app
