/*
 * isochronic.c - a tone switched on and off `rate` times a second.
 *
 * Both ears: gain * env(u) * sin(tone phase), where u in [0, 1) is the pulse
 * phase, a second 64-bit accumulator running at `rate` Hz (osc.h), so the
 * pulse period is exactly 1/rate and a gliding rate stays continuous.  The
 * tone runs freely underneath: switching the envelope never resets it.
 *
 * The envelope, with d = duty and e = edge length (both fractions of the
 * period):
 *     u in [0, e)        rise      sin^2(pi/2 * u/e)         (raised cosine)
 *     u in [e, d)        on        1
 *     u in [d, d+e)      fall      cos^2(pi/2 * (u-d)/e)
 *     u in [d+e, 1)      off       0
 * The rise crosses half level at u = e/2 and the fall at d + e/2, so the
 * pulse is exactly d of the period wide at half level, whatever e is.
 *
 * Edge length: e = min(ISO_EDGE_MAX_SEC * rate, min(d, 1 - d) / 4), i.e. each
 * edge lasts a quarter of the shorter of the on and off times, but never
 * longer than 20 ms.  A quarter keeps a flat top and a silent gap of at least
 * half the on/off time, so the pulses stay distinct; the 20 ms cap keeps slow
 * pulses crisp (at 1 Hz the edges are 20 ms, not 125 ms).  Raised-cosine edges
 * have zero slope at both ends and a largest slope of pi/(2 e) per period, so
 * the output moves at most gain * (2 pi tone + pi/(2 e_sec)) / rate per frame:
 * no clicks (tests/test_isochronic.c measures this bound).
 *
 * Inside a control segment the two phase increments ramp per sample by an
 * integer step and snap to their exact targets at the segment end (as in
 * binaural.c); gain and duty ramp linearly per sample.  Output is identical
 * whatever the process() split.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>

enum { P_TONE = 0, P_RATE, P_GAIN, P_DUTY, P_COUNT };

#define ISO_EDGE_MAX_SEC 0.020
#define ISO_EDGE_FRACTION 0.25

typedef struct iso_state {
    double rate_hz;
    double hz_per_inc;             /* rate_hz / 2^64: increment -> Hz */
    uint64_t tone_phase, env_phase; /* 2^64 == one cycle */
    int64_t tone_inc, env_inc;
    int64_t tone_step, env_step;
    int64_t tone_target, env_target;
    double gain_from, gain_slope, gain_to;
    double duty_from, duty_slope, duty_to;
    int seg_pos, seg_frames;
} iso_state;

static const lull_param_desc iso_params[P_COUNT] = {
    { "tone", LULL_UNIT_HZ, 20.0, 8000.0, 200.0, NULL,
      "frequency of the pulsed tone, Hz" },
    { "rate", LULL_UNIT_HZ, 0.05, 50.0, 10.0, NULL,
      "pulses per second, Hz" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -12.0, NULL,
      "peak level of the tone while on, dB" },
    { "duty", LULL_UNIT_RATIO, 0.05, 0.95, 0.5, NULL,
      "fraction of each period the tone is on (measured at half level)" },
};

static double sane(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

static double sane_duty(double d)
{
    d = sane(d, 0.5);
    return d < 0.01 ? 0.01 : d > 0.99 ? 0.99 : d;
}

static void iso_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    iso_state *st = state;
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->hz_per_inc = st->rate_hz * 0x1p-64;
    st->tone_phase = 0;
    st->env_phase = 0; /* start at the beginning of a rise: silent */
    st->tone_inc = st->tone_target = lull_osc_increment(sane(values[P_TONE], 0.0), st->rate_hz);
    st->env_inc = st->env_target = lull_osc_increment(sane(values[P_RATE], 0.0), st->rate_hz);
    st->tone_step = st->env_step = 0;
    st->gain_from = st->gain_to = sane(values[P_GAIN], 0.0);
    st->gain_slope = 0.0;
    st->duty_from = st->duty_to = sane_duty(values[P_DUTY]);
    st->duty_slope = 0.0;
    st->seg_pos = 0;
    st->seg_frames = 0;
}

/* [RT] */
static void iso_control(void *state, const double *from, const double *to, int frames)
{
    iso_state *st = state;
    if (frames < 1)
        frames = 1;
    st->tone_inc = lull_osc_increment(sane(from[P_TONE], 0.0), st->rate_hz);
    st->tone_target = lull_osc_increment(sane(to[P_TONE], 0.0), st->rate_hz);
    st->env_inc = lull_osc_increment(sane(from[P_RATE], 0.0), st->rate_hz);
    st->env_target = lull_osc_increment(sane(to[P_RATE], 0.0), st->rate_hz);
    st->tone_step = lull_ramp_step(st->tone_target - st->tone_inc, frames);
    st->env_step = lull_ramp_step(st->env_target - st->env_inc, frames);
    st->gain_from = sane(from[P_GAIN], 0.0);
    st->gain_to = sane(to[P_GAIN], 0.0);
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->duty_from = sane_duty(from[P_DUTY]);
    st->duty_to = sane_duty(to[P_DUTY]);
    st->duty_slope = lull_ramp_slope(st->duty_to - st->duty_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* Envelope at pulse phase u for duty d and edge e (fractions of a period). */
static inline float iso_envelope(double u, double d, double e)
{
    if (u < e) {
        const float s = lull_osc_sine((uint64_t)(u / e * 0x1p62)); /* sin(pi/2 x) */
        return s * s;
    }
    if (u < d)
        return 1.0f;
    if (u < d + e) {
        const float s = lull_osc_sine((uint64_t)((u - d) / e * 0x1p62));
        return 1.0f - s * s;
    }
    return 0.0f;
}

/* Produce n frames from the current per-sample state (ramping or holding). */
static inline void iso_run(iso_state *st, float *left, float *right, int n)
{
    uint64_t tph = st->tone_phase, eph = st->env_phase;
    int64_t tinc = st->tone_inc, einc = st->env_inc;
    const int64_t tstep = st->tone_step, estep = st->env_step;
    const double g0 = st->gain_from, dg = st->gain_slope;
    const double d0 = st->duty_from, dd = st->duty_slope;
    const double hz_per_inc = st->hz_per_inc;
    int pos = st->seg_pos;
    for (int i = 0; i < n; i++, pos++) {
        const double duty = d0 + dd * (double)pos;
        const double pulse_hz = fabs((double)einc * hz_per_inc);
        const double edge = fmin(ISO_EDGE_MAX_SEC * pulse_hz,
                                 ISO_EDGE_FRACTION * fmin(duty, 1.0 - duty));
        const double u = (double)eph * 0x1p-64;
        const float env = iso_envelope(u, duty, edge);
        const float y = (float)(g0 + dg * (double)pos) * env * lull_osc_sine(tph);
        left[i] += y;
        right[i] += y;
        tph += (uint64_t)tinc;
        eph += (uint64_t)einc;
        tinc += tstep;
        einc += estep;
    }
    st->tone_phase = tph;
    st->env_phase = eph;
    st->tone_inc = tinc;
    st->env_inc = einc;
    st->seg_pos = pos;
}

/* [RT] */
static void iso_process(void *state, float *left, float *right, int frames)
{
    iso_state *st = state;
    int ramp = st->seg_frames - st->seg_pos;
    if (ramp < 0)
        ramp = 0;
    if (ramp > frames)
        ramp = frames;
    iso_run(st, left, right, ramp);
    if (st->seg_pos >= st->seg_frames) {
        /* Segment done: land exactly on the targets and hold them
         * (idempotent, so a hold after the segment changes nothing). */
        st->tone_inc = st->tone_target;
        st->env_inc = st->env_target;
        st->tone_step = st->env_step = 0;
        st->gain_from = st->gain_to;
        st->gain_slope = 0.0;
        st->duty_from = st->duty_to;
        st->duty_slope = 0.0;
    }
    if (ramp < frames)
        iso_run(st, left + ramp, right + ramp, frames - ramp);
}

const lull_voice_class lull_voice_isochronic = {
    "isochronic",
    "isochronic pulses: a tone switched on and off rate times a second, raised-cosine edges",
    iso_params,
    P_COUNT,
    sizeof(iso_state),
    iso_init,
    iso_control,
    iso_process,
    NULL, /* event: no timeline events besides parameters */
};
