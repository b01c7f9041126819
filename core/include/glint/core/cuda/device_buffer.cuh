// DeviceBuffer<T>: the one owner of device memory in glint (cudaMalloc/cudaFree, move-only, no managed
// memory).
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <span>
#include <utility>

#include "glint/core/cuda/check.cuh"

namespace glint::cuda {

template <typename T>
class DeviceBuffer {
public:
    DeviceBuffer() = default;
    explicit DeviceBuffer(std::size_t count) { resize(count); }
    ~DeviceBuffer() { release(); }
    DeviceBuffer(const DeviceBuffer&) = delete;
    DeviceBuffer& operator=(const DeviceBuffer&) = delete;
    DeviceBuffer(DeviceBuffer&& other) noexcept
        : m_data(std::exchange(other.m_data, nullptr)),
          m_count(std::exchange(other.m_count, 0)),
          m_capacity(std::exchange(other.m_capacity, 0)) {}
    DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
        if (this != &other) {
            release();
            m_data = std::exchange(other.m_data, nullptr);
            m_count = std::exchange(other.m_count, 0);
            m_capacity = std::exchange(other.m_capacity, 0);
        }
        return *this;
    }

    // Grows the allocation only when needed (contents are not preserved); shrinking keeps the memory, so
    // per-frame buffers stop allocating after the first frame.
    void resize(std::size_t count) {
        if (count > m_capacity) {
            release();
            if (count > 0) GLINT_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&m_data), count * sizeof(T)));
            m_capacity = count;
        }
        m_count = count;
    }

    void upload(std::span<const T> host, cudaStream_t stream = nullptr) {
        resize(host.size());
        if (!host.empty())
            GLINT_CUDA_CHECK(
                cudaMemcpyAsync(m_data, host.data(), host.size_bytes(), cudaMemcpyHostToDevice, stream));
    }
    // Copies the first host.size() elements back; host.size() must not exceed size().
    void download(std::span<T> host, cudaStream_t stream = nullptr) const {
        GLINT_CHECK(host.size() <= m_count, "download larger than the device buffer");
        if (!host.empty())
            GLINT_CUDA_CHECK(
                cudaMemcpyAsync(host.data(), m_data, host.size_bytes(), cudaMemcpyDeviceToHost, stream));
    }

    T* data() { return m_data; }
    const T* data() const { return m_data; }
    std::size_t size() const { return m_count; }
    std::size_t bytes() const { return m_count * sizeof(T); }

private:
    void release() noexcept {
        if (m_data != nullptr) cudaFree(m_data);  // destructors never throw: an error here is ignored
        m_data = nullptr;
        m_capacity = 0;
        m_count = 0;
    }

    T* m_data = nullptr;
    std::size_t m_count = 0;
    std::size_t m_capacity = 0;
};

}  // namespace glint::cuda
