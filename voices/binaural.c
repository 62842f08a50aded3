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
    binaural_set_targets(st, from, &st->inc_l, &st->inc_r);
    binaural_set_targets(st, to, &st->target_l, &st->target_r);
    /* Truncating division: the ramp can fall short of the target by at most
     * frames-1 phase units (1e-13 Hz); the snap at segment end removes it. */
    st->step_l = (st->target_l - st->inc_l) / frames;
    st->step_r = (st->target_r - st->inc_r) / frames;
    st->gain_from = sane(from[P_GAIN]);
    st->gain_to = sane(to[P_GAIN]);
    st->gain_slope = (st->gain_to - st->gain_from) / (double)frames;
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* [RT] Produce n <= LULL_CONTROL_FRAMES frames: the phase accumulators run
 * serially into `turns`, then the sine and gain ramp run as plain loops the
 * compiler vectorises. */
static void binaural_run(binaural_state *st, float *left, float *right, int n, int ramping)
{
    float tl[LULL_CONTROL_FRAMES], tr[LULL_CONTROL_FRAMES];
    lull_osc_run(&st->phase_l, &st->inc_l, ramping ? st->step_l : 0, tl, n);
    lull_osc_run(&st->phase_r, &st->inc_r, ramping ? st->step_r : 0, tr, n);
    if (ramping) {
        const float g0 = (float)st->gain_from, dg = (float)st->gain_slope;
        const float p0 = (float)st->seg_pos;
        for (int i = 0; i < n; i++) {
            const float g = g0 + dg * (p0 + (float)i);
            left[i] += g * lull_osc_sin_turns(tl[i]);
            right[i] += g * lull_osc_sin_turns(tr[i]);
        }
    } else {
        const float g = (float)st->gain_to;
        for (int i = 0; i < n; i++) {
            left[i] += g * lull_osc_sin_turns(tl[i]);
            right[i] += g * lull_osc_sin_turns(tr[i]);
        }
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

    /* Hold part: only reached if the host processes past a segment without
     * a new control call; keep the end values steady. */
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
};
