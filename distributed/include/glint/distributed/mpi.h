// Distributed training over MPI: whether this process was started by an MPI launcher, and the world's
// ranks as core's Collective.
#pragma once

#include <memory>

#include "glint/core/collective.h"

namespace glint::distributed {

// Whether an MPI launcher (mpirun, mpiexec, srun with PMI) started this process: its environment names a
// rank. A plain `glint train` does not start MPI at all.
bool launched_by_mpi();

// Starts MPI (once per process) and returns the world's ranks; MPI ends when it is destroyed. Throws
// InputError when glint was built without MPI.
std::unique_ptr<Collective> start_mpi();

}  // namespace glint::distributed
