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
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

enum { P_COLOR = 0, P_GAIN, P_COUNT };
enum { COLOR_WHITE = 0, COLOR_PINK, COLOR_BROWN };

#define NOISE_MAX_SECTIONS 16
#define NOISE_PI 3.14159265358979323846

typedef struct noise_rng {
    uint32_t s[4];
} noise_rng;

typedef struct noise_state {
    noise_rng rng[2];                   /* left, right */
    double zero[NOISE_MAX_SECTIONS];
    double pole[NOISE_MAX_SECTIONS];
    double mem[2][NOISE_MAX_SECTIONS];  /* transposed-form state per ear */
    int n_sections;
    int color;
    double scale;                       /* uniform draw -> unit-gain level */
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

/* ---- random numbers ---------------------------------------------------- */

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void rng_seed(noise_rng *r, uint64_t *sm)
{
    const uint64_t a = splitmix64(sm), b = splitmix64(sm);
    r->s[0] = (uint32_t)a;
    r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b;
    r->s[3] = (uint32_t)(b >> 32);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the all-zero state is a fixed point */
}

static inline uint32_t rotl32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

/* xoshiro128+: the top bits are the good ones, we use the top 24. */
static inline uint32_t rng_next(noise_rng *r)
{
    const uint32_t result = r->s[0] + r->s[3];
    const uint32_t t = r->s[1] << 9;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = rotl32(r->s[3], 11);
    return result;
}

/* Uniform in [-1, 1), symmetric (mean exactly 0 over the 2^24 values). */
static inline double rng_uniform(noise_rng *r)
{
    return ((double)(rng_next(r) >> 8) + 0.5) * 0x1p-23 - 1.0;
}

/* ---- filter design [NRT] ----------------------------------------------- */

/* z-domain coefficient whose section has corner W_c on the W = 2 sin(w/2)
 * axis (see the top of the file). */
static double corner_to_coef(double w_c)
{
    return 1.0 + 0.5 * w_c * w_c - w_c * sqrt(1.0 + 0.25 * w_c * w_c);
}

/* |1 - a e^{-jw}|^2 given cos(w). */
static double sec_power(double a, double cos_w)
{
    return 1.0 - 2.0 * a * cos_w + a * a;
}

#define FIT_POINTS 160

/* Choose (c, d) of the correction section so that cascade * correction is as
 * close as possible (minimax, in dB peak-to-peak) to w^-order over
 * [lo_hz, hi_hz].  Coarse-to-fine grid search: a 2-D problem with a smooth,
 * single basin, small enough to run at init. */
static void fit_correction(noise_state *st, double rate_hz, double order,
                           double lo_hz, double hi_hz, double *c_out, double *d_out)
{
    double cos_w[FIT_POINTS], base[FIT_POINTS];
    for (int q = 0; q < FIT_POINTS; q++) {
        const double f = lo_hz * pow(hi_hz / lo_hz, (double)q / (FIT_POINTS - 1));
        const double w = 2.0 * NOISE_PI * f / rate_hz;
        double h = pow(w, order);
        cos_w[q] = cos(w);
        for (int k = 0; k < st->n_sections; k++)
            h *= sec_power(st->zero[k], cos_w[q]) / sec_power(st->pole[k], cos_w[q]);
        base[q] = h; /* == 1 * const where the cascade is ideal */
    }
    double best_ratio = HUGE_VAL, best_c = 0.0, best_d = 0.0;
    double c_lo = -0.95, c_hi = 0.95, d_lo = -0.95, d_hi = 0.95;
    enum { GRID = 16 };
    for (int iter = 0; iter < 9; iter++) {
        for (int i = 0; i <= GRID; i++) {
            for (int j = 0; j <= GRID; j++) {
                const double c = c_lo + (c_hi - c_lo) * i / GRID;
                const double d = d_lo + (d_hi - d_lo) * j / GRID;
                double mx = 0.0, mn = HUGE_VAL;
                for (int q = 0; q < FIT_POINTS; q++) {
                    const double h = base[q] * sec_power(c, cos_w[q]) / sec_power(d, cos_w[q]);
                    if (h > mx)
                        mx = h;
                    if (h < mn)
                        mn = h;
                }
                if (mx / mn < best_ratio) {
                    best_ratio = mx / mn;
                    best_c = c;
                    best_d = d;
                }
            }
        }
        /* Zoom in to +-2 grid steps around the best point. */
        const double hc = 2.0 * (c_hi - c_lo) / GRID, hd = 2.0 * (d_hi - d_lo) / GRID;
        c_lo = fmax(best_c - hc, -0.99);
        c_hi = fmin(best_c + hc, 0.99);
        d_lo = fmax(best_d - hd, -0.99);
        d_hi = fmin(best_d + hd, 0.99);
    }
    *c_out = best_c;
    *d_out = best_d;
}

/* Impulse-response energy of the cascade, run until the tail is negligible. */
static double cascade_energy(const noise_state *st)
{
    double mem[NOISE_MAX_SECTIONS] = { 0 };
    double energy = 0.0;
    const long max_frames = 1L << 24;
    for (long n = 0; n < max_frames; n += 4096) {
        double chunk = 0.0;
        for (int i = 0; i < 4096; i++) {
            double x = (n == 0 && i == 0) ? 1.0 : 0.0;
            for (int k = 0; k < st->n_sections; k++) {
                const double y = x + mem[k];
                mem[k] = st->pole[k] * y - st->zero[k] * x;
                x = y;
            }
            chunk += x * x;
        }
        energy += chunk;
        if (n > 0 && chunk < 1e-14 * energy)
            break;
    }
    return energy;
}

static void add_section(noise_state *st, double zero, double pole)
{
    if (st->n_sections < NOISE_MAX_SECTIONS) {
        st->zero[st->n_sections] = zero;
        st->pole[st->n_sections] = pole;
        st->n_sections++;
    }
}

static void design(noise_state *st, double rate_hz)
{
    const double rad_per_hz = 2.0 * NOISE_PI / rate_hz;
    const double hi_hz = fmin(20000.0, 0.45 * rate_hz);
    st->n_sections = 0;
    if (st->color == COLOR_PINK) {
        const double ratio = 5.0;
        const double zero_ratio = sqrt(ratio);
        /* First pole at 3 Hz (flat below: the -3 dB/oct line is met within
         * 0.04 dB at 20 Hz); go on until the zero lies past W = 4, i.e. well
         * beyond Nyquist (W = 2), so the top of the band is not a corner. */
        for (double w_pole = 3.0 * rad_per_hz;; w_pole *= ratio) {
            add_section(st, corner_to_coef(w_pole * zero_ratio), corner_to_coef(w_pole));
            if (w_pole * zero_ratio > 4.0)
                break;
        }
    } else if (st->color == COLOR_BROWN) {
        const double a = corner_to_coef(2.0 * rad_per_hz);
        add_section(st, 1.0, a); /* DC zero + leaky integrator */
        add_section(st, 0.0, a); /* second pole: -6 dB/oct above 2 Hz */
    }
    if (st->n_sections > 0) {
        double c, d;
        fit_correction(st, rate_hz, st->color == COLOR_PINK ? 1.0 : 2.0,
                       20.0, hi_hz, &c, &d);
        add_section(st, c, d);
    }
    /* Uniform [-1,1) has variance 1/3. */
    const double var = (1.0 / 3.0) * (st->n_sections > 0 ? cascade_energy(st) : 1.0);
    st->scale = sqrt(0.5 / var);
}

/* ---- the voice ----------------------------------------------------------- */

static void noise_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    noise_state *st = state;
    memset(st, 0, sizeof *st);
    const double rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    const double color = values[P_COLOR];
    st->color = (isfinite(color) && color >= 0.0 && color <= 2.0)
                    ? (int)lround(color) : COLOR_PINK;
    uint64_t sm = ctx->seed;
    rng_seed(&st->rng[0], &sm);
    rng_seed(&st->rng[1], &sm);
    design(st, rate_hz);
    const double g = values[P_GAIN];
    st->gain_from = st->gain_to = isfinite(g) ? g : 0.0;
    st->gain_slope = 0.0;
    st->seg_pos = st->seg_frames = 0;
}

/* Reset a state that has gone non-finite or subnormal. */
static void sanitize(noise_state *st)
{
    for (int ch = 0; ch < 2; ch++)
        for (int k = 0; k < st->n_sections; k++) {
            const double m = st->mem[ch][k];
            if (!isfinite(m) || (m != 0.0 && fabs(m) < DBL_MIN))
                st->mem[ch][k] = 0.0;
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
    const double scale = st->scale;
    for (int j = 0; j < n; j++) {
        noise_v2d x = { rng_uniform(&st->rng[0]), rng_uniform(&st->rng[1]) };
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
    const int ns = st->n_sections;
    noise_v2d mem[NOISE_MAX_SECTIONS], pole[NOISE_MAX_SECTIONS], pz[NOISE_MAX_SECTIONS];
    for (int k = 0; k < ns; k++) {
        mem[k] = (noise_v2d){ st->mem[0][k], st->mem[1][k] };
        pole[k] = (noise_v2d){ st->pole[k], st->pole[k] };
        pz[k] = (noise_v2d){ st->pole[k] - st->zero[k], st->pole[k] - st->zero[k] };
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
