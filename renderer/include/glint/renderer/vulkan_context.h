// The Vulkan instance, the chosen physical device, the logical device and its queue: what every other
// part of the renderer is built on.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <vulkan/vulkan_raii.hpp>

namespace glint::renderer {

using Uuid = std::array<std::uint8_t, 16>;

struct ContextOptions {
    bool validation = false;                       // the Khronos validation layer and a debug messenger
    std::vector<std::string> instance_extensions;  // e.g. what the window system needs for a surface
    std::optional<Uuid> preferred_device;          // the CUDA device's UUID: share memory with it
};

// What the device choice looks at, gathered from a physical device (kept apart so the choice is testable).
struct DeviceCandidate {
    std::string name;
    vk::PhysicalDeviceType type = vk::PhysicalDeviceType::eOther;
    std::uint32_t api_version = 0;
    Uuid uuid{};
    bool graphics_queue = false;   // a queue family with graphics (and presentation, when windowed)
    bool swapchain = true;         // VK_KHR_swapchain, when windowed
    bool external_memory = false;  // VK_KHR_external_memory_fd and VK_KHR_external_semaphore_fd
};

struct DeviceChoice {
    std::optional<std::size_t> index;     // the chosen candidate
    std::string reason;                   // why it was chosen
    std::vector<std::string> rejections;  // one line per candidate not usable at all
};

// Vulkan 1.2 or newer with a graphics queue (and a swapchain when windowed) is usable; among the usable,
// the one whose UUID equals `preferred` wins, then discrete, integrated, virtual, then CPU devices.
DeviceChoice choose_device(std::span<const DeviceCandidate> candidates, const std::optional<Uuid>& preferred);

class VulkanContext {
public:
    // Makes the surface of a window once the instance exists; empty for headless use.
    using SurfaceFactory = std::function<vk::raii::SurfaceKHR(const vk::raii::Instance&)>;

    // Throws Error naming the reason (no Vulkan loader, no usable device: each rejection is logged).
    explicit VulkanContext(const ContextOptions& options, const SurfaceFactory& make_surface = {});
    ~VulkanContext();
    VulkanContext(const VulkanContext&) = delete;
    VulkanContext& operator=(const VulkanContext&) = delete;

    const vk::raii::Instance& instance() const { return m_instance; }
    const vk::raii::PhysicalDevice& physical_device() const { return m_physical_device; }
    const vk::raii::Device& device() const { return m_device; }
    const vk::raii::Queue& queue() const { return m_queue; }
    std::uint32_t queue_family() const { return m_queue_family; }
    const vk::raii::SurfaceKHR* surface() const { return m_surface ? &*m_surface : nullptr; }
    const vk::raii::CommandPool& command_pool() const { return m_command_pool; }
    const std::string& device_name() const { return m_device_name; }
    const Uuid& device_uuid() const { return m_device_uuid; }
    // The device enabled VK_KHR_external_memory_fd and VK_KHR_external_semaphore_fd.
    bool external_memory() const { return m_external_memory; }

    // A memory type allowed by `type_bits` with `properties`; throws Error when none exists.
    std::uint32_t memory_type(std::uint32_t type_bits, vk::MemoryPropertyFlags properties) const;
    // Records commands into a fresh command buffer, submits it and waits for it to finish.
    void submit_and_wait(const std::function<void(vk::CommandBuffer)>& record) const;

    // Validation messages (warnings and errors) seen by any context of this process; each is also logged.
    static std::size_t validation_messages();

private:
    vk::raii::Context m_context;
    vk::raii::Instance m_instance = nullptr;
    vk::raii::DebugUtilsMessengerEXT m_messenger = nullptr;
    std::optional<vk::raii::SurfaceKHR> m_surface;
    vk::raii::PhysicalDevice m_physical_device = nullptr;
    vk::raii::Device m_device = nullptr;
    vk::raii::Queue m_queue = nullptr;
    vk::raii::CommandPool m_command_pool = nullptr;
    std::uint32_t m_queue_family = 0;
    std::string m_device_name;
    Uuid m_device_uuid{};
    bool m_external_memory = false;
};

// A buffer with its own memory; `mapped` is set for host-visible memory (persistently mapped).
struct Buffer {
    vk::raii::Buffer buffer = nullptr;
    vk::raii::DeviceMemory memory = nullptr;
    vk::DeviceSize size = 0;
    void* mapped = nullptr;
};
// `exportable`: memory that can be exported as an opaque POSIX file descriptor (for CUDA).
Buffer make_buffer(const VulkanContext& context, vk::DeviceSize size, vk::BufferUsageFlags usage,
                   vk::MemoryPropertyFlags properties, bool exportable = false);

// A 2D colour image with its memory and view.
struct Image {
    vk::raii::Image image = nullptr;
    vk::raii::DeviceMemory memory = nullptr;
    vk::raii::ImageView view = nullptr;
    vk::Extent2D extent;
    vk::Format format = vk::Format::eUndefined;
};
Image make_image(const VulkanContext& context, vk::Extent2D extent, vk::Format format,
                 vk::ImageUsageFlags usage);

// A layout transition of a whole colour image, as one pipeline barrier.
void transition(vk::CommandBuffer cmd, vk::Image image, vk::ImageLayout from, vk::ImageLayout to,
                vk::PipelineStageFlags src_stage, vk::AccessFlags src_access,
                vk::PipelineStageFlags dst_stage, vk::AccessFlags dst_access);

}  // namespace glint::renderer
