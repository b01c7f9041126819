// An offscreen framebuffer the presenter draws into and that is read back: tests, screenshots, and
// machines with no display.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "glint/renderer/presenter.h"
#include "glint/renderer/vulkan_context.h"

namespace glint::renderer {

class HeadlessTarget {
public:
    static constexpr vk::Format kFormat = vk::Format::eR8G8B8A8Unorm;
    static constexpr vk::ImageLayout kFinalLayout = vk::ImageLayout::eTransferSrcOptimal;

    // `presenter` must have been made with kFormat and kFinalLayout.
    HeadlessTarget(const VulkanContext& context, const Presenter& presenter, int width, int height);

    // Draws one frame as Presenter::record does (viewport: the whole target when empty), waits for it,
    // and returns its pixels as RGBA8 rows, top to bottom.
    std::vector<std::uint8_t> draw(Presenter& presenter, int slot, std::optional<PixelSource> source,
                                   vk::Rect2D viewport = {}, const std::array<float, 4>& clear = {0, 0, 0, 1},
                                   const std::function<void(vk::CommandBuffer)>& overlay = {});
    // The same without reading the pixels back: what a window's frame costs (for benchmarks).
    void present(Presenter& presenter, int slot, std::optional<PixelSource> source);

    vk::Extent2D extent() const { return m_image.extent; }

private:
    void submit(Presenter& presenter, int slot, std::optional<PixelSource> source, vk::Rect2D viewport,
                const std::array<float, 4>& clear, const std::function<void(vk::CommandBuffer)>& overlay,
                bool read_back);

    const VulkanContext& m_context;
    Image m_image;
    vk::raii::Framebuffer m_framebuffer = nullptr;
    Buffer m_readback;
    vk::raii::CommandBuffer m_cmd = nullptr;
    vk::raii::Fence m_fence = nullptr;
};

}  // namespace glint::renderer
