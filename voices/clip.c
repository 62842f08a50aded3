/*
 * clip.c - the clip voice: plays audio files (narration, ambience) that the
 * loader thread decodes and resamples ahead of time (engine/loader.c).
 *
 * One clip at a time: a new `play` starts on its exact frame at full level
 * (unless fade= asks for a fade-in) while the clip it replaces fades out
 * over LULL_CLIP_XFADE_NS, so there is never a click at the join.  `stop`
 * fades the clip out (over DUR, or a 10 ms de-click).  Fades are raised
 * cosines, evaluated from the clip position alone, so the output does not
 * depend on how frames are split into process() calls.
 *
 * Pan is a balance control: centre leaves both channels at the clip's gain;
 * towards one side the other channel fades to silence.  A mono clip plays
 * the same signal in both ears.
 *
 * The voice's own parameters are `gain` (glidable like any voice's gain)
 * and the ducking settings `duck`, `attack`, `release`, which the mixer
 * reads (engine/clips.c): the voice itself only plays its clips.
 *
 * MIT licence; see LICENSE.
 */
#include "lull_voice.h"
#include "ramp.h"
#include "loader.h"
#include "hot.h"

#include <math.h>
#include <string.h>

enum { P_GAIN = 0, P_DUCK, P_ATTACK, P_RELEASE, P_COUNT };

static const lull_param_desc clip_params[P_COUNT] = {
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, 0.0, NULL, "level of the voice's clips, dB" },
    { "duck", LULL_UNIT_GAIN, -60.0, 0.0, 0.0, NULL,
      "how far every other voice is lowered while this one plays a clip, dB (0: no ducking)" },
    { "attack", LULL_UNIT_SEC, 0.001, 10.0, 0.08, NULL, "how fast the other voices go down" },
    { "release", LULL_UNIT_SEC, 0.001, 30.0, 0.5, NULL, "how fast they come back up" },
};

typedef struct clip_player {
    lull_stream *stream;
    uint64_t tag;
    int64_t pos;                 /* next clip frame */
    int64_t length;              /* the clip ends (silently) here */
    int64_t in_start, in_len;    /* fade-in */
    int64_t out_start, out_len;  /* fade-out; out_len 0: none */
    double out_level0;           /* fade-out envelope where this fade-out began */
    float gain_l, gain_r;
    int active, stopping, in_gap;
} clip_player;

typedef struct clip_state {
    clip_player cur, old;        /* the clip, and the one it crossfades from */
    int64_t xfade_frames;
    double gain_from, gain_slope, gain_to; /* the voice gain ramp of a segment */
    int seg_pos, seg_frames;
    float buf[2 * LULL_CONTROL_FRAMES];
    float gain[LULL_CONTROL_FRAMES];
} clip_state;

static double shape(double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    return 0.5 - 0.5 * cos(3.14159265358979323846 * x);
}

static double out_env(const clip_player *p, int64_t pos)
{
    if (p->out_len <= 0)
        return 1.0;
    return p->out_level0 * (1.0 - shape((double)(pos - p->out_start) / (double)p->out_len));
}

static double envelope(const clip_player *p, int64_t pos)
{
    double env = out_env(p, pos);
    if (p->in_len > 0 && pos - p->in_start < p->in_len)
        env *= shape((double)(pos - p->in_start) / (double)p->in_len);
    return env;
}

static void clip_init(void *state, const lull_voice_ctx *ctx, const double *values)
{
    clip_state *st = state;
    memset(st, 0, sizeof *st);
    double rate = ctx->rate_hz > 0.0 ? ctx->rate_hz : 48000.0;
    st->xfade_frames = (int64_t)llround(rate * (double)LULL_CLIP_XFADE_NS / (double)LULL_NS_PER_SEC);
    st->gain_from = st->gain_to = isfinite(values[P_GAIN]) ? values[P_GAIN] : 0.0;
}

/* [RT] */
static void clip_control(void *state, const double *from, const double *to, int frames)
{
    clip_state *st = state;
    if (frames < 1)
        frames = 1;
    st->gain_from = isfinite(from[P_GAIN]) ? from[P_GAIN] : 0.0;
    st->gain_to = isfinite(to[P_GAIN]) ? to[P_GAIN] : 0.0;
    st->gain_slope = lull_ramp_slope(st->gain_to - st->gain_from, frames);
    st->seg_pos = 0;
    st->seg_frames = frames;
}

/* [RT] */
static void clip_event(void *state, const lull_voice_event *ev)
{
    clip_state *st = state;
    switch (ev->kind) {
    case LULL_VOICE_EV_PLAY: {
        /* The clip crossfading out is cut if a third one comes this soon. */
        st->old.active = 0;
        if (st->cur.active) {
            clip_player *o = &st->old;
            *o = st->cur;
            double level = out_env(o, o->pos);
            if (o->out_len <= 0 || o->out_start + o->out_len > o->pos + st->xfade_frames) {
                o->out_level0 = level;
                o->out_start = o->pos;
                o->out_len = st->xfade_frames > 0 ? st->xfade_frames : 1;
            }
            if (o->length > o->pos + st->xfade_frames)
                o->length = o->pos + st->xfade_frames;
        }
        clip_player *c = &st->cur;
        memset(c, 0, sizeof *c);
        c->stream = ev->stream;
        c->tag = ev->tag;
        c->pos = ev->offset_frames;
        c->length = ev->length_frames;
        c->in_start = ev->offset_frames;
        c->in_len = ev->fade_frames;
        c->out_level0 = 1.0;
        double pan = ev->pan < -1.0 ? -1.0 : ev->pan > 1.0 ? 1.0 : ev->pan;
        c->gain_l = (float)(ev->gain * (pan > 0.0 ? 1.0 - pan : 1.0));
        c->gain_r = (float)(ev->gain * (pan < 0.0 ? 1.0 + pan : 1.0));
        c->active = c->stream != NULL && c->pos < c->length;
        break;
    }
    case LULL_VOICE_EV_STOP: {
        clip_player *c = &st->cur;
        if (c->active && !c->stopping) {
            c->stopping = 1;
            c->out_level0 = out_env(c, c->pos);
            c->out_start = c->pos;
            c->out_len = ev->fade_frames > 0 ? ev->fade_frames : 1;
            if (c->length > c->pos + c->out_len)
                c->length = c->pos + c->out_len;
        }
        break;
    }
    case LULL_VOICE_EV_CUT:
        st->cur.active = 0;
        st->old.active = 0;
        break;
    }
}

/* left += x.left * gl * g, right += x.right * gr * g, the voice gain g
 * one value (flat) or one per frame.  Separate pointers (the mix, the
 * loader's ring or our copy, the gain array never overlap), and a whole
 * segment with a fixed count: unrolled, no alias checks, no remainder. */
static inline void add_flat(float *restrict left, float *restrict right, const float *restrict x, float gl,
                            float gr, float g, int n)
{
    if (n == LULL_CONTROL_FRAMES) {
        for (int k = 0; k < LULL_CONTROL_FRAMES; k++) {
            left[k] += x[2 * k] * gl * g;
            right[k] += x[2 * k + 1] * gr * g;
        }
        return;
    }
    for (int k = 0; k < n; k++) {
        left[k] += x[2 * k] * gl * g;
        right[k] += x[2 * k + 1] * gr * g;
    }
}

static inline void add_ramp(float *restrict left, float *restrict right, const float *restrict x, float gl,
                            float gr, const float *restrict gain, int n)
{
    for (int k = 0; k < n; k++) {
        left[k] += x[2 * k] * gl * gain[k];
        right[k] += x[2 * k + 1] * gr * gain[k];
    }
}

/* Add up to n frames of one player, scaled by the voice gain: gain[k], or
 * g for every frame when gain is NULL.  Built twice (hot.h). */
LULL_HOT_CLONES static void play_some(clip_state *st, clip_player *p, float *left, float *right, int n,
                                      const float *gain, float g)
{
    if (!p->active)
        return;
    if ((int64_t)n > p->length - p->pos)
        n = (int)(p->length - p->pos);
    if (n <= 0) {
        p->active = 0;
        return;
    }
    /* Straight from the loader's ring when the frames are all there in
     * one piece (nearly always); else a copy with silence for what is
     * missing, counted as an underrun. */
    const float *x = lull_stream_peek(p->stream, p->tag, p->pos, n);
    if (x) {
        p->in_gap = 0;
    } else {
        lull_stream_read(p->stream, p->tag, p->pos, st->buf, n, &p->in_gap);
        x = st->buf;
    }
    const float gl = p->gain_l, gr = p->gain_r;
    const int fading = p->out_len > 0 || (p->in_len > 0 && p->pos - p->in_start < p->in_len);
    if (!fading && !gain) {
        add_flat(left, right, x, gl, gr, g, n);
    } else if (!fading) {
        add_ramp(left, right, x, gl, gr, gain, n);
    } else {
        for (int k = 0; k < n; k++) {
            const float env = (float)envelope(p, p->pos + k) * (gain ? gain[k] : g);
            left[k] += x[2 * k] * gl * env;
            right[k] += x[2 * k + 1] * gr * env;
        }
    }
    if (x != st->buf)
        lull_stream_release(p->stream, p->pos + n);
    p->pos += n;
    if (p->pos >= p->length)
        p->active = 0;
}

/* The ramp's place after n more frames.  Past the segment's end it stays
 * there: every frame plays gain_to, as it would after a control(to, to),
 * which the mixer leaves out while nothing moves (engine/process.c), for
 * hours if need be. */
static int advance(int seg_pos, int n, int seg_frames)
{
    return seg_pos + n < seg_frames ? seg_pos + n : seg_frames;
}

/* [RT] (built twice, for AVX2 and the baseline: hot.h) */
LULL_HOT_CLONES static void clip_process(void *state, float *left, float *right, int frames)
{
    clip_state *st = state;
    if (!st->old.active && !st->cur.active) {
        /* Nothing playing (a narration voice, most of a session): only the
         * gain ramp's place moves on. */
        st->seg_pos = advance(st->seg_pos, frames, st->seg_frames);
        return;
    }
    while (frames > 0) {
        int n = frames < LULL_CONTROL_FRAMES ? frames : LULL_CONTROL_FRAMES;
        /* The voice gain at each frame: gain_from + slope * pos inside the
         * segment, gain_to after it.  The same double operations per frame
         * in loops the compiler vectorises; with no slope every frame of the
         * ramp has one value (slope * pos is a zero of the slope's sign). */
        const int seg_pos = st->seg_pos;
        int ramp = st->seg_frames - seg_pos;
        ramp = ramp < 0 ? 0 : ramp > n ? n : ramp;
        const double g0 = st->gain_from, gs = st->gain_slope;
        /* One value for all n frames (past the segment's end, or no slope
         * over the whole call: the usual cases) needs no array. */
        const float *gain = NULL;
        float g = 0.0f;
        if (ramp == 0) {
            g = (float)st->gain_to;
        } else if (gs == 0.0 && ramp == n) {
            g = (float)(g0 + gs * (double)seg_pos);
        } else {
            if (gs == 0.0) {
                const float c = (float)(g0 + gs * (double)seg_pos);
                for (int k = 0; k < ramp; k++)
                    st->gain[k] = c;
            } else {
                for (int k = 0; k < ramp; k++)
                    st->gain[k] = (float)(g0 + gs * (double)(seg_pos + k));
            }
            const float to = (float)st->gain_to;
            for (int k = ramp; k < n; k++)
                st->gain[k] = to;
            gain = st->gain;
        }
        st->seg_pos = advance(seg_pos, n, st->seg_frames);
        play_some(st, &st->old, left, right, n, gain, g);
        play_some(st, &st->cur, left, right, n, gain, g);
        left += n;
        right += n;
        frames -= n;
    }
}

const lull_voice_class lull_voice_clip = {
    .kind = "clip",
    .help = "plays audio files (narration, ambience) on the timeline: play \"FILE\", stop",
    .params = clip_params,
    .n_params = P_COUNT,
    .state_size = sizeof(clip_state),
    .init = clip_init,
    .control = clip_control,
    .process = clip_process,
    .event = clip_event,
};
