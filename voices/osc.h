/*
 * osc.h - phase accumulator and table sine shared by the tone voices.
 *
 * Header only: everything is `static` so each translation unit that includes
 * it gets its own 16 KiB table and its own once-flag.  That costs a little
 * memory per voice file but keeps the header free of link-time state.
 *
 * Phase: a 64-bit unsigned fixed-point fraction of a cycle (2^64 == one
 * cycle), so wrap-around is the natural unsigned overflow and never loses
 * precision however long a session runs.  The increment is held as a signed
 * 64-bit integer so the voices can ramp it per sample by an integer step
 * (exact, split-invariant, no floating-point drift).  Resolution is
 * rate_hz / 2^64 (2.6e-15 Hz at 48 kHz): over 8 hours (1.4e9 frames) the
 * accumulated phase error from quantising the increment is below 4e-6 cycle,
 * far inside the 0.001 Hz budget for a binaural beat.
 *
 * Sine: 4096-entry table (+1 guard point so interpolation never wraps the
 * index) with linear interpolation.  The interpolation error of a sine table
 * is bounded by (2*pi/N)^2 / 8 = 2.9e-7 for N = 4096 (-130 dB), plus float
 * rounding of the table (~6e-8), so the output is well under -120 dB from an
 * ideal sine without a libm call per sample.
 *
 * Threads: lull_osc_init_table() is [NRT] and thread-safe (call_once); call it
 * from a voice's init.  Everything else is [RT].
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_OSC_H
#define LULL_OSC_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#if defined(__STDC_NO_THREADS__)
#include <pthread.h>
#define LULL_OSC_ONCE_T pthread_once_t
#define LULL_OSC_ONCE_INIT PTHREAD_ONCE_INIT
#define LULL_OSC_CALL_ONCE(flag, fn) (void)pthread_once((flag), (fn))
#else
#include <threads.h>
#define LULL_OSC_ONCE_T once_flag
#define LULL_OSC_ONCE_INIT ONCE_FLAG_INIT
#define LULL_OSC_CALL_ONCE(flag, fn) call_once((flag), (fn))
#endif

#define LULL_OSC_TABLE_BITS 12
#define LULL_OSC_TABLE_SIZE (1u << LULL_OSC_TABLE_BITS)

/* Written once under the once-flag, read-only afterwards. */
static float lull_osc_sine_table[LULL_OSC_TABLE_SIZE + 1];
static LULL_OSC_ONCE_T lull_osc_table_once = LULL_OSC_ONCE_INIT;

static void lull_osc_build_table(void)
{
    const double two_pi = 6.283185307179586476925286766559;
    for (unsigned i = 0; i <= LULL_OSC_TABLE_SIZE; i++)
        lull_osc_sine_table[i] = (float)sin(two_pi * (double)i / (double)LULL_OSC_TABLE_SIZE);
    /* Exact zeros and extremes so a quarter-cycle phase gives exactly +-1. */
    lull_osc_sine_table[0] = 0.0f;
    lull_osc_sine_table[LULL_OSC_TABLE_SIZE / 4] = 1.0f;
    lull_osc_sine_table[LULL_OSC_TABLE_SIZE / 2] = 0.0f;
    lull_osc_sine_table[3 * LULL_OSC_TABLE_SIZE / 4] = -1.0f;
    lull_osc_sine_table[LULL_OSC_TABLE_SIZE] = 0.0f;
}

/* [NRT] Build the table (idempotent, thread-safe). */
static inline void lull_osc_init_table(void)
{
    LULL_OSC_CALL_ONCE(&lull_osc_table_once, lull_osc_build_table);
}

/* [RT] Phase increment per frame for freq_hz at rate_hz, rounded to nearest.
 * Frequencies are clamped to just inside +-Nyquist so the result always fits
 * in int64 (2^63 is half a cycle); NaN gives 0.  Negative frequencies are
 * allowed (the phase runs backwards). */
static inline int64_t lull_osc_increment(double freq_hz, double rate_hz)
{
    double cycles = freq_hz / rate_hz;          /* cycles per frame */
    if (!(cycles == cycles))
        return 0;
    if (cycles > 0.4999)
        cycles = 0.4999;
    if (cycles < -0.4999)
        cycles = -0.4999;
    /* 2^64 * cycles is exact in double up to the 53-bit mantissa; rounding
     * here is the only quantisation (<= 0.5 unit, rate/2^65 Hz). */
    /* Round half away from zero like llround(), without the libm call: the
     * truncation is exact and so is the remainder it leaves. */
    const double x = cycles * 18446744073709551616.0;
    int64_t r = (int64_t)x;
    const double rem = x - (double)r;
    if (rem >= 0.5)
        r++;
    else if (rem <= -0.5)
        r--;
    return r;
}

/* [ANY] The frequency an increment really produces (for tests, reports). */
static inline double lull_osc_increment_hz(int64_t increment, double rate_hz)
{
    return (double)increment * rate_hz / 18446744073709551616.0;
}

/* [RT] sin(2*pi*phase/2^64).  Top 12 bits pick the table interval, the next
 * 32 bits are the interpolation fraction (converted to float, 24 bits kept,
 * which is far below the table's own error). */
static inline float lull_osc_sine(uint64_t phase)
{
    const unsigned idx = (unsigned)(phase >> (64 - LULL_OSC_TABLE_BITS));
    const float frac = (float)(uint32_t)(phase >> (32 - LULL_OSC_TABLE_BITS)) * 0x1p-32f;
    const float a = lull_osc_sine_table[idx];
    const float b = lull_osc_sine_table[idx + 1];
    return a + frac * (b - a);
}


/* [RT] sin(2*pi*x) for x in turns, |x| <= 0.5, as a polynomial the compiler
 * can vectorise (no table lookups, no branches).  The phase is folded into
 * [-1/4, 1/4] turn using sin(pi - a) = sin(a), then an odd Taylor series to
 * the 11th power: truncation error (pi/2)^13/13! = 6e-8, below float
 * rounding, so the result is within about 1.5e-7 (-136 dB) of the true sine. */
static inline float lull_osc_sin_turns(float x)
{
    const float a = fabsf(x);
    const float b = 0.5f - a;
    const float t = copysignf(a < b ? a : b, x);
    const float t2 = t * t;
    /* (2*pi)^k / k! with alternating signs, k = 1, 3, ..., 11 */
    const float c1 = 6.28318530717958648f, c3 = -41.3417022403997550f, c5 = 81.6052492760750400f,
                c7 = -76.7058597530613600f, c9 = 42.0586939448976340f, c11 = -15.0946425768229840f;
    return t * (c1 + t2 * (c3 + t2 * (c5 + t2 * (c7 + t2 * (c9 + t2 * c11)))));
}

/* [RT] Run a phase accumulator for n frames: turns[i] receives the phase as
 * a signed fraction of a cycle in [-0.5, 0.5) (its top 32 bits, which float
 * keeps to 24 bits: 6e-8 turn), then the phase advances by the increment and
 * the increment by `step` (a linear frequency ramp).  The 64-bit integer work
 * stays serial and cheap; the sine over `turns` is a separate loop that
 * vectorises. */
static inline void lull_osc_run(uint64_t *phase, int64_t *inc, int64_t step, float *turns, int n)
{
    uint64_t ph = *phase;
    int64_t in = *inc;
    for (int i = 0; i < n; i++) {
        turns[i] = (float)(int32_t)(uint32_t)(ph >> 32) * 0x1p-32f;
        ph += (uint64_t)in;
        in += step;
    }
    *phase = ph;
    *inc = in;
}


/* [RT] Two accumulators at once (left and right ear) as one vector of two
 * 64-bit lanes: turns2[2*i] is the left phase of frame i, turns2[2*i+1] the
 * right, in the format of lull_osc_run().  Same arithmetic, half the
 * instructions, and the interleaved output feeds a 4-wide sine loop. */
typedef uint64_t lull_osc_u64x2 __attribute__((vector_size(16)));
typedef uint64_t lull_osc_u64x8 __attribute__((vector_size(64)));
typedef int32_t lull_osc_i32x16 __attribute__((vector_size(64)));
typedef float lull_osc_f32x16 __attribute__((vector_size(64)));

static inline void lull_osc_run2(uint64_t phase[2], int64_t inc[2], const int64_t step[2],
                                 float *turns2, int n)
{
    lull_osc_u64x2 ph = { phase[0], phase[1] };
    lull_osc_u64x2 in = { (uint64_t)inc[0], (uint64_t)inc[1] };
    const lull_osc_u64x2 st = { (uint64_t)step[0], (uint64_t)step[1] };
    int i = 0;
#if defined(__GNUC__) && !defined(__clang__) /* __builtin_shuffle */
    if (n >= 8) {
        /* Eight frames per step, in two vectors of (left, right) x 4
         * frames: over eight frames a phase moves by q = 8*inc + 28*step
         * and an increment by 8*step, so q itself moves by 64*step (the
         * sums of the serial recurrence, exact in 64-bit wrap-around
         * arithmetic): every lane holds the very phase the one-frame loop
         * below would reach, with two vector additions per eight frames
         * instead of eight operations.  The increment after the loop is
         * in + 8k*step, k the steps taken.
         *
         * Each step stores its 16 turns as one 64-byte vector, the width
         * the AVX-512 sine loop reads them back with: a 64-byte load that
         * spans two narrower stores still in flight cannot be forwarded
         * from them and waits for both to retire (perf showed a third of
         * binaural_run's time on that first load when this loop stored 32
         * bytes at a time). */
        const lull_osc_u64x8 s64 = { st[0] * 64, st[1] * 64, st[0] * 64, st[1] * 64,
                                     st[0] * 64, st[1] * 64, st[0] * 64, st[1] * 64 };
        const lull_osc_u64x8 s28 = { st[0] * 28, st[1] * 28, st[0] * 28, st[1] * 28,
                                     st[0] * 28, st[1] * 28, st[0] * 28, st[1] * 28 };
        lull_osc_u64x2 p[8], c[8];
        p[0] = ph;
        c[0] = in;
        for (int k = 1; k < 8; k++) {
            p[k] = p[k - 1] + c[k - 1];
            c[k] = c[k - 1] + st;
        }
        lull_osc_u64x8 pa = { p[0][0], p[0][1], p[1][0], p[1][1], p[2][0], p[2][1], p[3][0], p[3][1] };
        lull_osc_u64x8 pb = { p[4][0], p[4][1], p[5][0], p[5][1], p[6][0], p[6][1], p[7][0], p[7][1] };
        const lull_osc_u64x8 ia = { c[0][0], c[0][1], c[1][0], c[1][1], c[2][0], c[2][1], c[3][0], c[3][1] };
        const lull_osc_u64x8 ib = { c[4][0], c[4][1], c[5][0], c[5][1], c[6][0], c[6][1], c[7][0], c[7][1] };
        lull_osc_u64x8 qa = (ia << 3) + s28, qb = (ib << 3) + s28;
        const lull_osc_i32x16 odd = { 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31 };
        for (; i + 8 <= n; i += 8) {
            /* The top 32 bits of each lane (the odd 32-bit halves on this
             * little-endian layout) as signed ints, then to float. */
            const lull_osc_i32x16 top = __builtin_shuffle((lull_osc_i32x16)pa, (lull_osc_i32x16)pb, odd);
            const lull_osc_f32x16 f = __builtin_convertvector(top, lull_osc_f32x16) * 0x1p-32f;
            memcpy(turns2 + 2 * i, &f, sizeof f);
            pa += qa;
            pb += qb;
            qa += s64;
            qb += s64;
        }
        ph = (lull_osc_u64x2){ pa[0], pa[1] };
        in += st * (uint64_t)i;
    }
#endif
    for (; i < n; i++) {
        const lull_osc_u64x2 top = ph >> 32;
        turns2[2 * i] = (float)(int32_t)(uint32_t)top[0] * 0x1p-32f;
        turns2[2 * i + 1] = (float)(int32_t)(uint32_t)top[1] * 0x1p-32f;
        ph += in;
        in += st;
    }
    phase[0] = ph[0];
    phase[1] = ph[1];
    inc[0] = (int64_t)in[0];
    inc[1] = (int64_t)in[1];
}

#endif
