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
 * push any estimate that uses it over target.
 *
 * Cheap when the waveform is smooth (every session's tones, most mixes):
 * with x[j], x[j+1] the interval's ends, write each sample of the FIR's
 * window as the straight line through them plus a residual; the residual is
 * a sum of second differences D[m] = x[m+1] - 2x[m] + x[m-1], so summing by
 * parts twice turns every interpolated point into
 *     y = x[j] (S0 - S1) + x[j+1] S1 + sum_m g[m] D[m],
 * S0 = sum t[k], S1 = sum t[k] (k - j), g[m] the taps' second running sums
 * outward from the interval (g[m] = sum over k beyond m of t[k] |k - m|).
 * So |y| <= L max(|x[j]|, |x[j+1]|) + G max|D|, with L = max |S0 - S1| + |S1|
 * (1.0000001) and G = max sum|g| (0.575) over the phases.  A 400 Hz tone's
 * D is 0.003 of its peak, so a tonal mix gets a bound within 1% of its
 * sample peak; the old test alone (sum|h| = 3) called every mix over
 * -10.5 dBFS hot.  The bound is checked per run of LULL_LIM_SUB frames, over
 * the union of their windows.
 *
 * Either way the estimate could not have exceeded target, so skipping it
 * gives exactly the output of computing it (test_true_peak compares a
 * limiter that always estimates, bit for bit), and the split of the frames
 * into calls never changes the output.  At rest (gain 1, nothing pending)
 * such a run is only copied through the delay line.
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
/* Relative to the window's largest sample: far above the rounding error of
 * a 64-term float sum with sum|h| < 3 (64 * 2^-24 * 3 = 1.1e-5). */
#define ROUNDING_MARGIN 1.0e-4f

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
    double worst_abs = 1.0, worst_lin = 1.0, worst_curv = 0.0;
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
        /* The smooth-waveform bound's constants for this phase, from the
         * float taps as used (see "Cheap when the waveform is smooth"). */
        double s0 = 0.0, s1 = 0.0, g_sum = 0.0;
        for (int k = 0; k < 2 * h; k++) {
            s0 += lim->taps[k][ph - 1];
            s1 += lim->taps[k][ph - 1] * (double)(k - (h - 1));
        }
        for (int m = 1; m < 2 * h - 1; m++) {
            double g = 0.0;
            if (m >= h)
                for (int k = m + 1; k < 2 * h; k++)
                    g += lim->taps[k][ph - 1] * (double)(k - m);
            else
                for (int k = 0; k < m && k <= h - 2; k++)
                    g += lim->taps[k][ph - 1] * (double)(m - k);
            g_sum += fabs(g);
        }
        const double lin = fabs(s0 - s1) + fabs(s1);
        if (lin > worst_lin)
            worst_lin = lin;
        if (g_sum > worst_curv)
            worst_curv = g_sum;
    }
    /* rounded up, so the float products stay bounds */
    lim->bound_lin = (float)(worst_lin * (1.0 + 1e-6));
    lim->bound_curv = (float)(worst_curv * (1.0 + 1e-6));
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
    lim->estimated_frames = 0;
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

/* Whether no estimate for frames i0 .. i0 + m - 1 can exceed target, by
 * the bound in the header comment ("Cheap when the waveform is smooth"):
 * L * (the larger interval end) + G * (the largest second difference in the
 * window), plus a margin for the rounding of the 64-term float sums. */
static inline __attribute__((always_inline)) int smooth_enough(const lull_limiter *lim, int64_t i0, int m)
{
    const int h = LULL_LIM_HALF;
    const int s0 = (int)((i0 - 2 * h + 1) & (LULL_LIM_RING - 1));
    const int len = 2 * h - 1 + m;
    uint32_t m0 = 0, m2 = 0, mx = 0; /* magnitudes' bits: lull_abs_bits */
    for (int c = 0; c < 2; c++) {
        const float *x = (c == 0 ? lim->ring_l : lim->ring_r) + s0;
        for (int k = 1; k < len - 1; k++) {
            const uint32_t d = lull_abs_bits(x[k + 1] - 2.0f * x[k] + x[k - 1]);
            const uint32_t a = lull_abs_bits(x[k]);
            m2 = d > m2 ? d : m2;
            mx = a > mx ? a : mx;
        }
        /* the interval ends of every estimate: offsets h - 1 .. h + m - 1 */
        for (int k = h - 1; k < h + m; k++) {
            const uint32_t a = lull_abs_bits(x[k]);
            m0 = a > m0 ? a : m0;
        }
        const uint32_t e0 = lull_abs_bits(x[0]), e1 = lull_abs_bits(x[len - 1]);
        mx = e0 > mx ? e0 : mx;
        mx = e1 > mx ? e1 : mx;
    }
    return lim->bound_lin * lull_from_bits(m0) + lim->bound_curv * lull_from_bits(m2) + ROUNDING_MARGIN * lull_from_bits(mx) <=
           lim->target;
}

/* Push the m frames of io into the delay line (made finite) and note the
 * last one over idle_level. */
static inline __attribute__((always_inline)) void push(lull_limiter *lim, float *io, const int64_t *tags, int m)
{
    const int mask = LULL_LIM_RING - 1;
    uint32_t peak_bits = 0;
    for (int k = 0; k < 2 * m; k++) {
        const uint32_t a = lull_abs_bits(io[k]);
        peak_bits = a > peak_bits ? a : peak_bits;
    }
    float peak = lull_from_bits(peak_bits); /* NaN if any sample is */
    if (!(peak <= HUGE_SAMPLE)) {
        peak = 0.0f;
        for (int k = 0; k < 2 * m; k++) {
            io[k] = sanitize(io[k]);
            peak = max_f(peak, fabsf(io[k]));
        }
    }
    if (peak > lim->idle_level) {
        for (int k = m - 1; k >= 0; k--)
            if (fabsf(io[2 * k]) > lim->idle_level || fabsf(io[2 * k + 1]) > lim->idle_level) {
                lim->last_hot = lim->n_in + k;
                break;
            }
    }
    /* Each frame at w and w + RING (the mirror), so windows never wrap. */
    const int w0 = (int)(lim->n_in & mask);
    for (int part = 0, k0 = 0; part < 2 && k0 < m; part++) {
        const int w = part == 0 ? w0 : 0;
        const int len = part == 0 ? (m < LULL_LIM_RING - w0 ? m : LULL_LIM_RING - w0) : m - k0;
        float *rl = lim->ring_l + w, *rr = lim->ring_r + w;
        for (int k = 0; k < len; k++) {
            rl[k] = rl[k + LULL_LIM_RING] = io[2 * (k0 + k)];
            rr[k] = rr[k + LULL_LIM_RING] = io[2 * (k0 + k) + 1];
        }
        if (tags)
            memcpy(lim->ring_tag + w, tags + k0, sizeof(int64_t) * (size_t)len);
        k0 += len;
    }
}

/* One run of at most LULL_LIM_SUB frames. */
static inline __attribute__((always_inline)) void process_run(lull_limiter *lim, float *io,
                                                              const int64_t *tags, int m)
{
    const int mask = LULL_LIM_RING - 1;
    const int h = LULL_LIM_HALF;
    const int64_t d = lim->delay_frames;
    const int64_t i0 = lim->n_in;

    /* Every frame is written before any delayed one is read: the slots
     * written held frames older than any still to be read (delay + run <
     * RING). */
    push(lim, io, tags, m);
    /* No estimate in this run is needed when no sample in any of their
     * windows is over idle_level, or when the waveform is smooth enough. */
    const int quiet = lim->last_hot < i0 - 2 * h + 1;
    const int safe = !lim->always_estimate && (quiet || smooth_enough(lim, i0, m));
    const int at_rest =
        lim->dq_len == 0 && lim->gain == 1.0 && lim->s2 == lim->box_full && lim->prev_need == 1.0f;

    if (safe && at_rest) {
        /* Every gain stays exactly 1: the frames only pass the delay. */
        const float *ol = lim->ring_l + ((i0 - d) & mask), *orr = lim->ring_r + ((i0 - d) & mask);
        for (int k = 0; k < m; k++) {
            io[2 * k] = ol[k];
            io[2 * k + 1] = orr[k];
        }
        lim->box_i = (int)((lim->box_i + m) % lim->box_frames);
        lim->n_in += m;
        return;
    }

    for (int k = 0; k < m; k++) {
        const int64_t i = i0 + k;
        const int o = (int)((i - d) & mask);
        const int64_t j = i - h;
        float allow = 1.0f;
        if (!safe && lim->last_hot >= j - h + 1) {
            const float p = estimate(lim, i);
            lim->estimated_frames++;
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
    lim->n_in += m;
}

/* Built twice (voices/hot.h): the bound's and the estimate's loops are the
 * cost of a mix near the ceiling, and the AVX2 copy does the same float
 * operations. */
LULL_HOT_CLONES void lull_limiter_process(lull_limiter *lim, float *io, const int64_t *tags, int n)
{
    for (int k0 = 0; k0 < n;) {
        const int m = n - k0 < LULL_LIM_SUB ? n - k0 : LULL_LIM_SUB;
        process_run(lim, io + 2 * k0, tags ? tags + k0 : NULL, m);
        k0 += m;
    }
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
