/*
 * pacer.c - a breathing guide: a tone that swells and rises in pitch over
 * each inhale and sinks back over each exhale.
 *
 * One breath cycle is inhale, hold (lungs full), exhale, hold-out (lungs
 * empty); T = inhale + hold + exhale + hold-out.  The breath position b runs
 *     inhale     0 -> 1   sin^2(pi/2 x), x the fraction of the inhale done
 *     hold       1
 *     exhale     1 -> 0   cos^2(pi/2 x)
 *     hold-out   0
 * a raised cosine, so the guide starts and ends each movement gently (zero
 * slope at the turns) like an unforced breath.  From b:
 *     pitch   tone * 2^(depth * b / 12)      (depth in semitones)
 *     level   gain * (low + (1 - low) * b)   (low: the level at b = 0,
 *                                             relative to gain)
 * Both ears hear the same tone.  The peak level is gain (at b = 1).
 *
 * Timing: the voice keeps the stage it is in and how far through it it is
 * (x in [0, 1)), and advances x by 1/(D * rate) per frame, D being the
 * stage's length *now*.  So each stage integrates its own duration: when the
 * script glides the durations (`inhale=5s exhale=7s over 2m`) every stage
 * lasts the length in force while it runs, a breath lasts inhale + hold +
 * exhale + hold-out as they stand around its middle, and nothing jumps: b
 * depends only on the stage and x, both continuous (a stage change happens
 * where b is at 0 or 1 on both sides).  The fraction of a frame left over at
 * the end of a stage is carried into the next one, so stage lengths are not
 * rounded to whole frames and long sessions do not drift.  A hold of 0 s is
 * skipped.  The voice starts at the beginning of an inhale.
 *
 * The tone keeps its own 64-bit phase (osc.h), advanced by the per-frame
 * pitch, so the pitch sweep is phase-continuous.  Inside a control segment
 * every parameter ramps linearly per sample (value = from + slope * position,
 * never accumulated), and all per-sample state lives in the struct, so the
 * output is identical whatever the process() split.  The script shorthand
 * `rate=N/min` (engine/script.c) sets inhale and exhale to 40 % and 60 % of
 * 60/N seconds.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>

enum { P_INHALE = 0, P_EXHALE, P_HOLD, P_HOLD_OUT, P_TONE, P_DEPTH, P_GAIN, P_LOW, P_COUNT };
enum { STAGE_INHALE = 0, STAGE_HOLD, STAGE_EXHALE, STAGE_HOLD_OUT, N_STAGES };

/* Shortest in- or out-breath the voice will run whatever it is given (the
 * parser allows 0.5 s and up): longer than a frame at any rate, so a stage
 * change never skips a whole breath. */
#define PACER_MIN_BREATH_SEC 0.01
#define PACER_MAX_STAGE_SEC 3600.0

typedef struct pacer_ramp {
    double from, slope, to;
} pacer_ramp;

typedef struct pacer_state {
    double rate_hz;
    int stage;                  /* STAGE_* */
    double x;                   /* how far through the stage, 0..1 */
    uint64_t tone_phase;        /* 2^64 == one cycle of the tone */
    pacer_ramp dur[N_STAGES];   /* stage lengths, seconds (sanitised) */
    pacer_ramp tone_hz, depth_st, gain, low;
    int seg_pos, seg_frames;
} pacer_state;

static const lull_param_desc pacer_params[P_COUNT] = {
    { "inhale", LULL_UNIT_SEC, 0.5, 60.0, 4.0, NULL,
      "length of the in-breath (pitch and level rise), seconds" },
    { "exhale", LULL_UNIT_SEC, 0.5, 60.0, 6.0, NULL,
      "length of the out-breath (pitch and level fall), seconds" },
    { "hold", LULL_UNIT_SEC, 0.0, 60.0, 0.0, NULL,
      "pause after the in-breath, lungs full, seconds" },
    { "hold-out", LULL_UNIT_SEC, 0.0, 60.0, 0.0, NULL,
      "pause after the out-breath, lungs empty, seconds" },
    { "tone", LULL_UNIT_HZ, 40.0, 1500.0, 220.0, NULL,
      "pitch at the bottom of the breath, Hz" },
    { "depth", LULL_UNIT_RATIO, 0.0, 12.0, 3.0, NULL,
      "how far the pitch rises at the top of the breath, semitones" },
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, -12.0, NULL,
      "peak level, at the top of the breath, dB" },
    { "low", LULL_UNIT_GAIN, -120.0, 0.0, -12.0, NULL,
      "level at the bottom of the breath relative to the top, dB (off = silent)" },
};

static double sane(double v, double fallback)
{
    return isfinite(v) ? v : fallback;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Stage lengths from parameter values, sanitised. */
static void pacer_durations(const double *v, double *dur)
{
    dur[STAGE_INHALE] = clamp(sane(v[P_INHALE], 4.0), PACER_MIN_BREATH_SEC, PACER_MAX_STAGE_SEC);
    dur[STAGE_HOLD] = clamp(sane(v[P_HOLD], 0.0), 0.0, PACER_MAX_STAGE_SEC);
    dur[STAGE_EXHALE] = clamp(sane(v[P_EXHALE], 6.0), PACER_MIN_BREATH_SEC, PACER_MAX_STAGE_SEC);
    dur[STAGE_HOLD_OUT] = clamp(sane(v[P_HOLD_OUT], 0.0), 0.0, PACER_MAX_STAGE_SEC);
}

static void ramp_set(pacer_ramp *r, double from, double to, int frames)
{
    r->from = from;
    r->to = to;
    r->slope = lull_ramp_slope(to - from, frames);
}

static void ramp_hold(pacer_ramp *r)
{
    r->from = r->to;
    r->slope = 0.0;
}

static inline double ramp_at(const pacer_ramp *r, int pos)
{
    return r->from + r->slope * (double)pos;
}

static void pacer_setup(pacer_state *st, const double *from, const double *to, int frames)
{
    double d0[N_STAGES], d1[N_STAGES];
    pacer_durations(from, d0);
    pacer_durations(to, d1);
    for (int k = 0; k < N_STAGES; k++)
        ramp_set(&st->dur[k], d0[k], d1[k], frames);
    ramp_set(&st->tone_hz, sane(from[P_TONE], 0.0), sane(to[P_TONE], 0.0), frames);
    ramp_set(&st->depth_st, clamp(sane(from[P_DEPTH], 0.0), -24.0, 24.0),
             clamp(sane(to[P_DEPTH], 0.0), -24.0, 24.0), frames);
    ramp_set(&st->gain, sane(from[P_GAIN], 0.0), sane(to[P_GAIN], 0.0), frames);
    ramp_set(&st->low, clamp(sane(from[P_LOW], 0.0), 0.0, 1.0),
             clamp(sane(to[P_LOW], 0.0), 0.0, 1.0), frames);
}

static void pacer_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    pacer_state *st = state;
    lull_osc_init_table();
    st->rate_hz = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->stage = STAGE_INHALE;
    st->x = 0.0;
    st->tone_phase = 0;
    pacer_setup(st, values, values, 1);
    st->seg_pos = 0;
    st->seg_frames = 0; /* nothing to ramp: hold the declared values */
}

/* [RT] */
static void pacer_control(void *state, const double *from, const double *to, int frames)
{
    pacer_state *st = state;
    if (frames < 1)
        frames = 1;
    pacer_setup(st, from, to, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* Breath position b in [0, 1]: x of the way through `stage`. */
static inline double pacer_breath(int stage, double x)
{
    switch (stage) {
    case STAGE_INHALE: {
        const double s = lull_osc_sine((uint64_t)(x * 0x1p62)); /* sin(pi/2 x) */
        return s * s;
    }
    case STAGE_HOLD:
        return 1.0;
    case STAGE_EXHALE: {
        const double s = lull_osc_sine((uint64_t)(x * 0x1p62));
        return 1.0 - s * s;
    }
    default:
        return 0.0;
    }
}

static inline void pacer_run(pacer_state *st, float *left, float *right, int n)
{
    int stage = st->stage;
    double x = st->x;
    uint64_t tph = st->tone_phase;
    const double rate_hz = st->rate_hz, frame_sec = 1.0 / st->rate_hz;
    int pos = st->seg_pos;
    for (int i = 0; i < n; i++, pos++) {
        const double b = pacer_breath(stage, x);
        const double hz = ramp_at(&st->tone_hz, pos) * exp2(ramp_at(&st->depth_st, pos) * b / 12.0);
        const double low = ramp_at(&st->low, pos);
        const double amp = ramp_at(&st->gain, pos) * (low + (1.0 - low) * b);
        const float y = (float)amp * lull_osc_sine(tph);
        left[i] += y;
        right[i] += y;
        tph += (uint64_t)lull_osc_increment(hz, rate_hz);

        /* One frame of breath time: spend it in the current stage and carry
         * what is left into the next ones (holds of 0 s are passed through).
         * Bounded: the in- and out-breath each last more than a frame. */
        double left_sec = frame_sec;
        for (int guard = 0; guard <= N_STAGES; guard++) {
            const double dur = ramp_at(&st->dur[stage], pos);
            const double remaining_sec = (1.0 - x) * dur;
            if (left_sec < remaining_sec) {
                x += left_sec / dur;
                break;
            }
            left_sec -= remaining_sec;
            stage = (stage + 1) % N_STAGES;
            x = 0.0;
        }
    }
    st->stage = stage;
    st->x = x;
    st->tone_phase = tph;
    st->seg_pos = pos;
}

/* [RT] */
static void pacer_process(void *state, float *left, float *right, int frames)
{
    pacer_state *st = state;
    int ramp = st->seg_frames - st->seg_pos;
    if (ramp < 0)
        ramp = 0;
    if (ramp > frames)
        ramp = frames;
    pacer_run(st, left, right, ramp);
    if (st->seg_pos >= st->seg_frames) {
        /* Segment done: hold the end values (idempotent). */
        for (int k = 0; k < N_STAGES; k++)
            ramp_hold(&st->dur[k]);
        ramp_hold(&st->tone_hz);
        ramp_hold(&st->depth_st);
        ramp_hold(&st->gain);
        ramp_hold(&st->low);
    }
    if (ramp < frames)
        pacer_run(st, left + ramp, right + ramp, frames - ramp);
    /* Sanitise: x stays a fraction whatever rounding did. */
    if (!(st->x >= 0.0 && st->x < 1.0))
        st->x = 0.0;
}

const lull_voice_class lull_voice_pacer = {
    "pacer",
    "breathing guide: a tone whose pitch and level rise over each inhale and fall over each exhale",
    pacer_params,
    P_COUNT,
    sizeof(pacer_state),
    pacer_init,
    pacer_control,
    pacer_process,
    NULL, /* event: no timeline events besides parameters */
};
