/*
 * bell.c - a struck tone: a sine that starts when struck and dies away.
 *
 * Striking.  The voice interface has no trigger, so a strike is a parameter
 * change: the bell is struck at the first frame of a segment where the
 * `strike` parameter starts to move (after a segment where it held still).
 * Any change of value does it; the usual form is a counter:
 *     voice chime bell freq=528Hz decay=4s
 *     0:30  chime strike=1
 *     1:30  chime strike=2
 * A change without `over` ramps over the 10 ms de-click time and a change
 * with `over` over its glide, and the whole movement counts as one strike; a
 * strike while the value is still moving from the previous one is ignored.
 * So strikes need to be at least 10 ms apart, and setting the same value
 * again does not strike.  Declaring the voice does not strike it: it is
 * silent until the first change.
 *
 * Envelope.  On a strike the level rises linearly from wherever it is to 1
 * over BELL_ATTACK_SEC (2 ms: fast enough to sound struck, slow enough that
 * the rise moves the output by at most gain/96 a frame at 48 kHz, below a
 * 440 Hz sine's own slope), then decays exponentially, falling 60 dB every
 * `decay` seconds: level *= 10^(-3 / (decay * rate)) per frame.  Re-striking
 * a ringing bell rises from its current level, so it never clicks.  Below
 * -160 dB the level is set to exactly 0 (no denormals, and silence is
 * exact).  The sine runs freely (64-bit phase, osc.h) and is not reset by a
 * strike.  Both ears get the same signal; the peak is gain.
 *
 * Inside a control segment the frequency increment ramps per sample by an
 * integer step (snapped at the segment end) and the gain and the per-frame
 * decay factor ramp linearly; output is identical whatever the process()
 * split.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>

enum { P_FREQ = 0, P_GAIN, P_DECAY, P_STRIKE, P_COUNT };

#define BELL_ATTACK_SEC 0.002
#define BELL_SILENT 1e-8 /* -160 dB */

typedef struct bell_state {
    double rate_hz;
    uint64_t phase;
    int64_t inc, step, target;
    double gain_from, gain_slope, gain_to;
    double fall_from, fall_slope, fall_to; /* per-frame decay factor */
    double level;                          /* envelope, 0..1 */
    double attack_step;                    /* level change per attack frame */
    int attack_left;                       /* frames of attack still to run */
    int attack_frames;
    int strike_moving;                     /* `strike` moved in the last segment */
    int seg_pos, seg_frames;
} bell_state;

static const lull_param_desc bell_params[P_COUNT] = {
    { "freq", LULL_UNIT_HZ, 20.0, 8000.0, 440.0, NULL, "frequency of the struck tone, Hz" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -12.0, NULL, "peak level just after a strike, dB" },
    { "decay", LULL_UNIT_SEC, 0.05, 60.0, 3.0, NULL,
      "time for the ring to fall by 60 dB, seconds" },
    { "strike", LULL_UNIT_RATIO, 0.0, 1e6, 0.0, NULL,
      "strike counter: every change of value strikes the bell (strike=1, strike=2 ...)" },
};

static double sane(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

/* Per-frame factor for a 60 dB fall in decay_sec. */
static double bell_fall(double decay_sec, double rate_hz)
{
    decay_sec = sane(decay_sec, 3.0);
    if (decay_sec < 0.001)
        decay_sec = 0.001;
    return exp(-3.0 * 2.302585092994046 / (decay_sec * rate_hz));
}

static void bell_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    bell_state *st = state;
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->phase = 0;
    st->inc = st->target = lull_osc_increment(sane(values[P_FREQ], 0.0), st->rate_hz);
    st->step = 0;
    st->gain_from = st->gain_to = sane(values[P_GAIN], 0.0);
    st->gain_slope = 0.0;
    st->fall_from = st->fall_to = bell_fall(values[P_DECAY], st->rate_hz);
    st->fall_slope = 0.0;
    st->level = 0.0; /* silent until struck */
    st->attack_step = 0.0;
    st->attack_left = 0;
    st->attack_frames = (int)lround(BELL_ATTACK_SEC * st->rate_hz);
    if (st->attack_frames < 1)
        st->attack_frames = 1;
    st->strike_moving = 0;
    st->seg_pos = 0;
    st->seg_frames = 0;
}

/* [RT] */
static void bell_control(void *state, const double *from, const double *to, int frames)
{
    bell_state *st = state;
    if (frames < 1)
        frames = 1;
    st->inc = lull_osc_increment(sane(from[P_FREQ], 0.0), st->rate_hz);
    st->target = lull_osc_increment(sane(to[P_FREQ], 0.0), st->rate_hz);
    st->step = lull_ramp_step(st->target - st->inc, frames);
    st->gain_from = sane(from[P_GAIN], 0.0);
    st->gain_to = sane(to[P_GAIN], 0.0);
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->fall_from = bell_fall(from[P_DECAY], st->rate_hz);
    st->fall_to = bell_fall(to[P_DECAY], st->rate_hz);
    st->fall_slope = lull_ramp_slope(st->fall_to - st->fall_from, frames);

    /* NaN compares unequal, so a NaN strike counts as moving (one strike). */
    const int moving = !(from[P_STRIKE] == to[P_STRIKE]);
    if (moving && !st->strike_moving) {
        st->attack_left = st->attack_frames;
        st->attack_step = (1.0 - st->level) / (double)st->attack_frames;
    }
    st->strike_moving = moving;
    st->seg_pos = 0;
    st->seg_frames = frames;
}

static inline void bell_run(bell_state *st, float *left, float *right, int n)
{
    uint64_t ph = st->phase;
    int64_t inc = st->inc;
    const int64_t step = st->step;
    double level = st->level;
    int attack_left = st->attack_left;
    int pos = st->seg_pos;
    for (int i = 0; i < n; i++, pos++) {
        const double g = st->gain_from + st->gain_slope * (double)pos;
        const float y = (float)(g * level) * lull_osc_sine(ph);
        left[i] += y;
        right[i] += y;
        ph += (uint64_t)inc;
        inc += step;
        if (attack_left > 0) {
            level = --attack_left > 0 ? level + st->attack_step : 1.0;
        } else {
            level *= st->fall_from + st->fall_slope * (double)pos;
            if (level < BELL_SILENT)
                level = 0.0;
        }
    }
    st->phase = ph;
    st->inc = inc;
    st->level = level;
    st->attack_left = attack_left;
    st->seg_pos = pos;
}

/* [RT] */
static void bell_process(void *state, float *left, float *right, int frames)
{
    bell_state *st = state;
    int ramp = st->seg_frames - st->seg_pos;
    if (ramp < 0)
        ramp = 0;
    if (ramp > frames)
        ramp = frames;
    bell_run(st, left, right, ramp);
    if (st->seg_pos >= st->seg_frames) {
        /* Segment done: land exactly on the targets and hold them. */
        st->inc = st->target;
        st->step = 0;
        st->gain_from = st->gain_to;
        st->gain_slope = 0.0;
        st->fall_from = st->fall_to;
        st->fall_slope = 0.0;
    }
    if (ramp < frames)
        bell_run(st, left + ramp, right + ramp, frames - ramp);
    /* Sanitise: the envelope stays a finite level in 0..1. */
    if (!(st->level >= 0.0 && st->level <= 1.0))
        st->level = 0.0;
}

const lull_voice_class lull_voice_bell = {
    "bell",
    "struck tone: a sine that rings and dies away each time `strike` changes",
    bell_params,
    P_COUNT,
    sizeof(bell_state),
    bell_init,
    bell_control,
    bell_process,
    NULL, /* event: no timeline events besides parameters */
};
