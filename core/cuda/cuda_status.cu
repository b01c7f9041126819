// cuda_status() for builds with the CUDA backend: asks the runtime what devices exist.
#include <cuda_runtime.h>

#include "glint/core/backend.h"

namespace glint {

const CudaStatus& cuda_status() {
    static const CudaStatus status = [] {
        CudaStatus result;
        result.compiled = true;
        int count = 0;
        const cudaError_t code = cudaGetDeviceCount(&count);
        if (code != cudaSuccess) {
            cudaGetLastError();  // clear the sticky error so later calls start clean
            // Without any NVIDIA driver the runtime reports an "insufficient" driver version.
            const bool no_driver = code == cudaErrorInsufficientDriver || code == cudaErrorNoDevice;
            result.reason =
                std::string(no_driver ? "no NVIDIA GPU or driver found" : "no usable CUDA device") +
                " (CUDA runtime: " + cudaGetErrorString(code) + ")";
            return result;
        }
        result.device_count = count;
        if (count == 0) {
            result.reason = "no CUDA device found";
            return result;
        }
        cudaDeviceProp properties{};
        if (cudaGetDeviceProperties(&properties, 0) == cudaSuccess) {
            result.device_name = properties.name;
            for (int i = 0; i < 16; ++i)
                result.device_uuid[i] = static_cast<unsigned char>(properties.uuid.bytes[i]);
        }
        return result;
    }();
    return status;
}

}  // namespace glint
