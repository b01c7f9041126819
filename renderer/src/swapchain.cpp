// Swapchain creation and rebuilding.
#include "glint/renderer/swapchain.h"

#include <algorithm>

#include "glint/core/error.h"
#include "glint/core/log.h"

namespace glint::renderer {

Swapchain::Swapchain(const VulkanContext& context, vk::Extent2D framebuffer_size, bool vsync)
    : m_context(context), m_vsync(vsync) {
    GLINT_CHECK(context.surface() != nullptr, "Swapchain: the context has no surface");
    rebuild(framebuffer_size);
}

void Swapchain::rebuild(vk::Extent2D framebuffer_size) {
    const vk::raii::PhysicalDevice& gpu = m_context.physical_device();
    const vk::SurfaceKHR surface = **m_context.surface();
    m_context.device().waitIdle();

    const vk::SurfaceCapabilitiesKHR caps = gpu.getSurfaceCapabilitiesKHR(surface);
    // UNORM, not SRGB: glint's images hold display-referred values already, and so does ImGui.
    const auto formats = gpu.getSurfaceFormatsKHR(surface);
    vk::SurfaceFormatKHR chosen = formats.front();
    for (const vk::SurfaceFormatKHR& f : formats)
        if ((f.format == vk::Format::eB8G8R8A8Unorm || f.format == vk::Format::eR8G8B8A8Unorm) &&
            f.colorSpace == vk::ColorSpaceKHR::eSrgbNonlinear) {
            chosen = f;
            break;
        }
    m_format = chosen.format;

    vk::PresentModeKHR mode = vk::PresentModeKHR::eFifo;  // always available
    if (!m_vsync) {
        const auto modes = gpu.getSurfacePresentModesKHR(surface);
        for (const vk::PresentModeKHR wanted : {vk::PresentModeKHR::eMailbox, vk::PresentModeKHR::eImmediate})
            if (std::find(modes.begin(), modes.end(), wanted) != modes.end()) {
                mode = wanted;
                break;
            }
    }

    if (caps.currentExtent.width != UINT32_MAX) {
        m_extent = caps.currentExtent;
    } else {
        m_extent.width =
            std::clamp(framebuffer_size.width, caps.minImageExtent.width, caps.maxImageExtent.width);
        m_extent.height =
            std::clamp(framebuffer_size.height, caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    // One image more than the minimum, so acquiring rarely waits for the presentation engine.
    m_min_image_count = caps.minImageCount + 1;
    if (caps.maxImageCount > 0) m_min_image_count = std::min(m_min_image_count, caps.maxImageCount);
    m_readable = static_cast<bool>(caps.supportedUsageFlags & vk::ImageUsageFlagBits::eTransferSrc);
    vk::ImageUsageFlags usage = vk::ImageUsageFlagBits::eColorAttachment;
    if (m_readable) usage |= vk::ImageUsageFlagBits::eTransferSrc;

    vk::SwapchainCreateInfoKHR info({}, surface, m_min_image_count, m_format, chosen.colorSpace, m_extent, 1,
                                    usage, vk::SharingMode::eExclusive, {}, caps.currentTransform,
                                    vk::CompositeAlphaFlagBitsKHR::eOpaque, mode, VK_TRUE, *m_swapchain);
    if (!(caps.supportedCompositeAlpha & vk::CompositeAlphaFlagBitsKHR::eOpaque))
        info.compositeAlpha = vk::CompositeAlphaFlagBitsKHR::eInherit;
    vk::raii::SwapchainKHR fresh(m_context.device(), info);
    m_views.clear();
    m_swapchain = std::move(fresh);
    m_images = m_swapchain.getImages();
    for (const vk::Image image : m_images)
        m_views.emplace_back(m_context.device(),
                             vk::ImageViewCreateInfo({}, image, vk::ImageViewType::e2D, m_format, {},
                                                     {vk::ImageAspectFlagBits::eColor, 0, 1, 0, 1}));
    ++m_generation;
    log::debug("swapchain ", m_extent.width, "x", m_extent.height, ", ", m_images.size(), " images, ",
               vk::to_string(m_format), ", ", vk::to_string(mode));
}

}  // namespace glint::renderer
