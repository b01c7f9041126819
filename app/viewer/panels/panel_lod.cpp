// Level-of-detail panel: a Gaussian budget, a minimum projected size, a budget that holds a frame rate, or
// the Gaussian hierarchy's cut (a target size, a budget, an automatic target, colours by level).
#include <algorithm>
#include <array>

#include <imgui.h>

#include "glint/core/colormap.h"
#include "panels.h"

namespace glint::app {

void draw_lod_panel(ViewerState& s) {
    if (s.lod != LodMode::Off)
        ImGui::SetNextItemOpen(true, ImGuiCond_Once);  // opened on a mode (--lod-pixels)
    if (!ImGui::CollapsingHeader("Level of detail")) return;
    int mode = static_cast<int>(s.lod);
    ImGui::Combo("Mode", &mode,
                 "Off\0Gaussian budget\0Minimum size\0Automatic (hold FPS)\0Gaussian hierarchy\0");
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
        case LodMode::Hierarchy:
            if (s.is_4d) {
                ImGui::TextDisabled("3D scenes only: a 4D frame looks at the Gaussians");
                ImGui::TextDisabled("alive at its time (temporal hierarchy)");
                break;
            }
            ImGui::SliderFloat("Target (px)", &s.lod_pixels, 0.0f, 64.0f, "%.1f",
                               ImGuiSliderFlags_Logarithmic);
            ImGui::TextDisabled("nodes projecting under the target are drawn");
            ImGui::Checkbox("Budget", &s.lod_use_budget);
            if (s.lod_use_budget) {
                ImGui::SameLine();
                ImGui::SliderInt("##cut budget", &s.lod_budget, std::min(total, 1000), std::max(total, 1000),
                                 "%d", ImGuiSliderFlags_Logarithmic);
            }
            if (ImGui::Checkbox("Automatic target (hold FPS)", &s.lod_auto) && s.lod_auto)
                s.lod_auto_pixels = std::max(s.lod_pixels, 0.5f);
            if (s.lod_auto)
                ImGui::TextDisabled("moving or playing: %.1f px for %.0f FPS", s.lod_auto_pixels,
                                    s.target_fps);
            ImGui::Checkbox("Colour by level", &s.lod_levels);
            if (s.lod_levels) {
                // The legend: turbo from the scene's own Gaussians (level 0) to 10 levels up.
                for (int level = 0; level <= 10; level += 2) {
                    const std::array<float, 3> c = turbo(0.1f + 0.9f * static_cast<float>(level) / 10.0f);
                    if (level > 0) ImGui::SameLine();
                    ImGui::ColorButton("##level", ImVec4(c[0], c[1], c[2], 1.0f),
                                       ImGuiColorEditFlags_NoTooltip, ImVec2(14, 14));
                    ImGui::SameLine();
                    ImGui::Text("%d%s", level, level == 10 ? "+" : "");
                }
            }
            if (s.cut_nodes > 0)
                ImGui::Text("Cut: %zu of %zu (%.1f%%) at %.1f px", s.cut_nodes, s.gaussians,
                            100.0 * static_cast<double>(s.cut_nodes) /
                                static_cast<double>(std::max<std::size_t>(s.gaussians, 1)),
                            s.cut_target);
            ImGui::TextDisabled("the file's hierarchy (glint lod), else built once");
            break;
    }
    ImGui::Text("Drawn: %zu, visible: %zu", s.drawn, s.visible);
}

}  // namespace glint::app
