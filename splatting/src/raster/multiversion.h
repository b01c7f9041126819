// The CPU kernels' function attributes: compiled for AVX2+FMA and for baseline x86-64, chosen at load
// time; with GCC also flattened (every call inlined into each clone). Clang refuses flatten beside
// target_clones, so its builds (the fuzzing and sanitizer builds) clone without it.
#pragma once

#if defined(__clang__)
#define GLINT_CLONES_FLATTEN __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define GLINT_CLONES_FLATTEN __attribute__((target_clones("arch=x86-64-v3", "default"), flatten))
#endif
