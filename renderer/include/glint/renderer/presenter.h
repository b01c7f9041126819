// Shows an image that something else produced (the renderer does not know what): packed RGBA8 pixels
// from a persistently mapped host buffer, or from a buffer shared with CUDA, drawn into a framebuffer
// (a swapchain image or an offscreen one) under an overlay such as the ImGui panel.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "glint/renderer/vulkan_context.h"

namespace glint::renderer {

class CudaSharedBuffers;

// Where the pixels of a frame come from.
enum class PixelSource { Host, Cuda };

// Semaphores a frame's queue submission must wait for and signal, gathered while recording.
struct SubmitSync {
    std::vector<vk::Semaphore> wait;
    std::vector<vk::PipelineStageFlags> wait_stages;
    std::vector<vk::Semaphore> signal;
};

class Presenter {
public:
    // Frame slots: the caller may fill slot k while the device still shows the frame of the other slot.
    static constexpr int kFramesInFlight = 2;

    // `target_format`: the framebuffers' colour format; `final_layout`: their layout after the render pass
    // (PRESENT_SRC for a swapchain, TRANSFER_SRC for a headless target that is read back).
    Presenter(const VulkanContext& context, vk::Format target_format, vk::ImageLayout final_layout);
    ~Presenter();
    Presenter(const Presenter&) = delete;
    Presenter& operator=(const Presenter&) = delete;

    vk::RenderPass render_pass() const { return *m_render_pass; }
    vk::raii::Framebuffer make_framebuffer(vk::ImageView view, vk::Extent2D extent) const;

    // The size of the image to show. Changing it waits for the device to idle and reallocates; the new
    // image is black until pixels arrive.
    void set_image_size(int width, int height);
    int image_width() const { return static_cast<int>(m_image.extent.width); }
    int image_height() const { return static_cast<int>(m_image.extent.height); }

    // Packed RGBA8 pixels [H, W] (R in the lowest byte) of frame slot `slot` in host memory; write them
    // only after the slot's previous frame has finished on the device.
    std::uint32_t* host_pixels(int slot);

    // Shares the slots' pixel buffers with CUDA (VK_KHR_external_memory_fd, cudaImportExternalMemory).
    // Returns false and says why when this build or device cannot.
    bool enable_cuda(std::string& why_not);
    bool cuda_enabled() const { return m_cuda != nullptr; }
    // Device pointer to slot `slot`'s shared pixels [H, W]. Call begin_cuda_write() before CUDA work on the
    // default stream writes them and end_cuda_write() after: they order that work with the device's
    // reads through semaphores shared with CUDA, with no host wait.
    std::uint32_t* cuda_pixels(int slot);
    void begin_cuda_write(int slot);
    void end_cuda_write(int slot);

    // Records a frame: when `source` is given, the slot's new pixels are copied from there into the shown
    // image; then the render pass into `framebuffer` (`extent`): cleared to `clear`, the image drawn over
    // `viewport` (bilinear when sizes differ, exact texels when equal), then `overlay`.
    void record(vk::CommandBuffer cmd, int slot, std::optional<PixelSource> source,
                vk::Framebuffer framebuffer, vk::Extent2D extent, vk::Rect2D viewport,
                const std::array<float, 4>& clear, const std::function<void(vk::CommandBuffer)>& overlay,
                SubmitSync& sync);

private:
    void create_pipeline();

    const VulkanContext& m_context;
    vk::raii::RenderPass m_render_pass = nullptr;
    vk::raii::DescriptorSetLayout m_set_layout = nullptr;
    vk::raii::PipelineLayout m_pipeline_layout = nullptr;
    vk::raii::Pipeline m_pipeline = nullptr;
    vk::raii::Sampler m_sampler = nullptr;
    vk::raii::DescriptorPool m_descriptor_pool = nullptr;
    vk::raii::DescriptorSet m_descriptor_set = nullptr;
    Image m_image;                                 // the shown image, SHADER_READ_ONLY between frames
    std::array<Buffer, kFramesInFlight> m_host;    // [H, W] packed RGBA8 each, host-visible
    std::array<Buffer, kFramesInFlight> m_shared;  // [H, W] device-local, exported to CUDA
    std::array<vk::raii::Semaphore, kFramesInFlight> m_cuda_done{nullptr, nullptr};    // CUDA -> Vulkan
    std::array<vk::raii::Semaphore, kFramesInFlight> m_vulkan_done{nullptr, nullptr};  // Vulkan -> CUDA
    std::array<bool, kFramesInFlight> m_vulkan_done_pending{};  // signalled and not yet waited by CUDA
    std::unique_ptr<CudaSharedBuffers> m_cuda;
};

// Copies a colour image (in `layout`, left there) into a host-visible buffer as tightly packed rows.
void record_readback(vk::CommandBuffer cmd, vk::Image image, vk::Extent2D extent, vk::ImageLayout layout,
                     const Buffer& destination);

// RGBA8 rows from pixels read back in `format` (R8G8B8A8 or B8G8R8A8 UNORM/SRGB).
std::vector<std::uint8_t> to_rgba8(const void* pixels, vk::Extent2D extent, vk::Format format);

}  // namespace glint::renderer
