/*
 * live.h - the engine's live-control state: the command and notice queues,
 * pause/seek/stop fades, the live volume trim and the published status
 * (not installed; part of struct lull_engine, see engine_internal.h).
 *
 * Ownership: everything in struct lull_live is touched only by the
 * processing thread, except the two queues (one end each) and the pub_*
 * fields, which are atomics written only by the processing thread and read
 * by anyone.
 */
#ifndef LULL_LIVE_H
#define LULL_LIVE_H

#include "lull.h"
#include "spsc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

/* Atomics wrapped in structs, so a shared value can only be reached through
 * these accessors and never by a plain (racy) read or write.  Each one is a
 * single independent value: release on store, acquire on load. */
typedef struct { _Atomic int64_t v; } lull_atomic_i64;
typedef struct { _Atomic uint64_t bits; } lull_atomic_f64;
typedef struct { _Atomic uint32_t bits; } lull_atomic_f32;

static inline void lull_i64_store(lull_atomic_i64 *a, int64_t x)
{
    atomic_store_explicit(&a->v, x, memory_order_release);
}
static inline int64_t lull_i64_load(const lull_atomic_i64 *a)
{
    return atomic_load_explicit(&((lull_atomic_i64 *)a)->v, memory_order_acquire);
}
static inline void lull_f64_store(lull_atomic_f64 *a, double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    atomic_store_explicit(&a->bits, b, memory_order_release);
}
static inline double lull_f64_load(const lull_atomic_f64 *a)
{
    uint64_t b = atomic_load_explicit(&((lull_atomic_f64 *)a)->bits, memory_order_acquire);
    double x;
    memcpy(&x, &b, sizeof x);
    return x;
}
static inline void lull_f32_store(lull_atomic_f32 *a, float x)
{
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    atomic_store_explicit(&a->bits, b, memory_order_release);
}
static inline float lull_f32_load(const lull_atomic_f32 *a)
{
    uint32_t b = atomic_load_explicit(&((lull_atomic_f32 *)a)->bits, memory_order_acquire);
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

/* A linear ramp with exact ends: value = from + (to - from) * done / len,
 * computed from integers rather than accumulated. */
typedef struct lull_ramp {
    double from, to;
    int64_t len, done;
} lull_ramp;

#define LULL_LIVE_NOTICES 64
/* Frames the live stage hands the limiter at a time. */
#define LULL_LIVE_STAGE 256

typedef struct lull_live {
    lull_spsc commands;                /* host -> processing thread */
    lull_spsc notices;                 /* processing thread -> host */
    lull_command command_mem[LULL_ENGINE_COMMANDS];
    lull_notice notice_mem[LULL_LIVE_NOTICES];

    /* Processing thread only. */
    lull_ramp fade;          /* 0..1 position of the pause/seek/stop fade */
    lull_ramp trim;          /* linear live volume */
    lull_ramp join;          /* de-click fade-in after a loop's jump back to the start */
    double trim_db;
    int want_pause;          /* the host asked for a pause */
    int paused_noticed;      /* LULL_NOTICE_PAUSED was sent for this pause */
    int seek_pending;        /* jump to seek_to once the fade is silent */
    int64_t seek_to;
    int seek_section;        /* section seek_to starts, for relative steps */
    int stopping;            /* fading out for a stop command */
    int64_t stop_fade_frames;
    int done;                /* 1: ended, 2: stopped; output is silence */
    int loop;
    int noticed_section;     /* last section announced */
    int64_t fade_in_frames;  /* speed of the next fade back in (after a pause or a jump) */
    int64_t pause_fade_frames, seek_fade_frames, trim_ramp_frames;
    /* The output stage: the limiter runs delay_frames behind the mixer. */
    int prime_pending;       /* fill the look-ahead before the next output (create, seek) */
    int64_t out_frames;      /* frames output since the look-ahead was primed */
    int64_t in_live_frames;  /* frames the mixer counted as live since then (a prefix) */
    int done_seen;           /* the mixer's end or stop has been dealt with */
    int64_t stage_tag[LULL_LIVE_STAGE]; /* session frame of each staged frame */
    double meter_left, meter_right;
    double meter_fall_per_frame; /* natural log of the meter's fall per frame */

    /* Published at the end of every process call. */
    lull_atomic_i64 pub_position;
    lull_atomic_i64 pub_section;
    lull_atomic_i64 pub_flags;         /* LIVE_PUB_* bits */
    lull_atomic_f64 pub_volume_db;
    lull_atomic_f32 pub_peak_left, pub_peak_right;
    lull_atomic_i64 dropped_notices;   /* notices lost because nobody read them */
} lull_live;

#endif
