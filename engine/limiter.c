/*
 * limiter.c - the master bus's true-peak limiter (see limiter.h).
 *
 * Real-time path: no allocation, no locks, work bounded by the frames given.
 *
 * Per frame i entering the delay line:
 *   1. estimate: the interval between samples j = i - HALF and j + 1 is
 *      interpolated at 7 points (8x oversampling) by a windowed-sinc FIR of
 *      2 * HALF = 64 taps (Kaiser, beta 6: within 0.01 dB of the ideal up
 *      to 0.45 fs, -0.7 dB at 0.48 fs); its peak p, with the two
 *      samples, across both channels (one gain for both: the stereo image
 *      and the binaural beat stay put), gives the gain the interval allows,
 *      target / p.  Sample j may have the lower of its two intervals' gains,
 *      so the gain is bounded at both ends of every interval.
 *   2. the minimum of that over a sliding window of 2A - 1 frames (a
 *      monotonic deque: O(1) amortised, bounded by the window);
 *   3. hold and release: the gain follows the window minimum down at once,
 *      holds while the signal stays about as loud (HOLD_BAND) and for
 *      HOLD_SEC after, then recovers as a one-pole (RELEASE_SEC) - never
 *      above the window minimum;
 *   4. two boxcars of A frames in cascade: a smooth (piecewise quadratic)
 *      fall over the 2A - 1 frames before a peak.  Each output gain averages
 *      window minima that all include the frame it is applied to, so the
 *      smoothed gain never exceeds what that frame needs.  Gains are summed
 *      in fixed point, so the sums are exact and return to exactly unity.
 * The frame leaving the delay line (DELAY = HALF + window - 1 frames later,
 * window >= 2A - 1 so that DELAY is whole control segments: 128 frames,
 * 2.7 ms at 48 kHz) is
 * multiplied by its gain when that is below 1, else passed untouched.
 *
 * Estimator margin.  The 8x grid can miss the top of a waveform by up to
 * 0.12 dB at 0.42 fs (20 kHz at 48 kHz), 0.14 dB at 0.45 fs, less lower
 * down; the FIR adds 0.01 dB up to 0.45 fs.  The estimate is held to
 * target, ESTIMATOR_MARGIN (0.2 dB) under the ceiling, which covers both.
 * Broadband noise has content between 0.45 fs and Nyquist that the FIR
 * reads low (a 16-tap FIR let white noise 0.3 dB over; 64 taps keep it
 * under).  Measured by test_true_peak with a 16x, 96-tap meter: every case
 * under the ceiling (worst -0.03 dB, white noise); libebur128, whose own 4x
 * interpolator reads square-ish sums up to 0.4 dB high, up to +0.16 dB.
 * A tone clamped at 0.4999 fs (low rates) is read low by every practical
 * meter, this one included.
 *
 * Cheap when idle: a frame whose magnitude is under target / sum|h| cannot
 * push any estimate that uses it over target, so a block with no such frame
 * (and the gain at rest) is only copied through the delay line.  The slow
 * path gives the same result for such frames, so the split of the frames
 * into calls never changes the output.
 *
 * The shape (look-ahead, sliding minimum, boxcar smoothing so the gain
 * reaches its value exactly at the peak) is the usual design of look-ahead
 * peak limiters, e.g. Geraint Luff's "Designing a straightforward limiter"
 * (Signalsmith Audio, 2022); the true-peak interpolation follows ITU-R
 * BS.1770-4 annex 2, with a finer grid.
 */
#include "limiter.h"
#include "../voices/hot.h"

#include <math.h>
#include <string.h>

#define KAISER_BETA 6.0
#define ESTIMATOR_MARGIN_DB 0.2
#define BOX_SEC 0.0008          /* each boxcar: attack = 2 * 0.8 ms */
#define HOLD_SEC 0.025          /* longer than half a period of 20 Hz */
#define RELEASE_SEC 0.08        /* time constant of the recovery */
#define HOLD_BAND 1.122f        /* a new peak within 1 dB of the gain renews the hold */
#define FULL_SCALE 0.99999f     /* last guard; never reached while the design holds */
#define HUGE_SAMPLE 1.0e6f      /* input clamped here so the estimate stays finite */

static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 60; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

static float max_f(float a, float b) { return a > b ? a : b; }

void lull_limiter_init(lull_limiter *lim, int rate_hz, double ceiling_dbtp, int align_frames)
{
    memset(lim, 0, sizeof *lim);
    const double pi = 3.14159265358979323846;
    const int h = LULL_LIM_HALF;
    double worst_abs = 1.0;
    for (int ph = 1; ph < LULL_LIM_PHASES; ph++) {
        const double frac = (double)ph / LULL_LIM_PHASES;
        double tap[2 * LULL_LIM_HALF], sum = 0.0, abs_sum = 0.0;
        for (int k = 0; k < 2 * h; k++) {
            /* tap k weighs sample j - HALF + 1 + k for the point j + frac */
            const double d = frac + (double)(h - 1 - k);
            const double u = d / h;
            const double w = bessel_i0(KAISER_BETA * sqrt(u * u < 1.0 ? 1.0 - u * u : 0.0)) /
                             bessel_i0(KAISER_BETA);
            tap[k] = sin(pi * d) / (pi * d) * w;
            sum += tap[k];
        }
        for (int k = 0; k < 2 * h; k++) {
            lim->taps[k][ph - 1] = (float)(tap[k] / sum); /* unity at DC */
            abs_sum += fabs((double)lim->taps[k][ph - 1]);
        }
        if (abs_sum > worst_abs)
            worst_abs = abs_sum;
    }
    lim->ceiling = (float)pow(10.0, ceiling_dbtp / 20.0);
    lim->target = (float)pow(10.0, (ceiling_dbtp - ESTIMATOR_MARGIN_DB) / 20.0);
    /* a hair under target / sum|h|, so float rounding in the FIR cannot
     * lift an estimate the bound says is safe over target */
    lim->idle_level = (float)((double)lim->target / worst_abs * 0.999);
    int a = (int)lround(BOX_SEC * rate_hz);
    if (a < 2)
        a = 2;
    lim->box_frames = a;
    /* The look-ahead is HALF + 2A - 2, rounded up to a whole number of
     * align_frames: the mixer, which runs that far ahead, then keeps
     * starting its calls on its control grid when the host's blocks do
     * (a call across a grid line costs a second control segment).  The
     * extra frames widen the minimum window, so the gain only starts down
     * that much earlier. */
    int d = h + 2 * a - 2;
    if (align_frames > 1)
        d = (d + align_frames - 1) / align_frames * align_frames;
    lim->delay_frames = d;
    lim->window_frames = d - h + 1;
    lim->hold_frames = (int)lround(HOLD_SEC * rate_hz);
    lim->release_coef = exp(-1.0 / (RELEASE_SEC * rate_hz));
    lim->box_full = (uint64_t)a * (uint64_t)a * LULL_LIM_ONE;
    lim->inv_box_full = 1.0 / (double)lim->box_full;
    lull_limiter_reset(lim, 0);
}

void lull_limiter_reset(lull_limiter *lim, int64_t tag)
{
    lim->n_in = 0;
    lim->last_hot = INT64_MIN / 2;
    lim->prev_need = 1.0f;
    lim->dq_head = lim->dq_len = 0;
    lim->gain = 1.0;
    lim->hold_left = 0;
    lim->box_i = 0;
    const uint64_t a = (uint64_t)lim->box_frames;
    for (int k = 0; k < lim->box_frames; k++) {
        lim->box1[k] = LULL_LIM_ONE;
        lim->box2[k] = a * LULL_LIM_ONE;
    }
    lim->s1 = a * LULL_LIM_ONE;
    lim->s2 = lim->box_full;
    memset(lim->ring_l, 0, sizeof lim->ring_l);
    memset(lim->ring_r, 0, sizeof lim->ring_r);
    for (int k = 0; k < LULL_LIM_RING; k++)
        lim->ring_tag[k] = tag;
    lim->active_frames = 0;
    lim->min_gain = 1.0f;
}

/* The loudest of the two samples around interval (j, j+1), j = i - HALF,
 * and the 7 points between them, on either channel. */
static float estimate(const lull_limiter *lim, int64_t i)
{
    const int h = LULL_LIM_HALF;
    const int s = (int)((i - 2 * h + 1) & (LULL_LIM_RING - 1));
    const float *xl = lim->ring_l + s, *xr = lim->ring_r + s;
    float al[LULL_LIM_PHASES] = { 0 }, ar[LULL_LIM_PHASES] = { 0 };
    for (int k = 0; k < 2 * h; k++) {
        const float l = xl[k], r = xr[k];
        for (int ph = 0; ph < LULL_LIM_PHASES; ph++) {
            al[ph] += lim->taps[k][ph] * l;
            ar[ph] += lim->taps[k][ph] * r;
        }
    }
    float p = max_f(max_f(fabsf(xl[h - 1]), fabsf(xl[h])), max_f(fabsf(xr[h - 1]), fabsf(xr[h])));
    for (int ph = 0; ph < LULL_LIM_PHASES - 1; ph++)
        p = max_f(p, max_f(fabsf(al[ph]), fabsf(ar[ph])));
    return p;
}

static float sanitize(float x)
{
    if (fabsf(x) <= HUGE_SAMPLE)
        return x;
    return x != x ? 0.0f : (x < 0.0f ? -HUGE_SAMPLE : HUGE_SAMPLE);
}

/* The gain for the frame leaving the delay line now, from the needs of the
 * interval that entered the estimator now (steps 2-4 above). */
static float next_gain(lull_limiter *lim, int64_t j, float need)
{
    const int mask = LULL_LIM_RING - 1;
    if (need < 1.0f) {
        while (lim->dq_len > 0 && lim->dq_need[(lim->dq_head + lim->dq_len - 1) & mask] >= need)
            lim->dq_len--;
        const int at = (lim->dq_head + lim->dq_len) & mask;
        lim->dq_frame[at] = j;
        lim->dq_need[at] = need;
        lim->dq_len++;
    }
    while (lim->dq_len > 0 && lim->dq_frame[lim->dq_head] <= j - lim->window_frames) {
        lim->dq_head = (lim->dq_head + 1) & mask;
        lim->dq_len--;
    }
    const double m = lim->dq_len > 0 ? (double)lim->dq_need[lim->dq_head] : 1.0;

    double g = lim->gain;
    if (m < g) {
        g = m;
        lim->hold_left = lim->hold_frames;
    } else if (m < 1.0 && m <= g * HOLD_BAND) {
        lim->hold_left = lim->hold_frames;
    } else if (lim->hold_left > 0) {
        lim->hold_left--;
    } else {
        g = 1.0 - (1.0 - g) * lim->release_coef;
        if (1.0 - g < 1.0 / LULL_LIM_ONE)
            g = 1.0;
        if (g > m)
            g = m;
    }
    if (g >= 1.0) {
        g = 1.0;
        lim->hold_left = 0; /* the state at rest is always the same */
    }
    lim->gain = g;

    const uint32_t q = g >= 1.0 ? LULL_LIM_ONE : (uint32_t)(g * LULL_LIM_ONE);
    const int b = lim->box_i;
    lim->s1 = lim->s1 + q - lim->box1[b];
    lim->box1[b] = q;
    lim->s2 = lim->s2 + lim->s1 - lim->box2[b];
    lim->box2[b] = lim->s1;
    lim->box_i = b + 1 == lim->box_frames ? 0 : b + 1;
    if (lim->s2 == lim->box_full)
        return 1.0f;
    return (float)((double)lim->s2 * lim->inv_box_full);
}

/* Built twice (voices/hot.h): the 8x estimate is the cost of a driven or
 * near-ceiling mix, and the AVX2 copy does the same float operations. */
LULL_HOT_CLONES void lull_limiter_process(lull_limiter *lim, float *io, const int64_t *tags, int n)
{
    const int mask = LULL_LIM_RING - 1;
    const int h = LULL_LIM_HALF;
    const int64_t d = lim->delay_frames;
    const float idle = lim->idle_level;

    /* NaN fails the comparison, so it counts as hot too. */
    int hot = 0;
    for (int k = 0; k < 2 * n; k++)
        hot |= !(fabsf(io[k]) <= idle);
    const int at_rest = lim->dq_len == 0 && lim->gain == 1.0 && lim->s2 == lim->box_full;

    if (!hot && at_rest && lim->last_hot < lim->n_in - 2 * h + 1) {
        /* Idle: nothing in or near this block can need a gain below 1.
         * Write every new frame first, then read the delayed ones: the
         * slots written held frames older than any still to be read
         * (delay + block < RING), and a delayed frame written by this very
         * call is read back correctly.  Reads never wrap (the mirror). */
        const int w0 = (int)(lim->n_in & mask);
        for (int part = 0, k0 = 0; part < 2 && k0 < n; part++) {
            const int w = part == 0 ? w0 : 0;
            const int len = part == 0 ? (n < LULL_LIM_RING - w0 ? n : LULL_LIM_RING - w0) : n - k0;
            float *rl = lim->ring_l + w, *rr = lim->ring_r + w;
            for (int k = 0; k < len; k++) {
                rl[k] = rl[k + LULL_LIM_RING] = io[2 * (k0 + k)];
                rr[k] = rr[k + LULL_LIM_RING] = io[2 * (k0 + k) + 1];
            }
            memcpy(lim->ring_tag + w, tags + k0, sizeof(int64_t) * (size_t)len);
            k0 += len;
        }
        const float *ol = lim->ring_l + ((lim->n_in - d) & mask), *orr = lim->ring_r + ((lim->n_in - d) & mask);
        for (int k = 0; k < n; k++) {
            io[2 * k] = ol[k];
            io[2 * k + 1] = orr[k];
        }
        lim->box_i = (int)((lim->box_i + n) % lim->box_frames);
        lim->n_in += n;
        return;
    }

    for (int k = 0; k < n; k++) {
        const int64_t i = lim->n_in + k;
        const float a = sanitize(io[2 * k]), b = sanitize(io[2 * k + 1]);
        const int w = (int)(i & mask), o = (int)((i - d) & mask);
        lim->ring_l[w] = lim->ring_l[w + LULL_LIM_RING] = a;
        lim->ring_r[w] = lim->ring_r[w + LULL_LIM_RING] = b;
        lim->ring_tag[w] = tags[k];
        if (fabsf(a) > idle || fabsf(b) > idle)
            lim->last_hot = i;

        const int64_t j = i - h;
        float allow = 1.0f;
        if (lim->last_hot >= j - h + 1) {
            const float p = estimate(lim, i);
            if (p > lim->target)
                allow = lim->target / p;
        }
        const float need = allow < lim->prev_need ? allow : lim->prev_need;
        lim->prev_need = allow;
        const float g = next_gain(lim, j, need);

        float yl = lim->ring_l[o], yr = lim->ring_r[o];
        if (g < 1.0f) {
            yl *= g;
            yr *= g;
            yl = yl > FULL_SCALE ? FULL_SCALE : (yl < -FULL_SCALE ? -FULL_SCALE : yl);
            yr = yr > FULL_SCALE ? FULL_SCALE : (yr < -FULL_SCALE ? -FULL_SCALE : yr);
            lim->active_frames++;
            if (g < lim->min_gain)
                lim->min_gain = g;
        }
        io[2 * k] = yl;
        io[2 * k + 1] = yr;
    }
    lim->n_in += n;
}

int64_t lull_limiter_next_tag(const lull_limiter *lim)
{
    return lim->ring_tag[(lim->n_in - lim->delay_frames) & (LULL_LIM_RING - 1)];
}

int lull_limiter_pending_silent(const lull_limiter *lim, int64_t frames)
{
    for (int64_t k = 0; k < frames && k < lim->delay_frames; k++) {
        const int o = (int)((lim->n_in - lim->delay_frames + k) & (LULL_LIM_RING - 1));
        if (lim->ring_l[o] != 0.0f || lim->ring_r[o] != 0.0f)
            return 0;
    }
    return 1;
}
