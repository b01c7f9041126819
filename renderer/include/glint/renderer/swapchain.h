// The window's swapchain: format and present-mode choice, and rebuilding on resize, OUT_OF_DATE and
// SUBOPTIMAL.
#pragma once

#include <cstdint>
#include <vector>

#include "glint/renderer/vulkan_context.h"

namespace glint::renderer {

class Swapchain {
public:
    // `vsync`: FIFO presentation; otherwise MAILBOX or IMMEDIATE where the surface offers them.
    Swapchain(const VulkanContext& context, vk::Extent2D framebuffer_size, bool vsync);

    // Rebuilds for a new framebuffer size (waits for the device to idle first). Views stay valid until the
    // next rebuild.
    void rebuild(vk::Extent2D framebuffer_size);
    // Takes effect at the next rebuild.
    void set_vsync(bool vsync) { m_vsync = vsync; }

    const vk::raii::SwapchainKHR& handle() const { return m_swapchain; }
    vk::Format format() const { return m_format; }
    vk::Extent2D extent() const { return m_extent; }
    std::uint32_t image_count() const { return static_cast<std::uint32_t>(m_images.size()); }
    std::uint32_t min_image_count() const { return m_min_image_count; }
    vk::Image image(std::uint32_t i) const { return m_images[i]; }
    vk::ImageView view(std::uint32_t i) const { return *m_views[i]; }
    // Whether images can be copied out (for screenshots).
    bool readable() const { return m_readable; }
    // Incremented by every rebuild: framebuffers made for an older generation must be remade.
    std::uint64_t generation() const { return m_generation; }

private:
    const VulkanContext& m_context;
    bool m_vsync;
    vk::raii::SwapchainKHR m_swapchain = nullptr;
    vk::Format m_format = vk::Format::eUndefined;
    vk::Extent2D m_extent;
    std::uint32_t m_min_image_count = 2;
    std::vector<vk::Image> m_images;
    std::vector<vk::raii::ImageView> m_views;
    bool m_readable = false;
    std::uint64_t m_generation = 0;
};

}  // namespace glint::renderer
