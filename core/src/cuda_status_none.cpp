// cuda_status() for builds without the CUDA backend.
#include "glint/core/backend.h"

namespace glint {

const CudaStatus& cuda_status() {
    static const CudaStatus status = [] {
        CudaStatus s;
        s.reason = "glint was built without CUDA (no CUDA compiler, or GLINT_CUDA=OFF)";
        return s;
    }();
    return status;
}

}  // namespace glint
