// Which compute backend runs a kernel, and whether this build and machine can run CUDA.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace glint {

enum class Backend { Auto, Cpu, Cuda };

// "auto", "cpu", "cuda" (any case). Throws InputError for anything else.
Backend parse_backend(std::string_view text);
const char* backend_name(Backend backend);

struct CudaStatus {
    bool compiled = false;                        // this binary was built with the CUDA backend
    int device_count = 0;                         // CUDA devices visible at run time
    std::string device_name;                      // first device, when there is one
    std::array<unsigned char, 16> device_uuid{};  // first device's UUID (to find the same GPU in Vulkan)
    std::string reason;                           // why CUDA cannot be used, empty when it can
    bool usable() const { return compiled && device_count > 0; }
};

// Queried once per process and cached; never throws.
const CudaStatus& cuda_status();

// The backend that runs for a wish: Auto is CUDA where cuda_status() is usable, else the CPU. Throws
// Error naming the reason when CUDA is asked for and cannot run.
Backend resolve_backend(Backend wanted);

}  // namespace glint
