// The viewer's ImGui panels, one per file; each reads and writes only the ViewerState.
#pragma once

#include "../viewer_state.h"

namespace glint::app {

// Width of the side window in pixels; the scene is drawn to its right while it is shown.
inline constexpr float kPanelWidth = 340.0f;

// The side window holding the panels below, with the last error and notices at its top.
void draw_side_window(ViewerState& state, double now);

void draw_scene_panel(ViewerState& state);
void draw_render_panel(ViewerState& state);
void draw_lod_panel(ViewerState& state);
void draw_pruning_panel(ViewerState& state);
void draw_time_panel(ViewerState& state);
void draw_stats_panel(ViewerState& state);
void draw_training_panel(ViewerState& state);
void draw_path_panel(ViewerState& state);

// The menu bar, the keyboard-shortcut help overlay and the open-file dialog.
void draw_menu_bar(ViewerState& state);
void draw_help_overlay(ViewerState& state);
void draw_file_dialog(ViewerState& state);
// File > Save as: a path whose extension picks the format; requests state.save with state.save_path.
void draw_save_dialog(ViewerState& state);

}  // namespace glint::app
