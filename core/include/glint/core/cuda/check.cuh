// Checks for CUDA runtime calls and kernel launches: throw glint::Error with file, line and CUDA's message.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "glint/core/error.h"

namespace glint::cuda {

[[noreturn]] inline void throw_cuda_error(cudaError_t code, const char* expression, const char* file,
                                          int line) {
    throw Error(std::string(file) + ":" + std::to_string(line) + ": CUDA error in " + expression + ": " +
                cudaGetErrorName(code) + " (" + cudaGetErrorString(code) + ")");
}

}  // namespace glint::cuda

// Wraps a CUDA runtime call; throws on anything but cudaSuccess.
#define GLINT_CUDA_CHECK(call)                                                              \
    do {                                                                                    \
        const cudaError_t glint_cuda_status_ = (call);                                      \
        if (glint_cuda_status_ != cudaSuccess)                                              \
            ::glint::cuda::throw_cuda_error(glint_cuda_status_, #call, __FILE__, __LINE__); \
    } while (false)

// Checks the launch of the kernel just issued (configuration errors surface here, not at sync).
#define GLINT_CUDA_CHECK_LAUNCH() GLINT_CUDA_CHECK(cudaGetLastError())
