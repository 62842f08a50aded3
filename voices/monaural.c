/*
 * monaural.c - a monaural beat: the same two-tone sum in both ears.
 *
 * Both ears: gain * (sin(a) + sin(b)) / 2, where a runs at carrier - beat/2
 * and b at carrier + beat/2.  The two tones beat acoustically (the level
 * swells and fades `beat` times a second), so the effect does not need
 * headphones, unlike the binaural voice.  The 1/2 makes the peak of the sum
 * exactly `gain` (the two sines line up once per beat), so gain = 0 dB never
 * exceeds 1.0; each tone alone has peak gain/2.
 *
 * DSP shape as in binaural.c: 64-bit phases (osc.h), integer increments
 * ramped per sample inside a control segment and snapped to the exact target
 * at its end, gain ramped linearly per sample.  Both phases start at 0, so the
 * tones start in step (the sum starts at a level maximum with a value of 0).
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>

enum { P_CARRIER = 0, P_BEAT, P_GAIN, P_COUNT };

typedef struct monaural_state {
    double rate_hz;
    uint64_t phase_lo, phase_hi;  /* 2^64 == one cycle */
    int64_t inc_lo, inc_hi;       /* current increments (phase units / frame) */
    int64_t step_lo, step_hi;     /* per-frame change of the increments */
    int64_t target_lo, target_hi; /* exact increments at the segment end */
    double gain_from, gain_slope, gain_to; /* half the linear gain, see top */
    int seg_pos, seg_frames;
} monaural_state;

static const lull_param_desc monaural_params[P_COUNT] = {
    { "carrier", LULL_UNIT_HZ, 20.0, 1500.0, 200.0, NULL,
      "mean of the two tone frequencies, Hz" },
    { "beat", LULL_UNIT_HZ, 0.0, 40.0, 10.0, NULL,
      "difference between the two tones (the level swells this often), Hz" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -12.0, NULL,
      "peak level of the two-tone sum, dB (each tone is 6 dB lower)" },
};

static double sane(double v)
{
    return isfinite(v) ? v : 0.0;
}

static void monaural_targets(const monaural_state *st, const double *v, int64_t *lo, int64_t *hi)
{
    const double carrier_hz = sane(v[P_CARRIER]);
    const double beat_hz = sane(v[P_BEAT]);
    *lo = lull_osc_increment(carrier_hz - 0.5 * beat_hz, st->rate_hz);
    *hi = lull_osc_increment(carrier_hz + 0.5 * beat_hz, st->rate_hz);
}

static void monaural_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    monaural_state *st = state;
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->phase_lo = 0;
    st->phase_hi = 0;
    monaural_targets(st, values, &st->inc_lo, &st->inc_hi);
    st->target_lo = st->inc_lo;
    st->target_hi = st->inc_hi;
    st->step_lo = 0;
    st->step_hi = 0;
    st->gain_from = st->gain_to = 0.5 * sane(values[P_GAIN]);
    st->gain_slope = 0.0;
    st->seg_pos = 0;
    st->seg_frames = 0;
}

/* [RT] */
static void monaural_control(void *state, const double *from, const double *to, int frames)
{
    monaural_state *st = state;
    if (frames < 1)
        frames = 1;
    monaural_targets(st, from, &st->inc_lo, &st->inc_hi);
    monaural_targets(st, to, &st->target_lo, &st->target_hi);
    st->step_lo = lull_ramp_step(st->target_lo - st->inc_lo, frames);
    st->step_hi = lull_ramp_step(st->target_hi - st->inc_hi, frames);
    st->gain_from = 0.5 * sane(from[P_GAIN]);
    st->gain_to = 0.5 * sane(to[P_GAIN]);
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* [RT] */
static void monaural_process(void *state, float *left, float *right, int frames)
{
    monaural_state *st = state;
    int i = 0;

    int ramp = st->seg_frames - st->seg_pos;
    if (ramp > frames)
        ramp = frames;
    if (ramp > 0) {
        uint64_t ph_lo = st->phase_lo, ph_hi = st->phase_hi;
        int64_t inc_lo = st->inc_lo, inc_hi = st->inc_hi;
        const int64_t step_lo = st->step_lo, step_hi = st->step_hi;
        const double g0 = st->gain_from, dg = st->gain_slope;
        int pos = st->seg_pos;
        for (; i < ramp; i++, pos++) {
            const float g = (float)(g0 + dg * (double)pos);
            const float y = g * (lull_osc_sine(ph_lo) + lull_osc_sine(ph_hi));
            left[i] += y;
            right[i] += y;
            ph_lo += (uint64_t)inc_lo;
            ph_hi += (uint64_t)inc_hi;
            inc_lo += step_lo;
            inc_hi += step_hi;
        }
        st->phase_lo = ph_lo;
        st->phase_hi = ph_hi;
        st->inc_lo = inc_lo;
        st->inc_hi = inc_hi;
        st->seg_pos = pos;
        if (pos >= st->seg_frames) {
            st->inc_lo = st->target_lo;
            st->inc_hi = st->target_hi;
            st->step_lo = 0;
            st->step_hi = 0;
            st->gain_from = st->gain_to;
            st->gain_slope = 0.0;
        }
    }

    /* Past the segment without a new control call: hold the end values. */
    if (i < frames) {
        uint64_t ph_lo = st->phase_lo, ph_hi = st->phase_hi;
        const int64_t inc_lo = st->inc_lo, inc_hi = st->inc_hi;
        const float g = (float)st->gain_to;
        for (; i < frames; i++) {
            const float y = g * (lull_osc_sine(ph_lo) + lull_osc_sine(ph_hi));
            left[i] += y;
            right[i] += y;
            ph_lo += (uint64_t)inc_lo;
            ph_hi += (uint64_t)inc_hi;
        }
        st->phase_lo = ph_lo;
        st->phase_hi = ph_hi;
    }
}

const lull_voice_class lull_voice_monaural = {
    "monaural",
    "monaural beat: tones at carrier-beat/2 and carrier+beat/2, summed, in both ears",
    monaural_params,
    P_COUNT,
    sizeof(monaural_state),
    monaural_init,
    monaural_control,
    monaural_process,
    NULL, /* event: no timeline events besides parameters */
};
