/*
 * engine_internal.h - the engine's state, shared by engine.c (creation, the
 * non-real-time side) and process.c (the real-time path).
 */
#ifndef LULL_ENGINE_INTERNAL_H
#define LULL_ENGINE_INTERNAL_H

#include "lull_internal.h"

/* A parameter's timeline: the value glides linearly (in script units: Hz,
 * dB, ...) from v0 at frame `start` to v1 at frame start+len and then holds.
 * Every value is computed from this formula, never accumulated, so a glide
 * ends exactly on its target frame and seeking lands on the exact value. */
typedef struct lull_track {
    double v0, v1;
    int64_t start, len;
} lull_track;

static inline double lull_track_at(const lull_track *t, int64_t frame)
{
    int64_t k = frame - t->start;
    if (t->len <= 0 || k >= t->len)
        return t->v1;
    if (k <= 0)
        return t->v0;
    return t->v0 + (t->v1 - t->v0) * ((double)k / (double)t->len);
}

typedef struct lull_eng_event {
    int64_t frame;
    int64_t dur_frames;
    lull_event_kind kind;
    int voice;
    int param;
    int index;
    double value;
} lull_eng_event;

typedef struct lull_eng_voice {
    const lull_voice_class *vc;
    void *state;                        /* inside engine->state_mem */
    lull_track tracks[LULL_MAX_PARAMS];
    double init[LULL_MAX_PARAMS];       /* declared values, script units */
    double to[LULL_MAX_PARAMS];         /* voice units at the current segment end */
    int gain_param[LULL_MAX_PARAMS];    /* 1 where the unit is LULL_UNIT_GAIN */
} lull_eng_voice;

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

    /* Everything below is touched only by the processing thread. */
    int next_event;                     /* first event not yet applied */
    int64_t pos;                        /* next frame to produce */
    int64_t seg_end;                    /* end of the current control segment */
    int current_section;                /* -1 before the first section */
    lull_track master_gain;             /* dB */
    lull_track master_fade;             /* 0..1, shaped when applied */
    double master_cur, master_inc;      /* linear master ramp inside a segment */
    double master_to;
    int need_from;                      /* recompute segment start values (after seek) */

    float mix_left[LULL_CONTROL_FRAMES];
    float mix_right[LULL_CONTROL_FRAMES];
};

/* Reset the processing state to the session's start (RT-safe). */
void lull_engine_rewind(lull_engine *e);

#endif
