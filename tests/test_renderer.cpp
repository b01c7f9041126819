// The Vulkan presenter, headless on whatever device exists (Mesa's lavapipe on machines with no GPU):
// device choice, and the presented image against the rasterizer's image, with validation enabled.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>

#include "glint/core/backend.h"
#include "glint/core/image_io.h"
#include "glint/renderer/headless_target.h"
#include "glint/renderer/presenter.h"
#include "glint/renderer/vulkan_context.h"
#include "glint/splatting/raster/rasterizer.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using renderer::DeviceCandidate;

TEST_SUITE("cpu") {
    TEST_CASE(
        "device choice: the CUDA device first, then discrete, integrated, virtual, CPU, rejections say why") {
        DeviceCandidate cpu{"llvmpipe", vk::PhysicalDeviceType::eCpu, VK_API_VERSION_1_3, {}, true, true,
                            false};
        DeviceCandidate integrated{
            "igpu", vk::PhysicalDeviceType::eIntegratedGpu, VK_API_VERSION_1_3, {}, true, true, false};
        DeviceCandidate discrete{
            "dgpu", vk::PhysicalDeviceType::eDiscreteGpu, VK_API_VERSION_1_3, {}, true, true, true};
        discrete.uuid[0] = 1;
        DeviceCandidate second{
            "dgpu2", vk::PhysicalDeviceType::eDiscreteGpu, VK_API_VERSION_1_3, {}, true, true, true};
        second.uuid[0] = 2;
        DeviceCandidate old{"old", vk::PhysicalDeviceType::eDiscreteGpu, VK_API_VERSION_1_1, {}, true, true,
                            true};
        DeviceCandidate no_queue{
            "compute", vk::PhysicalDeviceType::eDiscreteGpu, VK_API_VERSION_1_3, {}, false, true, true};

        std::vector<DeviceCandidate> list{cpu, integrated};
        CHECK(renderer::choose_device(list, std::nullopt).index == 1u);
        list = {cpu, integrated, discrete, second};
        CHECK(renderer::choose_device(list, std::nullopt).index == 2u);
        renderer::Uuid wanted{};
        wanted[0] = 2;
        const auto by_uuid = renderer::choose_device(list, wanted);
        CHECK(by_uuid.index == 3u);
        CHECK(by_uuid.reason == "the CUDA device");
        list = {old, no_queue, cpu};
        const auto fallback = renderer::choose_device(list, std::nullopt);
        CHECK(fallback.index == 2u);
        REQUIRE(fallback.rejections.size() == 2);
        CHECK(fallback.rejections[0].find("older than 1.2") != std::string::npos);
        CHECK(fallback.rejections[1].find("no queue family") != std::string::npos);
        list = {old};
        CHECK_FALSE(renderer::choose_device(list, std::nullopt).index.has_value());
    }

    TEST_CASE("presenter: the headless image equals the rasterizer's image, with no validation message") {
        test::LogCapture log;
        const std::size_t messages_before = renderer::VulkanContext::validation_messages();
        renderer::ContextOptions options;
        options.validation = true;
        renderer::VulkanContext context(options);
        renderer::Presenter presenter(context, renderer::HeadlessTarget::kFormat,
                                      renderer::HeadlessTarget::kFinalLayout);

        const splatting::GaussianCloud cloud = tools::make_default_scene();
        const Camera camera = Camera::look_at({3.0f, -3.0f, 2.0f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 160, 120);
        presenter.set_image_size(camera.width, camera.height);
        renderer::HeadlessTarget target(context, presenter, camera.width, camera.height);

        auto rasterizer = splatting::create_rasterizer(Backend::Cpu);
        splatting::RenderOutput out;
        splatting::RenderSettings settings;
        settings.background = {0.1f, 0.2f, 0.3f};
        for (int slot = 0; slot < renderer::Presenter::kFramesInFlight; ++slot) {
            out.packed_rgba = presenter.host_pixels(slot);
            rasterizer->render(cloud, camera, settings, out);
            const std::vector<std::uint8_t> shown = target.draw(presenter, slot, renderer::PixelSource::Host);
            REQUIRE(shown.size() == out.alpha.size() * 4);
            std::size_t differing = 0;
            for (std::size_t i = 0; i < out.alpha.size(); ++i) {
                for (int c = 0; c < 3; ++c)
                    differing += shown[4 * i + c] != to_unorm8(out.color[3 * i + c]) ? 1 : 0;
                differing += shown[4 * i + 3] != 255 ? 1 : 0;
            }
            CHECK(differing == 0);
            // Not a trivially uniform image: the knot and the disc are there.
            const auto [lo, hi] = std::minmax_element(shown.begin(), shown.end());
            CHECK(int(*hi) - int(*lo) > 100);
            settings.background = {0.9f, 0.9f, 0.9f};  // the second slot shows a different frame
        }

        // A scaled viewport: bilinear, and the clear colour outside it.
        const std::vector<std::uint8_t> scaled =
            target.draw(presenter, 0, std::nullopt, vk::Rect2D({40, 30}, {80, 60}), {1.0f, 0.0f, 0.0f, 1.0f});
        CHECK(scaled[0] == 255);
        CHECK(scaled[1] == 0);
        const std::size_t centre = (60 * 160 + 80) * 4;
        CHECK(scaled[centre + 3] == 255);
        CHECK_FALSE((scaled[centre] == 255 && scaled[centre + 1] == 0 && scaled[centre + 2] == 0));
        CHECK(renderer::VulkanContext::validation_messages() == messages_before);
    }
}

TEST_SUITE("cuda") {
    TEST_CASE("presenter: CUDA writes the shared buffer, Vulkan shows it, equals the CPU image") {
        const CudaStatus& status = cuda_status();
        if (!status.usable()) {
            test::skip(status.reason);
            return;
        }
        test::LogCapture log;
        const std::size_t messages_before = renderer::VulkanContext::validation_messages();
        renderer::ContextOptions options;
        options.validation = true;
        std::copy(status.device_uuid.begin(), status.device_uuid.end(),
                  options.preferred_device.emplace().begin());
        renderer::VulkanContext context(options);
        MESSAGE("Vulkan device ", context.device_name(), ", CUDA device ", status.device_name);
        renderer::Presenter presenter(context, renderer::HeadlessTarget::kFormat,
                                      renderer::HeadlessTarget::kFinalLayout);
        std::string why_not;
        if (!presenter.enable_cuda(why_not)) {
            test::skip(why_not);
            return;
        }
        const splatting::GaussianCloud cloud = tools::make_default_scene();
        const Camera camera = Camera::look_at({3.0f, -3.0f, 2.0f}, {0, 0, 0}, {0, 0, 1}, 50.0f, 160, 120);
        presenter.set_image_size(camera.width, camera.height);
        renderer::HeadlessTarget target(context, presenter, camera.width, camera.height);
        auto gpu = splatting::create_rasterizer(Backend::Cuda);
        auto cpu = splatting::create_rasterizer(Backend::Cpu);
        splatting::RenderOutput reference;
        cpu->render(cloud, camera, {}, reference);
        for (int frame = 0; frame < 4; ++frame) {  // each slot twice: the semaphores are reused
            const int slot = frame % renderer::Presenter::kFramesInFlight;
            splatting::RenderOutput out;
            out.float_images = false;
            presenter.begin_cuda_write(slot);
            out.packed_rgba = presenter.cuda_pixels(slot);
            gpu->render(cloud, camera, {}, out);
            presenter.end_cuda_write(slot);
            const std::vector<std::uint8_t> shown = target.draw(presenter, slot, renderer::PixelSource::Cuda);
            std::size_t far_off = 0;
            for (std::size_t i = 0; i < reference.alpha.size(); ++i)
                for (int c = 0; c < 3; ++c)
                    far_off +=
                        std::abs(int(shown[4 * i + c]) - int(to_unorm8(reference.color[3 * i + c]))) > 2;
            CHECK(far_off <= reference.alpha.size() / 100);
        }
        CHECK(renderer::VulkanContext::validation_messages() == messages_before);
    }
}
