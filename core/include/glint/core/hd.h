// GLINT_HD marks per-element math that both the CPU backend and CUDA kernels call.
#pragma once

#if defined(__CUDACC__)
#define GLINT_HD __host__ __device__
#else
#define GLINT_HD
#endif

// The same for the per-pixel loops the rasterizers share, always inlined: on the CPU they must inline
// into the tile loops they sit in, so that each is compiled for that function's instruction sets.
#if defined(__CUDACC__)
#define GLINT_HD_INLINE __host__ __device__ __forceinline__
#else
#define GLINT_HD_INLINE [[gnu::always_inline]] inline
#endif
