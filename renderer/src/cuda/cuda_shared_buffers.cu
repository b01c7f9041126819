// Imports the presenter's exported Vulkan memory and semaphores into CUDA.
#include <cuda_runtime.h>

#include <array>

#include "cuda_shared_buffers.h"
#include "glint/core/cuda/check.cuh"

namespace glint::renderer {
namespace {

constexpr int kSlots = 2;

class CudaSharedBuffersImpl final : public CudaSharedBuffers {
public:
    ~CudaSharedBuffersImpl() override {
        release_buffers();
        for (cudaExternalSemaphore_t& s : m_cuda_done)
            if (s != nullptr) cudaDestroyExternalSemaphore(s);
        for (cudaExternalSemaphore_t& s : m_vulkan_done)
            if (s != nullptr) cudaDestroyExternalSemaphore(s);
    }

    void import_buffer(int slot, int fd, std::size_t bytes) override {
        release_slot(slot);
        cudaExternalMemoryHandleDesc desc{};
        desc.type = cudaExternalMemoryHandleTypeOpaqueFd;
        desc.handle.fd = fd;
        desc.size = bytes;
        GLINT_CUDA_CHECK(cudaImportExternalMemory(&m_memory[slot], &desc));
        cudaExternalMemoryBufferDesc buffer{};
        buffer.offset = 0;
        buffer.size = bytes;
        void* pointer = nullptr;
        GLINT_CUDA_CHECK(cudaExternalMemoryGetMappedBuffer(&pointer, m_memory[slot], &buffer));
        m_pixels[slot] = static_cast<std::uint32_t*>(pointer);
    }

    void import_semaphores(int slot, int cuda_done_fd, int vulkan_done_fd) override {
        cudaExternalSemaphoreHandleDesc desc{};
        desc.type = cudaExternalSemaphoreHandleTypeOpaqueFd;
        desc.handle.fd = cuda_done_fd;
        GLINT_CUDA_CHECK(cudaImportExternalSemaphore(&m_cuda_done[slot], &desc));
        desc.handle.fd = vulkan_done_fd;
        GLINT_CUDA_CHECK(cudaImportExternalSemaphore(&m_vulkan_done[slot], &desc));
    }

    std::uint32_t* pixels(int slot) override { return m_pixels[slot]; }

    void wait_vulkan_done(int slot) override {
        cudaExternalSemaphoreWaitParams params{};
        GLINT_CUDA_CHECK(cudaWaitExternalSemaphoresAsync(&m_vulkan_done[slot], &params, 1, nullptr));
    }

    void signal_cuda_done(int slot) override {
        cudaExternalSemaphoreSignalParams params{};
        GLINT_CUDA_CHECK(cudaSignalExternalSemaphoresAsync(&m_cuda_done[slot], &params, 1, nullptr));
    }

    void release_buffers() override {
        for (int slot = 0; slot < kSlots; ++slot) release_slot(slot);
    }

private:
    void release_slot(int slot) {
        if (m_memory[slot] == nullptr) return;
        cudaDeviceSynchronize();  // no kernel may still write the buffer
        cudaFree(m_pixels[slot]);
        cudaDestroyExternalMemory(m_memory[slot]);
        m_memory[slot] = nullptr;
        m_pixels[slot] = nullptr;
    }

    std::array<cudaExternalMemory_t, kSlots> m_memory{};
    std::array<std::uint32_t*, kSlots> m_pixels{};
    std::array<cudaExternalSemaphore_t, kSlots> m_cuda_done{}, m_vulkan_done{};
};

}  // namespace

std::unique_ptr<CudaSharedBuffers> create_cuda_shared_buffers() {
    return std::make_unique<CudaSharedBuffersImpl>();
}

}  // namespace glint::renderer
