/*
 * voice_harness.h - drive a voice class directly, the way the mixer does, for
 * the voice tests (tests/test_<kind>.c).
 *
 * Parameters follow per-parameter tracks in voice units (linear gains): a
 * value glides linearly from v0 at frame `start` to v1 at start+len and then
 * holds, like the engine's lull_track.  vh_render() cuts time into control
 * segments on the absolute LULL_CONTROL_FRAMES grid (and at the ends of the
 * requested range, so a test that renders piece by piece and changes tracks
 * between pieces sees exactly what an event at that frame would give), calls
 * control() once per segment with the values at both ends, then process() in
 * one call, random pieces or single frames.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_VOICE_HARNESS_H
#define LULL_VOICE_HARNESS_H

#include "lull_voice.h"

#include <stdint.h>

typedef struct vh_track {
    double v0, v1;
    long start, len;
} vh_track;

typedef struct vh_sched {
    int n;
    vh_track t[LULL_MAX_PARAMS];
} vh_sched;

enum { VH_SPLIT_SEGMENT = 0, VH_SPLIT_RANDOM = 1, VH_SPLIT_FRAME = 2 };

/* A schedule holding the class's defaults (gains converted to linear). */
vh_sched vh_defaults(const lull_voice_class *vc);
/* Hold parameter p at v from now on (no ramp). */
void vh_set(vh_sched *s, int p, double v);
/* Glide parameter p from its value at frame `at` to v over len frames. */
void vh_glide(vh_sched *s, int p, double v, long at, long len);
double vh_at(const vh_sched *s, int p, long frame);

/* Allocate and init a state with the schedule's values at frame 0. */
void *vh_new(const lull_voice_class *vc, double rate_hz, uint64_t seed, const vh_sched *s);

/* Add frames [t0, t0+n) of the voice into L and R. */
void vh_render(const lull_voice_class *vc, void *st, const vh_sched *s, long t0, long n,
               float *L, float *R, int split);

/* Render n frames from a fresh state three ways (one process call per
 * segment, random splits, single frames) and compare bit for bit.  Returns 1
 * when identical; prints a line. */
int vh_split_invariant(const lull_voice_class *vc, double rate_hz, const vh_sched *s, long n);

/* Random parameter sequences: steps, glides of every length and value in
 * each parameter's range (enums drawn at init), occasional NaN/Inf values,
 * random process splits, `seconds` of audio.  Returns the number of output
 * samples that are not finite or exceed `bound` in magnitude; *peak gets the
 * largest magnitude seen. */
long vh_fuzz(const lull_voice_class *vc, double rate_hz, uint64_t seed, double seconds,
             double bound, double *peak);

/* The class is registered as `kind` and has exactly the n parameters
 * `names`, in that order, each with help text and min <= default <= max.
 * Prints a FAIL line per fault and returns how many there were. */
int vh_check_class(const lull_voice_class *vc, const char *kind, const char *const *names, int n);

/* vh_fuzz() with seeds 1..`seeds`, `seconds` each; prints each run and
 * returns the number of runs that produced a non-finite sample or one
 * beyond `bound`. */
int vh_fuzz_check(const lull_voice_class *vc, double rate_hz, int seeds, double seconds, double bound);

/* dB -> linear, as the mixer converts. */
double vh_db(double db);

#endif
