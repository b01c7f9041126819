// Instance with optional validation, physical-device choice, logical device, and small allocation helpers.
#include "glint/renderer/vulkan_context.h"

#include <algorithm>
#include <atomic>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/log.h"
#include "glint/core/text.h"

namespace glint::renderer {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";
constexpr std::uint32_t kMinimumApi = VK_API_VERSION_1_2;

std::atomic<std::size_t> g_validation_messages{0};

VKAPI_ATTR VkBool32 VKAPI_CALL on_validation_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data,
                                                     void*) {
    const char* text = data != nullptr && data->pMessage != nullptr ? data->pMessage : "(no message)";
    if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        ++g_validation_messages;
        log::error("Vulkan validation: ", text);
    } else if (severity >= VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT) {
        ++g_validation_messages;
        log::warn("Vulkan validation: ", text);
    }
    return VK_FALSE;
}

int type_rank(vk::PhysicalDeviceType type) {
    switch (type) {
        case vk::PhysicalDeviceType::eDiscreteGpu:
            return 4;
        case vk::PhysicalDeviceType::eIntegratedGpu:
            return 3;
        case vk::PhysicalDeviceType::eVirtualGpu:
            return 2;
        case vk::PhysicalDeviceType::eCpu:
            return 1;
        default:
            return 0;
    }
}

bool has_extension(const std::vector<vk::ExtensionProperties>& extensions, const char* name) {
    return std::any_of(extensions.begin(), extensions.end(), [&](const vk::ExtensionProperties& e) {
        return std::strcmp(e.extensionName, name) == 0;
    });
}

std::string version_text(std::uint32_t v) {
    return cat(VK_API_VERSION_MAJOR(v), ".", VK_API_VERSION_MINOR(v), ".", VK_API_VERSION_PATCH(v));
}

}  // namespace

DeviceChoice choose_device(std::span<const DeviceCandidate> candidates,
                           const std::optional<Uuid>& preferred) {
    DeviceChoice choice;
    int best_score = -1;
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        const DeviceCandidate& c = candidates[i];
        std::string why;
        if (c.api_version < kMinimumApi)
            why = cat("Vulkan ", version_text(c.api_version), " is older than 1.2");
        else if (!c.graphics_queue)
            why = "no queue family with graphics and presentation";
        else if (!c.swapchain)
            why = "no VK_KHR_swapchain";
        if (!why.empty()) {
            choice.rejections.push_back(cat(c.name, ": ", why));
            continue;
        }
        const bool matches = preferred && c.uuid == *preferred;
        const int score = (matches ? 100 : 0) + type_rank(c.type);
        if (score > best_score) {
            best_score = score;
            choice.index = i;
            choice.reason = matches ? "the CUDA device" : vk::to_string(c.type);
        }
    }
    return choice;
}

VulkanContext::VulkanContext(const ContextOptions& options, const SurfaceFactory& make_surface) {
    // --- instance -------------------------------------------------------------------------------------
    std::vector<const char*> extensions;
    for (const std::string& e : options.instance_extensions) extensions.push_back(e.c_str());
    std::vector<const char*> layers;
    bool validation = options.validation;
    if (validation) {
        const auto available = m_context.enumerateInstanceLayerProperties();
        const bool found = std::any_of(available.begin(), available.end(), [](const vk::LayerProperties& l) {
            return std::strcmp(l.layerName, kValidationLayer) == 0;
        });
        if (found) {
            layers.push_back(kValidationLayer);
            extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
            log::debug("Vulkan validation layer enabled");
        } else {
            log::warn("Vulkan validation was asked for but ", kValidationLayer,
                      " is not installed (Debian: vulkan-validationlayers)");
            validation = false;
        }
    }
    if (m_context.enumerateInstanceVersion() < kMinimumApi)
        throw Error(cat("the Vulkan loader supports ", version_text(m_context.enumerateInstanceVersion()),
                        "; glint needs 1.2"));
    const vk::ApplicationInfo app{"glint", 1, "glint", 1, kMinimumApi};
    m_instance = vk::raii::Instance(m_context, vk::InstanceCreateInfo({}, &app, layers, extensions));
    if (validation) {
        using Severity = vk::DebugUtilsMessageSeverityFlagBitsEXT;
        using Type = vk::DebugUtilsMessageTypeFlagBitsEXT;
        m_messenger = vk::raii::DebugUtilsMessengerEXT(
            m_instance, vk::DebugUtilsMessengerCreateInfoEXT(
                            {}, Severity::eWarning | Severity::eError,
                            Type::eGeneral | Type::eValidation | Type::ePerformance, &on_validation_message));
    }
    if (make_surface) m_surface.emplace(make_surface(m_instance));

    // --- physical device --------------------------------------------------------------------------------
    vk::raii::PhysicalDevices devices(m_instance);
    std::vector<DeviceCandidate> candidates;
    std::vector<std::uint32_t> families;
    for (const vk::raii::PhysicalDevice& device : devices) {
        const vk::PhysicalDeviceProperties properties = device.getProperties();
        const auto extensions_available = device.enumerateDeviceExtensionProperties();
        DeviceCandidate c;
        c.name = properties.deviceName.data();
        c.type = properties.deviceType;
        c.api_version = properties.apiVersion;
        if (c.api_version >= kMinimumApi) {
            const auto chain =
                device.getProperties2<vk::PhysicalDeviceProperties2, vk::PhysicalDeviceIDProperties>();
            const auto& id = chain.get<vk::PhysicalDeviceIDProperties>();
            std::copy(id.deviceUUID.begin(), id.deviceUUID.end(), c.uuid.begin());
        }
        std::uint32_t family = 0;
        const auto queues = device.getQueueFamilyProperties();
        for (std::uint32_t q = 0; q < queues.size(); ++q) {
            if (!(queues[q].queueFlags & vk::QueueFlagBits::eGraphics)) continue;
            if (m_surface && !device.getSurfaceSupportKHR(q, **m_surface)) continue;
            c.graphics_queue = true;
            family = q;
            break;
        }
        c.swapchain = !m_surface || has_extension(extensions_available, VK_KHR_SWAPCHAIN_EXTENSION_NAME);
        c.external_memory = has_extension(extensions_available, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME) &&
                            has_extension(extensions_available, VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
        candidates.push_back(c);
        families.push_back(family);
    }
    const DeviceChoice choice = choose_device(candidates, options.preferred_device);
    for (const std::string& line : choice.rejections) log::info("Vulkan device rejected: ", line);
    if (!choice.index) {
        if (candidates.empty())
            throw Error(
                "no Vulkan device found (without a GPU, install Mesa's lavapipe: mesa-vulkan-drivers)");
        throw Error("no usable Vulkan device (each rejection is logged above)");
    }
    const std::size_t chosen = *choice.index;
    m_physical_device = std::move(devices[chosen]);
    m_queue_family = families[chosen];
    m_device_name = candidates[chosen].name;
    m_device_uuid = candidates[chosen].uuid;
    m_external_memory = candidates[chosen].external_memory;
    log::debug("Vulkan device: ", m_device_name, " (", choice.reason, ", Vulkan ",
               version_text(candidates[chosen].api_version), ")");
    if (options.preferred_device && choice.reason != "the CUDA device")
        log::info("no Vulkan device matches the CUDA device; images reach the window through host memory");

    // --- logical device -----------------------------------------------------------------------------
    std::vector<const char*> device_extensions;
    if (m_surface) device_extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    if (m_external_memory) {
        device_extensions.push_back(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
        device_extensions.push_back(VK_KHR_EXTERNAL_SEMAPHORE_FD_EXTENSION_NAME);
    }
    const float priority = 1.0f;
    const vk::DeviceQueueCreateInfo queue_info({}, m_queue_family, 1, &priority);
    m_device =
        vk::raii::Device(m_physical_device, vk::DeviceCreateInfo({}, queue_info, {}, device_extensions));
    m_queue = vk::raii::Queue(m_device, m_queue_family, 0);
    m_command_pool = vk::raii::CommandPool(
        m_device,
        vk::CommandPoolCreateInfo(vk::CommandPoolCreateFlagBits::eResetCommandBuffer, m_queue_family));
}

VulkanContext::~VulkanContext() {
    if (*m_device) {
        try {
            m_device.waitIdle();
        } catch (const std::exception& e) {
            log::error("Vulkan: waiting for the device at shutdown failed: ", e.what());
        }
    }
}

std::size_t VulkanContext::validation_messages() {
    return g_validation_messages.load();
}

std::uint32_t VulkanContext::memory_type(std::uint32_t type_bits, vk::MemoryPropertyFlags properties) const {
    const vk::PhysicalDeviceMemoryProperties memory = m_physical_device.getMemoryProperties();
    for (std::uint32_t i = 0; i < memory.memoryTypeCount; ++i)
        if ((type_bits & (1u << i)) && (memory.memoryTypes[i].propertyFlags & properties) == properties)
            return i;
    throw Error(cat("Vulkan device ", m_device_name, " has no memory type with ", vk::to_string(properties)));
}

void VulkanContext::submit_and_wait(const std::function<void(vk::CommandBuffer)>& record) const {
    vk::raii::CommandBuffers buffers(
        m_device, vk::CommandBufferAllocateInfo(*m_command_pool, vk::CommandBufferLevel::ePrimary, 1));
    const vk::CommandBuffer cmd = *buffers[0];
    cmd.begin(vk::CommandBufferBeginInfo(vk::CommandBufferUsageFlagBits::eOneTimeSubmit));
    record(cmd);
    cmd.end();
    const vk::raii::Fence fence(m_device, vk::FenceCreateInfo());
    m_queue.submit(vk::SubmitInfo({}, {}, cmd), *fence);
    // A minute: lavapipe on two cores is slow, but never this slow unless the device is lost.
    constexpr std::uint64_t kTimeout = 60'000'000'000ull;
    if (m_device.waitForFences(*fence, VK_TRUE, kTimeout) != vk::Result::eSuccess)
        throw Error("Vulkan: a command buffer did not finish within a minute");
}

Buffer make_buffer(const VulkanContext& context, vk::DeviceSize size, vk::BufferUsageFlags usage,
                   vk::MemoryPropertyFlags properties, bool exportable) {
    Buffer b;
    b.size = size;
    const vk::ExternalMemoryBufferCreateInfo external(vk::ExternalMemoryHandleTypeFlagBits::eOpaqueFd);
    vk::BufferCreateInfo info({}, size, usage, vk::SharingMode::eExclusive);
    if (exportable) info.pNext = &external;
    b.buffer = vk::raii::Buffer(context.device(), info);
    const vk::MemoryRequirements requirements = b.buffer.getMemoryRequirements();
    const vk::ExportMemoryAllocateInfo export_info(vk::ExternalMemoryHandleTypeFlagBits::eOpaqueFd);
    vk::MemoryAllocateInfo allocate(requirements.size,
                                    context.memory_type(requirements.memoryTypeBits, properties));
    if (exportable) allocate.pNext = &export_info;
    b.memory = vk::raii::DeviceMemory(context.device(), allocate);
    b.buffer.bindMemory(*b.memory, 0);
    if (properties & vk::MemoryPropertyFlagBits::eHostVisible) b.mapped = b.memory.mapMemory(0, size);
    return b;
}

Image make_image(const VulkanContext& context, vk::Extent2D extent, vk::Format format,
                 vk::ImageUsageFlags usage) {
    Image im;
    im.extent = extent;
    im.format = format;
    im.image = vk::raii::Image(
        context.device(), vk::ImageCreateInfo({}, vk::ImageType::e2D, format, vk::Extent3D(extent, 1), 1, 1,
                                              vk::SampleCountFlagBits::e1, vk::ImageTiling::eOptimal, usage,
                                              vk::SharingMode::eExclusive, {}, vk::ImageLayout::eUndefined));
    const vk::MemoryRequirements requirements = im.image.getMemoryRequirements();
    im.memory = vk::raii::DeviceMemory(
        context.device(),
        vk::MemoryAllocateInfo(
            requirements.size,
            context.memory_type(requirements.memoryTypeBits, vk::MemoryPropertyFlagBits::eDeviceLocal)));
    im.image.bindMemory(*im.memory, 0);
    im.view = vk::raii::ImageView(context.device(),
                                  vk::ImageViewCreateInfo({}, *im.image, vk::ImageViewType::e2D, format, {},
                                                          {vk::ImageAspectFlagBits::eColor, 0, 1, 0, 1}));
    return im;
}

void transition(vk::CommandBuffer cmd, vk::Image image, vk::ImageLayout from, vk::ImageLayout to,
                vk::PipelineStageFlags src_stage, vk::AccessFlags src_access,
                vk::PipelineStageFlags dst_stage, vk::AccessFlags dst_access) {
    const vk::ImageMemoryBarrier barrier(src_access, dst_access, from, to, VK_QUEUE_FAMILY_IGNORED,
                                         VK_QUEUE_FAMILY_IGNORED, image,
                                         {vk::ImageAspectFlagBits::eColor, 0, 1, 0, 1});
    cmd.pipelineBarrier(src_stage, dst_stage, {}, {}, {}, barrier);
}

}  // namespace glint::renderer
