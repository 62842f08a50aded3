/*
 * engine_internal.h - the engine's state, shared by engine.c (creation, the
 * non-real-time side) and process.c (the real-time path).
 */
#ifndef LULL_ENGINE_INTERNAL_H
#define LULL_ENGINE_INTERNAL_H

#include "lull_internal.h"
#include "limiter.h"
#include "live.h"

#include <math.h>

/* A parameter's timeline: the value glides linearly (in script units: Hz,
 * dB, ...) from v0 at frame `start` to v1 at frame start+len and then holds.
 * Every value is computed from this formula, never accumulated, so a glide
 * ends exactly on its target frame and seeking lands on the exact value.
 *
 * A gain step's de-click ramp (amp_linear) is linear in amplitude instead of
 * dB: a 10 ms dB ramp out of silence (-120 dB) would be an exponential that
 * does nearly all its rise in the last millisecond, which is a click. */
typedef struct lull_track {
    double v0, v1;
    int64_t start, len;
    int amp_linear;    /* dB values, interpolated as linear amplitudes */
} lull_track;

/* Fraction of the ramp done at `frame`: 0 before it, 1 after it. */
static inline double lull_track_pos(const lull_track *t, int64_t frame)
{
    int64_t k = frame - t->start;
    if (t->len <= 0 || k >= t->len)
        return 1.0;
    if (k <= 0)
        return 0.0;
    return (double)k / (double)t->len;
}

/* A gain track's value as a linear amplitude. */
static inline double lull_track_gain(const lull_track *t, int64_t frame)
{
    double x = lull_track_pos(t, frame);
    if (x >= 1.0)
        return lull_db_to_gain(t->v1);
    if (t->amp_linear) {
        double g0 = lull_db_to_gain(t->v0);
        return g0 + (lull_db_to_gain(t->v1) - g0) * x;
    }
    return lull_db_to_gain(t->v0 + (t->v1 - t->v0) * x);
}

/* The value in script units (dB for gains). */
static inline double lull_track_at(const lull_track *t, int64_t frame)
{
    double x = lull_track_pos(t, frame);
    if (x >= 1.0)
        return t->v1;
    if (x <= 0.0)
        return t->v0;
    if (t->amp_linear) {
        double g = lull_track_gain(t, frame);
        return g > 0.0 ? 20.0 * log10(g) : LULL_GAIN_FLOOR_DB;
    }
    return t->v0 + (t->v1 - t->v0) * x;
}

typedef struct lull_eng_event {
    int64_t frame;
    int64_t dur_frames;
    lull_event_kind kind;
    int voice;
    int param;
    int index;
    double value;
    int declick;       /* a step without `over`: the short built-in ramp */
    int amp_linear;    /* `over DUR linear`: a gain glides in amplitude, not dB */
    int play;                           /* PLAY: index of the play (= script clip) */
} lull_eng_event;

typedef struct lull_eng_voice {
    const lull_voice_class *vc;
    void *state;                        /* inside engine->state_mem */
    lull_track tracks[LULL_MAX_PARAMS];
    double init[LULL_MAX_PARAMS];       /* declared values, script units */
    double to[LULL_MAX_PARAMS];         /* voice units at the current segment end */
    int gain_param[LULL_MAX_PARAMS];    /* 1 where the unit is LULL_UNIT_GAIN */
    int gain_index;                     /* the "gain" parameter (ducking scales it) */
    int group;                          /* 0 or 1: which partial mix (process.c) */
    int remote;                         /* offline split of a clip session (split.c): the
                                         * helper engine runs this voice ... */
    int remote_index;                   /* ... into its own planes of the handed-over chunk */
    int64_t rest_from;                  /* every track is at rest from this frame on
                                         * (process.c; valid once need_from is 0) */
    int holds;                          /* its kind holds a finished at-rest segment (process.c) */
    int held;                           /* the last control() was (to, to) with no duck, so
                                         * process() holds without another while nothing moves */
    int next_ctl;                       /* process.c's lists for the split role in force: */
    int next_mix;                       /* the next voice this engine follows, the next
                                         * one of the same group it mixes (-1: none) */
} lull_eng_voice;

/* Who runs which voices (process.c).  Offline renders may run group 1 on a
 * second engine in a second thread (render.c); the sums are the same. */
typedef enum {
    LULL_SPLIT_NONE = 0,                /* both groups here (live, embedded) */
    LULL_SPLIT_GROUP1,                  /* group 1 only; out gets its raw mix (two planes) */
    LULL_SPLIT_GROUP0,                  /* group 0 here; group 1's mix from ext_mix */
    /* Sessions with clips (the loader and the clip voices stay in one
     * engine): the helper runs the `remote` voices, each into planes of its
     * own, and the main engine adds each one where it would have run it. */
    LULL_SPLIT_VOICES_HELPER,           /* remote voices only; out gets their planes */
    LULL_SPLIT_VOICES_MAIN              /* the other voices here; remote ones from ext_mix */
} lull_split_role;

typedef struct lull_clips lull_clips;  /* clip plays, loader, ducking: clips.c */

struct lull_engine {
    int rate_hz;
    uint64_t seed;

    lull_eng_voice *voices;             /* fixed after creation */
    int n_voices;
    unsigned char *state_mem;           /* all voice states, one allocation */

    lull_eng_event *events;             /* sorted by frame, file order for ties */
    int n_events;
    int64_t *section_frames;
    int n_sections;
    int64_t length_frames;
    double fade_initial;                /* 0 when the script opens with a fade-in */
    double master_trim;                 /* linear, from master_trim_db; fixed */

    /* Everything below is touched only by the processing thread. */
    int next_event;                     /* first event not yet applied */
    int64_t pos;                        /* next frame to produce */
    int64_t seg_start;                  /* start of the current control segment */
    int64_t seg_end;                    /* end of the current control segment */
    int current_section;                /* -1 before the first section */
    lull_track master_gain;             /* dB */
    lull_track master_fade;             /* 0..1, shaped when applied */
    double master_cur, master_inc;      /* master ramp: value at seg_start, slope */
    double master_to;
    int need_from;                      /* recompute segment start values (after seek) */
    int plan_role;                      /* split_role + 1 the voice lists were built for
                                         * (0: not yet): */
    int ctl_head;                       /* first voice whose parameters this engine follows */
    int mix_head[2];                    /* first voice of each group this engine mixes */
    int hold_off;                       /* tests: call control() every segment (same output) */
    int64_t held_segments;              /* segments a voice held without control() (tests) */
    int64_t segments;                   /* control segments begun (tests) */
    int64_t ramp_end_next;              /* no track's ramp ends in (pos, ramp_end_next)
                                         * (process.c; 0: look again) */
    int64_t fine_until;                 /* a short ramp moves: the fine grid until here */

    float mix_left[LULL_CONTROL_FRAMES];
    float mix_right[LULL_CONTROL_FRAMES];
    /* The voices are mixed in two groups, fixed at creation and never by
     * thread count: each group sums its voices in index order, then the
     * mix is group 0 + group 1, so running group 1 elsewhere (an offline
     * helper thread) gives the same samples. */
    int n_group1;                       /* 0: one plain mix, as with one voice */
    float mix1_left[LULL_CONTROL_FRAMES];
    float mix1_right[LULL_CONTROL_FRAMES];
    lull_split_role split_role;         /* set before the first block, then fixed */
    const float *ext_mix;               /* GROUP0: group 1's mix, a left and a right plane ... */
    int64_t ext_start;                  /* ... starting at this frame */
    int64_t ext_stride;                 /* frames per plane; GROUP*: the right plane starts at
                                         * ext_stride; VOICES_*: voice j's left plane at
                                         * 2*j*ext_stride, its right one after it */
    int twin;                           /* a split helper: clips for ducking only, no loader */

    lull_live live;                     /* commands, fades, status (live.c) */
    lull_limiter limiter;               /* true-peak limiter, the last stage (live.c) */
    lull_clips *clips;                  /* NULL when the session plays no clips */
    int offline;                        /* wait for the clip loader (lull_engine_config) */
    int resampler;
    int64_t clip_ready;                 /* offline: clip audio is decoded up to here */
};

/* The mixer core (process.c): `frames` frames with the live gain ramping
 * linearly from gain_from by gain_step per frame on the master bus.  The
 * public lull_engine_process (live.c) wraps it with commands and fades.
 * [RT] */
int lull_engine_process_core(lull_engine *e, float *out, int frames, double gain_from,
                             double gain_step);
/* Move the mixer core to `frame` (events before it replayed), without
 * touching the limiter: lull_engine_seek (live.c) adds that.  [RT] */
int lull_engine_seek_core(lull_engine *e, int64_t frame);
/* Set up the live-control state of a new engine (live.c).  [NRT] */
void lull_live_init(lull_engine *e);
/* The session frame of the next output frame (the limiter's delay line
 * holds the mixer's last frames).  [RT] */
int64_t lull_live_position(const lull_engine *e);
/* Whether a stop command or the session end has finished the engine. */
int lull_live_done(const lull_engine *e);

/* lull_engine_process in two halves, for an offline render that runs the
 * true-peak limiter on another thread than the mixer (render.c):
 * lull_engine_mix is everything before the limiter (mixer, live stage), and
 * lull_engine_limit is the limiter.  Feeding every block of the first to
 * the second, in order, gives exactly the samples lull_engine_process gives
 * for the same block sizes, and each half touches only its own state, so
 * the two may run on different threads.  The first mix call also fills the
 * look-ahead: *prime_frames (at most LULL_LIM_RING) frames go to prime_out,
 * to be limited before the block and then dropped; later calls set it to 0.
 * No commands, no seeks, no published status in this mode: the engine is
 * the render's own.  [NRT, render only] */
int lull_engine_mix(lull_engine *e, float *out, int frames, float *prime_out, int *prime_frames);
void lull_engine_limit(lull_engine *e, float *io, int frames);

/* clips.c.  [NRT]: build the plays, the ducking curves and the loader; adds
 * MARK events to e->events (room for 2 per clip must be allocated). */
int lull_clips_create(lull_engine *e, const lull_script *s);
void lull_clips_destroy(lull_clips **c);
/* [RT] a PLAY or STOP event lands now. */
void lull_clips_event(lull_engine *e, const lull_eng_event *ev);
/* [RT] the engine jumped to `frame` (events before it replayed). */
void lull_clips_seek(lull_engine *e, int64_t frame);
/* [RT] ducking multipliers for every voice at pos and end, or 0 when no
 * voice ducks (the arrays are then left alone). */
int lull_clips_duck(lull_engine *e, int64_t pos, int64_t end, const double **from, const double **to);
/* [RT] whether lull_clips_duck at pos may find a level moving (0: it will
 * find everything at rest, as it last found; see quiet_until). */
int lull_clips_duck_may_move(const lull_engine *e, int64_t pos);
/* [RT] publish the position to the loader. */
void lull_clips_publish(lull_engine *e);
/* [NRT] offline: wait until clip audio is decoded for [pos, pos+want). */
int64_t lull_clips_wait(lull_engine *e, int want);

/* Assign voices to the two mix groups by their typical cost (engine.c). */
void lull_engine_group_voices(lull_engine *e);
/* Typical cost of a voice kind, ns per frame (engine.c).  [ANY] */
double lull_voice_cost(const lull_voice_class *vc);
/* An engine like lull_engine_create's, for a split helper (split.c): its
 * clips drive ducking only (no loader thread, no clip voice plays) and it
 * never waits for clip audio.  [NRT] */
int lull_engine_create_twin(const lull_script *s, const lull_engine_config *cfg, lull_engine **out);

/* Reset the processing state to the session's start (RT-safe). */
void lull_engine_rewind(lull_engine *e);

/* The multiplier the master stage applies at `frame` given the current
 * tracks (script gain, fade and trim): for inspection (plots).  [ANY] */
double lull_engine_master_at(const lull_engine *e, int64_t frame);

#endif
