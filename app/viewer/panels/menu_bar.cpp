// The menu bar, the help overlay listing every shortcut, and the open-file and save-as dialogs.
#include <algorithm>
#include <filesystem>
#include <system_error>
#include <vector>

#include <imgui.h>
#include <imgui_stdlib.h>

#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/scene/scene.h"
#include "glint/splatting/scene_io.h"
#include "panels.h"

namespace glint::app {
namespace {

struct Shortcut {
    const char* keys;
    const char* does;
};
constexpr Shortcut kShortcuts[] = {
    {"Left drag", "orbit around the target (fly: look around)"},
    {"Right / middle drag", "pan"},
    {"Wheel", "zoom (fly: change speed)"},
    {"W A S D", "move forward, left, back, right"},
    {"Q / E", "move down / up"},
    {"Shift", "move 4x faster"},
    {"Tab", "switch orbit / fly"},
    {"F", "fit the view to the scene"},
    {"R", "reset the view"},
    {"Space", "play / pause (4D)"},
    {"P or F12", "screenshot (PNG in the current folder)"},
    {"Ctrl+O", "open a scene (or drop a file on the window)"},
    {"G", "show / hide the panel"},
    {"K", "add the current view to the camera path"},
    {"H or F1", "this help"},
    {"Esc", "quit"},
};

// Anything `glint view` opens: the scene formats by extension (a SOG folder's meta.json included) and NeRFs.
bool is_scene_file(const std::filesystem::path& path) {
    if (scene::is_nerf_path(path)) return true;
    try {
        (void)splatting::scene_format_for(path);
        return true;
    } catch (const InputError&) {
        return false;
    }
}

}  // namespace

void draw_menu_bar(ViewerState& s) {
    if (!ImGui::BeginMainMenuBar()) return;
    if (ImGui::BeginMenu("File")) {
        if (ImGui::MenuItem("Open...", "Ctrl+O")) s.file_dialog = true;
        if (ImGui::MenuItem("Save as...")) s.save_dialog = true;
        if (ImGui::MenuItem("Screenshot", "P")) s.screenshot = true;
        ImGui::Separator();
        if (ImGui::MenuItem("Quit", "Esc")) s.quit = true;
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("View")) {
        if (ImGui::MenuItem("Fit to scene", "F")) s.fit_view = true;
        if (ImGui::MenuItem("Reset", "R")) s.reset_view = true;
        bool fly = s.camera_mode == CameraMode::Fly;
        if (ImGui::MenuItem("Fly camera", "Tab", &fly))
            s.camera_mode = fly ? CameraMode::Fly : CameraMode::Orbit;
        ImGui::MenuItem("Panel", "G", &s.show_panel);
        ImGui::MenuItem("V-sync", nullptr, &s.vsync);
        ImGui::Separator();
        if (ImGui::BeginMenu("Up direction")) {
            const char* axes[6] = {"+x", "-x", "+y", "-y", "+z", "-z"};
            for (int k = 0; k < 6; ++k)
                if (ImGui::MenuItem(axes[k])) s.up_request = k;
            ImGui::Separator();
            if (ImGui::MenuItem("This way is up")) s.up_request = ViewerState::kUpThisWay;
            if (ImGui::MenuItem("Level the horizon from this view")) s.up_request = ViewerState::kUpLevel;
            if (!s.up_how.empty()) ImGui::TextDisabled("now: %s", s.up_how.c_str());
            ImGui::EndMenu();
        }
        ImGui::EndMenu();
    }
    if (ImGui::BeginMenu("Help")) {
        ImGui::MenuItem("Shortcuts", "H", &s.show_help);
        ImGui::EndMenu();
    }
    ImGui::SameLine(ImGui::GetWindowWidth() - 300.0f);
    if (s.fps > 0)
        ImGui::TextDisabled("%s  %.0f FPS  render %.1f ms",
                            s.camera_mode == CameraMode::Fly ? "fly" : "orbit", s.fps, s.render_ms);
    else
        ImGui::TextDisabled("%s  idle  render %.1f ms", s.camera_mode == CameraMode::Fly ? "fly" : "orbit",
                            s.render_ms);
    ImGui::EndMainMenuBar();
}

void draw_help_overlay(ViewerState& s) {
    if (!s.show_help) return;
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    ImGui::SetNextWindowPos(ImVec2(size.x * 0.5f, size.y * 0.5f), ImGuiCond_Always, ImVec2(0.5f, 0.5f));
    ImGui::SetNextWindowBgAlpha(0.9f);
    ImGui::Begin(
        "Keyboard and mouse", &s.show_help,
        ImGuiWindowFlags_AlwaysAutoResize | ImGuiWindowFlags_NoCollapse | ImGuiWindowFlags_NoSavedSettings);
    if (ImGui::BeginTable("shortcuts", 2)) {
        for (const Shortcut& k : kShortcuts) {
            ImGui::TableNextRow();
            ImGui::TableSetColumnIndex(0);
            ImGui::TextUnformatted(k.keys);
            ImGui::TableSetColumnIndex(1);
            ImGui::TextUnformatted(k.does);
        }
        ImGui::EndTable();
    }
    ImGui::End();
}

void draw_file_dialog(ViewerState& s) {
    if (s.file_dialog) {
        ImGui::OpenPopup("Open scene");
        s.file_dialog = false;
        if (s.file_dialog_dir.empty()) s.file_dialog_dir = std::filesystem::current_path().string();
    }
    ImGui::SetNextWindowSize(ImVec2(560.0f, 420.0f), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Open scene", nullptr)) return;
    ImGui::InputText("Folder", &s.file_dialog_dir);
    std::error_code error;
    std::vector<std::filesystem::directory_entry> entries;
    for (const auto& entry : std::filesystem::directory_iterator(s.file_dialog_dir, error))
        if (entry.is_directory(error) || is_scene_file(entry.path())) entries.push_back(entry);
    std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        if (a.is_directory() != b.is_directory()) return a.is_directory();
        return a.path().filename() < b.path().filename();
    });
    ImGui::BeginChild("entries", ImVec2(0.0f, -ImGui::GetFrameHeightWithSpacing()), true);
    if (error) ImGui::TextDisabled("%s", error.message().c_str());
    if (ImGui::Selectable(".."))
        s.file_dialog_dir = std::filesystem::path(s.file_dialog_dir).parent_path().string();
    for (const auto& entry : entries) {
        const std::string name = entry.path().filename().string() + (entry.is_directory() ? "/" : "");
        if (ImGui::Selectable(name.c_str())) {
            if (entry.is_directory()) {
                s.file_dialog_dir = entry.path().string();
            } else {
                s.open_path = entry.path().string();
                ImGui::CloseCurrentPopup();
            }
        }
    }
    ImGui::EndChild();
    if (ImGui::Button("Cancel")) ImGui::CloseCurrentPopup();
    ImGui::SameLine();
    ImGui::TextDisabled(".ply .splat .spz .ksplat .gltf .glb .sog, SOG meta.json, .nerf");
    ImGui::EndPopup();
}

void draw_save_dialog(ViewerState& s) {
    if (s.save_dialog) {
        ImGui::OpenPopup("Save scene as");
        s.save_dialog = false;
    }
    ImGui::SetNextWindowSize(ImVec2(560.0f, 0.0f), ImGuiCond_Appearing);
    if (!ImGui::BeginPopupModal("Save scene as", nullptr)) return;
    ImGui::InputText("File", &s.save_path);
    ImGui::TextDisabled("The format follows the name: .ply .splat .spz .compressed.ply .glb .gltf .sog,");
    ImGui::TextDisabled("a SOG folder's meta.json; .nerf for a NeRF. An existing file is replaced.");
    if (ImGui::Button("Save")) {
        s.save = true;
        ImGui::CloseCurrentPopup();
    }
    ImGui::SameLine();
    if (ImGui::Button("Cancel")) ImGui::CloseCurrentPopup();
    ImGui::EndPopup();
}

}  // namespace glint::app
