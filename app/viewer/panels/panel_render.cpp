// Render panel: backend, display mode, background, SH degree, anti-aliasing, resolution.
#include <imgui.h>

#include "panels.h"

namespace glint::app {

void draw_render_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Render", ImGuiTreeNodeFlags_DefaultOpen)) return;
    int backend = s.backend == Backend::Cuda ? 1 : 0;
    ImGui::RadioButton("CPU", &backend, 0);
    ImGui::SameLine();
    if (!s.cuda_usable) ImGui::BeginDisabled();
    ImGui::RadioButton("CUDA", &backend, 1);
    if (!s.cuda_usable) {
        ImGui::EndDisabled();
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled))
            ImGui::SetTooltip("%s", s.cuda_reason.c_str());
    }
    s.backend = backend == 1 ? Backend::Cuda : Backend::Cpu;
    if (s.is_nerf)
        ImGui::TextWrapped(
            "A NeRF renders on the CPU: a quick frame when the view changes, refined to full "
            "resolution while it stays.");
    else if (s.backend == Backend::Cuda)
        ImGui::TextDisabled(s.cuda_shared ? "pixels shared with Vulkan, no copy"
                                          : "pixels through host memory");

    int mode = static_cast<int>(s.display);
    if (s.is_nerf) {  // no per-pixel counts for a NeRF
        if (mode == static_cast<int>(DisplayMode::Heat)) mode = 0;
        ImGui::Combo("Show", &mode, "Colour\0Depth\0Alpha\0");
    } else {
        ImGui::Combo("Show", &mode, "Colour\0Depth\0Alpha\0Gaussians per pixel\0");
    }
    s.display = static_cast<DisplayMode>(mode);
    if (s.display == DisplayMode::Depth)
        ImGui::TextDisabled("red %.3g  ->  blue %.3g", s.depth_near, s.depth_far);
    if (s.display == DisplayMode::Heat) ImGui::TextDisabled("blue 1  ->  red %u", s.heat_max);
    ImGui::ColorEdit3("Background", s.background.data());
    if (!s.is_nerf) {
        ImGui::SliderInt("SH degree", &s.sh_degree_limit, 0, s.sh_degree);
        ImGui::Checkbox("Anti-aliasing (Mip-Splatting filter)", &s.antialias);
    }
    ImGui::SliderFloat("Resolution", &s.resolution_scale, 0.25f, 1.0f, "%.2f x");
    if (s.backend == Backend::Cpu || s.is_nerf) {
        ImGui::Checkbox("Lower resolution while moving", &s.adaptive_resolution);
        if (s.adaptive_resolution) ImGui::TextDisabled("while moving: %.2f x", s.adaptive_scale);
    }
    if (s.is_nerf && s.nerf_refined < 1.0f) {
        ImGui::ProgressBar(s.nerf_refined, ImVec2(-1.0f, 0.0f));
        ImGui::TextDisabled("refining to full resolution");
    }
    ImGui::SliderFloat("Target FPS", &s.target_fps, 5.0f, 144.0f, "%.0f");
    ImGui::Text("Image: %d x %d", s.render_width, s.render_height);
}

}  // namespace glint::app
