// A GLFW window with no client API, ready for a Vulkan surface; collects dropped file paths.
#pragma once

#include <string>
#include <vector>

#include <vulkan/vulkan_raii.hpp>

struct GLFWwindow;

namespace glint::renderer {

class Window {
public:
    // Throws Error naming the reason when no window can be opened (no display, no GLFW Vulkan support).
    Window(const std::string& title, int width, int height);
    ~Window();
    Window(const Window&) = delete;
    Window& operator=(const Window&) = delete;

    GLFWwindow* handle() const { return m_window; }
    // Instance extensions the window system needs for a surface.
    std::vector<std::string> surface_extensions() const;
    vk::raii::SurfaceKHR create_surface(const vk::raii::Instance& instance) const;
    // In pixels; 0 x 0 while minimized.
    vk::Extent2D framebuffer_size() const;
    bool should_close() const;
    void set_title(const std::string& title);
    // Paths dropped on the window since the last call.
    std::vector<std::string> take_dropped_paths();

private:
    GLFWwindow* m_window = nullptr;
    std::vector<std::string> m_dropped;
};

}  // namespace glint::renderer
