// Stats panel: frame rate and per-stage timings over the last frames.
#include <algorithm>
#include <utility>
#include <vector>

#include <imgui.h>

#include "panels.h"

namespace glint::app {
namespace {

void plot(const char* label, const std::deque<float>& values) {
    if (values.empty()) return;
    const std::vector<float> v(values.begin(), values.end());
    const float top = *std::max_element(v.begin(), v.end());
    char overlay[64];
    std::snprintf(overlay, sizeof overlay, "%s %.2f ms (max %.1f)", label, v.back(), top);
    ImGui::PlotLines("##plot", v.data(), static_cast<int>(v.size()), 0, overlay, 0.0f,
                     std::max(top * 1.1f, 1.0f), ImVec2(-1.0f, 42.0f));
}

}  // namespace

void TimingHistory::push(float frame, float preprocess, float sort, float blend, float display) {
    for (auto [series, value] :
         {std::pair{&frame_ms, frame}, std::pair{&preprocess_ms, preprocess}, std::pair{&sort_ms, sort},
          std::pair{&blend_ms, blend}, std::pair{&display_ms, display}}) {
        series->push_back(value);
        if (series->size() > kLength) series->pop_front();
    }
}

void draw_stats_panel(ViewerState& s) {
    if (!ImGui::CollapsingHeader("Stats", ImGuiTreeNodeFlags_DefaultOpen)) return;
    if (s.fps > 0)
        ImGui::Text("%.1f FPS   render %.1f ms", s.fps, s.render_ms);
    else
        ImGui::Text("idle   last render %.1f ms", s.render_ms);
    ImGui::TextDisabled("no new frame is drawn while nothing changes");
    if (s.cut_nodes > 0)
        ImGui::Text("hierarchy cut: %zu Gaussians (%.1f%%) at %.1f px, %.1f ms to choose", s.cut_nodes,
                    100.0 * static_cast<double>(s.cut_nodes) /
                        static_cast<double>(std::max<std::size_t>(s.gaussians, 1)),
                    s.cut_target, s.cut_ms);
    const std::pair<const char*, const std::deque<float>*> series[] = {
        {"frame", &s.timings.frame_ms},
        {"preprocess", &s.timings.preprocess_ms},
        {"sort", &s.timings.sort_ms},
        {"blend", &s.timings.blend_ms},
        {"display + upload", &s.timings.display_ms}};
    for (const auto& [label, values] : series) {
        ImGui::PushID(label);
        plot(label, *values);
        ImGui::PopID();
    }
}

}  // namespace glint::app
