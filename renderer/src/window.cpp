// GLFW window creation and the file-drop callback.
#include "glint/renderer/window.h"

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint::renderer {
namespace {

std::string g_last_glfw_error;

void on_glfw_error(int code, const char* description) {
    g_last_glfw_error = description != nullptr ? description : cat("GLFW error ", code);
    log::debug("GLFW: ", g_last_glfw_error);
}

void on_drop(GLFWwindow* window, int count, const char** paths) {
    auto* self = static_cast<std::vector<std::string>*>(glfwGetWindowUserPointer(window));
    for (int i = 0; i < count; ++i) self->emplace_back(paths[i]);
}

}  // namespace

Window::Window(const std::string& title, int width, int height) {
    glfwSetErrorCallback(on_glfw_error);
    if (glfwInit() != GLFW_TRUE)
        throw Error(cat(
            "cannot open a window: ", g_last_glfw_error.empty() ? "GLFW failed to start" : g_last_glfw_error,
            " (without a display, `glint render` works headless, or run under xvfb-run)"));
    if (glfwVulkanSupported() != GLFW_TRUE) {
        glfwTerminate();
        throw Error("cannot open a window: GLFW finds no Vulkan loader");
    }
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    m_window = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
    if (m_window == nullptr) {
        glfwTerminate();
        throw Error(cat("cannot open a window: ", g_last_glfw_error));
    }
    glfwSetWindowUserPointer(m_window, &m_dropped);
    glfwSetDropCallback(m_window, on_drop);
}

Window::~Window() {
    glfwDestroyWindow(m_window);
    glfwTerminate();
}

std::vector<std::string> Window::surface_extensions() const {
    std::uint32_t count = 0;
    const char** names = glfwGetRequiredInstanceExtensions(&count);
    if (names == nullptr) throw Error(cat("cannot present to a window: ", g_last_glfw_error));
    return {names, names + count};
}

vk::raii::SurfaceKHR Window::create_surface(const vk::raii::Instance& instance) const {
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    const VkResult result = glfwCreateWindowSurface(*instance, m_window, nullptr, &surface);
    if (result != VK_SUCCESS)
        throw Error(
            cat("cannot create a Vulkan surface for the window: ", vk::to_string(vk::Result(result))));
    return vk::raii::SurfaceKHR(instance, surface);
}

vk::Extent2D Window::framebuffer_size() const {
    int width = 0, height = 0;
    glfwGetFramebufferSize(m_window, &width, &height);
    return {static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height)};
}

bool Window::should_close() const {
    return glfwWindowShouldClose(m_window) == GLFW_TRUE;
}

void Window::set_title(const std::string& title) {
    glfwSetWindowTitle(m_window, title.c_str());
}

std::vector<std::string> Window::take_dropped_paths() {
    std::vector<std::string> paths;
    paths.swap(m_dropped);
    return paths;
}

}  // namespace glint::renderer
