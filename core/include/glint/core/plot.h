// Line charts as PNG (training curves): axes with labelled ranges, one or more series, a title; text
// through stb_easy_font.
#pragma once

#include <array>
#include <filesystem>
#include <string>
#include <vector>

namespace glint {

struct PlotSeries {
    std::string name;
    std::vector<double> x, y;
    std::array<unsigned char, 3> color{31, 119, 180};
};

struct PlotPanel {
    std::string title, x_label;
    std::vector<PlotSeries> series;
};

// Panels stacked vertically, each `width` x `panel_height` pixels; written atomically. Series with
// fewer than one point are skipped; a panel with no points shows "no data".
void write_plot_png(const std::filesystem::path& path, const std::vector<PlotPanel>& panels, int width = 640,
                    int panel_height = 240);

}  // namespace glint
