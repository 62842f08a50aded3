/*
 * lull_voice.h - the interface every voice kind (DSP generator) implements.
 *
 * A voice kind is a small state struct plus a static table of functions
 * (struct lull_voice_class).  The mixer owns the parameter timelines; at each
 * control point it evaluates every parameter at the start and at the end of
 * the coming segment and calls `control` once, then calls `process` one or
 * more times until the segment is used up.  `process` may be called with any
 * number of frames up to what is left of the segment: the host's block size
 * must never change the output, so a voice keeps every per-sample accumulator
 * in its state and never recomputes a ramp from the size of a process call.
 *
 * Threads: `init`, `reset` run on the non-real-time side (engine creation,
 * seek preparation).  `control` and `process` run on the audio thread [RT]:
 * no allocation, no locks, no I/O, bounded work.
 *
 * Parameter units as the voice sees them:
 *   LULL_UNIT_HZ     frequency in Hz, interpolated linearly across a segment
 *   LULL_UNIT_GAIN   linear amplitude (the script says dB; the mixer glides in
 *                    dB and converts at control points, so the voice sees a
 *                    linear ramp between two exact values)
 *   LULL_UNIT_RATIO  a plain number (duty cycle, pan -1..1 ...)
 *   LULL_UNIT_SEC    a duration in seconds
 *   LULL_UNIT_ENUM   an index into `choices`; set only when the voice is
 *                    declared, never glided
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_VOICE_H
#define LULL_VOICE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest segment the mixer ever asks for: control points fall at least
 * every LULL_CONTROL_FRAMES frames (on an absolute grid, so a render and a
 * live run with other block sizes see identical segments), and every
 * LULL_CONTROL_FINE frames while a short ramp or ducking moves, where the
 * straight lines between control points must follow a curve closely
 * (engine/process.c).  Voices must accept any length from 1 up. */
#define LULL_CONTROL_FRAMES 128
#define LULL_CONTROL_FINE 32
#define LULL_MAX_PARAMS 8

typedef enum lull_unit {
    LULL_UNIT_HZ = 0,
    LULL_UNIT_GAIN,
    LULL_UNIT_RATIO,
    LULL_UNIT_SEC,
    LULL_UNIT_ENUM
} lull_unit;

typedef struct lull_param_desc {
    const char *name;       /* as written in scripts: "carrier", "gain" */
    lull_unit unit;
    double min, max;        /* sane range, in script units (dB for GAIN) */
    double def;             /* default, in script units (dB for GAIN) */
    const char *const *choices; /* LULL_UNIT_ENUM: NULL-terminated names */
    const char *help;       /* one line for `lull check` and the docs */
} lull_param_desc;

typedef struct lull_voice_ctx {
    double rate_hz;         /* engine sample rate */
    uint64_t seed;          /* per-voice seed derived from the session seed */
} lull_voice_ctx;

/* A timeline event other than a parameter change, for voice kinds that have
 * them (clip voices: play and stop).  Passed to lull_voice_class.event. */
typedef enum lull_voice_event_kind {
    LULL_VOICE_EV_PLAY = 1,  /* start a clip on this frame */
    LULL_VOICE_EV_STOP,      /* fade the playing clip out over fade_frames */
    LULL_VOICE_EV_CUT        /* silence at once (the engine seeks) */
} lull_voice_event_kind;

typedef struct lull_voice_event {
    lull_voice_event_kind kind;
    void *stream;            /* PLAY: where the clip's audio arrives (engine-owned) */
    uint64_t tag;            /* PLAY: identifies this play to the stream */
    int64_t offset_frames;   /* PLAY: first clip frame to play (0, or later after a seek) */
    int64_t length_frames;   /* PLAY: the clip may sound this many frames from its start */
    int64_t fade_frames;     /* PLAY: fade-in; STOP: fade-out length */
    double gain;             /* PLAY: linear gain of this clip */
    double pan;              /* PLAY: -1 left .. 0 centre .. 1 right */
} lull_voice_event;

typedef struct lull_voice_class {
    const char *kind;                 /* "binaural", "noise" ... */
    const char *help;                 /* one line description */
    const lull_param_desc *params;    /* n_params entries; "gain" is always present */
    int n_params;
    size_t state_size;                /* bytes the mixer preallocates */

    /* [NRT] Initialise the state for a sample rate; `values` holds the
     * declared parameter values (voice units, see above). */
    void (*init)(void *state, const lull_voice_ctx *ctx, const double *values);

    /* [RT] A new segment of `frames` frames (1..LULL_CONTROL_FRAMES) starts.
     * `from` are the parameter values at its first frame, `to` those at the
     * frame just after its last; the voice ramps linearly between them. */
    void (*control)(void *state, const double *from, const double *to, int frames);

    /* [RT] Add `frames` frames of output to left and right (not overwrite). */
    void (*process)(void *state, float *left, float *right, int frames);

    /* [RT] Optional (NULL for voices without timeline events such as tone
     * and noise voices): an event for this voice lands on the first frame of
     * the segment about to be processed.  Called after `control`'s previous
     * segment has been fully processed and before the next `control`. */
    void (*event)(void *state, const lull_voice_event *ev);
} lull_voice_class;

/* The registry of voice kinds compiled into the engine. */
const lull_voice_class *lull_voice_find(const char *kind);
int lull_voice_param_index(const lull_voice_class *vc, const char *name);
int lull_voice_kind_count(void);
const lull_voice_class *lull_voice_kind_at(int i);
/* "binaural, noise, ..." for messages.  Thread-safe: built once, on the
 * first call, under pthread_once.  [NRT] */
const char *lull_voice_kind_list(void);

extern const lull_voice_class lull_voice_binaural;
extern const lull_voice_class lull_voice_noise;
extern const lull_voice_class lull_voice_monaural;
extern const lull_voice_class lull_voice_isochronic;
extern const lull_voice_class lull_voice_pacer;
extern const lull_voice_class lull_voice_tone;
extern const lull_voice_class lull_voice_bell;
extern const lull_voice_class lull_voice_spin;
extern const lull_voice_class lull_voice_clip;

#ifdef __cplusplus
}
#endif
#endif
