/*
 * noise.c - white, pink and brown noise, independent in each ear.
 *
 * Source: two xoshiro128+ generators (D. Blackman and S. Vigna, "Scrambled
 * linear pseudorandom number generators", ACM TOMS 2021; written here from the
 * published recurrence), seeded from ctx->seed through splitmix64 (Steele,
 * Lea, Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014).
 * Each ear has its own stream, so the ears are decorrelated, and the same
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
 *          factor R = 3 of frequency and a zero sqrt(R) above each pole, so
 *          the response alternates between -6 and 0 dB/oct and averages
 *          -3.01 dB/oct with ~0.01 dB ripple (the pole/zero "staircase"
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
 * segment and reset if non-finite or subnormal (it costs ~26 compares).
 *
 * The generator and the filter design live in noise_core.h, shared with the
 * spin voice; this file is the voice around them.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "noise_core.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { P_COLOR = 0, P_GAIN, P_COUNT };
typedef struct noise_state {
    noise_rng rng[2];                   /* left, right */
    noise_filter filter;                /* the colour (noise_core.h) */
    double mem[2][NOISE_MAX_SECTIONS];  /* transposed-form state per ear */
    int color;
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

static void noise_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    noise_state *st = state;
    memset(st, 0, sizeof *st);
    const double rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    const double color = values[P_COLOR];
    st->color = (isfinite(color) && color >= 0.0 && color <= 2.0)
                    ? (int)lround(color) : NOISE_COLOR_PINK;
    uint64_t sm = ctx->seed;
    noise_rng_seed(&st->rng[0], &sm);
    noise_rng_seed(&st->rng[1], &sm);
    noise_filter_design(&st->filter, st->color, rate_hz);
    const double g = values[P_GAIN];
    st->gain_from = st->gain_to = isfinite(g) ? g : 0.0;
    st->gain_slope = 0.0;
    st->seg_pos = st->seg_frames = 0;
}

/* Reset a state that has gone non-finite or subnormal. */
static void sanitize(noise_state *st)
{
    noise_filter_sanitize(&st->filter, st->mem[0]);
    noise_filter_sanitize(&st->filter, st->mem[1]);
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
    st->gain_slope = (st->gain_to - st->gain_from) / (double)frames;
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* Both ears run through the cascade together as a pair of doubles (a GCC/
 * Clang vector type: one SSE2 register), which halves the work.  Each
 * section is y = x + m; m' = p*y - z*x, rewritten as m' = p*m + (p - z)*x so
 * the loop-carried chain per section is one multiply and one add. */
typedef double noise_v2d __attribute__((vector_size(16)));

/* The sample loop with the section count as a compile-time constant, so the
 * compiler unrolls the cascade and keeps the state in registers.  Called
 * through a switch once per block, never per sample. */
static inline __attribute__((always_inline)) void
cascade_block(noise_state *st, noise_v2d *mem, const noise_v2d *pole, const noise_v2d *pz,
              const int ns, float *left, float *right, int n, double g0, double dg, double p0)
{
    const double scale = st->filter.scale;
    for (int j = 0; j < n; j++) {
        noise_v2d x = { noise_rng_uniform(&st->rng[0]), noise_rng_uniform(&st->rng[1]) };
        for (int k = 0; k < ns; k++) {
            const noise_v2d y = x + mem[k];
            mem[k] = pole[k] * mem[k] + pz[k] * x;
            x = y;
        }
        const double g = (g0 + dg * (p0 + (double)j)) * scale;
        left[j] += (float)(g * x[0]);
        right[j] += (float)(g * x[1]);
    }
}

/* [RT] */
static void noise_process(void *state, float *left, float *right, int frames)
{
    noise_state *st = state;
    const int ns = st->filter.n_sections;
    noise_v2d mem[NOISE_MAX_SECTIONS], pole[NOISE_MAX_SECTIONS], pz[NOISE_MAX_SECTIONS];
    for (int k = 0; k < ns; k++) {
        mem[k] = (noise_v2d){ st->mem[0][k], st->mem[1][k] };
        const double p = st->filter.pole[k], z = st->filter.zero[k];
        pole[k] = (noise_v2d){ p, p };
        pz[k] = (noise_v2d){ p - z, p - z };
    }
    int i = 0;
    while (i < frames) {
        /* Ramp (inside the segment) or hold (past it), as one loop each. */
        const int ramping = st->seg_pos < st->seg_frames;
        int n = frames - i;
        if (ramping && n > st->seg_frames - st->seg_pos)
            n = st->seg_frames - st->seg_pos;
        const double g0 = ramping ? st->gain_from : st->gain_to;
        const double dg = ramping ? st->gain_slope : 0.0;
        const double p0 = ramping ? (double)st->seg_pos : 0.0;
        float *l = left + i, *r = right + i;
        switch (ns) {
#define NOISE_CASE(K) \
    case K: cascade_block(st, mem, pole, pz, K, l, r, n, g0, dg, p0); break;
            NOISE_CASE(0) NOISE_CASE(1) NOISE_CASE(2) NOISE_CASE(3) NOISE_CASE(4) NOISE_CASE(5)
            NOISE_CASE(6) NOISE_CASE(7) NOISE_CASE(8) NOISE_CASE(9) NOISE_CASE(10) NOISE_CASE(11)
#undef NOISE_CASE
        default: cascade_block(st, mem, pole, pz, ns, l, r, n, g0, dg, p0); break;
        }
        if (ramping)
            st->seg_pos += n;
        i += n;
    }
    for (int k = 0; k < ns; k++) {
        st->mem[0][k] = mem[k][0];
        st->mem[1][k] = mem[k][1];
    }
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
};
