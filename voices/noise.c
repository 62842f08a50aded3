/*
 * noise.c - white, pink and brown noise, independent in each ear.
 *
 * Source: four xoshiro128+ generators run as one vector (D. Blackman and S. Vigna, "Scrambled
 * linear pseudorandom number generators", ACM TOMS 2021; written here from the
 * published recurrence), seeded from ctx->seed through splitmix64 (Steele,
 * Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
 * Each ear has its own streams, so the ears are decorrelated, and the same
 * seed always gives bit-identical output.  The white source is uniform in
 * [-1, 1) (24 bits of each draw): the lowest crest factor of the simple
 * choices; the coloured outputs become Gaussian through the filters anyway.
 *
 * Colour: a cascade of first-order pole/zero sections
 *     H_k(z) = (1 - z_k z^-1) / (1 - p_k z^-1),   0 <= z_k, p_k < 1 (real)
 * run in double precision.  For such a section
 *     |1 - a e^{-jw}|^2 = (1 - a)^2 + a * W^2,   W = 2 sin(w/2)
 * i.e. it is *exactly* an analog first-order section evaluated on the warped
 * axis W, with corner W_c = (1 - a)/sqrt(a).  So we place corners on W with
 * the classic analog recipe and invert the mapping
 *     a = 1 + W_c^2/2 - W_c sqrt(1 + W_c^2/4)
 * which designs each section directly in the z-domain for the actual rate.
 *
 *   pink:  poles and zeros interleaved evenly in log-frequency, one pole per
 *          factor R = 5 of frequency and a zero sqrt(R) above each pole, so
 *          the response alternates between -6 and 0 dB/oct and averages
 *          -3.01 dB/oct with a small ripple (R = 3 gave 0.01 dB; R = 5 needs
 *          a third fewer sections and still measures within +-0.25 dB) (the pole/zero "staircase"
 *          approximation of 1/f, e.g. J. O. Smith, "Spectral Audio Signal
 *          Processing", pink-noise example; L. Keshner, "1/f noise",
 *          Proc. IEEE 1982).  From 3 Hz up to past Nyquist on the W axis.
 *   brown: a zero at DC and a double pole at 2 Hz: -6.02 dB/oct above a few
 *          Hz, and a DC block (the zero) so the output cannot wander: a leaky
 *          integrator followed by a first-order high-pass, both at 2 Hz.
 *
 * Near Nyquist the W axis is compressed (W = 2 sin(w/2) < w), so both
 * cascades come out too loud at the top (pink +1.4 dB, brown +2.6 dB at
 * 20 kHz / 48 kHz).  One more first-order section (1 - c z^-1)/(1 - d z^-1),
 * c and d chosen at init by a coarse-to-fine minimax search of the exact
 * response over 20 Hz..20 kHz, takes that out.  Designed peak-to-peak error
 * of the whole response against the ideal slope, 20 Hz..20 kHz:
 *     pink  0.08 dB at 44.1 kHz, 0.05 dB at 48 kHz, 0.03 dB at 96 kHz
 *     brown 0.16 dB at 44.1 kHz, 0.10 dB at 48 kHz, 0.09 dB at 96 kHz
 * (brown in the 20..30 Hz band sits up to 0.1 dB low because of the 2 Hz
 * corners).  Documented tolerance: pink +-0.5 dB, brown +-0.5 dB, each
 * including measurement noise, 20 Hz..20 kHz at 44.1/48/96 kHz.
 *
 * Level: at linear gain 1 each ear's RMS is 1/sqrt(2), the RMS of a full
 * scale sine, for every colour.  The output variance of the cascade for
 * unit-variance input is its impulse-response energy, summed at init.
 *
 * Denormals: the generators never stop, so filter states are always driven
 * far above the denormal range; still, each state is checked once per
 * segment (a branch-free test of the exponents) and reset if non-finite.
 *
 * Speed: where the CPU has AVX-512, the 8-section pink cascade runs as one
 * skewed pipeline of 16 lanes (wide_run below), with the same operations in
 * the same order as the portable loop, so the samples are the same; pink
 * noise 5.8 -> 4.3 ns/frame (min of 3000 short trials), then 2.5 with its
 * frames mixed after the pipeline and 128-frame control segments
 * (lull-bench, mixer rows, 2026-12-08).
 *
 * The generator and the filter design live in noise_core.h, shared with the
 * spin voice; this file is the voice around them.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "hot.h"
#include "noise_core.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#if LULL_HAVE_AVX512
#include <immintrin.h>
#endif

enum { P_COLOR = 0, P_GAIN, P_COUNT };
/* Sections of the cascade that the AVX-512 path runs (pink at 44.1, 48 and
 * 96 kHz has 8: noise_filter_design). */
#define NOISE_WIDE_SECTIONS 8
typedef struct noise_state {
    /* Four xoshiro128+ generators run side by side as one vector; lanes
     * 0 and 2 feed the left ear, 1 and 3 the right (interleaved frames). */
    uint32_t rng[4][4] __attribute__((aligned(16)));
    /* White numbers drawn ahead, LULL_CONTROL_FRAMES frames at a time, so the
     * draw never depends on how process() calls split the frames. */
    double white[2 * LULL_CONTROL_FRAMES] __attribute__((aligned(16)));
    int white_pos;                      /* next frame to use; = size: refill */
    noise_filter filter;                /* the colour (noise_core.h) */
    double mem[2][NOISE_MAX_SECTIONS];  /* transposed-form state per ear */
    int color;
    int wide;                           /* the AVX-512 pipeline runs (init) */
    double wide_m[2 * NOISE_WIDE_SECTIONS]; /* its state, lane order */
    double wide_y[2 * NOISE_WIDE_SECTIONS];
    double wide_carry[2];               /* a drawn frame not used yet */
    int wide_have_carry;
    /* Its coefficients, lane 2k + e for section k and ear e. */
    double wide_pole[2 * NOISE_WIDE_SECTIONS];
    double wide_pz[2 * NOISE_WIDE_SECTIONS];
    double gain_from, gain_slope, gain_to;
    int seg_pos, seg_frames;
} noise_state;

static const char *const noise_colors[] = { "white", "pink", "brown", NULL };

static const lull_param_desc noise_params[P_COUNT] = {
    { "color", LULL_UNIT_ENUM, 0.0, 2.0, 1.0, noise_colors,
      "white (flat), pink (-3 dB/octave) or brown (-6 dB/octave)" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -20.0, NULL,
      "level, dB; 0 dB has the RMS of a full-scale sine" },
};

/* ---- the voice ----------------------------------------------------------- */

#if LULL_HAVE_AVX512
static void wide_prime(noise_state *st);
#endif

static void noise_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    noise_state *st = state;
    memset(st, 0, sizeof *st);
    const double rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    const double color = values[P_COLOR];
    st->color = (isfinite(color) && color >= 0.0 && color <= 2.0)
                    ? (int)lround(color) : NOISE_COLOR_PINK;
    uint64_t sm = ctx->seed;
    st->white_pos = LULL_CONTROL_FRAMES;
    for (int lane = 0; lane < 4; lane++) {
        noise_rng r;
        noise_rng_seed(&r, &sm);
        for (int w = 0; w < 4; w++)
            st->rng[w][lane] = r.s[w];
    }
    noise_filter_design(&st->filter, st->color, rate_hz);
    st->wide = st->filter.n_sections == NOISE_WIDE_SECTIONS && lull_use_avx512();
    for (int k = 0; k < st->filter.n_sections && k < NOISE_WIDE_SECTIONS; k++)
        for (int e = 0; e < 2; e++) {
            st->wide_pole[2 * k + e] = st->filter.pole[k];
            st->wide_pz[2 * k + e] = st->filter.pole[k] - st->filter.zero[k];
        }
#if LULL_HAVE_AVX512
    if (st->wide)
        wide_prime(st);
#endif
    const double g = values[P_GAIN];
    st->gain_from = st->gain_to = isfinite(g) ? g : 0.0;
    st->gain_slope = 0.0;
    st->seg_pos = st->seg_frames = 0;
}

/* Whether any of the 16 values is non-finite (exponent field all ones).
 * Integer tests over a fixed count, without branches: it runs every
 * control segment.  Unused sections hold zeros. */
static int any_nonfinite16(const double *v)
{
    uint64_t bad = 0;
    for (int k = 0; k < 16; k++) {
        uint64_t b;
        memcpy(&b, &v[k], sizeof b);
        bad |= (b & 0x7FF0000000000000u) + 0x0010000000000000u; /* carries into bit 63 iff all ones */
    }
    return (bad >> 63 & 1u) != 0 ? 1 : 0;
}

/* Reset filter state that has gone non-finite (noise_filter_sanitize's
 * rule, section by section).  Subnormal states do not arise: the filters
 * are driven by white numbers of at least 2^-24 in size, and the engine
 * runs with denormals flushed to zero; the full check, which also resets
 * subnormals, runs only once something is non-finite. */
static void sanitize(noise_state *st)
{
    if (st->wide) {
        if (any_nonfinite16(st->wide_m) || any_nonfinite16(st->wide_y)) {
            noise_sanitize_values(st->wide_m, 2 * NOISE_WIDE_SECTIONS);
            noise_sanitize_values(st->wide_y, 2 * NOISE_WIDE_SECTIONS);
        }
        return;
    }
    if (any_nonfinite16(st->mem[0]) || any_nonfinite16(st->mem[1])) {
        noise_filter_sanitize(&st->filter, st->mem[0]);
        noise_filter_sanitize(&st->filter, st->mem[1]);
    }
}

/* [RT] */
static void noise_control(void *state, const double *from, const double *to, int frames)
{
    noise_state *st = state;
    if (frames < 1)
        frames = 1;
    sanitize(st); /* end of the previous segment */
    st->gain_from = isfinite(from[P_GAIN]) ? from[P_GAIN] : 0.0;
    st->gain_to = isfinite(to[P_GAIN]) ? to[P_GAIN] : 0.0;
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* Both ears run through the cascade together as a pair of doubles (a GCC/
 * Clang vector type: one SSE2 register), which halves the work.  Each
 * section is y = x + m; m' = p*y - z*x, rewritten as m' = p*m + (p - z)*x so
 * the loop-carried chain per section is one multiply and one add. */
typedef double noise_v2d __attribute__((vector_size(16)));

typedef uint32_t noise_u32x4 __attribute__((vector_size(16)));

/* [RT] One xoshiro128+ step (noise_rng_next()) of the four generator lanes
 * at once; the top 24 bits of each lane's result (the good ones).  Four
 * separate vectors (not an array), so they stay in registers. */
static inline __attribute__((always_inline)) noise_u32x4 rng4_step(noise_u32x4 *s0, noise_u32x4 *s1,
                                                                   noise_u32x4 *s2, noise_u32x4 *s3)
{
    const noise_u32x4 result = *s0 + *s3;
    const noise_u32x4 t = *s1 << 9;
    *s2 ^= *s0;
    *s3 ^= *s1;
    *s1 ^= *s2;
    *s0 ^= *s3;
    *s2 ^= t;
    *s3 = (*s3 << 11) | (*s3 >> 21);
    return result >> 8;
}

/* The generator's four lanes out of the state and back. */
static inline __attribute__((always_inline)) void rng4_load(const noise_state *st, noise_u32x4 *s0,
                                                            noise_u32x4 *s1, noise_u32x4 *s2, noise_u32x4 *s3)
{
    memcpy(s0, st->rng[0], 16);
    memcpy(s1, st->rng[1], 16);
    memcpy(s2, st->rng[2], 16);
    memcpy(s3, st->rng[3], 16);
}

static inline __attribute__((always_inline)) void rng4_store(noise_state *st, noise_u32x4 s0, noise_u32x4 s1,
                                                             noise_u32x4 s2, noise_u32x4 s3)
{
    memcpy(st->rng[0], &s0, 16);
    memcpy(st->rng[1], &s1, 16);
    memcpy(st->rng[2], &s2, 16);
    memcpy(st->rng[3], &s3, 16);
}

/* [RT] Refill the draw-ahead buffer: 2 * LULL_CONTROL_FRAMES uniform numbers
 * in [-1, 1), interleaved left/right, from the four generator lanes at once. */
static inline __attribute__((always_inline)) void refill_white(noise_state *st)
{
    noise_u32x4 s0, s1, s2, s3;
    rng4_load(st, &s0, &s1, &s2, &s3);
    uint32_t u[2 * LULL_CONTROL_FRAMES] __attribute__((aligned(16)));
    for (int j = 0; j < 2 * LULL_CONTROL_FRAMES; j += 4) {
        const noise_u32x4 top = rng4_step(&s0, &s1, &s2, &s3);
        memcpy(&u[j], &top, 16);
    }
    rng4_store(st, s0, s1, s2, s3);
    /* As noise_rng_uniform(): symmetric, mean exactly 0 over the 2^24 values. */
    for (int j = 0; j < 2 * LULL_CONTROL_FRAMES; j++)
        st->white[j] = ((double)(int32_t)u[j] + 0.5) * 0x1p-23 - 1.0;
    st->white_pos = 0;
}

/* [RT] The next n (<= LULL_CONTROL_FRAMES) frames of white numbers. */
static inline __attribute__((always_inline)) void take_white(noise_state *st, double *x, int n)
{
    int j = 0;
    while (j < n) {
        if (st->white_pos == LULL_CONTROL_FRAMES)
            refill_white(st);
        int k = LULL_CONTROL_FRAMES - st->white_pos;
        if (k > n - j)
            k = n - j;
        memcpy(x + 2 * j, st->white + 2 * st->white_pos, sizeof(double) * 2 * (size_t)k);
        st->white_pos += k;
        j += k;
    }
}

/* The cascade over a block, in place, with the section count as a
 * compile-time constant so the compiler unrolls it and keeps the state in
 * registers.  Called through a switch once per block, never per sample. */
static inline __attribute__((always_inline)) void
cascade_block(noise_v2d *mem, const noise_v2d *pole, const noise_v2d *pz, const int ns, double *xy,
              int n)
{
    for (int j = 0; j < n; j++) {
        noise_v2d x;
        memcpy(&x, xy + 2 * j, sizeof x);
        for (int k = 0; k < ns; k++) {
            const noise_v2d y = x + mem[k];
            mem[k] = pole[k] * mem[k] + pz[k] * x;
            x = y;
        }
        memcpy(xy + 2 * j, &x, sizeof x);
    }
}

#if LULL_HAVE_AVX512
/* The 8-section cascade (pink at 44.1 to 96 kHz) of both ears as one skewed
 * pipeline: 16 lanes, section k of ear e in lane 2k + e (two 8-double
 * registers), where lane k works 7 - k frames ahead of the output.  Every
 * lane of a step is then independent (cascade_block above is a chain of 8
 * dependent sections per frame) and section k's input is what lane k - 1
 * produced the step before: one lane shift.  Each section does exactly
 * cascade_block's operations in the same order (y = x + m;
 * m' = p*m + (p - z)*x; ISO C, so no fused multiply-add), so the samples
 * are bit-identical (test_noise compares both paths).
 *
 * The pipeline stays full between calls: init primes it with the first 7
 * frames of white numbers, and each call's n white numbers (drawn exactly
 * as the portable path draws them) enter it while n finished frames leave.
 * Its state is wide_m (section memories) and wide_y (the values in flight),
 * in lane order. */

/* One step: the white pair W (a __m128d: left, right) enters; y_hi's
 * lanes 6 and 7 then hold the frame that leaves. */
#define NOISE_SKEW_STEP(W)                                                                              \
    do {                                                                                                \
        const __m512d w_ = _mm512_castps_pd(_mm512_broadcast_f32x4(_mm_castpd_ps(W)));                  \
        x_lo = _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(y_lo), _mm512_castpd_si512(w_), 6)); \
        x_hi = _mm512_castsi512_pd(_mm512_alignr_epi64(_mm512_castpd_si512(y_hi), _mm512_castpd_si512(y_lo), 6)); \
        y_lo = _mm512_add_pd(x_lo, m_lo);                                                               \
        y_hi = _mm512_add_pd(x_hi, m_hi);                                                               \
        nm_lo = _mm512_add_pd(_mm512_mul_pd(p_lo, m_lo), _mm512_mul_pd(pz_lo, x_lo));                   \
        nm_hi = _mm512_add_pd(_mm512_mul_pd(p_hi, m_hi), _mm512_mul_pd(pz_hi, x_hi));                   \
    } while (0)

/* The white numbers of two frames (lanes 0, 1: the first; 2, 3: the next),
 * drawn as refill_white draws them: one xoshiro128+ step of the four lanes,
 * the top 24 bits, ((double)u + 0.5) * 2^-23 - 1.  The wide path draws them
 * inside its loop (their own dependency chain runs beside the filter's). */
static inline __attribute__((always_inline)) LULL_AVX512 __m256d wide_draw(noise_u32x4 *s0, noise_u32x4 *s1,
                                                                           noise_u32x4 *s2, noise_u32x4 *s3)
{
    const noise_u32x4 top = rng4_step(s0, s1, s2, s3);
    __m128i ti;
    memcpy(&ti, &top, sizeof ti);
    const __m256d d = _mm256_cvtepi32_pd(ti);
    return _mm256_sub_pd(_mm256_mul_pd(_mm256_add_pd(d, _mm256_set1_pd(0.5)), _mm256_set1_pd(0x1p-23)),
                         _mm256_set1_pd(1.0));
}

/* Store the generator and the pipeline back into the state. */
static inline __attribute__((always_inline)) LULL_AVX512 void wide_save(noise_state *st, noise_u32x4 s0,
                                                                        noise_u32x4 s1, noise_u32x4 s2,
                                                                        noise_u32x4 s3,
                                                                        __m512d m_lo, __m512d m_hi,
                                                                        __m512d y_lo, __m512d y_hi)
{
    rng4_store(st, s0, s1, s2, s3);
    _mm512_storeu_pd(st->wide_m, m_lo);
    _mm512_storeu_pd(st->wide_m + 8, m_hi);
    _mm512_storeu_pd(st->wide_y, y_lo);
    _mm512_storeu_pd(st->wide_y + 8, y_hi);
}

/* [RT] n frames: white numbers drawn as they are needed enter the
 * pipeline (a frame's worth left over from the last draw waits in
 * wide_carry), and each frame that leaves it is stored, one 16-byte store;
 * then the portable path's gain loop (g = g0 + dg * (p0 + j) in double, the
 * product rounded to float, added) mixes them, vectorised.  The drawing
 * fills slots the filter's dependency chain leaves idle.  Mixing each frame
 * as it left (lane extracts, a scalar ramp, two scalar adds per frame) cost
 * more: 3.65 -> 2.96 ns/frame for the voice alone (min of 200 trials of
 * 4096 ramped 32-frame segments, same samples). */
#define NOISE_WIDE_FRAME(W, J)                                                                          \
    do {                                                                                                \
        NOISE_SKEW_STEP(W);                                                                             \
        m_lo = nm_lo;                                                                                   \
        m_hi = nm_hi;                                                                                   \
        _mm_storeu_pd(xy + 2 * (J), _mm_castps_pd(_mm512_extractf32x4_ps(_mm512_castpd_ps(y_hi), 3))); \
    } while (0)

LULL_AVX512 __attribute__((noinline)) static void wide_run(noise_state *st, int n, float *l, float *r, double g0,
                                                           double dg, double p0)
{
    double xy[2 * LULL_CONTROL_FRAMES] __attribute__((aligned(64)));
    __m512d m_lo = _mm512_loadu_pd(st->wide_m), m_hi = _mm512_loadu_pd(st->wide_m + 8);
    __m512d y_lo = _mm512_loadu_pd(st->wide_y), y_hi = _mm512_loadu_pd(st->wide_y + 8);
    const __m512d p_lo = _mm512_loadu_pd(st->wide_pole), p_hi = _mm512_loadu_pd(st->wide_pole + 8);
    const __m512d pz_lo = _mm512_loadu_pd(st->wide_pz), pz_hi = _mm512_loadu_pd(st->wide_pz + 8);
    __m512d x_lo, x_hi, nm_lo, nm_hi;
    noise_u32x4 s0, s1, s2, s3;
    rng4_load(st, &s0, &s1, &s2, &s3);
    int j = 0;
    if (st->wide_have_carry && n > 0) {
        const __m128d w = _mm_loadu_pd(st->wide_carry);
        NOISE_WIDE_FRAME(w, 0);
        st->wide_have_carry = 0;
        j = 1;
    }
    for (; j + 1 < n; j += 2) {
        const __m256d d = wide_draw(&s0, &s1, &s2, &s3);
        const __m128d w0 = _mm256_castpd256_pd128(d), w1 = _mm256_extractf128_pd(d, 1);
        NOISE_WIDE_FRAME(w0, j);
        NOISE_WIDE_FRAME(w1, j + 1);
    }
    if (j < n) {
        const __m256d d = wide_draw(&s0, &s1, &s2, &s3);
        const __m128d w0 = _mm256_castpd256_pd128(d);
        NOISE_WIDE_FRAME(w0, j);
        _mm_storeu_pd(st->wide_carry, _mm256_extractf128_pd(d, 1));
        st->wide_have_carry = 1;
    }
    wide_save(st, s0, s1, s2, s3, m_lo, m_hi, y_lo, y_hi);
    /* The gain ramp, as the portable path's gain loop. */
    for (int k = 0; k < n; k++) {
        const double g = g0 + dg * (p0 + (double)k);
        l[k] += (float)(g * xy[2 * k]);
        r[k] += (float)(g * xy[2 * k + 1]);
    }
}

/* [NRT] Fill the empty pipeline with white frames 0..6 (drawn as above,
 * the eighth waiting in wide_carry): at step s only sections k <= s have a
 * frame (s - k); the others keep their zero state. */
LULL_AVX512 static void wide_prime(noise_state *st)
{
    __m512d m_lo = _mm512_setzero_pd(), m_hi = _mm512_setzero_pd();
    __m512d y_lo = _mm512_setzero_pd(), y_hi = _mm512_setzero_pd();
    const __m512d p_lo = _mm512_loadu_pd(st->wide_pole), p_hi = _mm512_loadu_pd(st->wide_pole + 8);
    const __m512d pz_lo = _mm512_loadu_pd(st->wide_pz), pz_hi = _mm512_loadu_pd(st->wide_pz + 8);
    __m512d x_lo, x_hi, nm_lo, nm_hi;
    noise_u32x4 s0, s1, s2, s3;
    rng4_load(st, &s0, &s1, &s2, &s3);
    double white[2 * (NOISE_WIDE_SECTIONS + 1)];
    for (int f = 0; f < NOISE_WIDE_SECTIONS; f += 2)
        _mm256_storeu_pd(white + 2 * f, wide_draw(&s0, &s1, &s2, &s3));
    for (int s = 0; s < NOISE_WIDE_SECTIONS - 1; s++) {
        const __m128d w = _mm_loadu_pd(white + 2 * s);
        NOISE_SKEW_STEP(w);
        /* lanes 0 .. 2s+1 (sections 0..s) are live */
        const unsigned live = (4u << (2 * s)) - 1u;
        m_lo = _mm512_mask_mov_pd(m_lo, (__mmask8)(live & 0xFFu), nm_lo);
        m_hi = _mm512_mask_mov_pd(m_hi, (__mmask8)(live >> 8), nm_hi);
        y_lo = _mm512_maskz_mov_pd((__mmask8)(live & 0xFFu), y_lo);
        y_hi = _mm512_maskz_mov_pd((__mmask8)(live >> 8), y_hi);
    }
    (void)x_lo;
    (void)x_hi;
    st->wide_carry[0] = white[2 * (NOISE_WIDE_SECTIONS - 1)];
    st->wide_carry[1] = white[2 * (NOISE_WIDE_SECTIONS - 1) + 1];
    st->wide_have_carry = 1;
    wide_save(st, s0, s1, s2, s3, m_lo, m_hi, y_lo, y_hi);
}
#endif

/* [RT] The voice over one call: white numbers, the cascade (portable, or
 * the skewed AVX-512 one when `wide`), the gain ramp. */
static inline __attribute__((always_inline)) void noise_run(noise_state *st, float *left, float *right,
                                                             int frames, const int wide)
{
    const int ns = st->filter.n_sections;
    noise_v2d mem[NOISE_MAX_SECTIONS], pole[NOISE_MAX_SECTIONS], pz[NOISE_MAX_SECTIONS];
    for (int k = 0; k < (wide ? 0 : ns); k++) {
        mem[k] = (noise_v2d){ st->mem[0][k], st->mem[1][k] };
        const double p = st->filter.pole[k], z = st->filter.zero[k];
        pole[k] = (noise_v2d){ p, p };
        pz[k] = (noise_v2d){ p - z, p - z };
    }
    double xy[2 * LULL_CONTROL_FRAMES] __attribute__((aligned(16)));
    int i = 0;
    while (i < frames) {
        /* Ramp (inside the segment) or hold (past it), a block at a time.
         * Holding gives exactly what control(x, x) segments would (gain x,
         * slope 0: g0 + 0 * (...) is g0), so the mixer leaves out control()
         * while nothing moves (process.c holds_at_rest); sanitize() then
         * waits for the next segment that moves. */
        const int ramping = st->seg_pos < st->seg_frames;
        int n = frames - i;
        if (n > LULL_CONTROL_FRAMES)
            n = LULL_CONTROL_FRAMES;
        if (ramping && n > st->seg_frames - st->seg_pos)
            n = st->seg_frames - st->seg_pos;
        const double scale = st->filter.scale;
        const double g0 = (ramping ? st->gain_from : st->gain_to) * scale;
        const double dg = (ramping ? st->gain_slope : 0.0) * scale;
        const double p0 = ramping ? (double)st->seg_pos : 0.0;
        float *l = left + i, *r = right + i;
#if LULL_HAVE_AVX512
        if (wide) {
            wide_run(st, n, l, r, g0, dg, p0);
            if (ramping)
                st->seg_pos += n;
            i += n;
            continue;
        }
#endif
        take_white(st, xy, n);
        switch (ns) {
#define NOISE_CASE(K) \
    case K: cascade_block(mem, pole, pz, K, xy, n); break;
            NOISE_CASE(0) NOISE_CASE(1) NOISE_CASE(2) NOISE_CASE(3) NOISE_CASE(4) NOISE_CASE(5)
            NOISE_CASE(6) NOISE_CASE(7) NOISE_CASE(8) NOISE_CASE(9) NOISE_CASE(10) NOISE_CASE(11)
#undef NOISE_CASE
        default: cascade_block(mem, pole, pz, ns, xy, n); break;
        }
        /* The gain ramp as a plain loop the compiler vectorises. */
        for (int j = 0; j < n; j++) {
            const double g = g0 + dg * (p0 + (double)j);
            l[j] += (float)(g * xy[2 * j]);
            r[j] += (float)(g * xy[2 * j + 1]);
        }
        if (ramping)
            st->seg_pos += n;
        i += n;
    }
    if (!wide)
        for (int k = 0; k < ns; k++) {
            st->mem[0][k] = mem[k][0];
            st->mem[1][k] = mem[k][1];
        }
}

/* [RT] (built twice, for AVX2 and the baseline: hot.h) */
LULL_HOT_CLONES static void noise_process_portable(noise_state *st, float *left, float *right, int frames)
{
    noise_run(st, left, right, frames, 0);
}

#if LULL_HAVE_AVX512
/* [RT] The same with the skewed cascade (and the rest built for AVX-512). */
LULL_AVX512 static void noise_process_wide(noise_state *st, float *left, float *right, int frames)
{
    noise_run(st, left, right, frames, 1);
}
#endif

/* [RT] */
static void noise_process(void *state, float *left, float *right, int frames)
{
    noise_state *st = state;
#if LULL_HAVE_AVX512
    if (st->wide) {
        noise_process_wide(st, left, right, frames);
        return;
    }
#endif
    noise_process_portable(st, left, right, frames);
}

const lull_voice_class lull_voice_noise = {
    "noise",
    "noise in each ear, independent: white, pink or brown",
    noise_params,
    P_COUNT,
    sizeof(noise_state),
    noise_init,
    noise_control,
    noise_process,
    NULL, /* event: no timeline events besides parameters */
};
