/*
 * limiter.h - the true-peak limiter at the very end of the master bus (not
 * installed; part of struct lull_engine, see engine_internal.h).
 *
 * A look-ahead limiter: every frame is delayed by `delay_frames` (2.7 ms
 * at 48 kHz) while an 8x oversampled estimate of the waveform between the samples
 * decides how much gain the frame may have; the gain falls smoothly over the
 * look-ahead before a peak, holds, and recovers slowly after it.  The engine
 * runs its mixer that many frames ahead (lull_engine_process primes it), so
 * to the host the limiter adds no latency: output frame k is session frame k.
 *
 * Promise: the output's true peak stays under the ceiling (see limiter.c for
 * the estimator's margin), no sample reaches full scale, nothing non-finite
 * gets through.  Idle (the usual case: the signal is nowhere near the
 * ceiling) the output is the input, bit for bit, a few frames later, and the
 * cost is a copy.
 *
 * Everything here is touched only by the processing thread.  No allocation:
 * every buffer is inside the struct, sized for the highest sample rate.
 */
#ifndef LULL_LIMITER_H
#define LULL_LIMITER_H

#include <stdint.h>
#include <string.h>

/* Frames of delay line and history (power of two, above the longest
 * look-ahead: about 630 frames at 384 kHz). */
#define LULL_LIM_RING 1024
/* Interpolator taps on each side of the interval it estimates. */
#define LULL_LIM_HALF 32
/* Points estimated inside each interval between two samples (8x: 7 plus
 * the samples themselves), padded to 8 so the phases vectorise. */
#define LULL_LIM_PHASES 8
/* Unity gain in the smoothing boxcars' fixed point (sums stay exact, so the
 * gain returns to exactly 1 after any amount of limiting). */
#define LULL_LIM_ONE (1u << 24)
/* Frames that share one decision whether any estimate is needed. */
#define LULL_LIM_SUB 64

/* |x| as its bit pattern: for magnitudes the bits order as the values do
 * (NaN above infinity), and an integer maximum vectorises where a float one
 * does not without -ffinite-math-only.  Used by the limiter's bounds, the
 * true-peak meter and the live level meter.  [ANY] */
static inline uint32_t lull_abs_bits(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return u & 0x7fffffffu;
}

/* The float whose bits are u (the inverse for a magnitude).  [ANY] */
static inline float lull_from_bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

typedef struct lull_limiter {
    /* Fixed by lull_limiter_init. */
    float ceiling;             /* linear: the promise */
    float target;              /* linear: what the estimate is held to (ceiling - margin) */
    float idle_level;          /* below this a sample cannot make any estimate reach target */
    float bound_lin;           /* smooth-waveform bound: L (on the interval's ends) */
    float bound_curv;          /* and G (on the largest second difference) */
    int always_estimate;       /* tests: estimate every frame near idle_level (same output) */
    int box_frames;            /* length of each of the two smoothing boxcars (A) */
    int window_frames;         /* minimum-hold window, >= 2A - 1 (the attack) */
    int delay_frames;          /* look-ahead: HALF + window - 1 */
    int hold_frames;           /* gain holds this long after a peak before recovering */
    double release_coef;       /* per-frame one-pole factor on (1 - gain) */
    uint64_t box_full;         /* s2 at unity gain: A * A * LULL_LIM_ONE */
    double inv_box_full;
    float taps[2 * LULL_LIM_HALF][LULL_LIM_PHASES]; /* interpolator, transposed */

    /* State (reset by lull_limiter_reset). */
    int64_t n_in;              /* frames pushed since the reset */
    int64_t last_hot;          /* last input frame over idle_level */
    float prev_need;           /* gain the previous interval allows */
    int dq_head, dq_len;       /* sliding-window minimum: a monotonic deque */
    int64_t dq_frame[LULL_LIM_RING];
    float dq_need[LULL_LIM_RING];
    double gain;               /* held / released gain before smoothing */
    int hold_left;
    int box_i;                 /* common index of both boxcar rings */
    uint64_t s1, s2;           /* running sums (fixed point, exact) */
    uint32_t box1[LULL_LIM_RING];
    uint64_t box2[LULL_LIM_RING];
    /* The delay line and the interpolator's history, each frame written
     * twice (at i and i + RING) so any window is contiguous. */
    float ring_l[2 * LULL_LIM_RING];
    float ring_r[2 * LULL_LIM_RING];
    int64_t ring_tag[LULL_LIM_RING]; /* carried through the delay with each frame */
    int64_t active_frames;     /* frames whose gain was below 1 (statistics, tests) */
    int64_t estimated_frames;  /* frames whose 8x estimate ran (statistics, tests) */
    float min_gain;            /* lowest gain applied since the reset */
} lull_limiter;

/* Set the ceiling (dBTP) and the time constants for a sample rate, with
 * the look-ahead a multiple of align_frames; then reset.  [NRT] */
void lull_limiter_init(lull_limiter *lim, int rate_hz, double ceiling_dbtp, int align_frames);
/* Forget the past: the delay line holds silence tagged `tag`.  [RT] */
void lull_limiter_reset(lull_limiter *lim, int64_t tag);
/* Push n new frames (interleaved stereo, in place) with their tags; io
 * receives the n frames that leave the delay line, limited.  Block-size invariant: the output does not
 * depend on how the frames are split into calls.  tags may be NULL when
 * nobody asks lull_limiter_next_tag (an offline render): the samples are
 * the same, the tags are left as they were.  [RT] */
void lull_limiter_process(lull_limiter *lim, float *io, const int64_t *tags, int n);
/* The tag of the next frame to leave the delay line.  [RT] */
int64_t lull_limiter_next_tag(const lull_limiter *lim);
/* Whether the next `frames` frames to leave the delay line are all exactly
 * silent (frames <= delay_frames).  [RT] */
int lull_limiter_pending_silent(const lull_limiter *lim, int64_t frames);

#endif
