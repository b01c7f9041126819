// The viewer's window loop, in the Dear ImGui GLFW+Vulkan example's order: poll (or wait while nothing
// changes), rebuild the swapchain when needed, new frame, panels, render the scene when its image is
// out of date, record, submit, present.
#include "viewer.h"
#include "glint/splatting/train/live_training.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <imgui.h>

#include "../default_scene.h"
#include "gaussian_pruning_job.h"
#include "glint/core/camera_controller.h"
#include "glint/core/camera_io.h"
#include "glint/core/camera_path.h"
#include "glint/core/error.h"
#include "glint/core/frame_display.h"
#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
#include "glint/core/up_settings.h"
#include "glint/nerf/model.h"
#include "glint/nerf/prune.h"
#include "glint/renderer/imgui_layer.h"
#include "glint/renderer/presenter.h"
#include "glint/renderer/swapchain.h"
#include "glint/renderer/vulkan_context.h"
#include "glint/renderer/window.h"
#include "glint/splatting/raster/rasterizer.h"
#include "glint/splatting/scene_io.h"
#include "glint/splatting/scene_stats.h"
#include "glint/splatting/selection.h"
#include "glint/splatting/up_direction.h"
#include "nerf_pruning_job.h"
#include "panels/panels.h"
#include "path_editor.h"
#include "recording_job.h"
#include "scene_host.h"
#include "viewer_state.h"

namespace glint::app {
namespace {

using Clock = std::chrono::steady_clock;
constexpr int kSlots = renderer::Presenter::kFramesInFlight;
constexpr std::array<float, 4> kClearColor{0.0f, 0.0f, 0.0f, 1.0f};
// After an input event ImGui needs a few frames to settle (hover states, popups opening).
constexpr int kFramesAfterEvent = 3;
constexpr std::uint64_t kFenceTimeout = 10'000'000'000ull;  // 10 s: longer means the device is lost

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string timestamp_name() {
    const std::time_t now = std::time(nullptr);
    char text[64];
    std::strftime(text, sizeof text, "glint-%Y%m%d-%H%M%S.png", std::localtime(&now));
    return text;
}

class Viewer {
public:
    explicit Viewer(const ViewerOptions& options);
    ~Viewer();
    int run();

private:
    struct Slot {
        vk::raii::CommandBuffer cmd = nullptr;
        vk::raii::Fence fence = nullptr;
        vk::raii::Semaphore acquired = nullptr;
    };

    void create_graphics();
    void destroy_graphics();
    void load(const std::string& path);
    void install(std::unique_ptr<scene::Scene> scene, const std::string& name, const std::string& path);
    void initial_view();
    void set_up(int request);  // ViewerState::up_request
    void handle_input(double seconds, bool& moved);
    void handle_requests();
    void poll_training();
    void start_recording();
    void poll_recording();
    void draw_frame(bool moving);
    void rebuild_swapchain();
    void write_screenshot(const std::string& path);
    void notice(const std::string& text);
    vk::Rect2D scene_viewport() const;

    ViewerOptions m_options;
    ViewerState m_state;
    CameraController m_camera;
    CameraController m_initial_camera;

    std::unique_ptr<renderer::Window> m_window;
    std::unique_ptr<renderer::VulkanContext> m_context;
    std::unique_ptr<renderer::Swapchain> m_swapchain;
    std::unique_ptr<renderer::Presenter> m_presenter;
    std::unique_ptr<renderer::ImGuiLayer> m_imgui;
    std::vector<vk::raii::Framebuffer> m_framebuffers;
    std::vector<vk::raii::Semaphore> m_rendered;  // per swapchain image
    std::uint64_t m_framebuffer_generation = 0;
    std::array<Slot, kSlots> m_slots;
    int m_slot = 0;
    renderer::Buffer m_shot_buffer;
    bool m_swapchain_stale = false;

    // The scene on screen and its image; the jobs that work on copies of it.
    SceneHost m_host{m_state, m_options.view, [this](const std::string& text) { notice(text); }};
    NerfPruningJob m_pruning{m_state, m_host, [this](const std::string& text) { notice(text); }};
    GaussianPruningJob m_gaussian_pruning{m_state, m_host, [this](const std::string& text) { notice(text); }};
    std::unique_ptr<RecordingJob> m_recording;
    std::uint64_t m_live_version = 0;  // of the trainer's Gaussians shown
    std::uint64_t m_events_seen = 0;
    Clock::time_point m_start = Clock::now();

    PathEditor m_path{m_state, m_camera, [this](const std::string& text) { notice(text); }};
};

// Every window event bumps this; the loop waits for events when nothing else needs a frame.
std::uint64_t g_events = 0;
// Key presses since the last frame. Kept here rather than read from ImGui's key state, which misses a
// press and release that both fall between two frames (a quick tap at a low frame rate).
std::vector<int> g_pressed_keys;

Viewer::Viewer(const ViewerOptions& options) : m_options(options) {
    m_state.vsync = options.vsync;
    m_state.show_panel = !options.hide_panel;
    m_state.camera_mode = options.fly ? CameraMode::Fly : CameraMode::Orbit;
    m_state.antialias = options.view.antialias;
    const CudaStatus& cuda = cuda_status();
    m_state.cuda_usable = cuda.usable();
    m_state.cuda_reason = cuda.reason;
    m_state.backend = resolve_backend(parse_backend(options.view.backend));

    // A bad scene on the command line is the command's error (exit 2), found before any window opens;
    // scenes opened later report to the panel.
    std::string name;
    std::unique_ptr<scene::Scene> scene;
    if (options.live != nullptr) {
        name = "training";
        splatting::LoadedScene live;
        options.live->take_cloud(m_live_version, live.cloud);
        live.written_by_glint = true;
        scene = std::make_unique<scene::GaussianScene>(std::move(live), name, m_state.backend);
        m_state.training = true;
    } else {
        scene = open_scene_or_default(options.view, name);
    }
    // So is a bad camera path file (exit 2).
    const CameraPath path = options.path.empty() ? CameraPath{} : read_camera_path(options.path);

    const int width = options.view.width > 0 ? options.view.width : 1280;
    const int height = options.view.height > 0 ? options.view.height : 720;
    m_window = std::make_unique<renderer::Window>("glint", width, height);
    GLFWwindow* handle = m_window->handle();
    glfwSetWindowRefreshCallback(handle, [](GLFWwindow*) { ++g_events; });
    glfwSetCursorPosCallback(handle, [](GLFWwindow*, double, double) { ++g_events; });
    glfwSetMouseButtonCallback(handle, [](GLFWwindow*, int, int, int) { ++g_events; });
    glfwSetScrollCallback(handle, [](GLFWwindow*, double, double) { ++g_events; });
    glfwSetKeyCallback(handle, [](GLFWwindow*, int key, int, int action, int) {
        ++g_events;
        if (action == GLFW_PRESS) g_pressed_keys.push_back(key);
    });
    glfwSetCharCallback(handle, [](GLFWwindow*, unsigned int) { ++g_events; });
    glfwSetFramebufferSizeCallback(handle, [](GLFWwindow*, int, int) { ++g_events; });
    glfwSetWindowFocusCallback(handle, [](GLFWwindow*, int) { ++g_events; });
    glfwSetCursorEnterCallback(handle, [](GLFWwindow*, int) { ++g_events; });
    create_graphics();

    install(std::move(scene), name, options.view.scene);
    initial_view();
    if (!options.path.empty()) {
        m_state.path = path;
        m_state.path_file = options.path;
        m_state.path_selected = 0;
        m_state.path_previewing = options.preview_path;
    }
    if (options.prune_significance >= 0.0f && !m_state.is_nerf) {
        m_state.open_pruning = true;
        m_state.prune_mode = 1;
        m_state.prune_fraction = options.prune_significance;
        m_state.prune_preview = PrunePreview::Removed;
        m_state.score_start = true;
    }
}

Viewer::~Viewer() {
    m_recording.reset();  // cancels and waits
    destroy_graphics();
}

void Viewer::destroy_graphics() {
    if (m_context) {
        try {
            m_context->device().waitIdle();
        } catch (const std::exception& e) {
            log::debug("Vulkan: waiting for the device before teardown: ", e.what());
        }
    }
    // ImGui and the presenter go before the context they were made with.
    m_imgui.reset();
    m_framebuffers.clear();
    m_rendered.clear();
    m_framebuffer_generation = 0;
    m_slots = {};
    m_slot = 0;
    m_shot_buffer = {};
    m_presenter.reset();
    m_swapchain.reset();
    m_context.reset();
    m_host.forget_image();
}

void Viewer::create_graphics() {
    renderer::ContextOptions options;
    options.validation = m_options.validation;
    options.instance_extensions = m_window->surface_extensions();
    if (cuda_status().usable()) {
        renderer::Uuid uuid;
        std::copy(cuda_status().device_uuid.begin(), cuda_status().device_uuid.end(), uuid.begin());
        options.preferred_device = uuid;
    }
    m_context = std::make_unique<renderer::VulkanContext>(
        options, [&](const vk::raii::Instance& instance) { return m_window->create_surface(instance); });
    m_swapchain =
        std::make_unique<renderer::Swapchain>(*m_context, m_window->framebuffer_size(), m_state.vsync);
    m_presenter = std::make_unique<renderer::Presenter>(*m_context, m_swapchain->format(),
                                                        vk::ImageLayout::ePresentSrcKHR);
    if (m_state.cuda_usable) {
        std::string why_not;
        m_state.cuda_shared = m_presenter->enable_cuda(why_not);
        if (!m_state.cuda_shared) log::info("CUDA frames reach the window through host memory: ", why_not);
    }
    m_imgui = std::make_unique<renderer::ImGuiLayer>(*m_context, m_presenter->render_pass(),
                                                     m_swapchain->image_count(), m_window->handle());
    for (Slot& slot : m_slots) {
        slot.cmd =
            std::move(vk::raii::CommandBuffers(m_context->device(), vk::CommandBufferAllocateInfo(
                                                                        *m_context->command_pool(),
                                                                        vk::CommandBufferLevel::ePrimary, 1))
                          .front());
        slot.fence =
            vk::raii::Fence(m_context->device(), vk::FenceCreateInfo(vk::FenceCreateFlagBits::eSignaled));
        slot.acquired = vk::raii::Semaphore(m_context->device(), vk::SemaphoreCreateInfo());
    }
    log::info("viewer on ", m_context->device_name(), ", ", m_swapchain->extent().width, "x",
              m_swapchain->extent().height);
}

void Viewer::notice(const std::string& text) {
    m_state.notice = text;
    m_state.notice_until = seconds_since(m_start) + 4.0;
    log::info(text);
}

void Viewer::load(const std::string& path) {
    try {
        install(scene::open_scene(path, m_state.backend), path, path);
        initial_view();
        notice(cat("opened ", path));
    } catch (const std::exception& e) {
        m_state.error = e.what();
        log::error(e.what());
    }
}

void Viewer::install(std::unique_ptr<scene::Scene> scene, const std::string& name, const std::string& path) {
    m_pruning.scene_replaced();
    m_host.install(std::move(scene), name, path);
    m_gaussian_pruning.scene_replaced();
    // A scene trained over a learnt background shows over it (the panel's colour changes it).
    if (const std::optional<glm::vec3> colour = m_host.scene().background())
        m_state.background = {colour->x, colour->y, colour->z};
    m_window->set_title(cat("glint - ", std::filesystem::path(name).filename().string(), " (",
                            scene::kind_name(m_host.scene().kind()), ")"));
}

void Viewer::initial_view() {
    const scene::Sphere sphere = m_host.scene().framing_sphere();
    const UpChoice up = resolve_up(m_options.view.up, m_host.path(), &m_host.scene());
    glm::vec3 world_up = up.up;
    m_state.up_how = up.how;
    log::info("up: ", up.how);
    m_camera.fit(sphere.centre, sphere.radius, world_up, m_options.view.fov);

    std::optional<Camera> start;
    std::string from;
    const std::optional<std::filesystem::path> beside =
        m_options.view.cameras.empty() ? cameras_beside(m_host.path()) : std::nullopt;
    if (!m_options.view.cameras.empty() || !m_options.view.lookat.empty()) {
        start = resolve_camera(m_options.view, sphere, world_up, from);
    } else if (beside) {
        try {
            const CameraSet set = load_cameras(*beside);
            if (!set.cameras.empty()) {
                start = set.cameras.front();
                from = cat(beside->string(), ", ", set.names.front());
            }
        } catch (const InputError& e) {
            log::warn("ignoring the cameras beside the scene: ", e.what());
        }
    }
    if (start) {
        const float distance = std::max(
            glm::dot(sphere.centre - start->position(), glm::transpose(start->rotation) * glm::vec3(0, 0, 1)),
            0.1f * sphere.radius);
        // --cameras and --lookat: the camera's own up; a dataset beside the scene: its mean up.
        const glm::vec3 camera_up = glm::transpose(start->rotation) * glm::vec3(0, -1, 0);
        m_camera.set_from_camera(*start, beside && m_options.view.lookat.empty() ? world_up : camera_up,
                                 distance);
        log::info("starting from ", from);
    }
    m_camera.set_mode(m_state.camera_mode);
    m_initial_camera = m_camera;
}

void Viewer::set_up(int request) {
    const Camera view = m_camera.camera(16, 16);
    const glm::vec3 forward = glm::transpose(view.rotation) * glm::vec3(0, 0, 1);
    const glm::vec3 screen_up = glm::transpose(view.rotation) * glm::vec3(0, -1, 0);
    glm::vec3 up(0.0f);
    std::string how;
    bool keep_view = true;  // the camera stays where it is, only the world's up changes
    if (request < 6) {
        up[request / 2] = request % 2 == 0 ? 1.0f : -1.0f;
        how = "set in the View menu";
        keep_view = false;  // an axis: a fresh view of the scene around it
    } else if (request == ViewerState::kUpThisWay) {
        up = screen_up;
        how = "the view's up (View menu)";
    } else {
        // Level the horizon: the scene's own up (the axis its flat Gaussians face) seen from here, that is
        // without its component along the view direction, signed like the screen's up. The view keeps
        // its direction and turns about it until the scene's ground runs level across the screen.
        const scene::GaussianScene* gaussians = m_host.gaussians();
        const splatting::UpEstimate estimate =
            gaussians != nullptr ? splatting::estimate_up(gaussians->cloud()) : splatting::UpEstimate{};
        if (estimate.confidence < splatting::kConfidentUp) {
            notice("no ground to level by: the scene's flat Gaussians face no dominant axis");
            return;
        }
        const glm::vec3 axis(estimate.up[0], estimate.up[1], estimate.up[2]);
        up = axis - glm::dot(axis, forward) * forward;
        if (glm::length(up) < 1e-3f) {
            notice("the view looks along the scene's up: nothing to level");
            return;
        }
        if (glm::dot(up, screen_up) < 0.0f) up = -up;
        how = "levelled with the scene's ground from this view (View menu)";
    }
    up = glm::normalize(up);
    const CameraMode mode = m_camera.mode();
    if (keep_view) {
        m_camera.set_from_camera(view, up, m_camera.distance());
    } else {
        const scene::Sphere sphere = m_host.scene().framing_sphere();
        m_camera.fit(sphere.centre, sphere.radius, up, m_camera.fov_y());
    }
    m_camera.set_mode(mode);
    m_initial_camera = m_camera;
    m_state.up_how = cat("(", up.x, ", ", up.y, ", ", up.z, "), ", how);
    if (m_host.path().empty() || m_state.training) {
        notice("up set for this session (the scene has no file to remember it for)");
        return;
    }
    try {
        remember_up(m_host.path(), up);
        m_state.up_how += cat(", remembered for ", m_host.path());
        notice(cat("up remembered for ", m_host.path(), " in ", up_settings_path().string()));
    } catch (const std::exception& e) {
        m_state.error = e.what();
        log::error(e.what());
    }
}

vk::Rect2D Viewer::scene_viewport() const {
    const vk::Extent2D window = m_swapchain->extent();
    const auto top = static_cast<std::uint32_t>(ImGui::GetFrameHeight());  // the menu bar
    const auto left = m_state.show_panel ? static_cast<std::uint32_t>(kPanelWidth) : 0u;
    const std::uint32_t width = window.width > left ? window.width - left : 1u;
    const std::uint32_t height = window.height > top ? window.height - top : 1u;
    return vk::Rect2D({static_cast<std::int32_t>(std::min(left, window.width - 1)),
                       static_cast<std::int32_t>(std::min(top, window.height - 1))},
                      {width, height});
}

void Viewer::handle_input(double seconds, bool& moved) {
    const ImGuiIO& io = ImGui::GetIO();
    CameraInput input;
    input.seconds = static_cast<float>(seconds);
    if (!io.WantCaptureMouse) {
        input.mouse_delta = {io.MouseDelta.x, io.MouseDelta.y};
        if (!std::isfinite(input.mouse_delta.x) || !std::isfinite(input.mouse_delta.y))
            input.mouse_delta = {};
        input.rotate = io.MouseDown[0];
        input.pan = io.MouseDown[1] || io.MouseDown[2];
        input.scroll = io.MouseWheel;
    }
    // F12 takes a screenshot even while a text field or dialog has the keyboard.
    if (std::find(g_pressed_keys.begin(), g_pressed_keys.end(), GLFW_KEY_F12) != g_pressed_keys.end())
        m_state.screenshot = true;
    if (!io.WantCaptureKeyboard) {
        GLFWwindow* w = m_window->handle();
        const auto key = [&](int k) { return glfwGetKey(w, k) == GLFW_PRESS ? 1.0f : 0.0f; };
        input.move = {key(GLFW_KEY_D) - key(GLFW_KEY_A), key(GLFW_KEY_E) - key(GLFW_KEY_Q),
                      key(GLFW_KEY_W) - key(GLFW_KEY_S)};
        input.fast = key(GLFW_KEY_LEFT_SHIFT) + key(GLFW_KEY_RIGHT_SHIFT) > 0.0f;
        const bool ctrl = key(GLFW_KEY_LEFT_CONTROL) + key(GLFW_KEY_RIGHT_CONTROL) > 0.0f;
        for (const int pressed : g_pressed_keys) {
            switch (pressed) {
                case GLFW_KEY_TAB:
                    m_state.camera_mode =
                        m_state.camera_mode == CameraMode::Orbit ? CameraMode::Fly : CameraMode::Orbit;
                    break;
                case GLFW_KEY_F:
                    m_state.fit_view = true;
                    break;
                case GLFW_KEY_R:
                    m_state.reset_view = true;
                    break;
                case GLFW_KEY_SPACE:
                    m_state.playing = m_state.is_4d && !m_state.playing;
                    break;
                case GLFW_KEY_P:
                case GLFW_KEY_F12:
                    m_state.screenshot = true;
                    break;
                case GLFW_KEY_O:
                    m_state.file_dialog = m_state.file_dialog || ctrl;
                    break;
                case GLFW_KEY_G:
                    m_state.show_panel = !m_state.show_panel;
                    break;
                case GLFW_KEY_K:
                    m_state.path_edit = ViewerState::PathEdit::Add;
                    break;
                case GLFW_KEY_H:
                case GLFW_KEY_F1:
                    m_state.show_help = !m_state.show_help;
                    break;
                case GLFW_KEY_ESCAPE:
                    m_state.quit = true;
                    break;
                default:
                    break;
            }
        }
    }
    g_pressed_keys.clear();
    m_camera.set_mode(m_state.camera_mode);
    moved = m_camera.update(input) || moved;
}

void Viewer::handle_requests() {
    if (m_state.fit_view) {
        const scene::Sphere sphere = m_host.scene().framing_sphere();
        const CameraMode mode = m_camera.mode();
        m_camera.fit(sphere.centre, sphere.radius, m_initial_camera.up(), m_camera.fov_y());
        m_camera.set_mode(mode);
        m_state.fit_view = false;
    }
    if (m_state.reset_view) {
        m_camera = m_initial_camera;
        m_camera.set_mode(m_state.camera_mode);
        m_state.reset_view = false;
    }
    if (m_state.up_request >= 0) {
        set_up(m_state.up_request);
        m_state.up_request = -1;
    }
    if (!m_state.open_path.empty()) {
        const std::string path = m_state.open_path;
        m_state.open_path.clear();
        load(path);
    }
    for (const std::string& path : m_window->take_dropped_paths()) load(path);
    m_host.handle_requests();
    m_pruning.poll();
    m_gaussian_pruning.poll();
}

void Viewer::poll_training() {
    splatting::LiveTraining* live = m_options.live;
    if (live == nullptr) return;
    if (m_state.training_pause_request >= 0) {
        live->set_paused(m_state.training_pause_request == 1);
        m_state.training_pause_request = -1;
    }
    if (m_state.training_stop_request) {
        live->request_stop(true);
        m_state.training_stop_request = false;
    }
    m_state.training_progress = live->snapshot();
    splatting::GaussianCloud cloud;
    if (!live->take_cloud(m_live_version, cloud)) return;
    // The background as training learns it (photos without alpha).
    if (const auto& colour = cloud.background())
        m_state.background = {(*colour)[0], (*colour)[1], (*colour)[2]};
    m_host.set_cloud(cloud);
}

void Viewer::start_recording() {
    if (m_recording) return;
    scene::RecordJob job;
    job.path = m_state.path;
    job.output = m_state.record_output;
    job.video.width = m_state.record_width;
    job.video.height = m_state.record_height;
    job.video.fps = m_state.record_fps;
    job.settings.background = {m_state.background[0], m_state.background[1], m_state.background[2]};
    job.settings.sh_degree = m_state.sh_degree_limit;
    job.settings.antialias = m_state.antialias;
    job.settings.temporal_cutoff = m_options.view.temporal_cutoff;
    job.time_start = job.time_end = m_state.time;  // a path without times keeps the current scene time
    m_recording = std::make_unique<RecordingJob>(m_host.scene(), std::move(job));
    m_state.recording = true;
    m_state.record_fraction = 0.0f;
    m_state.record_status = cat("recording ", m_state.record_output, " ...");
}

void Viewer::poll_recording() {
    if (m_state.record_start) {
        m_state.record_start = false;
        try {
            start_recording();
        } catch (const std::exception& e) {
            m_state.error = e.what();
            log::error(e.what());
        }
    }
    if (m_recording) {
        if (m_state.record_cancel) m_recording->cancel();
        m_state.record_fraction = m_recording->fraction();
        if (m_recording->done()) {
            m_state.record_status = m_recording->message();
            if (m_recording->failed()) m_state.error = m_state.record_status;
            notice(m_state.record_status);
            m_recording.reset();
            m_state.recording = false;
        }
    }
    m_state.record_cancel = false;
}

void Viewer::rebuild_swapchain() {
    const vk::Extent2D size = m_window->framebuffer_size();
    if (size.width == 0 || size.height == 0) return;
    m_swapchain->rebuild(size);
    m_imgui->set_min_image_count(m_swapchain->min_image_count());
    m_swapchain_stale = false;
}

void Viewer::write_screenshot(const std::string& path) {
    const vk::Extent2D extent = m_swapchain->extent();
    const std::vector<std::uint8_t> rgba =
        renderer::to_rgba8(m_shot_buffer.mapped, extent, m_swapchain->format());
    std::vector<std::uint8_t> rgb(std::size_t{extent.width} * extent.height * 3);
    for (std::size_t i = 0; i < rgb.size() / 3; ++i)
        for (int k = 0; k < 3; ++k) rgb[3 * i + k] = rgba[4 * i + k];
    write_png(path, static_cast<int>(extent.width), static_cast<int>(extent.height), 3, rgb);
    notice(cat("screenshot: ", path));
}

void Viewer::draw_frame(bool moving) {
    if (m_swapchain_stale) rebuild_swapchain();
    Slot& slot = m_slots[static_cast<std::size_t>(m_slot)];
    if (m_context->device().waitForFences(*slot.fence, VK_TRUE, kFenceTimeout) != vk::Result::eSuccess)
        throw Error("Vulkan: a frame did not finish within 10 seconds");

    // The scene image, when out of date; errors go to the panel and the last image stays.
    std::optional<renderer::PixelSource> source;
    try {
        const vk::Extent2D viewport = scene_viewport().extent;
        m_host.render(m_camera, static_cast<int>(viewport.width), static_cast<int>(viewport.height), moving,
                      m_slot, *m_presenter, source);
    } catch (const vk::SystemError&) {
        throw;
    } catch (const std::exception& e) {
        m_state.error = cat("render: ", e.what());
        m_state.playing = false;
    }

    std::uint32_t index = 0;
    try {
        const auto [result, acquired] = m_swapchain->handle().acquireNextImage(kFenceTimeout, *slot.acquired);
        if (result == vk::Result::eTimeout || result == vk::Result::eNotReady) {
            // Nothing was signalled; the frame is skipped, and the pixels stay pending for the next one.
            if (source) m_host.forget_image();
            return;
        }
        index = acquired;
        if (result == vk::Result::eSuboptimalKHR) m_swapchain_stale = true;
    } catch (const vk::OutOfDateKHRError&) {
        m_swapchain_stale = true;
        if (source) m_host.forget_image();
        return;
    }
    if (m_framebuffer_generation != m_swapchain->generation() ||
        m_framebuffers.size() != m_swapchain->image_count()) {
        m_framebuffers.clear();
        m_rendered.clear();
        for (std::uint32_t i = 0; i < m_swapchain->image_count(); ++i) {
            m_framebuffers.push_back(
                m_presenter->make_framebuffer(m_swapchain->view(i), m_swapchain->extent()));
            m_rendered.emplace_back(m_context->device(), vk::SemaphoreCreateInfo());
        }
        m_framebuffer_generation = m_swapchain->generation();
    }

    const bool shoot = m_state.screenshot && m_swapchain->readable();
    const vk::Extent2D extent = m_swapchain->extent();
    if (shoot && m_shot_buffer.size != vk::DeviceSize{extent.width} * extent.height * 4)
        m_shot_buffer = renderer::make_buffer(
            *m_context, vk::DeviceSize{extent.width} * extent.height * 4,
            vk::BufferUsageFlagBits::eTransferDst,
            vk::MemoryPropertyFlagBits::eHostVisible | vk::MemoryPropertyFlagBits::eHostCoherent);

    m_context->device().resetFences(*slot.fence);
    slot.cmd.reset();
    slot.cmd.begin(vk::CommandBufferBeginInfo(vk::CommandBufferUsageFlagBits::eOneTimeSubmit));
    renderer::SubmitSync sync;
    m_presenter->record(
        *slot.cmd, m_slot, source, *m_framebuffers[index], extent, scene_viewport(), kClearColor,
        [&](vk::CommandBuffer cmd) { m_imgui->render(cmd); }, sync);
    if (shoot)
        renderer::record_readback(*slot.cmd, m_swapchain->image(index), extent,
                                  vk::ImageLayout::ePresentSrcKHR, m_shot_buffer);
    slot.cmd.end();
    sync.wait.push_back(*slot.acquired);
    sync.wait_stages.push_back(vk::PipelineStageFlagBits::eColorAttachmentOutput);
    sync.signal.push_back(*m_rendered[index]);
    const vk::CommandBuffer cmd = *slot.cmd;
    m_context->queue().submit(vk::SubmitInfo(sync.wait, sync.wait_stages, cmd, sync.signal), *slot.fence);

    if (shoot) {
        if (m_context->device().waitForFences(*slot.fence, VK_TRUE, kFenceTimeout) != vk::Result::eSuccess)
            throw Error("Vulkan: the screenshot frame did not finish within 10 seconds");
        try {
            const std::string path = m_options.frames > 0 && !m_options.screenshot.empty()
                                         ? m_options.screenshot
                                         : timestamp_name();
            write_screenshot(path);
        } catch (const std::exception& e) {
            m_state.error = cat("screenshot: ", e.what());
            log::error(m_state.error);
        }
        m_state.screenshot = false;
    } else if (m_state.screenshot) {
        m_state.error = "screenshots need a swapchain that can be copied from; this one cannot";
        m_state.screenshot = false;
    }

    const vk::SwapchainKHR swapchain = *m_swapchain->handle();
    const vk::Semaphore rendered = *m_rendered[index];
    try {
        const vk::Result result =
            m_context->queue().presentKHR(vk::PresentInfoKHR(rendered, swapchain, index));
        if (result == vk::Result::eSuboptimalKHR) m_swapchain_stale = true;
    } catch (const vk::OutOfDateKHRError&) {
        m_swapchain_stale = true;
    }
    m_slot = (m_slot + 1) % kSlots;
}

int Viewer::run() {
    int frame = 0;
    int redraw = kFramesAfterEvent;
    auto last = Clock::now();
    bool was_moving = false;
    int device_losses = 0;
    while (!m_window->should_close() && !m_state.quit) {
        const bool animating =
            m_state.playing || was_moving || m_host.reduced() || m_state.path_previewing || m_state.recording;
        const bool training = m_options.live != nullptr && !m_state.training_progress.done();
        if (m_options.frames > 0 || animating || redraw > 0)
            glfwPollEvents();
        else if (training)
            glfwWaitEventsTimeout(splatting::LiveTraining::kPublishInterval /
                                  2);  // wake for the trainer's updates
        else
            glfwWaitEvents();  // nothing moves and nothing plays: sleep until something happens
        if (g_events != m_events_seen) {
            m_events_seen = g_events;
            redraw = kFramesAfterEvent;
        }
        const vk::Extent2D size = m_window->framebuffer_size();
        if (size.width == 0 || size.height == 0) {  // minimized
            glfwWaitEvents();
            continue;
        }
        if (size != m_swapchain->extent()) m_swapchain_stale = true;

        const auto now = Clock::now();
        const double seconds = std::chrono::duration<double>(now - last).count();
        last = now;
        m_state.frame_ms = seconds * 1000.0;

        m_imgui->new_frame();
        bool moved = false;
        handle_input(seconds, moved);
        if (m_state.playing && m_state.is_4d) {
            const float span = m_state.time_max - m_state.time_min;
            m_state.time += static_cast<float>(seconds) * m_state.speed * span / 10.0f;
            if (m_state.time > m_state.time_max) {
                if (m_state.loop) {
                    m_state.time = m_state.time_min + std::fmod(m_state.time - m_state.time_min, span);
                } else {
                    m_state.time = m_state.time_max;
                    m_state.playing = false;
                }
            }
        }
        const double t = seconds_since(m_start);
        poll_training();
        const vk::Extent2D viewport = scene_viewport().extent;
        m_path.update(seconds, static_cast<int>(viewport.width), static_cast<int>(viewport.height), moved);
        poll_recording();
        m_path.draw_overlay(scene_viewport());
        draw_menu_bar(m_state);
        draw_side_window(m_state, t);
        draw_help_overlay(m_state);
        draw_file_dialog(m_state);
        draw_save_dialog(m_state);
        handle_requests();

        ++frame;
        // A scripted run (--frames) ends on a complete image: a NeRF's refinement finishes first.
        const bool settled = !m_host.refining() || frame >= 4 * m_options.frames + 1000;
        const bool final_frame = m_options.frames > 0 && frame >= m_options.frames && settled;
        if (final_frame && !m_options.screenshot.empty()) m_state.screenshot = true;
        try {
            draw_frame(moved);
        } catch (const vk::DeviceLostError& e) {
            // Start Vulkan again (the scene and panel state live outside it); give up when it keeps failing.
            constexpr int kMaxRestarts = 3;
            if (++device_losses > kMaxRestarts)
                throw Error(cat("the Vulkan device was lost ", device_losses, " times (", e.what(), ")"));
            log::error("the Vulkan device was lost (", e.what(), "); starting Vulkan again");
            destroy_graphics();
            create_graphics();
            m_state.error =
                cat("The Vulkan device was lost (", e.what(), "); the viewer started Vulkan again.");
            continue;
        }
        was_moving = moved;
        if (redraw > 0) --redraw;
        if (final_frame) break;
        if (m_state.vsync != m_options.vsync) {
            m_options.vsync = m_state.vsync;
            m_swapchain->set_vsync(m_state.vsync);
            m_swapchain_stale = true;
        }
    }
    m_context->device().waitIdle();
    if (m_options.validation && renderer::VulkanContext::validation_messages() > 0) {
        log::error("the Vulkan validation layer reported ", renderer::VulkanContext::validation_messages(),
                   " messages");
        return 1;
    }
    return 0;
}

}  // namespace

int run_viewer(const ViewerOptions& options) {
    ViewerOptions o = options;
    if (const char* env = std::getenv("GLINT_VULKAN_VALIDATION"); env != nullptr && std::string(env) == "1")
        o.validation = true;
#ifndef NDEBUG
    o.validation = true;
#endif
    Viewer viewer(o);
    return viewer.run();
}

}  // namespace glint::app
