// Without MPI: distributed training is not available.
#include <cstdlib>

#include "glint/core/error.h"
#include "glint/distributed/mpi.h"

namespace glint::distributed {

bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
        if (std::getenv(name) != nullptr) return true;
    return false;
}

bool mpi_built() {
    return false;
}

std::unique_ptr<Collective> start_mpi() {
    throw InputError(
        "this glint was built without MPI (GLINT_MPI=OFF): distributed training is not available; run "
        "glint train in one process, or build with Open MPI (libopenmpi-dev)");
}

}  // namespace glint::distributed
