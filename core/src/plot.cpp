// A small line-chart rasterizer.
#include "glint/core/plot.h"

// stb_easy_font is a header of static functions written for C: quiet its conversions.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wsign-conversion"
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <stb_easy_font.h>
#pragma GCC diagnostic pop

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "glint/core/image_io.h"

namespace glint {
namespace {

using Rgb = std::array<unsigned char, 3>;

class Canvas {
public:
    Canvas(int width, int height)
        : m_width(width), m_height(height), m_pixels(static_cast<std::size_t>(width) * height * 3, 255) {}
    void set(int x, int y, Rgb c) {
        if (x < 0 || y < 0 || x >= m_width || y >= m_height) return;
        std::copy(c.begin(), c.end(), m_pixels.begin() + (static_cast<std::ptrdiff_t>(y) * m_width + x) * 3);
    }
    void rect(int x0, int y0, int x1, int y1, Rgb c) {
        for (int y = y0; y < y1; ++y)
            for (int x = x0; x < x1; ++x) set(x, y, c);
    }
    // A line two pixels wide.
    void line(double x0, double y0, double x1, double y1, Rgb c) {
        const int steps = static_cast<int>(std::max(std::abs(x1 - x0), std::abs(y1 - y0))) + 1;
        for (int i = 0; i <= steps; ++i) {
            const double t = static_cast<double>(i) / steps;
            const int x = static_cast<int>(std::lround(x0 + t * (x1 - x0))),
                      y = static_cast<int>(std::lround(y0 + t * (y1 - y0)));
            rect(x, y, x + 2, y + 2, c);
        }
    }
    // Text with its top-left corner at (x, y), stb_easy_font's 6x8-ish glyphs scaled by `scale`.
    void text(int x, int y, const std::string& s, Rgb c, int scale = 1) {
        static char buffer[99999];
        const int quads =
            stb_easy_font_print(0, 0, const_cast<char*>(s.c_str()), nullptr, buffer, sizeof buffer);
        for (int q = 0; q < quads; ++q) {
            const float* v = reinterpret_cast<const float*>(buffer + q * 64);  // 4 vertices of 16 bytes
            const int qx0 = static_cast<int>(v[0]), qy0 = static_cast<int>(v[1]);
            const int qx1 = static_cast<int>(v[8]), qy1 = static_cast<int>(v[9]);
            rect(x + qx0 * scale, y + qy0 * scale, x + qx1 * scale, y + qy1 * scale, c);
        }
    }
    static int text_width(const std::string& s) { return stb_easy_font_width(const_cast<char*>(s.c_str())); }
    const std::vector<std::uint8_t>& pixels() const { return m_pixels; }

private:
    int m_width, m_height;
    std::vector<std::uint8_t> m_pixels;
};

std::string number(double v) {
    char text[32];
    if (v == std::round(v) && std::abs(v) < 1e7)
        std::snprintf(text, sizeof text, "%.0f", v);  // iterations, seconds: whole numbers in full
    else
        std::snprintf(text, sizeof text, "%.3g", v);
    return text;
}

// A grid label: enough decimals that labels `step` apart differ (27.92, 28.04, ... rather than 27.9, 28,
// 28.1, 28.3 with uneven gaps); at most six.
std::string grid_number(double v, double step) {
    const int decimals = step > 0 ? std::clamp(1 - static_cast<int>(std::floor(std::log10(step))), 0, 6) : 3;
    char text[32];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

}  // namespace

void write_plot_png(const std::filesystem::path& path, const std::vector<PlotPanel>& panels, int width,
                    int panel_height) {
    const int height = panel_height * static_cast<int>(std::max<std::size_t>(panels.size(), 1));
    Canvas canvas(width, height);
    const Rgb ink{40, 40, 40}, grid{225, 225, 225};
    for (std::size_t p = 0; p < panels.size(); ++p) {
        const PlotPanel& panel = panels[p];
        const int top = static_cast<int>(p) * panel_height;
        const int left = 92, right = width - 24, plot_top = top + 28, bottom = top + panel_height - 34;
        canvas.text(left, top + 8, panel.title, ink, 2);
        double x_lo = 1e300, x_hi = -1e300, y_lo = 1e300, y_hi = -1e300;
        for (const PlotSeries& s : panel.series)
            for (std::size_t i = 0; i < std::min(s.x.size(), s.y.size()); ++i) {
                if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
                x_lo = std::min(x_lo, s.x[i]), x_hi = std::max(x_hi, s.x[i]);
                y_lo = std::min(y_lo, s.y[i]), y_hi = std::max(y_hi, s.y[i]);
            }
        canvas.rect(left, bottom, right, bottom + 1, ink);
        canvas.rect(left, plot_top, left + 1, bottom, ink);
        if (x_lo > x_hi) {
            canvas.text(left + 20, (plot_top + bottom) / 2, "no data", ink, 2);
            continue;
        }
        if (x_hi == x_lo) x_hi = x_lo + 1;
        const double pad = y_hi > y_lo ? 0.05 * (y_hi - y_lo) : 0.5;
        y_lo -= pad, y_hi += pad;
        const auto px = [&](double x) { return left + (x - x_lo) / (x_hi - x_lo) * (right - left); };
        const auto py = [&](double y) { return bottom - (y - y_lo) / (y_hi - y_lo) * (bottom - plot_top); };
        for (int k = 0; k <= 4; ++k) {  // horizontal grid lines with labels
            const double y = y_lo + (y_hi - y_lo) * k / 4.0;
            const int row = static_cast<int>(py(y));
            if (k > 0) canvas.rect(left + 1, row, right, row + 1, grid);
            const std::string label = grid_number(y, (y_hi - y_lo) / 4.0);
            canvas.text(left - 6 - Canvas::text_width(label) * 2, row - 6, label, ink, 2);
        }
        canvas.text(left, bottom + 6, number(x_lo), ink, 2);
        const std::string hi = number(x_hi);
        canvas.text(right - Canvas::text_width(hi) * 2, bottom + 6, hi, ink, 2);
        canvas.text((left + right) / 2 - Canvas::text_width(panel.x_label), bottom + 6, panel.x_label, ink,
                    2);
        int legend = left + 10;
        for (const PlotSeries& s : panel.series) {
            const std::size_t n = std::min(s.x.size(), s.y.size());
            for (std::size_t i = 0; i + 1 < n; ++i)
                canvas.line(px(s.x[i]), py(s.y[i]), px(s.x[i + 1]), py(s.y[i + 1]), s.color);
            for (std::size_t i = 0; i < n; ++i) {
                const int cx = static_cast<int>(px(s.x[i])), cy = static_cast<int>(py(s.y[i]));
                canvas.rect(cx - 2, cy - 2, cx + 3, cy + 3, s.color);
            }
            if (!s.name.empty()) {
                canvas.rect(legend, plot_top + 6, legend + 14, plot_top + 12, s.color);
                canvas.text(legend + 18, plot_top + 2, s.name, ink, 2);
                legend += 30 + Canvas::text_width(s.name) * 2;
            }
        }
    }
    write_png(path, width, height, 3, canvas.pixels());
}

}  // namespace glint
