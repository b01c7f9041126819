// Offscreen drawing and read-back.
#include "glint/renderer/headless_target.h"

#include "glint/core/error.h"

namespace glint::renderer {

HeadlessTarget::HeadlessTarget(const VulkanContext& context, const Presenter& presenter, int width,
                               int height)
    : m_context(context) {
    GLINT_CHECK(width > 0 && height > 0, "HeadlessTarget: the size must be positive");
    const vk::Extent2D extent(static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height));
    m_image = make_image(context, extent, kFormat,
                         vk::ImageUsageFlagBits::eColorAttachment | vk::ImageUsageFlagBits::eTransferSrc);
    m_framebuffer = presenter.make_framebuffer(*m_image.view, extent);
    m_readback = make_buffer(
        context, vk::DeviceSize{extent.width} * extent.height * 4, vk::BufferUsageFlagBits::eTransferDst,
        vk::MemoryPropertyFlagBits::eHostVisible | vk::MemoryPropertyFlagBits::eHostCoherent);
    m_cmd = std::move(vk::raii::CommandBuffers(
                          context.device(), vk::CommandBufferAllocateInfo(
                                                *context.command_pool(), vk::CommandBufferLevel::ePrimary, 1))
                          .front());
    m_fence = vk::raii::Fence(context.device(), vk::FenceCreateInfo());
}

std::vector<std::uint8_t> HeadlessTarget::draw(Presenter& presenter, int slot,
                                               std::optional<PixelSource> source, vk::Rect2D viewport,
                                               const std::array<float, 4>& clear,
                                               const std::function<void(vk::CommandBuffer)>& overlay) {
    submit(presenter, slot, source, viewport, clear, overlay, true);
    return to_rgba8(m_readback.mapped, m_image.extent, kFormat);
}

void HeadlessTarget::present(Presenter& presenter, int slot, std::optional<PixelSource> source) {
    submit(presenter, slot, source, {}, {0, 0, 0, 1}, {}, false);
}

void HeadlessTarget::submit(Presenter& presenter, int slot, std::optional<PixelSource> source,
                            vk::Rect2D viewport, const std::array<float, 4>& clear,
                            const std::function<void(vk::CommandBuffer)>& overlay, bool read_back) {
    if (viewport.extent.width == 0 || viewport.extent.height == 0)
        viewport = vk::Rect2D({0, 0}, m_image.extent);
    m_cmd.reset();
    m_cmd.begin(vk::CommandBufferBeginInfo(vk::CommandBufferUsageFlagBits::eOneTimeSubmit));
    SubmitSync sync;
    presenter.record(*m_cmd, slot, source, *m_framebuffer, m_image.extent, viewport, clear, overlay, sync);
    if (read_back) record_readback(*m_cmd, *m_image.image, m_image.extent, kFinalLayout, m_readback);
    m_cmd.end();
    const vk::CommandBuffer cmd = *m_cmd;
    m_context.queue().submit(vk::SubmitInfo(sync.wait, sync.wait_stages, cmd, sync.signal), *m_fence);
    constexpr std::uint64_t kTimeout = 60'000'000'000ull;  // see VulkanContext::submit_and_wait
    if (m_context.device().waitForFences(*m_fence, VK_TRUE, kTimeout) != vk::Result::eSuccess)
        throw Error("Vulkan: an offscreen frame did not finish within a minute");
    m_context.device().resetFences(*m_fence);
}

}  // namespace glint::renderer
