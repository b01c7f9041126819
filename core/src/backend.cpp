// Backend names, and which backend runs.
#include "glint/core/backend.h"

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {

Backend parse_backend(std::string_view text) {
    const std::string name = to_lower(text);
    if (name == "auto") return Backend::Auto;
    if (name == "cpu") return Backend::Cpu;
    if (name == "cuda") return Backend::Cuda;
    throw InputError(cat("unknown backend '", text, "' (expected auto, cpu or cuda)"));
}

Backend resolve_backend(Backend wanted) {
    const CudaStatus& cuda = cuda_status();
    if (wanted == Backend::Auto) return cuda.usable() ? Backend::Cuda : Backend::Cpu;
    if (wanted == Backend::Cuda && !cuda.usable()) throw Error("the CUDA backend cannot be used: " + cuda.reason);
    return wanted;
}

const char* backend_name(Backend backend) {
    switch (backend) {
        case Backend::Auto:
            return "auto";
        case Backend::Cpu:
            return "cpu";
        case Backend::Cuda:
            return "cuda";
    }
    return "?";
}

}  // namespace glint
