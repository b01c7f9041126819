// NeRF scenes in the commands that render: recognising a .nerf file, and the sphere the automatic view
// frames.
#pragma once

#include <filesystem>

#include "glint/core/camera.h"
#include "glint/core/backend.h"
#include "glint/nerf/model.h"
#include "glint/nerf/render.h"
#include "glint/splatting/raster/rasterizer.h"
#include "view_options.h"

namespace glint::app {

// True for a path ending in .nerf (case-insensitive).
bool is_nerf_path(const std::filesystem::path& path);

// The sphere around the model's occupied cells (the scene box when none is occupied).
SceneSphere nerf_sphere(const nerf::NerfModel& model);

// Renders a NeRF into the rasterizer's output type, so that the display, `glint render`, the recorder and
// the viewer treat it as any frame: colour over settings.background, opacity, expected depth (no
// per-pixel counts: contributors stay zero), and packed_rgba when set. The whole time is in blend_ms;
// `stats` (may be null) gets the NeRF's own figures (samples evaluated, the backend that ran).
// `first_row` and `rows` (< 0: to the bottom) render a band of the camera's image only (the output is
// that band).
splatting::RenderStats render_nerf_frame(const nerf::NerfModel& model, const Camera& camera,
                                         const splatting::RenderSettings& settings, Backend backend,
                                         splatting::RenderOutput& out, nerf::NerfRenderStats* stats = nullptr,
                                         int first_row = 0, int rows = -1);

}  // namespace glint::app
