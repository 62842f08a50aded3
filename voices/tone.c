/*
 * tone.c - a plain sine, the same in both ears unless panned.
 *
 * Left = gain * min(1, 1 - pan) * sin, right = gain * min(1, 1 + pan) * sin:
 * a balance control, so the centred tone is at full gain in both ears (as a
 * plain SBaGen tone is, which keeps imported loudness equal) and pan = -1 or
 * +1 silences the other ear.  Phase starts at 0; the increment ramps per
 * sample by an integer step and snaps to the exact target at the segment end
 * (osc.h, as in binaural.c); gain and pan ramp linearly per sample.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>

enum { P_FREQ = 0, P_GAIN, P_PAN, P_COUNT };

typedef struct tone_state {
    double rate_hz;
    uint64_t phase;
    int64_t inc, step, target;
    double gain_from, gain_slope, gain_to;
    double pan_from, pan_slope, pan_to;
    int seg_pos, seg_frames;
} tone_state;

static const lull_param_desc tone_params[P_COUNT] = {
    { "freq", LULL_UNIT_HZ, 20.0, 20000.0, 200.0, NULL, "frequency, Hz" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -12.0, NULL, "peak level, dB" },
    { "pan", LULL_UNIT_RATIO, -1.0, 1.0, 0.0, NULL,
      "balance: -1 left only, 0 both ears at full gain, +1 right only" },
};

static double sane(double v)
{
    return isfinite(v) ? v : 0.0;
}

static double sane_pan(double p)
{
    p = sane(p);
    return p < -1.0 ? -1.0 : p > 1.0 ? 1.0 : p;
}

static void tone_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    tone_state *st = state;
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->phase = 0;
    st->inc = st->target = lull_osc_increment(sane(values[P_FREQ]), st->rate_hz);
    st->step = 0;
    st->gain_from = st->gain_to = sane(values[P_GAIN]);
    st->gain_slope = 0.0;
    st->pan_from = st->pan_to = sane_pan(values[P_PAN]);
    st->pan_slope = 0.0;
    st->seg_pos = 0;
    st->seg_frames = 0;
}

/* [RT] */
static void tone_control(void *state, const double *from, const double *to, int frames)
{
    tone_state *st = state;
    if (frames < 1)
        frames = 1;
    st->inc = lull_osc_increment(sane(from[P_FREQ]), st->rate_hz);
    st->target = lull_osc_increment(sane(to[P_FREQ]), st->rate_hz);
    st->step = lull_ramp_step(st->target - st->inc, frames);
    st->gain_from = sane(from[P_GAIN]);
    st->gain_to = sane(to[P_GAIN]);
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->pan_from = sane_pan(from[P_PAN]);
    st->pan_to = sane_pan(to[P_PAN]);
    st->pan_slope = lull_ramp_slope(st->pan_to - st->pan_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

static inline void tone_run(tone_state *st, float *left, float *right, int n)
{
    uint64_t ph = st->phase;
    int64_t inc = st->inc;
    const int64_t step = st->step;
    int pos = st->seg_pos;
    for (int i = 0; i < n; i++, pos++) {
        const double g = st->gain_from + st->gain_slope * (double)pos;
        const double pan = st->pan_from + st->pan_slope * (double)pos;
        const float s = lull_osc_sine(ph);
        left[i] += (float)(g * fmin(1.0, 1.0 - pan)) * s;
        right[i] += (float)(g * fmin(1.0, 1.0 + pan)) * s;
        ph += (uint64_t)inc;
        inc += step;
    }
    st->phase = ph;
    st->inc = inc;
    st->seg_pos = pos;
}

/* [RT] */
static void tone_process(void *state, float *left, float *right, int frames)
{
    tone_state *st = state;
    int ramp = st->seg_frames - st->seg_pos;
    if (ramp < 0)
        ramp = 0;
    if (ramp > frames)
        ramp = frames;
    tone_run(st, left, right, ramp);
    if (st->seg_pos >= st->seg_frames) {
        /* Segment done: land exactly on the targets and hold them. */
        st->inc = st->target;
        st->step = 0;
        st->gain_from = st->gain_to;
        st->gain_slope = 0.0;
        st->pan_from = st->pan_to;
        st->pan_slope = 0.0;
    }
    if (ramp < frames)
        tone_run(st, left + ramp, right + ramp, frames - ramp);
}

const lull_voice_class lull_voice_tone = {
    "tone",
    "a plain sine in both ears (pan moves it to one side)",
    tone_params,
    P_COUNT,
    sizeof(tone_state),
    tone_init,
    tone_control,
    tone_process,
    NULL, /* event: no timeline events besides parameters */
};
