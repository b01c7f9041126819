// Without MPI: distributed training is not available.
#include "glint/core/error.h"
#include "glint/distributed/mpi.h"

namespace glint::distributed {

std::unique_ptr<Collective> start_mpi() {
    throw InputError(
        "this glint was built without MPI (GLINT_MPI=OFF): distributed training is not available; run "
        "glint train in one process, or build with Open MPI (libopenmpi-dev)");
}

}  // namespace glint::distributed
