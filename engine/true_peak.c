/*
 * true_peak.c - the true peak of a whole signal, estimated only where it
 * can matter (see true_peak.h).
 *
 * The estimate.  Interval j (between samples x[j] and x[j+1]) is
 * interpolated at 7 points by the limiter's FIR, y = sum_k t[k] x[j-31+k]
 * (limiter.c, lull_limiter_init): 448 multiply-adds per interval and
 * channel, about 300 ns a stereo frame as compiled here, four times
 * libebur128's own 4x true-peak mode, were every interval estimated;
 * almost none is.
 *
 * The skip.  Write the window as the straight line through x[j] and
 * x[j+1] plus a remainder.  The line contributes (S0 - S1) x[j] + S1 x[j+1]
 * with S0 = sum t[k], S1 = sum t[k] m_k, m_k = k - 31 the offset of tap k
 * from j.  The remainder at offset m >= 2 is sum_{i=1..m-1} (m - i) D[j+i],
 * at m <= -1 it is sum_{i=m+1..0} (i - m) D[j+i], with the second
 * differences D[p] = x[p+1] - 2 x[p] + x[p-1].  Summing by parts,
 *     |y| <= LIN * max(|x[j]|, |x[j+1]|) + CURV * max |D[j-30 .. j+31]|,
 * LIN the largest |S0 - S1| + |S1| over the phases (1 + 1e-7 here) and
 * CURV the largest sum over i of |sum of the taps' weights on D[j+i]| (0.57).
 * A tone of frequency f has |D| = (2 pi f / fs)^2 of its amplitude, so the
 * bound of a tonal block is within a few per cent of its sample peak, and
 * once the running maximum has reached the loudest tone every later block
 * is skipped after a scan of its samples.
 *
 * Three levels, each exact.  (1) A block of 64 intervals takes the largest
 * |x| and |D| of itself and of the blocks on either side (a superset of
 * every window in it; each sample's |x| and |D| is computed once, as an
 * integer maximum of the bit patterns, which vectorises), plus 1e-4 of the
 * largest |x| for the float rounding of either side (the FIR's is under
 * 1e-5).  (2) A block whose bound is above the running maximum gets a
 * bound per interval, with the weights on each D[j+i] (the largest over
 * the phases) instead of their sum times the maximum: 62 multiply-adds an
 * interval where the estimate takes 448; white noise, whose blocks all
 * fail (1), has 1.4 % of its intervals estimated.  (3) Only an interval
 * whose own bound is above the running maximum is estimated.  The running
 * maximum starts at the sample peak of everything fed so far, which the
 * true peak includes.  Skipping never changes the result
 * (tests/test_true_peak_meter.c checks every bound against the estimate,
 * block by block and interval by interval, on many signals, and the result
 * against an exhaustive run).  Within each batch the block with the highest
 * bound goes first, so a loud passage (the end of a fade-in) raises the
 * maximum before its neighbours are looked at.
 *
 * Measured (tests/bench/bench_meter.c, callgrind, 10 s of tones60 after its
 * fade-in): 25 instructions a frame for true and sample peak, where
 * libebur128's TRUE_PEAK and SAMPLE_PEAK modes added 1233 to the 164 of
 * its integrated loudness and range.
 */
#include "true_peak.h"
#include "limiter.h"
#include "../voices/hot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HALF LULL_LIM_HALF             /* 32 taps each side */
#define TAPS (2 * LULL_LIM_HALF)
#define POINTS (LULL_LIM_PHASES - 1)   /* 7 points inside each interval */
#define BLOCK LULL_TP_BLOCK
/* Samples kept before the next block to look at: its bound reads the
 * block before it and one more sample (and the first block ends at
 * interval -1, over the silence). */
#define HISTORY (3 * BLOCK)
/* Frames taken in before the ready blocks are looked at. */
#define BATCH 16384
/* A block's bound reads up to 2 * BLOCK samples past its start. */
#define LOOKAHEAD (2 * BLOCK + 1)
#define CAPACITY (HISTORY + BATCH + 2 * LOOKAHEAD + BLOCK)
#define MAX_BLOCKS ((CAPACITY + BLOCK - 1) / BLOCK)
/* Relative slack on the bound for float rounding (the FIR's rounding is
 * below 1e-5 of the window's largest sample). */
#define ROUNDING_MARGIN 1e-4f

struct lull_true_peak {
    float taps[TAPS][LULL_LIM_PHASES];
    float lin, curv;          /* the bound's constants, rounded up */
    float gmax[TAPS];         /* per interval: the largest weight on D[j + i] (index i + HALF) */
    float x[2][CAPACITY];     /* each channel; x[c][p] is frame base + p */
    int fill;                 /* frames held */
    int next;                 /* the next block starts at interval `next` */
    float run_max;            /* largest sample or estimate so far */
    float sample_peak;
    int exhaustive;
    int ended;
    int64_t blocks, estimated, estimated_intervals;
    float bound[2][MAX_BLOCKS];
    uint32_t mag[2][MAX_BLOCKS + 2];        /* run_blocks' block statistics */
    uint32_t curv_max[2][MAX_BLOCKS + 2];
};

static float max_f(float a, float b) { return a > b ? a : b; }

/* The bound's constants for the taps (see the top of the file), in double
 * from the float taps actually used. */
static void constants(const lull_true_peak *tp, double *lin, double *curv, double gmax[TAPS])
{
    double lin_max = 0.0, curv_max = 0.0;
    for (int i = 0; i < TAPS; i++)
        gmax[i] = 0.0;
    for (int ph = 0; ph < POINTS; ph++) {
        double s0 = 0.0, s1 = 0.0;
        double g[TAPS] = { 0 }; /* g[i + HALF]: the weight on D[j + i], i = -30 .. 31 */
        for (int k = 0; k < TAPS; k++) {
            const double t = (double)tp->taps[k][ph];
            const int m = k - (HALF - 1);
            s0 += t;
            s1 += t * m;
            if (m >= 2)
                for (int i = 1; i <= m - 1; i++)
                    g[i + HALF] += t * (m - i);
            else if (m <= -1)
                for (int i = m + 1; i <= 0; i++)
                    g[i + HALF] += t * (i - m);
        }
        double gs = 0.0;
        for (int i = 0; i < TAPS; i++) {
            gs += fabs(g[i]);
            gmax[i] = fabs(g[i]) > gmax[i] ? fabs(g[i]) : gmax[i];
        }
        const double l = fabs(s0 - s1) + fabs(s1);
        lin_max = l > lin_max ? l : lin_max;
        curv_max = gs > curv_max ? gs : curv_max;
    }
    *lin = lin_max;
    *curv = curv_max;
}

lull_true_peak *lull_true_peak_create(void)
{
    lull_true_peak *tp = calloc(1, sizeof *tp);
    if (!tp)
        return NULL;
    /* The limiter's own taps, from a limiter set up for the purpose. */
    lull_limiter *lim = malloc(sizeof *lim);
    if (!lim) {
        free(tp);
        return NULL;
    }
    lull_limiter_init(lim, 48000, -1.0, 1);
    memcpy(tp->taps, lim->taps, sizeof tp->taps);
    free(lim);
    double lin, curv, gmax[TAPS];
    constants(tp, &lin, &curv, gmax);
    tp->lin = (float)(lin * (1.0 + 1e-6));
    tp->curv = (float)(curv * (1.0 + 1e-6));
    for (int i = 0; i < TAPS; i++)
        tp->gmax[i] = (float)(gmax[i] * (1.0 + 1e-6));
    /* Silence before the first frame; the first block starts at interval
     * -BLOCK, so interval -1 (from the silence to frame 0) is included. */
    tp->fill = HISTORY;
    tp->next = HISTORY - BLOCK;
    return tp;
}

void lull_true_peak_free(lull_true_peak **tp)
{
    if (!tp || !*tp)
        return;
    free(*tp);
    *tp = NULL;
}

void lull_true_peak_set_exhaustive(lull_true_peak *tp, int on) { tp->exhaustive = on; }

void lull_true_peak_counts(const lull_true_peak *tp, int64_t *blocks, int64_t *estimated, int64_t *intervals)
{
    *blocks = tp->blocks;
    *estimated = tp->estimated;
    *intervals = tp->estimated_intervals;
}

void lull_true_peak_constants(const lull_true_peak *tp, double *lin, double *curv)
{
    double l, c, g[TAPS];
    constants(tp, &l, &c, g);
    *lin = l;
    *curv = c;
}

/* The largest |x| and |second difference| over the BLOCK samples at x
 * (reading x[-1] .. x[BLOCK]). */
static void block_stats(const float *x, uint32_t *mag, uint32_t *curv)
{
    uint32_t m = 0, c = 0;
    for (int p = 0; p < BLOCK; p++) {
        const uint32_t u = lull_abs_bits(x[p]);
        const uint32_t v = lull_abs_bits(x[p + 1] - 2.0f * x[p] + x[p - 1]);
        m = u > m ? u : m;
        c = v > c ? v : c;
    }
    *mag = m;
    *curv = c;
}

/* The block bound from the statistics of the block before (0), the block
 * (1) and the block after (2): their samples cover the window of every
 * interval of the block, x[-31] .. x[BLOCK + 31], and its second
 * differences; the ends are the block's samples and the next one. */
static float bound_from_stats(const lull_true_peak *tp, const uint32_t mag[3], const uint32_t curv[3], float after)
{
    uint32_t ends = mag[1], c = curv[0], win = mag[0];
    const uint32_t a = lull_abs_bits(after);
    ends = a > ends ? a : ends;
    for (int k = 1; k < 3; k++) {
        c = curv[k] > c ? curv[k] : c;
        win = mag[k] > win ? mag[k] : win;
    }
    return tp->lin * lull_from_bits(ends) + tp->curv * lull_from_bits(c) + ROUNDING_MARGIN * lull_from_bits(win);
}

float lull_true_peak_block_bound(const lull_true_peak *tp, const float *x)
{
    uint32_t mag[3], curv[3];
    for (int k = 0; k < 3; k++)
        block_stats(x + (k - 1) * BLOCK, &mag[k], &curv[k]);
    return bound_from_stats(tp, mag, curv, x[BLOCK]);
}

/* The exact estimate of interval (x[0], x[1]): the largest of its 7
 * points.  Built twice (voices/hot.h): the 8 phases are one AVX register. */
LULL_HOT_CLONES static float interval_estimate(const lull_true_peak *tp, const float *x)
{
    const float *w = x - (HALF - 1);
    float acc[LULL_LIM_PHASES] = { 0 };
    for (int k = 0; k < TAPS; k++)
        for (int ph = 0; ph < LULL_LIM_PHASES; ph++)
            acc[ph] += tp->taps[k][ph] * w[k];
    float best = 0.0f;
    for (int ph = 0; ph < POINTS; ph++)
        best = max_f(best, fabsf(acc[ph]));
    return best;
}

/* The bound of each interval of a block on its own (the weighted sum of
 * |D| instead of its maximum): 62 multiply-adds an interval, where the
 * estimate takes 448.  Loops across the intervals, so they vectorise. */
LULL_HOT_CLONES static void interval_bounds(const lull_true_peak *tp, const float *x, int frames, float *out)
{
    float d[BLOCK + TAPS];
    const int d0 = -(HALF - 2), d1 = frames - 1 + HALF - 1; /* D[d0 .. d1] */
    for (int p = d0; p <= d1; p++)
        d[p - d0] = fabsf(x[p + 1] - 2.0f * x[p] + x[p - 1]);
    float win = 0.0f;
    for (int p = -(HALF - 1); p <= frames - 1 + HALF; p++)
        win = max_f(win, fabsf(x[p]));
    for (int j = 0; j < frames; j++)
        out[j] = tp->lin * max_f(fabsf(x[j]), fabsf(x[j + 1])) + ROUNDING_MARGIN * win;
    for (int i = d0; i <= HALF - 1; i++) {
        const float g = tp->gmax[i + HALF];
        const float *di = d + (i - d0);
        for (int j = 0; j < frames; j++)
            out[j] += g * di[j];
    }
}

/* The largest estimate in a block that can exceed `floor`: intervals whose
 * own bound is not above the floor (or above the best found so far) are
 * skipped. */
static float block_estimate(lull_true_peak *tp, const float *x, int frames, float floor)
{
    float b[BLOCK];
    interval_bounds(tp, x, frames, b);
    float best = floor;
    for (int j = 0; j < frames; j++) {
        if (!(b[j] > best))
            continue;
        tp->estimated_intervals++;
        best = max_f(best, interval_estimate(tp, x + j));
    }
    return best;
}

float lull_true_peak_block_estimate(const lull_true_peak *tp, const float *x, int frames)
{
    float best = 0.0f;
    for (int j = 0; j < frames; j++)
        best = max_f(best, interval_estimate(tp, x + j));
    return best;
}

float lull_true_peak_interval_estimate(const lull_true_peak *tp, const float *x)
{
    return interval_estimate(tp, x);
}

void lull_true_peak_interval_bounds(const lull_true_peak *tp, const float *x, int frames, float *out)
{
    interval_bounds(tp, x, frames, out);
}

/* Look at every block whose bound can be made: the last sample it reads
 * is x[next + 2 * BLOCK]. */
static void run_blocks(lull_true_peak *tp)
{
    int nb = 0;
    while (tp->next + nb * BLOCK + LOOKAHEAD <= tp->fill)
        nb++;
    if (nb == 0)
        return;
    /* Statistics of the blocks from the one before the first to the one
     * after the last (stat k is the block at next + (k - 1) * BLOCK). */
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < nb + 2; k++)
            block_stats(tp->x[c] + tp->next + (k - 1) * BLOCK, &tp->mag[c][k], &tp->curv_max[c][k]);
    int first = 0, first_c = 0;
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < nb; b++) {
            const float v = bound_from_stats(tp, tp->mag[c] + b, tp->curv_max[c] + b,
                                             tp->x[c][tp->next + (b + 1) * BLOCK]);
            tp->bound[c][b] = v;
            if (v > tp->bound[first_c][first]) {
                first = b;
                first_c = c;
            }
        }
    tp->blocks += 2 * nb;
    /* The most promising block first, then the rest in order. */
    for (int pass = 0; pass < 2; pass++)
        for (int c = 0; c < 2; c++)
            for (int b = 0; b < nb; b++) {
                const int is_first = b == first && c == first_c;
                if (pass == 0 ? !is_first : is_first)
                    continue;
                if (!tp->exhaustive && !(tp->bound[c][b] > tp->run_max))
                    continue;
                tp->estimated++;
                tp->estimated_intervals += tp->exhaustive ? BLOCK : 0;
                const float *x = tp->x[c] + tp->next + b * BLOCK;
                tp->run_max = tp->exhaustive ? max_f(tp->run_max, lull_true_peak_block_estimate(tp, x, BLOCK))
                                             : block_estimate(tp, x, BLOCK, tp->run_max);
            }
    tp->next += nb * BLOCK;
}

/* Keep HISTORY frames before the next block; drop the rest. */
static void compact(lull_true_peak *tp)
{
    const int drop = tp->next - HISTORY;
    if (drop <= 0)
        return;
    for (int c = 0; c < 2; c++)
        memmove(tp->x[c], tp->x[c] + drop, sizeof(float) * (size_t)(tp->fill - drop));
    tp->fill -= drop;
    tp->next -= drop;
}

void lull_true_peak_add(lull_true_peak *tp, const float *lr, int n)
{
    while (n > 0 && !tp->ended) {
        int take = CAPACITY - tp->fill;
        take = take < n ? take : n;
        float *l = tp->x[0] + tp->fill, *r = tp->x[1] + tp->fill;
        uint32_t peak = lull_abs_bits(tp->sample_peak);
        for (int i = 0; i < take; i++) {
            l[i] = lr[2 * i];
            r[i] = lr[2 * i + 1];
            const uint32_t a = lull_abs_bits(l[i]), b = lull_abs_bits(r[i]);
            peak = a > peak ? a : peak;
            peak = b > peak ? b : peak;
        }
        tp->sample_peak = lull_from_bits(peak);
        tp->run_max = max_f(tp->run_max, tp->sample_peak);
        tp->fill += take;
        lr += 2 * take;
        n -= take;
        if (tp->fill == CAPACITY) {
            run_blocks(tp);
            compact(tp);
        }
    }
}

void lull_true_peak_result(lull_true_peak *tp, double *true_peak, double *sample_peak)
{
    if (!tp->ended) {
        /* Silence after the last frame: enough of it that the last
         * interval (last frame to silence) is in a block with its window. */
        run_blocks(tp);
        compact(tp);
        const int last = tp->fill - 1; /* the last interval is (last, last + 1) */
        const int need = tp->next + ((last - tp->next) / BLOCK) * BLOCK + LOOKAHEAD;
        for (int c = 0; c < 2; c++)
            memset(tp->x[c] + tp->fill, 0, sizeof(float) * (size_t)(need - tp->fill));
        tp->fill = need;
        run_blocks(tp);
        tp->ended = 1;
    }
    if (true_peak)
        *true_peak = (double)tp->run_max;
    if (sample_peak)
        *sample_peak = (double)tp->sample_peak;
}
