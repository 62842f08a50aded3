/*
 * binaural.c - two sines, one per ear, split by the beat frequency.
 *
 * Left ear: carrier - beat/2; right ear: carrier + beat/2; peak amplitude =
 * gain.  Both phases start at 0.  Within a control segment the two phase
 * increments ramp linearly per sample by an integer step (see osc.h) and the
 * gain ramps linearly per sample, so glides are phase-continuous and click
 * free.  At the end of a segment the increment is snapped to the exact target
 * value, so a glide lands exactly on its destination frequency no matter how
 * the integer step was rounded.
 *
 * Split invariance: every per-sample quantity (phases, increments, ramp
 * position) lives in the state, so any sequence of process() calls covering a
 * segment yields bit-identical output.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "hot.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>

enum { P_CARRIER = 0, P_BEAT, P_GAIN, P_COUNT };

typedef struct binaural_state {
    double rate_hz;
    uint64_t phase_l, phase_r;   /* 2^64 == one cycle */
    int64_t inc_l, inc_r;        /* current increment (phase units / frame) */
    int64_t step_l, step_r;      /* per-frame change of the increment */
    int64_t target_l, target_r;  /* exact increments at the segment end */
    double gain_from, gain_slope; /* linear amplitude ramp: from + slope*pos */
    double gain_to;
    int seg_pos;                 /* frames of the segment already produced */
    int seg_frames;              /* length of the current segment */
    double to_carrier, to_beat;  /* the last segment's end values, so a held
                                  * voice skips recomputing its increments */
} binaural_state;

static const lull_param_desc binaural_params[P_COUNT] = {
    { "carrier", LULL_UNIT_HZ, 20.0, 1500.0, 200.0, NULL,
      "mean of the two ear frequencies, Hz" },
    { "beat", LULL_UNIT_HZ, 0.0, 40.0, 10.0, NULL,
      "difference between right and left ear, Hz" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -12.0, NULL,
      "peak level of each ear's sine, dB" },
};

static double sane(double v)
{
    return isfinite(v) ? v : 0.0;
}

static void binaural_set_targets(binaural_state *st, const double *v,
                                 int64_t *inc_l, int64_t *inc_r)
{
    const double carrier_hz = sane(v[P_CARRIER]);
    const double beat_hz = sane(v[P_BEAT]);
    *inc_l = lull_osc_increment(carrier_hz - 0.5 * beat_hz, st->rate_hz);
    *inc_r = lull_osc_increment(carrier_hz + 0.5 * beat_hz, st->rate_hz);
}

static void binaural_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    binaural_state *st = state;
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->phase_l = 0;
    st->phase_r = 0;
    binaural_set_targets(st, values, &st->inc_l, &st->inc_r);
    st->target_l = st->inc_l;
    st->target_r = st->inc_r;
    st->to_carrier = values[P_CARRIER];
    st->to_beat = values[P_BEAT];
    st->step_l = 0;
    st->step_r = 0;
    st->gain_from = sane(values[P_GAIN]);
    st->gain_to = st->gain_from;
    st->gain_slope = 0.0;
    st->seg_pos = 0;
    st->seg_frames = 0; /* no ramp pending: hold the declared values */
}

/* [RT] */
static void binaural_control(void *state, const double *from, const double *to, int frames)
{
    binaural_state *st = state;
    if (frames < 1)
        frames = 1;
    /* A segment starts where the last one ended (the increments were
     * snapped to its targets), so only changed values need converting.  A
     * segment cut short (a seek) is snapped here first. */
    if (st->seg_pos < st->seg_frames) {
        st->inc_l = st->target_l;
        st->inc_r = st->target_r;
    }
    if (from[P_CARRIER] != st->to_carrier || from[P_BEAT] != st->to_beat)
        binaural_set_targets(st, from, &st->inc_l, &st->inc_r);
    if (to[P_CARRIER] != from[P_CARRIER] || to[P_BEAT] != from[P_BEAT]) {
        binaural_set_targets(st, to, &st->target_l, &st->target_r);
    } else {
        st->target_l = st->inc_l;
        st->target_r = st->inc_r;
    }
    st->to_carrier = to[P_CARRIER];
    st->to_beat = to[P_BEAT];
    /* Truncating division: the ramp can fall short of the target by at most
     * frames-1 phase units (1e-13 Hz); the snap at segment end removes it. */
    st->step_l = lull_ramp_step(st->target_l - st->inc_l, frames);
    st->step_r = lull_ramp_step(st->target_r - st->inc_r, frames);
    st->gain_from = sane(from[P_GAIN]);
    st->gain_to = sane(to[P_GAIN]);
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* [RT] Produce n <= LULL_CONTROL_FRAMES frames: both accumulators run as one
 * two-lane vector into interleaved phases, the sine runs 4-wide over them,
 * and the gain ramp de-interleaves into the ears.  Built twice (hot.h). */
LULL_HOT_CLONES static void binaural_run(binaural_state *st, float *left, float *right, int n, int ramping)
{
    float t[2 * LULL_CONTROL_FRAMES];
    uint64_t ph[2] = { st->phase_l, st->phase_r };
    int64_t inc[2] = { st->inc_l, st->inc_r };
    const int64_t step[2] = { ramping ? st->step_l : 0, ramping ? st->step_r : 0 };
    lull_osc_run2(ph, inc, step, t, n);
    st->phase_l = ph[0];
    st->phase_r = ph[1];
    st->inc_l = inc[0];
    st->inc_r = inc[1];
    for (int i = 0; i < 2 * n; i++)
        t[i] = lull_osc_sin_turns(t[i]);
    const float g0 = ramping ? (float)st->gain_from : (float)st->gain_to;
    const float dg = ramping ? (float)st->gain_slope : 0.0f;
    const float p0 = ramping ? (float)st->seg_pos : 0.0f;
    for (int i = 0; i < n; i++) {
        const float g = g0 + dg * (p0 + (float)i);
        left[i] += g * t[2 * i];
        right[i] += g * t[2 * i + 1];
    }
}

/* [RT] */
static void binaural_process(void *state, float *left, float *right, int frames)
{
    binaural_state *st = state;
    int i = 0;

    /* Ramp part: what is left of the current segment. */
    int ramp = st->seg_frames - st->seg_pos;
    if (ramp > frames)
        ramp = frames;
    while (i < ramp) {
        int n = ramp - i > LULL_CONTROL_FRAMES ? LULL_CONTROL_FRAMES : ramp - i;
        binaural_run(st, left + i, right + i, n, 1);
        st->seg_pos += n;
        i += n;
    }
    if (ramp > 0 && st->seg_pos >= st->seg_frames) {
        /* Segment done: land exactly on the targets and hold them. */
        st->inc_l = st->target_l;
        st->inc_r = st->target_r;
        st->step_l = 0;
        st->step_r = 0;
        st->gain_from = st->gain_to;
        st->gain_slope = 0.0;
    }

    /* Hold part: past a segment without a new control call (the mixer
     * leaves control out while nothing moves: engine/process.c,
     * holds_at_rest); keep the end values steady, exactly as a
     * control(to, to) segment would play them. */
    while (i < frames) {
        int n = frames - i > LULL_CONTROL_FRAMES ? LULL_CONTROL_FRAMES : frames - i;
        binaural_run(st, left + i, right + i, n, 0);
        i += n;
    }
}

const lull_voice_class lull_voice_binaural = {
    "binaural",
    "binaural beat: sine at carrier-beat/2 in the left ear, carrier+beat/2 in the right",
    binaural_params,
    P_COUNT,
    sizeof(binaural_state),
    binaural_init,
    binaural_control,
    binaural_process,
    NULL, /* event: no timeline events besides parameters */
};
