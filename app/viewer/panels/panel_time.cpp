// Time panel for 4D scenes: play, pause, speed, loop, scrubber.
#include <imgui.h>

#include "panels.h"

namespace glint::app {

void draw_time_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Time", ImGuiTreeNodeFlags_DefaultOpen)) return;
    if (ImGui::Button(s.playing ? "Pause" : "Play")) s.playing = !s.playing;
    ImGui::SameLine();
    if (ImGui::Button("|<")) s.time = s.time_min;
    ImGui::SameLine();
    ImGui::Checkbox("Loop", &s.loop);
    ImGui::SliderFloat("Time", &s.time, s.time_min, s.time_max, "%.3f");
    ImGui::SliderFloat("Speed", &s.speed, 0.05f, 8.0f, "%.2f x", ImGuiSliderFlags_Logarithmic);
    ImGui::TextDisabled("1 x plays the span in 10 s; space: play/pause");
}

}  // namespace glint::app
