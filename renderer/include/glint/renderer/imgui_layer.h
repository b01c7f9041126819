// Dear ImGui on GLFW and Vulkan: context, backends, font upload, and drawing into the presenter's pass.
#pragma once

#include <cstdint>

#include "glint/renderer/vulkan_context.h"

struct GLFWwindow;

namespace glint::renderer {

class ImGuiLayer {
public:
    // `window` may be null (headless: the caller sets the display size and input each frame).
    ImGuiLayer(const VulkanContext& context, vk::RenderPass render_pass, std::uint32_t image_count,
               GLFWwindow* window);
    ~ImGuiLayer();
    ImGuiLayer(const ImGuiLayer&) = delete;
    ImGuiLayer& operator=(const ImGuiLayer&) = delete;

    // Starts a frame: widgets may be submitted until render().
    void new_frame();
    // Ends the frame and records its draw commands (inside the presenter's render pass).
    void render(vk::CommandBuffer cmd);
    void set_min_image_count(std::uint32_t count);

private:
    vk::raii::DescriptorPool m_pool = nullptr;
    bool m_glfw = false;
};

}  // namespace glint::renderer
