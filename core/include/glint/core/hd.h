// GLINT_HD marks per-element math that both the CPU backend and CUDA kernels call.
#pragma once

#if defined(__CUDACC__)
#define GLINT_HD __host__ __device__
#else
#define GLINT_HD
#endif
