// Whether an MPI launcher started this process, with or without MPI in this build.
#include <cstdlib>

#include "glint/distributed/mpi.h"

namespace glint::distributed {

bool launched_by_mpi() {
    for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
        if (std::getenv(name) != nullptr) return true;
    return false;
}

}  // namespace glint::distributed
