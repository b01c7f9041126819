// The viewer's window loop, in the Dear ImGui GLFW+Vulkan example's order: poll (or wait while nothing
// changes), rebuild the swapchain when needed, new frame, panels, render the scene when its image is
// out of date, record, submit, present.
#include "viewer.h"
#include "../live_training.h"

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
#include "../display.h"
#include "../nerf_scene.h"
#include "../up_settings.h"
#include "camera_controller.h"
#include "glint/core/camera_io.h"
#include "glint/core/camera_path.h"
#include "glint/core/error.h"
#include "glint/core/image_io.h"
#include "glint/core/log.h"
#include "glint/core/text.h"
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
#include "panels/panels.h"
#include "record/recorder.h"
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

// Everything a scene image depends on; a frame renders the scene only when this changes.
struct RenderKey {
    float rotation[9], translation[3], fx, fy;
    int width, height, display, backend;
    float background[3];
    int sh_degree, antialias, lod, budget;
    float min_radius;
    int preview;
    std::uint64_t prune_version, scene_version;
    float time;
};

// What every frame depends on: the camera, the image size, what is shown, on which backend, over what.
RenderKey view_key(const Camera& camera, int width, int height, const ViewerState& state) {
    RenderKey key;
    std::memset(&key, 0, sizeof key);
    std::memcpy(key.rotation, &camera.rotation[0][0], sizeof key.rotation);
    std::memcpy(key.translation, &camera.translation[0], sizeof key.translation);
    key.fx = camera.fx;
    key.fy = camera.fy;
    key.width = width;
    key.height = height;
    key.display = static_cast<int>(state.display);
    key.backend = static_cast<int>(state.backend);
    std::copy(state.background.begin(), state.background.end(), key.background);
    return key;
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
    void install_scene(splatting::LoadedScene scene, const std::string& name, const std::string& path);
    void install_nerf(std::shared_ptr<const nerf::NerfModel> model, const std::string& name,
                      const std::string& path);
    SceneSphere sphere() const;
    splatting::SceneStats set_cloud(const splatting::GaussianCloud& cloud);
    void initial_view();
    void set_up(int request);  // ViewerState::up_request
    void handle_input(double seconds, bool& moved);
    void handle_requests();
    void poll_training();
    void handle_path(double seconds, bool& moved);
    void show_pose(const PathPose& pose);
    void draw_path_overlay();
    void start_recording();
    void update_prune_mask();
    void handle_nerf_pruning();
    void show_nerf_counts();
    void stop_pruning();
    bool render_scene(int slot, bool moving, std::optional<renderer::PixelSource>& source);
    bool render_nerf(int slot, std::optional<renderer::PixelSource>& source);
    void draw_frame(bool moving);
    void rebuild_swapchain();
    void write_screenshot(const std::string& path);
    void notice(const std::string& text);
    splatting::Rasterizer& rasterizer();
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

    // The scene, ordered by importance so that a budget draws a prefix.
    splatting::GaussianCloud m_cloud;
    std::string m_scene_path;
    splatting::SceneFormat m_scene_format =
        splatting::SceneFormat::Ply;  // what resolve_up() needs of the file
    bool m_scene_by_glint = true;
    std::uint64_t m_scene_version = 0;
    std::uint64_t m_live_version = 0;             // of the trainer's Gaussians shown
    std::vector<std::uint8_t> m_keep, m_removed;  // pruning preview masks
    splatting::PruneCriteria m_prune_criteria{-1.0f, -1.0f, -1.0f};
    std::uint64_t m_prune_version = 0;

    // A NeRF shown instead of Gaussians (m_cloud is then empty), and its view refined over frames: a
    // quick frame at the adaptive scale when the view changes, then full-resolution rows, as many per
    // frame as fit the target frame time, over the quick frame's enlarged pixels.
    std::shared_ptr<const nerf::NerfModel> m_nerf;
    struct Refinement {
        bool active = false;
        int next_row = 0;
        double ms_per_row = 0;
        splatting::RenderOutput image;  // full resolution: float colour, opacity, depth
    } m_refine;
    // Pruning a NeRF on a worker thread, from a copy; the model before pruning, for Revert.
    struct NerfPruning {
        std::thread thread;
        std::atomic<bool> cancel{false}, done{false};
        std::atomic<float> fraction{0.0f};
        std::shared_ptr<nerf::NerfModel> model;
        std::optional<nerf::NerfPruneReport> report;
        std::string error;
    };
    std::unique_ptr<NerfPruning> m_pruning;
    std::shared_ptr<const nerf::NerfModel> m_unpruned;

    std::unique_ptr<splatting::Rasterizer> m_cpu, m_cuda;
    splatting::RenderOutput m_out;
    RenderKey m_last_key{};
    bool m_have_image = false;
    bool m_reduced = false;            // the image on screen was rendered at the adaptive (moving) scale
    double m_last_render_time = -1e9;  // no frame yet: the first one is an idle gap
    std::uint64_t m_events_seen = 0;
    Clock::time_point m_start = Clock::now();

    // Recording on a worker thread, from a copy of the scene.
    struct Recording {
        std::thread thread;
        std::atomic<bool> cancel{false}, done{false};
        std::atomic<float> fraction{0.0f};
        std::mutex mutex;
        std::string message;  // when done
        bool failed = false;
    };
    std::unique_ptr<Recording> m_recording;
    // The camera path as edited this frame (rebuilt once per frame: the panel edits it in place), for
    // the preview and the overlay; empty without keyframes.
    std::optional<PathSampler> m_path_sampler;
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
    m_cpu = splatting::create_rasterizer(Backend::Cpu);
    if (cuda.usable()) m_cuda = splatting::create_rasterizer(Backend::Cuda);

    // A bad scene on the command line is the command's error (exit 2), found before any window opens;
    // scenes opened later report to the panel.
    std::string name;
    splatting::LoadedScene scene;
    std::shared_ptr<const nerf::NerfModel> nerf_model;
    if (options.live != nullptr) {
        name = "training";
        options.live->take_cloud(m_live_version, scene.cloud);
        m_state.training = true;
    } else if (is_nerf_path(options.view.scene)) {
        nerf_model = std::make_shared<const nerf::NerfModel>(nerf::load_nerf(options.view.scene));
        name = options.view.scene;
    } else {
        scene = load_scene_or_default(options.view, name);
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

    if (nerf_model)
        install_nerf(std::move(nerf_model), name, options.view.scene);
    else
        install_scene(std::move(scene), name, options.view.scene);
    initial_view();
    if (!options.path.empty()) {
        m_state.path = path;
        m_state.path_file = options.path;
        m_state.path_selected = 0;
        m_state.path_previewing = options.preview_path;
    }
}

Viewer::~Viewer() {
    stop_pruning();
    if (m_recording) {
        m_recording->cancel = true;
        if (m_recording->thread.joinable()) m_recording->thread.join();
    }
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
    m_have_image = false;
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
    if (m_cuda) {
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
        if (is_nerf_path(path))
            install_nerf(std::make_shared<const nerf::NerfModel>(nerf::load_nerf(path)), path, path);
        else
            install_scene(splatting::load_scene(path), path, path);
        initial_view();
        notice(cat("opened ", path));
    } catch (const std::exception& e) {
        m_state.error = e.what();
        log::error(e.what());
    }
}

void Viewer::install_scene(splatting::LoadedScene scene, const std::string& name, const std::string& path) {
    if (const auto bad = scene.cloud.find_non_finite()) throw InputError(cat(name, ": ", *bad));
    stop_pruning();
    m_nerf.reset();
    m_unpruned.reset();
    m_refine = {};
    m_state.is_nerf = false;
    const splatting::SceneStats stats = set_cloud(scene.cloud);
    m_scene_path = path;
    m_scene_format = scene.format;
    m_scene_by_glint = scene.written_by_glint;
    m_state.scene_name = name;
    m_state.sh_degree_limit = m_options.view.sh_degree >= 0
                                  ? std::min(m_options.view.sh_degree, m_cloud.sh_degree())
                                  : m_cloud.sh_degree();
    m_state.is_4d = m_cloud.is_4d();
    m_state.budget = static_cast<int>(m_cloud.size());
    if (m_cloud.is_4d()) {
        m_state.time_min = stats.time_min;
        m_state.time_max = std::max(stats.time_max, stats.time_min + 1e-6f);
        m_state.time = resolve_time(m_options.view, m_cloud, name);
    }
    m_state.save_path = path.empty() ? "pruned.ply"
                                     : (std::filesystem::path(path).parent_path() /
                                        (std::filesystem::path(path).stem().string() + "_pruned.ply"))
                                           .string();
    m_prune_criteria = {-1.0f, -1.0f, -1.0f};
    m_window->set_title(cat("glint - ", std::filesystem::path(name).filename().string()));
}

void Viewer::install_nerf(std::shared_ptr<const nerf::NerfModel> model, const std::string& name,
                          const std::string& path) {
    stop_pruning();
    m_nerf = std::move(model);
    m_refine = {};
    m_cloud = splatting::GaussianCloud();
    ++m_scene_version;
    m_keep.clear();
    m_removed.clear();
    m_scene_path = path;
    const nerf::NerfConfig& c = m_nerf->config();
    m_state.scene_name = name;
    m_state.is_nerf = true;
    m_state.is_4d = false;
    m_state.playing = false;
    m_state.gaussians = m_state.gaussians_loaded = 0;
    m_state.sh_degree = 0;
    m_state.budget = 0;
    show_nerf_counts();
    m_unpruned.reset();
    m_state.nerf_pruned = false;
    m_state.nerf_prune_report.clear();
    if (const std::optional<std::filesystem::path> beside = cameras_beside(path))
        m_state.nerf_prune_views = cat("the cameras of ", beside->string());
    else
        m_state.nerf_prune_views = "96 views around the scene, 192x192";
    m_state.nerf_summary =
        cat(c.grid.levels, " levels x ", c.grid.features, " features, tables of 2^", c.grid.log2_table_size,
            "; networks ", c.hidden, " wide; ", c.cascades, c.cascades == 1 ? " cascade" : " cascades");
    // The scene box of the innermost cascade, in world units.
    for (int a = 0; a < 3; ++a) {
        m_state.bounds_min[static_cast<std::size_t>(a)] = c.centre[a] - c.half_size;
        m_state.bounds_max[static_cast<std::size_t>(a)] = c.centre[a] + c.half_size;
    }
    if (m_state.display == DisplayMode::Heat) m_state.display = DisplayMode::Color;
    m_state.prune_preview = PrunePreview::Off;
    m_state.adaptive_scale = 0.25f;  // the first frame comes quickly; the rate it reaches sets the scale
    m_state.save_path = path.empty() ? "pruned.nerf"
                                     : (std::filesystem::path(path).parent_path() /
                                        (std::filesystem::path(path).stem().string() + "_pruned.nerf"))
                                           .string();
    m_window->set_title(cat("glint - ", std::filesystem::path(name).filename().string(), " (NeRF)"));
}

// A pruning run belongs to the scene it started on: a new scene cancels it.
void Viewer::stop_pruning() {
    if (!m_pruning) return;
    m_pruning->cancel = true;
    if (m_pruning->thread.joinable()) m_pruning->thread.join();
    m_pruning.reset();
    m_state.nerf_pruning = false;
}

void Viewer::show_nerf_counts() {
    m_state.nerf_parameters = m_nerf->parameter_count();
    m_state.nerf_occupied = m_nerf->occupied_cells();
    m_state.nerf_cells = m_nerf->occupancy().size();
    // Non-zero hash entries as the file stores them, the networks and the occupancy bits.
    const std::size_t features = static_cast<std::size_t>(m_nerf->config().grid.features);
    m_state.memory_bytes = (nerf::nonzero_entries(*m_nerf) * features +
                            m_nerf->density_net().weights().size() + m_nerf->colour_net().weights().size()) *
                               sizeof(float) +
                           m_state.nerf_cells / 8;
}

// NeRF pruning requests: start (a worker prunes a copy), cancel, take the result, revert.
void Viewer::handle_nerf_pruning() {
    if (m_state.nerf_prune_start && m_nerf && !m_pruning) {
        m_state.nerf_prune_start = false;
        try {
            std::vector<Camera> views;
            if (const std::optional<std::filesystem::path> beside = cameras_beside(m_scene_path))
                views = load_cameras(*beside).cameras;
            if (views.empty()) views = nerf::views_around(*m_nerf, 96, 192);
            m_pruning = std::make_unique<NerfPruning>();
            m_pruning->model = std::make_shared<nerf::NerfModel>(*m_nerf);
            m_state.nerf_pruning = true;
            m_state.nerf_prune_fraction = 0.0f;
            NerfPruning* p = m_pruning.get();
            nerf::NerfPruneOptions options;
            options.min_weight = m_state.nerf_prune_min_weight;
            p->thread = std::thread([p, views = std::move(views), options] {
                try {
                    p->report =
                        nerf::prune_nerf(*p->model, views, options, [p](std::size_t done, std::size_t total) {
                            p->fraction = static_cast<float>(done) / static_cast<float>(total);
                            return !p->cancel.load();
                        });
                } catch (const std::exception& e) {
                    p->error = e.what();
                }
                p->done = true;
            });
        } catch (const std::exception& e) {
            m_state.error = cat("pruning: ", e.what());
            log::error(m_state.error);
        }
    }
    m_state.nerf_prune_start = false;
    if (m_pruning) {
        if (m_state.nerf_prune_cancel) m_pruning->cancel = true;
        m_state.nerf_prune_fraction = m_pruning->fraction;
        if (m_pruning->done) {
            m_pruning->thread.join();
            if (!m_pruning->error.empty()) {
                m_state.error = cat("pruning: ", m_pruning->error);
            } else if (m_pruning->report) {
                const nerf::NerfPruneReport& r = *m_pruning->report;
                if (!m_unpruned) m_unpruned = m_nerf;
                m_nerf = std::move(m_pruning->model);
                ++m_scene_version;
                show_nerf_counts();
                m_state.nerf_pruned = true;
                m_state.nerf_prune_report =
                    cat("occupied cells ", group_digits(r.occupied_before), " -> ",
                        group_digits(r.occupied_after), "; hash entries ", group_digits(r.entries_before),
                        " -> ", group_digits(r.entries_after), " (", r.views, " views)");
                notice(cat("pruned: ", m_state.nerf_prune_report, "; Save As keeps it"));
            } else {
                notice("pruning cancelled");
            }
            m_pruning.reset();
            m_state.nerf_pruning = false;
        }
    }
    m_state.nerf_prune_cancel = false;
    if (m_state.nerf_prune_revert) {
        m_state.nerf_prune_revert = false;
        if (m_unpruned && !m_pruning) {
            m_nerf = std::move(m_unpruned);
            m_unpruned.reset();
            ++m_scene_version;
            show_nerf_counts();
            m_state.nerf_pruned = false;
            m_state.nerf_prune_report.clear();
            notice("reverted to the model before pruning");
        }
    }
}

SceneSphere Viewer::sphere() const {
    return m_nerf ? nerf_sphere(*m_nerf) : scene_sphere(m_cloud);
}

void Viewer::initial_view() {
    const SceneSphere sphere = this->sphere();
    const UpChoice up = resolve_up(m_options.view.up, m_scene_path, m_nerf ? nullptr : &m_cloud,
                                   m_scene_format, m_scene_by_glint);
    glm::vec3 world_up = up.up;
    m_state.up_how = up.how;
    log::info("up: ", up.how);
    m_camera.fit(sphere.centre, sphere.radius, world_up, m_options.view.fov);

    std::optional<Camera> start;
    std::string from;
    const std::optional<std::filesystem::path> beside =
        m_options.view.cameras.empty() ? cameras_beside(m_scene_path) : std::nullopt;
    if (!m_options.view.cameras.empty() || !m_options.view.lookat.empty()) {
        start = m_nerf ? resolve_camera(m_options.view, sphere, world_up, from)
                       : resolve_camera(m_options.view, m_cloud, world_up, from);
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
        const splatting::UpEstimate estimate = splatting::estimate_up(m_cloud);
        if (m_nerf || estimate.confidence < splatting::kConfidentUp) {
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
        const SceneSphere sphere = this->sphere();
        m_camera.fit(sphere.centre, sphere.radius, up, m_camera.fov_y());
    }
    m_camera.set_mode(mode);
    m_initial_camera = m_camera;
    m_state.up_how = cat("(", up.x, ", ", up.y, ", ", up.z, "), ", how);
    if (m_scene_path.empty() || m_state.training) {
        notice("up set for this session (the scene has no file to remember it for)");
        return;
    }
    try {
        remember_up(m_scene_path, up);
        m_state.up_how += cat(", remembered for ", m_scene_path);
        notice(cat("up remembered for ", m_scene_path, " in ", up_settings_path().string()));
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

splatting::Rasterizer& Viewer::rasterizer() {
    return m_state.backend == Backend::Cuda && m_cuda ? *m_cuda : *m_cpu;
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
        const SceneSphere sphere = this->sphere();
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
    update_prune_mask();
    handle_nerf_pruning();
    if (m_state.prune_apply && !m_nerf) {
        m_state.prune_apply = false;
        const std::size_t before = m_cloud.size();
        m_cloud = splatting::select(m_cloud, m_keep);
        ++m_scene_version;
        m_state.gaussians = m_cloud.size();
        m_state.memory_bytes = m_cloud.memory_bytes();
        m_state.budget = static_cast<int>(m_cloud.size());
        m_state.prune_preview = PrunePreview::Off;
        m_prune_criteria = {-1.0f, -1.0f, -1.0f};
        update_prune_mask();
        notice(cat("pruned ", before - m_cloud.size(), " Gaussians; ", m_cloud.size(),
                   " remain (Save As keeps them)"));
    }
    if (m_state.save) {
        m_state.save = false;
        try {
            if (m_nerf) {
                if (!is_nerf_path(m_state.save_path))
                    throw InputError(cat(m_state.save_path, ": a NeRF is saved as .nerf"));
                nerf::save_nerf(*m_nerf, m_state.save_path);
                notice(cat("saved the NeRF to ", m_state.save_path));
            } else {
                splatting::save_scene(m_cloud, m_state.save_path);
                notice(cat("saved ", m_cloud.size(), " Gaussians to ", m_state.save_path));
            }
        } catch (const std::exception& e) {
            m_state.error = e.what();
            log::error(e.what());
        }
    }
}

// Orders `cloud` by importance (so that a budget draws a prefix) as the scene drawn, and shows its
// counts, memory and bounds.
splatting::SceneStats Viewer::set_cloud(const splatting::GaussianCloud& cloud) {
    m_cloud = splatting::gather(cloud, splatting::importance_order(cloud));
    ++m_scene_version;
    const splatting::SceneStats stats = splatting::compute_stats(m_cloud);
    m_state.gaussians = m_state.gaussians_loaded = m_cloud.size();
    m_state.sh_degree = m_cloud.sh_degree();
    m_state.memory_bytes = m_cloud.memory_bytes();
    m_state.bounds_min = stats.bounds_min;
    m_state.bounds_max = stats.bounds_max;
    return stats;
}

void Viewer::poll_training() {
    LiveTraining* live = m_options.live;
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
    // The newest Gaussians replace the scene; the camera and the panel's settings stay.
    const bool whole = m_state.budget >= static_cast<int>(m_state.gaussians);
    set_cloud(cloud);
    if (whole || m_state.budget > static_cast<int>(m_cloud.size()))
        m_state.budget = static_cast<int>(m_cloud.size());
}

void Viewer::update_prune_mask() {
    const splatting::PruneCriteria criteria{m_state.prune_min_opacity, m_state.prune_max_scale,
                                            m_state.prune_min_scale};
    if (criteria.min_opacity == m_prune_criteria.min_opacity &&
        criteria.max_scale == m_prune_criteria.max_scale &&
        criteria.min_scale == m_prune_criteria.min_scale && m_keep.size() == m_cloud.size())
        return;
    m_prune_criteria = criteria;
    m_state.prune_kept = splatting::prune_mask(m_cloud, criteria, m_keep);
    m_removed.resize(m_keep.size());
    for (std::size_t i = 0; i < m_keep.size(); ++i) m_removed[i] = m_keep[i] ? 0 : 1;
    ++m_prune_version;
}

// A pose of the path becomes the view (and, where keyframes carry it, the scene time).
void Viewer::show_pose(const PathPose& pose) {
    const vk::Extent2D size = scene_viewport().extent;
    const Camera camera = camera_at(pose, static_cast<int>(size.width), static_cast<int>(size.height));
    m_camera.set_from_camera(camera, m_camera.up(), m_camera.distance());
    m_camera.set_fov_y(pose.fov_y_degrees);
    if (pose.time && m_state.is_4d) m_state.time = std::clamp(*pose.time, m_state.time_min, m_state.time_max);
}

void Viewer::handle_path(double seconds, bool& moved) {
    using Edit = ViewerState::PathEdit;
    auto& keys = m_state.path.keyframes;
    const int count = static_cast<int>(keys.size());
    int& selected = m_state.path_selected;
    if (selected >= count) selected = count - 1;
    const Edit edit = m_state.path_edit;
    m_state.path_edit = Edit::None;
    const auto current_view = [&] {
        const vk::Extent2D size = scene_viewport().extent;
        Keyframe k = keyframe_from_camera(
            m_camera.camera(static_cast<int>(size.width), static_cast<int>(size.height)));
        // Every keyframe carries a time or none does: the first one decides.
        const bool timed =
            keys.empty() ? (m_state.is_4d && m_state.path_bind_time) : keys.front().time.has_value();
        if (timed) k.time = m_state.time;
        if (selected >= 0) k.duration = keys[static_cast<std::size_t>(selected)].duration;
        return k;
    };
    try {
        if (edit == Edit::Add) {
            keys.insert(keys.begin() + (selected + 1), current_view());
            ++selected;
            notice(cat("keyframe ", selected + 1, " of ", keys.size(), " added"));
        } else if (selected >= 0 && edit == Edit::Update) {
            const float duration = keys[static_cast<std::size_t>(selected)].duration;
            keys[static_cast<std::size_t>(selected)] = current_view();
            keys[static_cast<std::size_t>(selected)].duration = duration;
        } else if (selected >= 0 && edit == Edit::Remove) {
            keys.erase(keys.begin() + selected);
            selected = std::min(selected, static_cast<int>(keys.size()) - 1);
        } else if (selected > 0 && edit == Edit::Up) {
            std::swap(keys[static_cast<std::size_t>(selected)], keys[static_cast<std::size_t>(selected - 1)]);
            --selected;
        } else if (selected >= 0 && selected + 1 < count && edit == Edit::Down) {
            std::swap(keys[static_cast<std::size_t>(selected)], keys[static_cast<std::size_t>(selected + 1)]);
            ++selected;
        } else if (selected >= 0 && edit == Edit::Go) {
            const Keyframe& k = keys[static_cast<std::size_t>(selected)];
            show_pose({k.position, k.orientation, k.fov_y_degrees, k.time});
            moved = true;
        }
        if (m_state.path_save) {
            m_state.path_save = false;
            write_camera_path(m_state.path_file, m_state.path);
            notice(cat("saved ", keys.size(), " keyframes to ", m_state.path_file));
        }
        if (m_state.path_load) {
            m_state.path_load = false;
            m_state.path = read_camera_path(m_state.path_file);
            m_state.path_selected = 0;
            m_state.path_preview_time = 0.0f;
            notice(cat("loaded ", m_state.path.keyframes.size(), " keyframes from ", m_state.path_file));
        }
        m_path_sampler.reset();
        if (!keys.empty()) m_path_sampler.emplace(m_state.path);
        m_state.path_duration = m_path_sampler ? m_path_sampler->duration() : 0.0f;
        if (m_state.path_previewing && !keys.empty()) {
            m_state.path_preview_time += static_cast<float>(seconds);
            if (m_state.path_preview_time >= m_state.path_duration) {
                if (m_state.path.loop) {
                    m_state.path_preview_time = std::fmod(m_state.path_preview_time, m_state.path_duration);
                } else {
                    m_state.path_preview_time = m_state.path_duration;
                    m_state.path_previewing = false;
                }
            }
            show_pose(m_path_sampler->at(m_state.path_preview_time));
            moved = true;
        } else if (m_state.path_scrub && !keys.empty()) {
            show_pose(m_path_sampler->at(m_state.path_preview_time));
            moved = true;
        }
    } catch (const std::exception& e) {
        m_state.error = e.what();
        m_state.path_previewing = false;
        log::error(e.what());
    }
    m_state.path_scrub = false;
    if (keys.empty()) m_state.path_previewing = false;

    // Recording.
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
        if (m_state.record_cancel) m_recording->cancel = true;
        m_state.record_fraction = m_recording->fraction;
        if (m_recording->done) {
            m_recording->thread.join();
            const std::lock_guard lock(m_recording->mutex);
            m_state.record_status = m_recording->message;
            if (m_recording->failed) m_state.error = m_recording->message;
            notice(m_recording->message);
            m_recording.reset();
            m_state.recording = false;
        }
    }
    m_state.record_cancel = false;
}

void Viewer::start_recording() {
    if (m_recording) return;
    RecordJob job;
    job.path = m_state.path;
    PathSampler check(job.path);  // a bad path is an error here, not on the worker
    job.output = m_state.record_output;
    job.video.width = m_state.record_width;
    job.video.height = m_state.record_height;
    job.video.fps = m_state.record_fps;
    check_record_output(job);
    job.settings.background = {m_state.background[0], m_state.background[1], m_state.background[2]};
    job.settings.sh_degree = m_state.sh_degree_limit;
    job.settings.antialias = m_state.antialias;
    job.settings.temporal_cutoff = m_options.view.temporal_cutoff;
    job.time_start = job.time_end = m_state.time;  // a path without times keeps the current scene time
    m_recording = std::make_unique<Recording>();
    m_state.recording = true;
    m_state.record_fraction = 0.0f;
    m_state.record_status = cat("recording ", job.output.string(), " ...");
    Recording* r = m_recording.get();
    // The worker renders a copy of the scene with a rasterizer of its own (CPU: the window's CUDA context
    // stays with the viewer), so the view stays usable meanwhile.
    r->thread = std::thread([r, job = std::move(job), cloud = m_cloud, nerf_model = m_nerf]() {
        std::string message;
        bool failed = false;
        try {
            const auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
            const FrameRenderer render_frame = [&](const Camera& camera,
                                                   const splatting::RenderSettings& settings,
                                                   splatting::RenderOutput& out) {
                if (nerf_model)
                    render_nerf_frame(*nerf_model, camera, settings, Backend::Cpu, out);
                else
                    rasterizer->render(cloud, camera, settings, out);
            };
            RecordProgress result;
            const bool complete = record(
                render_frame, true, job,
                [r](const RecordProgress& p) {
                    r->fraction = static_cast<float>(p.frame) / static_cast<float>(p.frames);
                    return !r->cancel.load();
                },
                result);
            message = complete ? cat("recorded ", job.output.string(), ": ", result.frames, " frames in ",
                                     duration_text(result.elapsed_seconds))
                               : cat("recording cancelled at frame ", result.frame, " of ", result.frames);
        } catch (const std::exception& e) {
            message = cat("recording failed: ", e.what());
            failed = true;
        }
        const std::lock_guard lock(r->mutex);
        r->message = message;
        r->failed = failed;
        r->done = true;
    });
}

// The path drawn over the scene: the curve, keyframes as dots (the selected one larger), numbered.
void Viewer::draw_path_overlay() {
    const auto& keys = m_state.path.keyframes;
    if (!m_state.path_show || !m_path_sampler || m_state.path_previewing) return;
    const vk::Rect2D area = scene_viewport();
    const Camera camera =
        m_camera.camera(static_cast<int>(area.extent.width), static_cast<int>(area.extent.height));
    const auto project = [&](glm::vec3 p, ImVec2& out) {
        const glm::vec3 c = camera.rotation * p + camera.translation;
        if (c.z < 1e-3f) return false;
        out = ImVec2(camera.fx * c.x / c.z + camera.cx + static_cast<float>(area.offset.x),
                     camera.fy * c.y / c.z + camera.cy + static_cast<float>(area.offset.y));
        return true;
    };
    ImDrawList* draw = ImGui::GetBackgroundDrawList();
    const PathSampler& sampler = *m_path_sampler;
    constexpr int kSamples = 240;
    ImVec2 previous;
    bool have_previous = false;
    for (int i = 0; i <= kSamples; ++i) {
        ImVec2 point;
        const bool visible =
            project(sampler.at(sampler.duration() * static_cast<float>(i) / kSamples).position, point);
        if (visible && have_previous) draw->AddLine(previous, point, IM_COL32(255, 200, 40, 220), 2.0f);
        previous = point;
        have_previous = visible;
    }
    for (std::size_t i = 0; i < keys.size(); ++i) {
        ImVec2 point;
        if (!project(keys[i].position, point)) continue;
        const bool chosen = static_cast<int>(i) == m_state.path_selected;
        draw->AddCircleFilled(point, chosen ? 7.0f : 5.0f,
                              chosen ? IM_COL32(255, 80, 60, 255) : IM_COL32(255, 230, 120, 255));
        // Where the keyframe looks.
        ImVec2 ahead;
        const glm::vec3 forward = glm::mat3_cast(keys[i].orientation)[2];
        const float length = 0.05f * glm::length(m_camera.eye() - keys[i].position);
        if (project(keys[i].position + length * forward, ahead))
            draw->AddLine(point, ahead, IM_COL32(255, 230, 120, 200), 1.5f);
        draw->AddText(ImVec2(point.x + 8.0f, point.y - 8.0f), IM_COL32(255, 255, 255, 230),
                      std::to_string(i + 1).c_str());
    }
}

bool Viewer::render_scene(int slot, bool moving, std::optional<renderer::PixelSource>& source) {
    if (m_nerf) return render_nerf(slot, source);
    const vk::Extent2D window = scene_viewport().extent;
    const bool adaptive = m_state.backend == Backend::Cpu && m_state.adaptive_resolution && moving;
    const float scale = m_state.resolution_scale * (adaptive ? m_state.adaptive_scale : 1.0f);
    const int width = std::max(1, static_cast<int>(std::lround(static_cast<float>(window.width) * scale)));
    const int height = std::max(1, static_cast<int>(std::lround(static_cast<float>(window.height) * scale)));
    const Camera camera = m_camera.camera(width, height);

    splatting::RenderSettings settings;
    settings.background = {m_state.background[0], m_state.background[1], m_state.background[2]};
    settings.sh_degree = m_state.sh_degree_limit;
    settings.antialias = m_state.antialias;
    settings.time = m_state.time;
    settings.temporal_cutoff = m_options.view.temporal_cutoff;
    // The automatic budget applies while frames follow each other; a still view gets every Gaussian.
    const bool automatic = m_state.lod == LodMode::Auto && (moving || m_state.playing);
    if (m_state.lod == LodMode::Budget || automatic)
        settings.max_gaussians = static_cast<std::size_t>(std::max(m_state.budget, 0));
    if (m_state.lod == LodMode::MinSize) settings.min_radius = m_state.min_radius;
    if (m_state.prune_preview == PrunePreview::Kept) settings.keep = m_keep.data();
    if (m_state.prune_preview == PrunePreview::Removed) settings.keep = m_removed.data();

    RenderKey key = view_key(camera, width, height, m_state);
    key.sh_degree = m_state.sh_degree_limit;
    key.antialias = m_state.antialias;
    key.lod = static_cast<int>(m_state.lod);
    // The automatic budget follows the frame rate; a change of it alone does not call for a new frame.
    key.budget = m_state.lod == LodMode::Budget ? m_state.budget : (automatic ? -1 : 0);
    key.min_radius = m_state.lod == LodMode::MinSize ? m_state.min_radius : 0.0f;
    key.preview = static_cast<int>(m_state.prune_preview);
    key.prune_version = m_state.prune_preview == PrunePreview::Off ? 0 : m_prune_version;
    key.scene_version = m_scene_version;
    key.time = m_state.is_4d ? m_state.time : 0.0f;
    if (m_have_image && std::memcmp(&key, &m_last_key, sizeof key) == 0) return false;

    const auto start = Clock::now();
    m_presenter->set_image_size(width, height);
    splatting::Rasterizer& r = rasterizer();
    const bool shared =
        r.backend() == Backend::Cuda && m_state.cuda_shared && m_state.display == DisplayMode::Color;
    const bool direct = r.backend() == Backend::Cpu && m_state.display == DisplayMode::Color;
    if (shared) {
        m_presenter->begin_cuda_write(slot);
        m_out.packed_rgba = m_presenter->cuda_pixels(slot);
    } else {
        m_out.packed_rgba = direct ? m_presenter->host_pixels(slot) : nullptr;
    }
    // The colour alone needs only the packed pixels; the data images need the float ones.
    m_out.float_images = !(shared || direct);
    splatting::RenderStats stats;
    try {
        stats = r.render(m_cloud, camera, settings, m_out);
    } catch (...) {
        if (shared) m_presenter->end_cuda_write(slot);
        m_out.packed_rgba = nullptr;
        throw;
    }
    const auto blended = Clock::now();
    if (shared) {
        m_presenter->end_cuda_write(slot);
        source = renderer::PixelSource::Cuda;
    } else {
        if (!direct) {
            const DepthRange range =
                m_state.display == DisplayMode::Depth ? depth_range(m_out) : DepthRange{};
            m_state.depth_near = range.near;
            m_state.depth_far = range.far;
            m_state.heat_max =
                display_pixels(m_out, m_state.display, range,
                               std::span<std::uint32_t>(m_presenter->host_pixels(slot),
                                                        static_cast<std::size_t>(width) * height));
        }
        source = renderer::PixelSource::Host;
    }
    m_out.packed_rgba = nullptr;
    const double render_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const double display_ms = std::chrono::duration<double, std::milli>(Clock::now() - blended).count();

    // Frame-rate control: adaptive resolution while moving (CPU), and the automatic budget.
    const double target_ms = 1000.0 / std::max(1.0f, m_state.target_fps);
    if (adaptive)
        m_state.adaptive_scale =
            std::clamp(m_state.adaptive_scale *
                           static_cast<float>(std::clamp(std::sqrt(target_ms / render_ms), 0.7, 1.2)),
                       0.25f, 1.0f);
    if (automatic) {
        const double factor = std::clamp(target_ms / render_ms, 0.8, 1.2);
        const double total = static_cast<double>(m_cloud.size());
        m_state.budget =
            static_cast<int>(std::clamp(m_state.budget * factor, std::min(1000.0, total), total));
    }
    m_reduced = adaptive && scale < m_state.resolution_scale;
    m_state.render_ms = render_ms;
    m_state.render_width = width;
    m_state.render_height = height;
    m_state.drawn = stats.gaussians;
    m_state.visible = stats.visible;
    const double now = seconds_since(m_start);
    const double interval = (now - m_last_render_time) * 1000.0;
    m_last_render_time = now;
    // The frame rate while frames follow each other (moving, playing); 0 after an idle gap.
    constexpr double kIdleGapMs = 250.0;
    m_state.fps = interval < kIdleGapMs
                      ? (m_state.fps > 0 ? 0.8 * m_state.fps + 0.2 * (1000.0 / interval) : 1000.0 / interval)
                      : 0.0;
    m_state.timings.push(static_cast<float>(interval), static_cast<float>(stats.preprocess_ms),
                         static_cast<float>(stats.sort_ms), static_cast<float>(stats.blend_ms),
                         static_cast<float>(display_ms));
    m_last_key = key;
    m_have_image = true;
    log::debug("frame ", width, "x", height, " on the ", backend_name(r.backend()), ": ", stats.visible,
               " of ", stats.gaussians, " Gaussians visible, ", render_ms, " ms", moving ? " (moving)" : "");
    return true;
}

// A NeRF's frame (CPU or CUDA, through nerf::render_nerf): when the view changes, a quick frame at the
// adaptive scale, enlarged to the full resolution; while it stays, full-resolution rows replace the
// enlarged ones, as many per frame as fit the target frame time, until the image is complete.
bool Viewer::render_nerf(int slot, std::optional<renderer::PixelSource>& source) {
    const vk::Extent2D window = scene_viewport().extent;
    const int width = std::max(
        1, static_cast<int>(std::lround(static_cast<float>(window.width) * m_state.resolution_scale)));
    const int height = std::max(
        1, static_cast<int>(std::lround(static_cast<float>(window.height) * m_state.resolution_scale)));
    const Camera camera = m_camera.camera(width, height);
    splatting::RenderSettings settings;
    settings.background = {m_state.background[0], m_state.background[1], m_state.background[2]};

    RenderKey key = view_key(camera, width, height, m_state);
    key.scene_version = m_scene_version;
    key.preview = static_cast<int>(m_state.prune_preview);
    key.prune_version = m_prune_version;
    const bool changed = !m_have_image || std::memcmp(&key, &m_last_key, sizeof key) != 0;
    if (!changed && !m_refine.active) return false;

    const auto start = Clock::now();
    const double target_ms = 1000.0 / std::max(1.0f, m_state.target_fps);
    splatting::RenderOutput& image = m_refine.image;
    const std::size_t pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
    if (changed) {
        const float scale = m_state.adaptive_resolution ? m_state.adaptive_scale : 1.0f;
        const int quick_width = std::max(1, static_cast<int>(std::lround(static_cast<float>(width) * scale)));
        const int quick_height =
            std::max(1, static_cast<int>(std::lround(static_cast<float>(height) * scale)));
        splatting::RenderOutput quick;
        render_nerf_frame(*m_nerf, m_camera.camera(quick_width, quick_height), settings, m_state.backend,
                          quick);
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        if (m_state.adaptive_resolution)
            m_state.adaptive_scale =
                std::clamp(scale * static_cast<float>(std::clamp(std::sqrt(target_ms / ms), 0.7, 1.2)),
                           1.0f / 16.0f, 1.0f);
        // The full-resolution image starts as the quick frame enlarged (nearest pixel).
        image.width = width;
        image.height = height;
        image.color.resize(3 * pixels);
        image.alpha.resize(pixels);
        image.depth.resize(pixels);
        image.contributors.assign(pixels, 0);
        for (int y = 0; y < height; ++y) {
            const std::size_t sy =
                static_cast<std::size_t>(std::min(quick_height - 1, y * quick_height / height));
            for (int x = 0; x < width; ++x) {
                const std::size_t sx =
                    static_cast<std::size_t>(std::min(quick_width - 1, x * quick_width / width));
                const std::size_t from = sy * static_cast<std::size_t>(quick_width) + sx,
                                  to = static_cast<std::size_t>(y) * static_cast<std::size_t>(width) +
                                       static_cast<std::size_t>(x);
                for (std::size_t k = 0; k < 3; ++k) image.color[3 * to + k] = quick.color[3 * from + k];
                image.alpha[to] = quick.alpha[from];
                image.depth[to] = quick.depth[from];
            }
        }
        m_refine.next_row = quick_width == width && quick_height == height ? height : 0;
        m_refine.active = m_refine.next_row < height;
    } else {
        // Full-resolution rows in chunks of at most 16, until the frame's time is spent (each chunk's
        // size from the cost of the rows just above: neighbouring rows cost about the same, whereas the
        // background rows and the object's differ a hundredfold). On CUDA a call carries the model to the
        // device and a chunk is a batch of rays: no limit but the time.
        const int max_chunk = m_state.backend == Backend::Cuda ? height : 16;
        double spent = 0;
        while (m_refine.next_row < height && spent < 0.8 * target_ms) {
            const int rows = std::clamp(
                m_refine.ms_per_row > 0 ? static_cast<int>((target_ms - spent) / m_refine.ms_per_row) : 2, 1,
                std::min(max_chunk, height - m_refine.next_row));
            const auto chunk_start = Clock::now();
            splatting::RenderOutput out;
            render_nerf_frame(*m_nerf, camera, settings, m_state.backend, out, nullptr, m_refine.next_row,
                              rows);
            const std::size_t offset =
                static_cast<std::size_t>(m_refine.next_row) * static_cast<std::size_t>(width);
            std::copy(out.color.begin(), out.color.end(),
                      image.color.begin() + static_cast<std::ptrdiff_t>(3 * offset));
            std::copy(out.alpha.begin(), out.alpha.end(),
                      image.alpha.begin() + static_cast<std::ptrdiff_t>(offset));
            std::copy(out.depth.begin(), out.depth.end(),
                      image.depth.begin() + static_cast<std::ptrdiff_t>(offset));
            m_refine.ms_per_row =
                std::chrono::duration<double, std::milli>(Clock::now() - chunk_start).count() / rows;
            m_refine.next_row += rows;
            spent = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
        }
        m_refine.active = m_refine.next_row < height;
    }
    const auto rendered = Clock::now();
    log::debug("NeRF frame: ", changed ? "quick frame, " : "refined, ", m_refine.next_row, " of ", height,
               " rows at full resolution, ",
               std::chrono::duration<double, std::milli>(rendered - start).count(), " ms");
    m_presenter->set_image_size(width, height);
    const DepthRange range = m_state.display == DisplayMode::Depth ? depth_range(image) : DepthRange{};
    m_state.depth_near = range.near;
    m_state.depth_far = range.far;
    display_pixels(image, m_state.display, range,
                   std::span<std::uint32_t>(m_presenter->host_pixels(slot), pixels));
    source = renderer::PixelSource::Host;

    const double render_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    const double display_ms = std::chrono::duration<double, std::milli>(Clock::now() - rendered).count();
    m_reduced = m_refine.active;
    m_state.nerf_refined = static_cast<float>(m_refine.next_row) / static_cast<float>(height);
    m_state.render_ms = render_ms;
    m_state.render_width = width;
    m_state.render_height = height;
    const double now = seconds_since(m_start);
    const double interval = (now - m_last_render_time) * 1000.0;
    m_last_render_time = now;
    constexpr double kIdleGapMs = 250.0;
    m_state.fps = interval < kIdleGapMs
                      ? (m_state.fps > 0 ? 0.8 * m_state.fps + 0.2 * (1000.0 / interval) : 1000.0 / interval)
                      : 0.0;
    m_state.timings.push(static_cast<float>(interval), 0.0f, 0.0f, static_cast<float>(render_ms - display_ms),
                         static_cast<float>(display_ms));
    m_last_key = key;
    m_have_image = true;
    return true;
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
        render_scene(m_slot, moving, source);
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
            m_have_image = m_have_image && !source;
            return;
        }
        index = acquired;
        if (result == vk::Result::eSuboptimalKHR) m_swapchain_stale = true;
    } catch (const vk::OutOfDateKHRError&) {
        m_swapchain_stale = true;
        m_have_image = m_have_image && !source;
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
            m_state.playing || was_moving || m_reduced || m_state.path_previewing || m_state.recording;
        const bool training = m_options.live != nullptr && !m_state.training_progress.done();
        if (m_options.frames > 0 || animating || redraw > 0)
            glfwPollEvents();
        else if (training)
            glfwWaitEventsTimeout(LiveTraining::kPublishInterval / 2);  // wake for the trainer's updates
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
        handle_path(seconds, moved);
        draw_path_overlay();
        draw_menu_bar(m_state);
        draw_side_window(m_state, t);
        draw_help_overlay(m_state);
        draw_file_dialog(m_state);
        handle_requests();

        ++frame;
        // A scripted run (--frames) ends on a complete image: a NeRF's refinement finishes first.
        const bool settled = !m_refine.active || frame >= 4 * m_options.frames + 1000;
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
