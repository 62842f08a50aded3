/*
 * spin.c - pink noise moved between the ears by a varying inter-aural delay.
 *
 * One pink noise source (noise_core.h: the noise voice's generator and pink
 * filter, so the colour and level are the same as `noise color=pink`) feeds
 * both ears through a delay line.  The inter-aural time difference swings
 * sinusoidally:
 *     itd(t) = width * sin(2 pi phase(t)),   phase advancing at `rate` Hz
 *     left delay = (width + itd) / 2,   right delay = (width - itd) / 2
 * so left minus right is itd, each ear's delay stays in [0, width], and a
 * positive itd (right ear first) places the sound to the right.  A negative
 * rate turns the other way.  No level difference is applied: only timing
 * moves the image, which is what makes it sound like a slow spin rather than
 * a pan.  The spin phase is a 64-bit accumulator (osc.h) starting at 0
 * (centred, moving right), its increment ramped per sample and snapped at the
 * segment end; width and gain ramp linearly per sample.
 *
 * Fractional delay: a 32-tap Kaiser-windowed sinc (beta 6), tabulated at 64
 * fractional positions plus one, linearly interpolated between adjacent
 * positions, each normalised to unit DC gain.  Windowed-sinc fractional
 * delay is the textbook method (T. I. Laakso, V. Valimaki, M. Karjalainen,
 * U. K. Laine, "Splitting the unit delay", IEEE Signal Processing Magazine,
 * 1996; Kaiser window per J. F. Kaiser, 1974).  Designed response: flat
 * within 0.1 dB to 20 kHz at 48 kHz for every delay, so moving the delay
 * does not flutter the treble (linear or cubic interpolation would dull it
 * by several dB at some positions and so modulate it at twice the spin
 * rate).  The filter adds a constant 15 frames of latency to both ears,
 * which does not change the inter-aural difference.
 *
 * Memory: the delay line (4096 floats) and the filter table live in the
 * state, preallocated by the mixer; the line is pre-filled with noise at init
 * so the output is full from the first frame.  Largest width: 5000 us,
 * 1920 frames at 384 kHz.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "noise_core.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

enum { P_WIDTH = 0, P_RATE, P_GAIN, P_COUNT };

#define SPIN_TAPS 32
#define SPIN_PHASES 64
#define SPIN_BETA 6.0
#define SPIN_LINE 4096 /* power of two */
#define SPIN_MAX_WIDTH_US 5000.0

typedef struct spin_state {
    double rate_hz;
    noise_rng rng;
    noise_filter filter;
    double mem[NOISE_MAX_SECTIONS];
    float line[SPIN_LINE];
    unsigned write;                          /* next slot of line */
    float table[SPIN_PHASES + 1][SPIN_TAPS]; /* delay (taps/2 - 1) + p/phases */
    double max_width_frames;                 /* what the line can hold */
    uint64_t phase;
    int64_t inc, step, target;
    double width_from, width_slope, width_to; /* frames */
    double gain_from, gain_slope, gain_to;    /* includes the pink scale */
    int seg_pos, seg_frames;
} spin_state;

static const lull_param_desc spin_params[P_COUNT] = {
    { "width", LULL_UNIT_RATIO, 0.0, SPIN_MAX_WIDTH_US, 500.0, NULL,
      "largest inter-aural delay, microseconds (a head is about 650)" },
    { "rate", LULL_UNIT_HZ, -20.0, 20.0, 0.2, NULL,
      "turns per second; negative turns the other way, Hz" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -20.0, NULL,
      "level, dB; 0 dB has the RMS of a full-scale sine (as noise)" },
};

static double sane(double v)
{
    return isfinite(v) ? v : 0.0;
}

/* Modified Bessel function I0 by its power series (converges fast for the
 * small arguments a Kaiser window uses). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 50; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-17 * sum)
            break;
    }
    return sum;
}

static void spin_design(spin_state *st)
{
    const double half = SPIN_TAPS / 2.0;
    for (int p = 0; p <= SPIN_PHASES; p++) {
        const double centre = half - 1.0 + (double)p / SPIN_PHASES;
        double sum = 0.0;
        double h[SPIN_TAPS];
        for (int k = 0; k < SPIN_TAPS; k++) {
            const double t = (double)k - centre;
            const double sinc = fabs(t) < 1e-12 ? 1.0 : sin(NOISE_PI * t) / (NOISE_PI * t);
            const double r = t / half;
            const double w = r * r < 1.0 ? bessel_i0(SPIN_BETA * sqrt(1.0 - r * r)) / bessel_i0(SPIN_BETA)
                                         : 0.0;
            h[k] = sinc * w;
            sum += h[k];
        }
        for (int k = 0; k < SPIN_TAPS; k++)
            st->table[p][k] = (float)(h[k] / sum);
    }
}

static double width_frames(const spin_state *st, double width_us)
{
    double w = sane(width_us) * 1e-6 * st->rate_hz;
    return w < 0.0 ? 0.0 : w > st->max_width_frames ? st->max_width_frames : w;
}

static inline double spin_source(spin_state *st)
{
    return noise_filter_run(&st->filter, st->mem, noise_rng_uniform(&st->rng));
}

static void spin_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    spin_state *st = state;
    memset(st, 0, sizeof *st);
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    uint64_t sm = ctx->seed;
    noise_rng_seed(&st->rng, &sm);
    noise_filter_design(&st->filter, NOISE_COLOR_PINK, st->rate_hz);
    spin_design(st);
    st->max_width_frames = (double)(SPIN_LINE - SPIN_TAPS - 2);
    /* Pre-fill the line so the first frame already has noise at every
     * delay (and the filter has settled). */
    for (unsigned i = 0; i < SPIN_LINE; i++)
        st->line[i] = (float)spin_source(st);
    st->write = 0;
    st->phase = 0;
    st->inc = st->target = lull_osc_increment(sane(values[P_RATE]), st->rate_hz);
    st->step = 0;
    st->width_from = st->width_to = width_frames(st, values[P_WIDTH]);
    st->width_slope = 0.0;
    st->gain_from = st->gain_to = sane(values[P_GAIN]) * st->filter.scale;
    st->gain_slope = 0.0;
    st->seg_pos = 0;
    st->seg_frames = 0;
}

/* [RT] */
static void spin_control(void *state, const double *from, const double *to, int frames)
{
    spin_state *st = state;
    if (frames < 1)
        frames = 1;
    noise_filter_sanitize(&st->filter, st->mem); /* end of the previous segment */
    st->inc = lull_osc_increment(sane(from[P_RATE]), st->rate_hz);
    st->target = lull_osc_increment(sane(to[P_RATE]), st->rate_hz);
    st->step = lull_ramp_step(st->target - st->inc, frames);
    st->width_from = width_frames(st, from[P_WIDTH]);
    st->width_to = width_frames(st, to[P_WIDTH]);
    st->width_slope = lull_ramp_slope(st->width_to - st->width_from, frames);
    st->gain_from = sane(from[P_GAIN]) * st->filter.scale;
    st->gain_to = sane(to[P_GAIN]) * st->filter.scale;
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* The line read `delay` frames (plus the filter's fixed latency) back from
 * the newest sample, which sits at `newest`. */
static inline double spin_read(const spin_state *st, unsigned newest, double delay)
{
    const double whole = floor(delay);
    const double pos = (delay - whole) * SPIN_PHASES;
    int p = (int)pos;
    if (p >= SPIN_PHASES)
        p = SPIN_PHASES - 1;
    const float g = (float)(pos - p);
    const float *a = st->table[p], *b = st->table[p + 1];
    unsigned idx = newest - (unsigned)whole;
    float acc = 0.0f;
    for (int k = 0; k < SPIN_TAPS; k++, idx--) {
        const float h = a[k] + g * (b[k] - a[k]);
        acc += h * st->line[idx & (SPIN_LINE - 1)];
    }
    return acc;
}

static inline void spin_run(spin_state *st, float *left, float *right, int n)
{
    uint64_t ph = st->phase;
    int64_t inc = st->inc;
    const int64_t step = st->step;
    unsigned w = st->write;
    int pos = st->seg_pos;
    for (int i = 0; i < n; i++, pos++) {
        st->line[w & (SPIN_LINE - 1)] = (float)spin_source(st);
        const double width = st->width_from + st->width_slope * (double)pos;
        const double itd = width * lull_osc_sine(ph);
        const double g = st->gain_from + st->gain_slope * (double)pos;
        left[i] += (float)(g * spin_read(st, w, 0.5 * (width + itd)));
        right[i] += (float)(g * spin_read(st, w, 0.5 * (width - itd)));
        w++;
        ph += (uint64_t)inc;
        inc += step;
    }
    st->write = w & (SPIN_LINE - 1);
    st->phase = ph;
    st->inc = inc;
    st->seg_pos = pos;
}

/* [RT] */
static void spin_process(void *state, float *left, float *right, int frames)
{
    spin_state *st = state;
    int ramp = st->seg_frames - st->seg_pos;
    if (ramp < 0)
        ramp = 0;
    if (ramp > frames)
        ramp = frames;
    spin_run(st, left, right, ramp);
    if (st->seg_pos >= st->seg_frames) {
        /* Segment done: land exactly on the targets and hold them. */
        st->inc = st->target;
        st->step = 0;
        st->width_from = st->width_to;
        st->width_slope = 0.0;
        st->gain_from = st->gain_to;
        st->gain_slope = 0.0;
    }
    if (ramp < frames)
        spin_run(st, left + ramp, right + ramp, frames - ramp);
}

const lull_voice_class lull_voice_spin = {
    "spin",
    "spinning pink noise: one pink source, moved between the ears by a swinging inter-aural delay",
    spin_params,
    P_COUNT,
    sizeof(spin_state),
    spin_init,
    spin_control,
    spin_process,
    NULL, /* event: no timeline events besides parameters */
};
