// ImGui backend set-up for glint's Vulkan context.
#include "glint/renderer/imgui_layer.h"

#include <array>

#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_vulkan.h>
#include <imgui.h>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint::renderer {
namespace {

void check_vk(VkResult result) {
    if (result != VK_SUCCESS) throw Error(cat("ImGui Vulkan backend: ", vk::to_string(vk::Result(result))));
}

}  // namespace

ImGuiLayer::ImGuiLayer(const VulkanContext& context, vk::RenderPass render_pass, std::uint32_t image_count,
                       GLFWwindow* window) {
    // The font atlas and ImGui's per-texture sets; 16 leaves room for images a panel may show.
    const vk::DescriptorPoolSize size(vk::DescriptorType::eCombinedImageSampler, 16);
    m_pool = vk::raii::DescriptorPool(
        context.device(),
        vk::DescriptorPoolCreateInfo(vk::DescriptorPoolCreateFlagBits::eFreeDescriptorSet, 16, size));
    IMGUI_CHECKVERSION();
    ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    io.IniFilename = nullptr;  // no imgui.ini beside the user's files
    ImGui::StyleColorsDark();
    if (window != nullptr) {
        ImGui_ImplGlfw_InitForVulkan(window, true);
        m_glfw = true;
    }
    ImGui_ImplVulkan_InitInfo info{};
    info.Instance = *context.instance();
    info.PhysicalDevice = *context.physical_device();
    info.Device = *context.device();
    info.QueueFamily = context.queue_family();
    info.Queue = *context.queue();
    info.DescriptorPool = *m_pool;
    info.MinImageCount = std::max<std::uint32_t>(2, image_count);
    info.ImageCount = std::max<std::uint32_t>(2, image_count);
    info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
    info.CheckVkResultFn = check_vk;
    ImGui_ImplVulkan_Init(&info, render_pass);
    context.submit_and_wait([](vk::CommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); });
    ImGui_ImplVulkan_DestroyFontUploadObjects();
}

ImGuiLayer::~ImGuiLayer() {
    ImGui_ImplVulkan_Shutdown();
    if (m_glfw) ImGui_ImplGlfw_Shutdown();
    ImGui::DestroyContext();
}

void ImGuiLayer::new_frame() {
    ImGui_ImplVulkan_NewFrame();
    if (m_glfw) ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void ImGuiLayer::render(vk::CommandBuffer cmd) {
    ImGui::Render();
    ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), cmd);
}

void ImGuiLayer::set_min_image_count(std::uint32_t count) {
    ImGui_ImplVulkan_SetMinImageCount(std::max<std::uint32_t>(2, count));
}

}  // namespace glint::renderer
