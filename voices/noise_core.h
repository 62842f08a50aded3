/*
 * noise_core.h - the random source and the colouring filters of the noise
 * voice, shared by the voices that need coloured noise (noise.c, spin.c).
 * The method (xoshiro128+ seeded by splitmix64; pole/zero cascades designed
 * on the W = 2 sin(w/2) axis with a fitted correction section) and its
 * measured accuracy are described at the top of noise.c.
 *
 * Header only, everything `static`: each voice file gets its own copy and
 * the inner loops inline.  Design functions are [NRT]; noise_rng_* and
 * noise_filter_run/sanitize are [RT].
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_NOISE_CORE_H
#define LULL_NOISE_CORE_H

#include <float.h>
#include <math.h>
#include <stdint.h>

enum { NOISE_COLOR_WHITE = 0, NOISE_COLOR_PINK, NOISE_COLOR_BROWN };

#define NOISE_MAX_SECTIONS 16
#define NOISE_PI 3.14159265358979323846

typedef struct noise_rng {
    uint32_t s[4];
} noise_rng;

/* A cascade of first-order sections (1 - zero z^-1) / (1 - pole z^-1). */
typedef struct noise_filter {
    double zero[NOISE_MAX_SECTIONS];
    double pole[NOISE_MAX_SECTIONS];
    int n_sections;
    double scale;                       /* uniform draw -> unit-gain level */
} noise_filter;

/* ---- random numbers ---------------------------------------------------- */

static uint64_t noise_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

static void noise_rng_seed(noise_rng *r, uint64_t *sm)
{
    const uint64_t a = noise_splitmix64(sm), b = noise_splitmix64(sm);
    r->s[0] = (uint32_t)a;
    r->s[1] = (uint32_t)(a >> 32);
    r->s[2] = (uint32_t)b;
    r->s[3] = (uint32_t)(b >> 32);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the all-zero state is a fixed point */
}

static inline uint32_t noise_rotl32(uint32_t x, int k)
{
    return (x << k) | (x >> (32 - k));
}

/* xoshiro128+: the top bits are the good ones, we use the top 24. */
static inline uint32_t noise_rng_next(noise_rng *r)
{
    const uint32_t result = r->s[0] + r->s[3];
    const uint32_t t = r->s[1] << 9;
    r->s[2] ^= r->s[0];
    r->s[3] ^= r->s[1];
    r->s[1] ^= r->s[2];
    r->s[0] ^= r->s[3];
    r->s[2] ^= t;
    r->s[3] = noise_rotl32(r->s[3], 11);
    return result;
}

/* Uniform in [-1, 1), symmetric (mean exactly 0 over the 2^24 values). */
static inline double noise_rng_uniform(noise_rng *r)
{
    return ((double)(noise_rng_next(r) >> 8) + 0.5) * 0x1p-23 - 1.0;
}

/* ---- filter design [NRT] ----------------------------------------------- */

/* z-domain coefficient whose section has corner W_c on the W = 2 sin(w/2)
 * axis (see noise.c). */
static double noise_corner_to_coef(double w_c)
{
    return 1.0 + 0.5 * w_c * w_c - w_c * sqrt(1.0 + 0.25 * w_c * w_c);
}

/* |1 - a e^{-jw}|^2 given cos(w). */
static double noise_sec_power(double a, double cos_w)
{
    return 1.0 - 2.0 * a * cos_w + a * a;
}

#define NOISE_FIT_POINTS 160

/* Choose (c, d) of the correction section so that cascade * correction is as
 * close as possible (minimax, in dB peak-to-peak) to w^-order over
 * [lo_hz, hi_hz].  Coarse-to-fine grid search: a 2-D problem with a smooth,
 * single basin, small enough to run at init. */
static void noise_fit_correction(const noise_filter *st, double rate_hz, double order,
                                 double lo_hz, double hi_hz, double *c_out, double *d_out)
{
    double cos_w[NOISE_FIT_POINTS], base[NOISE_FIT_POINTS];
    for (int q = 0; q < NOISE_FIT_POINTS; q++) {
        const double f = lo_hz * pow(hi_hz / lo_hz, (double)q / (NOISE_FIT_POINTS - 1));
        const double w = 2.0 * NOISE_PI * f / rate_hz;
        double h = pow(w, order);
        cos_w[q] = cos(w);
        for (int k = 0; k < st->n_sections; k++)
            h *= noise_sec_power(st->zero[k], cos_w[q]) / noise_sec_power(st->pole[k], cos_w[q]);
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
                for (int q = 0; q < NOISE_FIT_POINTS; q++) {
                    const double h = base[q] * noise_sec_power(c, cos_w[q]) / noise_sec_power(d, cos_w[q]);
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
static double noise_cascade_energy(const noise_filter *st)
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

static void noise_add_section(noise_filter *st, double zero, double pole)
{
    if (st->n_sections < NOISE_MAX_SECTIONS) {
        st->zero[st->n_sections] = zero;
        st->pole[st->n_sections] = pole;
        st->n_sections++;
    }
}

/* Design the colouring cascade for `color` at rate_hz and the scale that
 * brings a uniform [-1, 1) source through it to the RMS of a full-scale
 * sine (1/sqrt(2)).  [NRT]: a few ms of work. */
static void noise_filter_design(noise_filter *st, int color, double rate_hz)
{
    const double rad_per_hz = 2.0 * NOISE_PI / rate_hz;
    const double hi_hz = fmin(20000.0, 0.45 * rate_hz);
    st->n_sections = 0;
    if (color == NOISE_COLOR_PINK) {
        const double ratio = 5.0;
        const double zero_ratio = sqrt(ratio);
        /* First pole at 3 Hz (flat below: the -3 dB/oct line is met within
         * 0.04 dB at 20 Hz); go on until the zero lies past W = 4, i.e. well
         * beyond Nyquist (W = 2), so the top of the band is not a corner. */
        for (double w_pole = 3.0 * rad_per_hz;; w_pole *= ratio) {
            noise_add_section(st, noise_corner_to_coef(w_pole * zero_ratio), noise_corner_to_coef(w_pole));
            if (w_pole * zero_ratio > 4.0)
                break;
        }
    } else if (color == NOISE_COLOR_BROWN) {
        const double a = noise_corner_to_coef(2.0 * rad_per_hz);
        noise_add_section(st, 1.0, a); /* DC zero + leaky integrator */
        noise_add_section(st, 0.0, a); /* second pole: -6 dB/oct above 2 Hz */
    }
    if (st->n_sections > 0) {
        double c, d;
        noise_fit_correction(st, rate_hz, color == NOISE_COLOR_PINK ? 1.0 : 2.0,
                             20.0, hi_hz, &c, &d);
        noise_add_section(st, c, d);
    }
    /* Uniform [-1,1) has variance 1/3. */
    const double var = (1.0 / 3.0) * (st->n_sections > 0 ? noise_cascade_energy(st) : 1.0);
    st->scale = sqrt(0.5 / var);
}

/* [RT] Filter one sample through the cascade; mem holds n_sections values
 * of transposed-form state (inlined, not called through a pointer).  The
 * same recurrence as noise.c's two-ear loop: y = x + m, m' = p*m + (p - z)*x
 * (one multiply-add on the loop-carried path). */
static inline double noise_filter_run(const noise_filter *st, double *mem, double x)
{
    for (int k = 0; k < st->n_sections; k++) {
        const double y = x + mem[k];
        mem[k] = st->pole[k] * mem[k] + (st->pole[k] - st->zero[k]) * x;
        x = y;
    }
    return x;
}

/* [RT] Reset each of v[0..n) that has gone non-finite or subnormal. */
static inline void noise_sanitize_values(double *v, int n)
{
    for (int k = 0; k < n; k++)
        if (!isfinite(v[k]) || (v[k] != 0.0 && fabs(v[k]) < DBL_MIN))
            v[k] = 0.0;
}

/* [RT] Reset filter state that has gone non-finite or subnormal. */
static inline void noise_filter_sanitize(const noise_filter *st, double *mem)
{
    noise_sanitize_values(mem, st->n_sections);
}

#endif
