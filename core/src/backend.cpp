// Backend names.
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
