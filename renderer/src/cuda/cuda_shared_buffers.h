// CUDA's side of the presenter's shared buffers: external memory and semaphores imported from Vulkan
// file descriptors. Plain C++ header; the implementation is CUDA.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace glint::renderer {

class CudaSharedBuffers {
public:
    virtual ~CudaSharedBuffers() = default;
    // Imports buffer `slot` (takes ownership of `fd`; `bytes` is the allocation's size).
    virtual void import_buffer(int slot, int fd, std::size_t bytes) = 0;
    // Imports the slot's semaphores (ownership of the descriptors passes to CUDA).
    virtual void import_semaphores(int slot, int cuda_done_fd, int vulkan_done_fd) = 0;
    virtual std::uint32_t* pixels(int slot) = 0;
    virtual void wait_vulkan_done(int slot) = 0;  // on the default stream
    virtual void signal_cuda_done(int slot) = 0;  // on the default stream
    virtual void release_buffers() = 0;           // before the Vulkan buffers are freed
};

std::unique_ptr<CudaSharedBuffers> create_cuda_shared_buffers();

}  // namespace glint::renderer
