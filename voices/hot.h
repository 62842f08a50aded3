/*
 * hot.h - compile a voice's inner loop three times on x86-64 Linux with
 * GCC: for AVX-512 and AVX2 (chosen at load time where the CPU has them)
 * and for the baseline.
 *
 * The wider copies do the very same float operations, only with wider
 * registers and three-operand instructions (fewer copies): no fused
 * multiply-add (the build is ISO C, where GCC does not contract a*b+c) and
 * no reordering (no -ffast-math), so every copy gives bit-identical samples;
 * test_cpu_paths compares them with a portable build of the same files.
 * Measured with callgrind on the tones60 render: noise_process 83 -> 61
 * instructions per frame, binaural_run 35 -> 22 per voice and frame (AVX2);
 * binaural 1.8 -> 1.5 ns/frame with AVX-512 (min of 3000 short trials).
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
#define LULL_HOT_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LULL_HOT_CLONES
#endif

/* AVX-512 code paths, for loops the AVX2 clone cannot restructure (a filter
 * cascade run as one skewed vector, for example).  Unlike the clones they are
 * chosen at a voice's init, by lull_use_avx512(), and each one must give the
 * very samples of its portable twin: the same float operations in the same
 * order, only laid out differently; a test renders both ways (LULL_CPU=
 * baseline switches the wide paths off) and compares bit for bit.  GCC and
 * Clang on x86-64; the sanitizer builds keep them (no ifunc involved).
 * Valgrind hides AVX-512 from CPUID, so callgrind counts the portable path. */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(LULL_NO_CLONES)
#include <stdlib.h>
#include <string.h>
#define LULL_HAVE_AVX512 1
#define LULL_AVX512 __attribute__((target("avx512f")))
/* [NRT] (reads the environment): whether an AVX-512 path may run. */
static inline int lull_use_avx512(void)
{
    const char *cpu = getenv("LULL_CPU");
    if (cpu && !strcmp(cpu, "baseline"))
        return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}
#else
#define LULL_HAVE_AVX512 0
static inline int lull_use_avx512(void) { return 0; }
#endif

#endif
