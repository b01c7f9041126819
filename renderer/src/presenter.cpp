// The presenter: shown image, pixel buffers per frame slot (host or shared with CUDA), and the pipeline
// that draws the image into a framebuffer.
#include "glint/renderer/presenter.h"

#include <algorithm>
#include <cstring>

#include "cuda/cuda_shared_buffers.h"
#include "glint/core/backend.h"
#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint::renderer {
namespace {

// SPIR-V of shaders/present.{vert,frag}, compiled by glslc at build time.
constexpr std::uint32_t kVertexShader[] = {
#include "present.vert.inc"
};
constexpr std::uint32_t kFragmentShader[] = {
#include "present.frag.inc"
};

struct PushConstants {
    float origin[2];
    std::int32_t exact;
};

constexpr vk::Format kImageFormat = vk::Format::eR8G8B8A8Unorm;

}  // namespace

Presenter::Presenter(const VulkanContext& context, vk::Format target_format, vk::ImageLayout final_layout)
    : m_context(context) {
    const vk::raii::Device& device = context.device();
    const vk::AttachmentDescription attachment(
        {}, target_format, vk::SampleCountFlagBits::e1, vk::AttachmentLoadOp::eClear,
        vk::AttachmentStoreOp::eStore, vk::AttachmentLoadOp::eDontCare, vk::AttachmentStoreOp::eDontCare,
        vk::ImageLayout::eUndefined, final_layout);
    const vk::AttachmentReference color_ref(0, vk::ImageLayout::eColorAttachmentOptimal);
    const vk::SubpassDescription subpass({}, vk::PipelineBindPoint::eGraphics, {}, color_ref);
    // The attachment may still be read by the presentation engine or a previous copy: wait for that at
    // the colour output stage (where a swapchain acquire's semaphore is waited on).
    const std::array dependencies = {
        vk::SubpassDependency(
            VK_SUBPASS_EXTERNAL, 0,
            vk::PipelineStageFlagBits::eColorAttachmentOutput | vk::PipelineStageFlagBits::eTransfer,
            vk::PipelineStageFlagBits::eColorAttachmentOutput, vk::AccessFlagBits::eTransferRead,
            vk::AccessFlagBits::eColorAttachmentWrite),
        vk::SubpassDependency(0, VK_SUBPASS_EXTERNAL, vk::PipelineStageFlagBits::eColorAttachmentOutput,
                              vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eColorAttachmentWrite,
                              vk::AccessFlagBits::eTransferRead)};
    m_render_pass =
        vk::raii::RenderPass(device, vk::RenderPassCreateInfo({}, attachment, subpass, dependencies));

    m_sampler = vk::raii::Sampler(
        device,
        vk::SamplerCreateInfo({}, vk::Filter::eLinear, vk::Filter::eLinear, vk::SamplerMipmapMode::eNearest,
                              vk::SamplerAddressMode::eClampToEdge, vk::SamplerAddressMode::eClampToEdge,
                              vk::SamplerAddressMode::eClampToEdge));
    const vk::DescriptorSetLayoutBinding binding(0, vk::DescriptorType::eCombinedImageSampler, 1,
                                                 vk::ShaderStageFlagBits::eFragment);
    m_set_layout = vk::raii::DescriptorSetLayout(device, vk::DescriptorSetLayoutCreateInfo({}, binding));
    const vk::PushConstantRange push(vk::ShaderStageFlagBits::eFragment, 0, sizeof(PushConstants));
    m_pipeline_layout =
        vk::raii::PipelineLayout(device, vk::PipelineLayoutCreateInfo({}, *m_set_layout, push));
    const vk::DescriptorPoolSize pool_size(vk::DescriptorType::eCombinedImageSampler, 1);
    m_descriptor_pool = vk::raii::DescriptorPool(
        device,
        vk::DescriptorPoolCreateInfo(vk::DescriptorPoolCreateFlagBits::eFreeDescriptorSet, 1, pool_size));
    m_descriptor_set = std::move(
        vk::raii::DescriptorSets(device, vk::DescriptorSetAllocateInfo(*m_descriptor_pool, *m_set_layout))
            .front());
    create_pipeline();
    set_image_size(1, 1);
}

Presenter::~Presenter() {
    if (m_cuda) m_cuda->release_buffers();
}

void Presenter::create_pipeline() {
    const vk::raii::Device& device = m_context.device();
    const vk::raii::ShaderModule vertex(device,
                                        vk::ShaderModuleCreateInfo({}, sizeof kVertexShader, kVertexShader));
    const vk::raii::ShaderModule fragment(
        device, vk::ShaderModuleCreateInfo({}, sizeof kFragmentShader, kFragmentShader));
    const std::array stages = {
        vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eVertex, *vertex, "main"),
        vk::PipelineShaderStageCreateInfo({}, vk::ShaderStageFlagBits::eFragment, *fragment, "main")};
    const vk::PipelineVertexInputStateCreateInfo vertex_input;
    const vk::PipelineInputAssemblyStateCreateInfo assembly({}, vk::PrimitiveTopology::eTriangleList);
    const vk::PipelineViewportStateCreateInfo viewport({}, 1, nullptr, 1, nullptr);
    vk::PipelineRasterizationStateCreateInfo raster({}, VK_FALSE, VK_FALSE, vk::PolygonMode::eFill,
                                                    vk::CullModeFlagBits::eNone,
                                                    vk::FrontFace::eCounterClockwise);
    raster.lineWidth = 1.0f;
    const vk::PipelineMultisampleStateCreateInfo multisample;
    vk::PipelineColorBlendAttachmentState blend;
    blend.colorWriteMask = vk::ColorComponentFlagBits::eR | vk::ColorComponentFlagBits::eG |
                           vk::ColorComponentFlagBits::eB | vk::ColorComponentFlagBits::eA;
    const vk::PipelineColorBlendStateCreateInfo blending({}, VK_FALSE, vk::LogicOp::eCopy, blend);
    const std::array dynamic_states = {vk::DynamicState::eViewport, vk::DynamicState::eScissor};
    const vk::PipelineDynamicStateCreateInfo dynamic({}, dynamic_states);
    const vk::GraphicsPipelineCreateInfo info({}, stages, &vertex_input, &assembly, nullptr, &viewport,
                                              &raster, &multisample, nullptr, &blending, &dynamic,
                                              *m_pipeline_layout, *m_render_pass, 0);
    m_pipeline = vk::raii::Pipeline(device, nullptr, info);
}

vk::raii::Framebuffer Presenter::make_framebuffer(vk::ImageView view, vk::Extent2D extent) const {
    return vk::raii::Framebuffer(
        m_context.device(),
        vk::FramebufferCreateInfo({}, *m_render_pass, view, extent.width, extent.height, 1));
}

void Presenter::set_image_size(int width, int height) {
    GLINT_CHECK(width > 0 && height > 0, "Presenter: the image size must be positive");
    const vk::Extent2D extent(static_cast<std::uint32_t>(width), static_cast<std::uint32_t>(height));
    if (*m_image.image && m_image.extent == extent) return;
    m_context.device().waitIdle();
    m_image = make_image(m_context, extent, kImageFormat,
                         vk::ImageUsageFlagBits::eSampled | vk::ImageUsageFlagBits::eTransferDst);
    const vk::DeviceSize bytes = vk::DeviceSize{extent.width} * extent.height * 4;
    for (Buffer& b : m_host)
        b = make_buffer(m_context, bytes, vk::BufferUsageFlagBits::eTransferSrc,
                        vk::MemoryPropertyFlagBits::eHostVisible | vk::MemoryPropertyFlagBits::eHostCoherent);
    if (m_cuda) {
        m_cuda->release_buffers();
        for (int slot = 0; slot < kFramesInFlight; ++slot) {
            Buffer& b = m_shared[static_cast<std::size_t>(slot)];
            b = make_buffer(m_context, bytes, vk::BufferUsageFlagBits::eTransferSrc,
                            vk::MemoryPropertyFlagBits::eDeviceLocal, true);
            const int fd = m_context.device().getMemoryFdKHR(
                vk::MemoryGetFdInfoKHR(*b.memory, vk::ExternalMemoryHandleTypeFlagBits::eOpaqueFd));
            m_cuda->import_buffer(slot, fd, b.buffer.getMemoryRequirements().size);
        }
    }
    // Black until the first pixels arrive, and in the layout record() expects.
    m_context.submit_and_wait([&](vk::CommandBuffer cmd) {
        transition(cmd, *m_image.image, vk::ImageLayout::eUndefined, vk::ImageLayout::eTransferDstOptimal,
                   vk::PipelineStageFlagBits::eTopOfPipe, {}, vk::PipelineStageFlagBits::eTransfer,
                   vk::AccessFlagBits::eTransferWrite);
        cmd.clearColorImage(*m_image.image, vk::ImageLayout::eTransferDstOptimal,
                            vk::ClearColorValue(std::array<float, 4>{0.0f, 0.0f, 0.0f, 1.0f}),
                            vk::ImageSubresourceRange(vk::ImageAspectFlagBits::eColor, 0, 1, 0, 1));
        transition(cmd, *m_image.image, vk::ImageLayout::eTransferDstOptimal,
                   vk::ImageLayout::eShaderReadOnlyOptimal, vk::PipelineStageFlagBits::eTransfer,
                   vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eFragmentShader,
                   vk::AccessFlagBits::eShaderRead);
    });
    const vk::DescriptorImageInfo image_info(*m_sampler, *m_image.view,
                                             vk::ImageLayout::eShaderReadOnlyOptimal);
    m_context.device().updateDescriptorSets(
        vk::WriteDescriptorSet(*m_descriptor_set, 0, 0, vk::DescriptorType::eCombinedImageSampler,
                               image_info),
        {});
}

std::uint32_t* Presenter::host_pixels(int slot) {
    GLINT_CHECK(slot >= 0 && slot < kFramesInFlight, "Presenter: frame slot out of range");
    return static_cast<std::uint32_t*>(m_host[static_cast<std::size_t>(slot)].mapped);
}

bool Presenter::enable_cuda(std::string& why_not) {
    if (m_cuda) return true;
    if (!cuda_status().usable()) {
        why_not = "CUDA cannot be used: " + cuda_status().reason;
        return false;
    }
    if (!m_context.external_memory()) {
        why_not = cat("the Vulkan device ", m_context.device_name(), " cannot export memory to CUDA");
        return false;
    }
#if GLINT_HAS_CUDA
    try {
        m_cuda = create_cuda_shared_buffers();
        for (int slot = 0; slot < kFramesInFlight; ++slot) {
            const auto s = static_cast<std::size_t>(slot);
            const vk::ExportSemaphoreCreateInfo export_info(
                vk::ExternalSemaphoreHandleTypeFlagBits::eOpaqueFd);
            m_cuda_done[s] =
                vk::raii::Semaphore(m_context.device(), vk::SemaphoreCreateInfo({}, &export_info));
            m_vulkan_done[s] =
                vk::raii::Semaphore(m_context.device(), vk::SemaphoreCreateInfo({}, &export_info));
            const auto fd_of = [&](const vk::raii::Semaphore& sem) {
                return m_context.device().getSemaphoreFdKHR(
                    vk::SemaphoreGetFdInfoKHR(*sem, vk::ExternalSemaphoreHandleTypeFlagBits::eOpaqueFd));
            };
            m_cuda->import_semaphores(slot, fd_of(m_cuda_done[s]), fd_of(m_vulkan_done[s]));
            m_vulkan_done_pending[s] = false;
        }
        // Allocate the shared buffers at the current size.
        const int width = image_width(), height = image_height();
        m_context.device().waitIdle();  // the shown image may still be read by a frame in flight
        m_image = Image{};
        set_image_size(width, height);
        return true;
    } catch (const std::exception& e) {
        m_cuda.reset();
        why_not = cat("sharing memory between Vulkan and CUDA failed: ", e.what());
        return false;
    }
#else
    why_not = "this build of glint has no CUDA";
    return false;
#endif
}

std::uint32_t* Presenter::cuda_pixels(int slot) {
    GLINT_CHECK(m_cuda != nullptr, "Presenter: CUDA sharing is not enabled");
    return m_cuda->pixels(slot);
}

void Presenter::begin_cuda_write(int slot) {
    GLINT_CHECK(m_cuda != nullptr, "Presenter: CUDA sharing is not enabled");
    bool& pending = m_vulkan_done_pending[static_cast<std::size_t>(slot)];
    if (pending) m_cuda->wait_vulkan_done(slot);
    pending = false;
}

void Presenter::end_cuda_write(int slot) {
    GLINT_CHECK(m_cuda != nullptr, "Presenter: CUDA sharing is not enabled");
    m_cuda->signal_cuda_done(slot);
}

void Presenter::record(vk::CommandBuffer cmd, int slot, std::optional<PixelSource> source,
                       vk::Framebuffer framebuffer, vk::Extent2D extent, vk::Rect2D viewport,
                       const std::array<float, 4>& clear,
                       const std::function<void(vk::CommandBuffer)>& overlay, SubmitSync& sync) {
    GLINT_CHECK(slot >= 0 && slot < kFramesInFlight, "Presenter: frame slot out of range");
    const auto s = static_cast<std::size_t>(slot);
    if (source) {
        vk::Buffer from = *m_host[s].buffer;
        if (*source == PixelSource::Cuda) {
            GLINT_CHECK(m_cuda != nullptr, "Presenter: CUDA sharing is not enabled");
            from = *m_shared[s].buffer;
            sync.wait.push_back(*m_cuda_done[s]);
            sync.wait_stages.push_back(vk::PipelineStageFlagBits::eTransfer);
            sync.signal.push_back(*m_vulkan_done[s]);
            m_vulkan_done_pending[s] = true;
        }
        transition(cmd, *m_image.image, vk::ImageLayout::eShaderReadOnlyOptimal,
                   vk::ImageLayout::eTransferDstOptimal, vk::PipelineStageFlagBits::eFragmentShader,
                   vk::AccessFlagBits::eShaderRead, vk::PipelineStageFlagBits::eTransfer,
                   vk::AccessFlagBits::eTransferWrite);
        const vk::BufferImageCopy region(0, 0, 0,
                                         vk::ImageSubresourceLayers(vk::ImageAspectFlagBits::eColor, 0, 0, 1),
                                         {0, 0, 0}, vk::Extent3D(m_image.extent, 1));
        cmd.copyBufferToImage(from, *m_image.image, vk::ImageLayout::eTransferDstOptimal, region);
        transition(cmd, *m_image.image, vk::ImageLayout::eTransferDstOptimal,
                   vk::ImageLayout::eShaderReadOnlyOptimal, vk::PipelineStageFlagBits::eTransfer,
                   vk::AccessFlagBits::eTransferWrite, vk::PipelineStageFlagBits::eFragmentShader,
                   vk::AccessFlagBits::eShaderRead);
    }
    const vk::ClearValue clear_value{vk::ClearColorValue(clear)};
    cmd.beginRenderPass(
        vk::RenderPassBeginInfo(*m_render_pass, framebuffer, vk::Rect2D({0, 0}, extent), clear_value),
        vk::SubpassContents::eInline);
    if (viewport.extent.width > 0 && viewport.extent.height > 0) {
        cmd.bindPipeline(vk::PipelineBindPoint::eGraphics, *m_pipeline);
        cmd.setViewport(
            0, vk::Viewport(static_cast<float>(viewport.offset.x), static_cast<float>(viewport.offset.y),
                            static_cast<float>(viewport.extent.width),
                            static_cast<float>(viewport.extent.height), 0.0f, 1.0f));
        cmd.setScissor(0, viewport);
        cmd.bindDescriptorSets(vk::PipelineBindPoint::eGraphics, *m_pipeline_layout, 0, *m_descriptor_set,
                               {});
        const PushConstants push{
            {static_cast<float>(viewport.offset.x), static_cast<float>(viewport.offset.y)},
            viewport.extent == m_image.extent ? 1 : 0};
        cmd.pushConstants<PushConstants>(*m_pipeline_layout, vk::ShaderStageFlagBits::eFragment, 0, push);
        cmd.draw(3, 1, 0, 0);
    }
    if (overlay) {
        cmd.setViewport(0, vk::Viewport(0.0f, 0.0f, static_cast<float>(extent.width),
                                        static_cast<float>(extent.height), 0.0f, 1.0f));
        cmd.setScissor(0, vk::Rect2D({0, 0}, extent));
        overlay(cmd);
    }
    cmd.endRenderPass();
}

void record_readback(vk::CommandBuffer cmd, vk::Image image, vk::Extent2D extent, vk::ImageLayout layout,
                     const Buffer& destination) {
    transition(cmd, image, layout, vk::ImageLayout::eTransferSrcOptimal,
               vk::PipelineStageFlagBits::eAllCommands, vk::AccessFlagBits::eMemoryWrite,
               vk::PipelineStageFlagBits::eTransfer, vk::AccessFlagBits::eTransferRead);
    const vk::BufferImageCopy region(0, 0, 0,
                                     vk::ImageSubresourceLayers(vk::ImageAspectFlagBits::eColor, 0, 0, 1),
                                     {0, 0, 0}, vk::Extent3D(extent, 1));
    cmd.copyImageToBuffer(image, vk::ImageLayout::eTransferSrcOptimal, *destination.buffer, region);
    transition(cmd, image, vk::ImageLayout::eTransferSrcOptimal, layout, vk::PipelineStageFlagBits::eTransfer,
               vk::AccessFlagBits::eTransferRead, vk::PipelineStageFlagBits::eAllCommands,
               vk::AccessFlagBits::eMemoryRead);
    const vk::BufferMemoryBarrier to_host(vk::AccessFlagBits::eTransferWrite, vk::AccessFlagBits::eHostRead,
                                          VK_QUEUE_FAMILY_IGNORED, VK_QUEUE_FAMILY_IGNORED,
                                          *destination.buffer, 0, VK_WHOLE_SIZE);
    cmd.pipelineBarrier(vk::PipelineStageFlagBits::eTransfer, vk::PipelineStageFlagBits::eHost, {}, {},
                        to_host, {});
}

std::vector<std::uint8_t> to_rgba8(const void* pixels, vk::Extent2D extent, vk::Format format) {
    const std::size_t count = std::size_t{extent.width} * extent.height;
    std::vector<std::uint8_t> rgba(count * 4);
    std::memcpy(rgba.data(), pixels, rgba.size());
    const bool bgra = format == vk::Format::eB8G8R8A8Unorm || format == vk::Format::eB8G8R8A8Srgb;
    GLINT_CHECK(bgra || format == vk::Format::eR8G8B8A8Unorm || format == vk::Format::eR8G8B8A8Srgb,
                "to_rgba8: unsupported format");
    if (bgra)
        for (std::size_t i = 0; i < count; ++i) std::swap(rgba[4 * i], rgba[4 * i + 2]);
    return rgba;
}

}  // namespace glint::renderer
