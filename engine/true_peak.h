/*
 * true_peak.h - the true peak of a whole stereo signal, for the loudness
 * summary (not installed; loudness.c).  Non-real-time: it allocates.
 *
 * The estimate is the master limiter's: 8x oversampling by a 64-tap
 * Kaiser-windowed sinc (limiter.c), in float, plus the samples themselves.
 * The signal counts as silent before its first frame and after its last
 * (what a player makes of the file).  Only the maximum over the whole
 * signal is wanted, so most of the work is skipped exactly: a block of
 * intervals whose proven upper bound is not above the running maximum
 * cannot change the answer (true_peak.c derives the bound).  With or
 * without the skip the result is the same, bit for bit.
 */
#ifndef LULL_TRUE_PEAK_H
#define LULL_TRUE_PEAK_H

#include <stddef.h>
#include <stdint.h>

/* Intervals between samples handled (bounded, maybe estimated) together. */
#define LULL_TP_BLOCK 64

typedef struct lull_true_peak lull_true_peak;

/* NULL if out of memory.  [NRT] */
lull_true_peak *lull_true_peak_create(void);
/* Feed n interleaved stereo frames.  [NRT] */
void lull_true_peak_add(lull_true_peak *tp, const float *lr, int n);
/* The true peak and the sample peak (linear, the larger of the two
 * channels) of everything fed; the first call ends the signal, after it
 * nothing more may be fed.  [NRT] */
void lull_true_peak_result(lull_true_peak *tp, double *true_peak, double *sample_peak);
void lull_true_peak_free(lull_true_peak **tp);

/* For tests and benchmarks. */
/* Estimate every block (no skipping).  Call before feeding. */
void lull_true_peak_set_exhaustive(lull_true_peak *tp, int on);
/* Blocks of one channel looked at, how many of them were not skipped
 * whole, and how many intervals were estimated. */
void lull_true_peak_counts(const lull_true_peak *tp, int64_t *blocks, int64_t *estimated, int64_t *intervals);
/* The interpolator's constants: the block bound is lin * max(|x[j]|,
 * |x[j+1]|) + curv * max |second difference| over the window (see
 * true_peak.c). */
void lull_true_peak_constants(const lull_true_peak *tp, double *lin, double *curv);
/* For the block of LULL_TP_BLOCK intervals starting with (x[0], x[1]) of a
 * mono signal: the bound the meter uses to skip it (from the largest |x|
 * and |second difference| of the block and of the blocks on either side:
 * x[-LULL_TP_BLOCK - 1] .. x[2 * LULL_TP_BLOCK] must be readable).  For
 * `frames` (<= LULL_TP_BLOCK) intervals (x[-31] .. x[frames + 31]
 * readable): each interval's own bound (out[frames]) and the largest
 * exact estimate over the 7 points inside every interval. */
float lull_true_peak_block_bound(const lull_true_peak *tp, const float *x);
void lull_true_peak_interval_bounds(const lull_true_peak *tp, const float *x, int frames, float *out);
float lull_true_peak_block_estimate(const lull_true_peak *tp, const float *x, int frames);
/* The exact estimate of the interval (x[0], x[1]) alone. */
float lull_true_peak_interval_estimate(const lull_true_peak *tp, const float *x);

#endif
