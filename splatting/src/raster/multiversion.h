// The CPU kernels' function attributes: compiled for AVX-512 (x86-64-v4: 32 vector registers, so the
// backward pass's nine per-lane sums stay in registers; 5% faster training steps), AVX2+FMA and baseline
// x86-64, chosen at load time; with GCC also flattened (every call inlined into each clone). Clang refuses flatten beside
// target_clones, so its builds (the fuzzing and sanitizer builds) clone without it.
#pragma once

#if defined(__clang__)
#define GLINT_CLONES_FLATTEN __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GLINT_CLONES_FLATTEN __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), flatten))
#endif
