/*
 * hot.h - compile a voice's inner loop twice on x86-64 Linux with GCC: for
 * AVX2 (chosen at load time where the CPU has it) and for the baseline.
 *
 * The AVX2 copy does the very same float operations, only with wider
 * registers and three-operand instructions (fewer copies): no fused
 * multiply-add (AVX2 does not include FMA, and the build is ISO C, where GCC
 * does not contract a*b+c anyway) and no reordering (no -ffast-math), so both
 * copies give bit-identical samples.  Measured with callgrind on the
 * tones60 render: noise_process 83 -> 61 instructions per frame,
 * binaural_run 35 -> 22 per voice and frame.
 *
 * Elsewhere (other compilers, other CPUs, LULL_NO_CLONES) it expands to
 * nothing.  So it does in ASan and TSan builds: the clone is picked by an
 * ifunc resolver that the dynamic loader runs while relocating, before the
 * sanitizer's runtime is up, and the instrumented resolver crashes there
 * (every program of a `-DLULL_SANITIZE=thread` build died before main).
 */
#ifndef LULL_HOT_H
#define LULL_HOT_H

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__) && \
    !defined(LULL_NO_CLONES) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define LULL_HOT_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define LULL_HOT_CLONES
#endif

#endif
