/*
 * test_pacer.c - the breathing pacer, driven through its class table
 * (tests/voice_harness.h) and through the engine from a script (the
 * `rate=N/min` shorthand and a gliding breath), and measured.
 *
 * Breath timing is read off the level envelope: the mean square of each 1 ms
 * block, smoothed by a 51 ms Hann window (which removes the tone's ripple at
 * twice its frequency by more than 80 dB), gives the level every
 * millisecond; its crossings of the half-way level (b = 1/2, halfway through
 * each inhale and each exhale) are interpolated between blocks.  The
 * symmetric window does not shift a crossing that sits at the envelope's
 * inflection point, which is where b = 1/2 falls.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "check.h"
#include "lull.h"
#include "lull_voice.h"
#include "voice_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define RATE 48000.0
#define BLOCK 48 /* 1 ms */
#define SMOOTH 51

enum { INHALE = 0, EXHALE, HOLD, HOLD_OUT, TONE, DEPTH, GAIN, LOW };

static const lull_voice_class *vc = &lull_voice_pacer;

typedef struct crossings {
    double up[256], down[256]; /* seconds */
    int n_up, n_down;
} crossings;

/* Mid-inhale (up) and mid-exhale (down) crossings of the level for a voice
 * of peak `gain` and bottom level `low` (linear, relative). */
static void breath_crossings(const float *x, long n, double gain, double low, crossings *c)
{
    const long nb = n / BLOCK;
    double *pw = calloc((size_t)nb, sizeof *pw), *amp = calloc((size_t)nb, sizeof *amp);
    double w[SMOOTH], wsum = 0.0;
    for (int k = 0; k < SMOOTH; k++) {
        w[k] = 0.5 - 0.5 * cos(2.0 * PI * (k + 1) / (SMOOTH + 1));
        wsum += w[k];
    }
    for (long b = 0; b < nb; b++) {
        double s = 0.0;
        for (int i = 0; i < BLOCK; i++)
            s += (double)x[b * BLOCK + i] * x[b * BLOCK + i];
        pw[b] = s / BLOCK;
    }
    for (long b = 0; b < nb; b++) {
        double s = 0.0;
        for (int k = 0; k < SMOOTH; k++) {
            long j = b + k - SMOOTH / 2;
            j = j < 0 ? 0 : j >= nb ? nb - 1 : j;
            s += w[k] * pw[j];
        }
        amp[b] = sqrt(2.0 * s / wsum) / gain;
    }
    const double mid = low + (1.0 - low) * 0.5;
    const double lo_arm = low + (1.0 - low) * 0.2, hi_arm = low + (1.0 - low) * 0.8;
    int armed_up = 0, armed_down = 0;
    c->n_up = c->n_down = 0;
    for (long b = SMOOTH; b < nb - SMOOTH; b++) {
        armed_up |= amp[b] < lo_arm;
        armed_down |= amp[b] > hi_arm;
        const double frac = (mid - amp[b - 1]) / (amp[b] - amp[b - 1]);
        const double t = ((double)(b - 1) + frac) * BLOCK / RATE + (BLOCK - 1) / (2.0 * RATE);
        if (armed_up && amp[b - 1] < mid && amp[b] >= mid && c->n_up < 256) {
            c->up[c->n_up++] = t;
            armed_up = 0;
        }
        if (armed_down && amp[b - 1] >= mid && amp[b] < mid && c->n_down < 256) {
            c->down[c->n_down++] = t;
            armed_down = 0;
        }
    }
    free(pw);
    free(amp);
}

static void test_class(void)
{
    static const char *const names[] = { "inhale", "exhale", "hold", "hold-out", "tone", "depth", "gain", "low" };
    failures += vh_check_class(vc, "pacer", names, 8);
    CHECK(vc->params[INHALE].def == 4.0 && vc->params[EXHALE].def == 6.0 && vc->params[HOLD].def == 0.0
              && vc->params[TONE].def == 220.0,
          "defaults inhale=4s exhale=6s hold=0s tone=220Hz");
}

/* Steady breathing with holds: timing, pitch and level at the top and the
 * bottom of the breath, click bound. */
static void test_steady(double in, double hold, double ex, double hold_out)
{
    const double period = in + hold + ex + hold_out;
    const long n = (long)((6.0 * period + 1.0) * RATE);
    const double gain = 0.5, low = 0.25, depth = 3.0;
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, INHALE, in);
    vh_set(&s, EXHALE, ex);
    vh_set(&s, HOLD, hold);
    vh_set(&s, HOLD_OUT, hold_out);
    vh_set(&s, TONE, 220.0);
    vh_set(&s, DEPTH, depth);
    vh_set(&s, GAIN, gain);
    vh_set(&s, LOW, low);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_RANDOM);
    CHECK(memcmp(L, R, (size_t)n * sizeof(float)) == 0, "both ears must be identical");

    crossings c;
    breath_crossings(L, n, gain, low, &c);
    double worst = 0.0;
    for (int k = 0; k < c.n_up; k++)
        worst = fmax(worst, fabs(c.up[k] - (in / 2 + k * period)));
    for (int k = 0; k < c.n_down; k++)
        worst = fmax(worst, fabs(c.down[k] - (in + hold + ex / 2 + k * period)));
    const double measured = c.n_up > 1 ? (c.up[c.n_up - 1] - c.up[0]) / (c.n_up - 1) : 0;
    printf("inhale %g hold %g exhale %g hold-out %g: %d breaths, period %.5f s (%.5f), "
           "worst mid-inhale/mid-exhale timing error %.3f ms\n",
           in, hold, ex, hold_out, c.n_up, measured, period, worst * 1e3);
    CHECK(c.n_up >= 5 && c.n_down >= 5, "breaths found");
    CHECK(fabs(measured - period) < 0.002, "period %.5f, want %g", measured, period);
    CHECK(worst < 0.003, "breath timing");

    if (hold >= 1.0 && hold_out >= 1.0) {
        /* The middle of the 2nd cycle's hold and hold-out: steady tones. */
        const long top0 = (long)((period + in + 0.1) * RATE), top1 = (long)((period + in + hold - 0.1) * RATE);
        const long bot0 = (long)((2 * period - hold_out + 0.1) * RATE), bot1 = (long)((2 * period - 0.1) * RATE);
        const double f_top = an_estimate_frequency(L + top0, (size_t)(top1 - top0), RATE);
        const double f_bot = an_estimate_frequency(L + bot0, (size_t)(bot1 - bot0), RATE);
        const double a_top = an_rms(L, (size_t)top0, (size_t)top1) * sqrt(2.0);
        const double a_bot = an_rms(L, (size_t)bot0, (size_t)bot1) * sqrt(2.0);
        const double f_top_want = 220.0 * pow(2.0, depth / 12.0);
        printf("  top of breath %.5f Hz (%.5f), level %.5f (%.3f); bottom %.5f Hz (220), level "
               "%.5f (%.3f)\n",
               f_top, f_top_want, a_top, gain, f_bot, a_bot, gain * low);
        CHECK(fabs(f_top - f_top_want) < 0.01 && fabs(f_bot - 220.0) < 0.01, "pitch at top/bottom");
        CHECK(fabs(a_top - gain) < 0.005 * gain && fabs(a_bot - gain * low) < 0.005 * gain * low,
              "level at top/bottom");
    }

    /* No clicks: tone slope at the top pitch plus the level's own slope. */
    const double f_top = 220.0 * pow(2.0, depth / 12.0);
    const double bound = gain * (2.0 * PI * f_top + (1.0 - low) * PI / (2.0 * fmin(in, ex))) / RATE + 1e-5;
    const double jump = an_max_jump(L, (size_t)n, NULL);
    printf("  largest jump %.6f (bound %.6f)\n", jump, bound);
    CHECK(jump <= bound, "click");
    free(st);
    free(L);
    free(R);
}

/* The documented timing model, integrated independently of the voice with a
 * fine time step: each stage advances at 1/D(t), D(t) its scripted length at
 * that instant.  Predicts every mid-inhale (up) and mid-exhale (down)
 * crossing; `durations(t, d)` fills inhale, hold, exhale, hold-out. */
typedef void (*durations_fn)(double t, double *d);

static void predict(durations_fn durations, double t_end, crossings *c)
{
    const double dt = 1e-4;
    int stage = 0;
    double x = 0.0;
    c->n_up = c->n_down = 0;
    for (double t = 0.0; t < t_end; t += dt) {
        double d[4];
        durations(t + 0.5 * dt, d);
        double left = dt, now = t;
        while (left > 0.0) {
            const double rem = (1.0 - x) * d[stage];
            const double was = x;
            if (left < rem) {
                x += left / d[stage];
                left = 0.0;
            } else {
                left -= rem;
                x = 1.0;
            }
            if ((stage == 0 || stage == 2) && was < 0.5 && x >= 0.5) {
                const double at = now + (0.5 - was) * d[stage];
                if (stage == 0 && c->n_up < 256)
                    c->up[c->n_up++] = at;
                if (stage == 2 && c->n_down < 256)
                    c->down[c->n_down++] = at;
            }
            now += (x - was) * d[stage];
            if (x >= 1.0) {
                stage = (stage + 1) % 4;
                x = 0.0;
            }
        }
    }
}

/* Measured against predicted crossings; returns the worst difference (s). */
static double check_timing(const crossings *got, durations_fn durations, double t_end,
                           const char *what)
{
    crossings want;
    predict(durations, t_end, &want);
    double worst = 0.0;
    int n = 0;
    for (int k = 0; k < got->n_up && k < want.n_up; k++, n++)
        worst = fmax(worst, fabs(got->up[k] - want.up[k]));
    for (int k = 0; k < got->n_down && k < want.n_down; k++)
        worst = fmax(worst, fabs(got->down[k] - want.down[k]));
    if (got->n_up < want.n_up - 1 || got->n_down < want.n_down - 1)
        worst = 1e9; /* breaths missing */
    /* Periods, mid-inhale to mid-inhale, for the report. */
    double p_first = got->n_up > 1 ? got->up[1] - got->up[0] : 0;
    double p_last = got->n_up > 1 ? got->up[got->n_up - 1] - got->up[got->n_up - 2] : 0;
    printf("%s: %d breaths (predicted %d), first period %.4f s, last %.4f s, worst crossing "
           "time error %.3f ms\n",
           what, got->n_up, want.n_up, p_first, p_last, worst * 1e3);
    return worst;
}

/* The brief's example: from inhale=4s exhale=6s, `0:20 breath inhale=5s
 * exhale=7s over 2m`. */
static void glide_durations(double t, double *d)
{
    const double u = t < 20.0 ? 0.0 : t > 140.0 ? 1.0 : (t - 20.0) / 120.0;
    d[0] = 4.0 + u;
    d[1] = 0.0;
    d[2] = 6.0 + u;
    d[3] = 0.0;
}

static void test_glide(void)
{
    const long n = (long)(200.0 * RATE);
    const double gain = 0.5, low = 0.25;
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, GAIN, gain);
    vh_set(&s, LOW, low);
    vh_glide(&s, INHALE, 5.0, (long)(20 * RATE), (long)(120 * RATE));
    vh_glide(&s, EXHALE, 7.0, (long)(20 * RATE), (long)(120 * RATE));
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_SEGMENT);
    crossings c;
    breath_crossings(L, n, gain, low, &c);
    const double worst = check_timing(&c, glide_durations, 200.0, "glide 4+6 s -> 5+7 s over 2 min");
    CHECK(c.n_up >= 16 && worst < 0.003, "breath timing during and after the glide");
    /* After the glide: every breath lasts exactly 5 + 7 s. */
    double worst_after = 0.0;
    for (int k = 1; k < c.n_up; k++)
        if (c.up[k - 1] > 140.0)
            worst_after = fmax(worst_after, fabs(c.up[k] - c.up[k - 1] - 12.0));
    printf("  after the glide: periods within %.3f ms of 12 s\n", worst_after * 1e3);
    CHECK(worst_after < 0.002, "period after the glide");
    const double bound = gain * (2.0 * PI * 220.0 * pow(2.0, 0.25) + (1.0 - low) * PI / 8.0) / RATE + 1e-5;
    const double jump = an_max_jump(L, (size_t)n, NULL);
    printf("  largest jump %.6f (bound %.6f)\n", jump, bound);
    CHECK(jump <= bound, "click during the glide");
    free(st);
    free(L);
    free(R);

    /* A glide of every parameter at once, for split invariance. */
    vh_sched g = vh_defaults(vc);
    vh_glide(&g, INHALE, 2.0, 0, 400000);
    vh_glide(&g, EXHALE, 3.0, 0, 400000);
    vh_glide(&g, HOLD, 1.0, 0, 300000);
    vh_glide(&g, HOLD_OUT, 0.5, 100000, 300000);
    vh_glide(&g, TONE, 300.0, 0, 400000);
    vh_glide(&g, DEPTH, 7.0, 0, 400000);
    vh_glide(&g, GAIN, 0.8, 0, 400000);
    vh_glide(&g, LOW, 0.0, 0, 400000);
    CHECK(vh_split_invariant(vc, RATE, &g, 720000), "split invariance");
}

/* ---- through the engine, from a script -------------------------------- */

static lull_script *load(const char *text)
{
    lull_script *s = NULL;
    const int r = lull_script_load_string(text, strlen(text), "pacer-test.lull", NULL, &s);
    if (r != LULL_OK)
        printf("load failed: %s\n", lull_last_error());
    return s;
}

static float *render_left(const lull_script *s, long *frames)
{
    lull_engine_config cfg = lull_engine_config_init();
    cfg.rate_hz = (int)RATE;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &cfg, &e) != LULL_OK)
        return NULL;
    const long n = (long)lull_engine_length_frames(e);
    float *L = check_buf(n), *io = check_buf(2 * 1000);
    for (long t = 0; t < n; t += 1000) {
        const int k = (int)(n - t < 1000 ? n - t : 1000);
        lull_engine_process(e, io, k);
        for (int i = 0; i < k; i++)
            L[t + i] = io[2 * i];
    }
    free(io);
    lull_engine_destroy(&e);
    *frames = n;
    return L;
}

/* rate=10/min is 6 s a breath; gliding to rate=6/min over 4 min from 0:30
 * stretches it linearly to 10 s. */
static double rate_period(double t)
{
    return t < 30.0 ? 6.0 : t > 270.0 ? 10.0 : 6.0 + 4.0 * (t - 30.0) / 240.0;
}

static void rate_durations(double t, double *d)
{
    d[0] = 0.4 * rate_period(t);
    d[1] = 0.0;
    d[2] = 0.6 * rate_period(t);
    d[3] = 0.0;
}

static void test_script(void)
{
    lull_script *s = load("voice breath pacer rate=10/min tone=200Hz depth=4 gain=-10dB low=-12dB\n"
                          "0:30 breath rate=6/min over 4m\n"
                          "6:00 end\n");
    CHECK(s != NULL, "script with rate=N/min loads");
    if (!s)
        return;
    long n = 0;
    float *L = render_left(s, &n);
    CHECK(L != NULL, "engine");
    if (L) {
        crossings c;
        breath_crossings(L, n - (long)RATE, pow(10.0, -10.0 / 20.0), pow(10.0, -12.0 / 20.0), &c);
        const double worst = check_timing(&c, rate_durations, (double)n / RATE - 1.0,
                                          "script rate=10/min -> 6/min over 4m");
        CHECK(c.n_up >= 40 && worst < 0.003, "rate shorthand breath timing");
        /* The breath's period, measured from one breath's start to the next
         * (start = mid-inhale less half the inhale), against 60/rate as it
         * stands at the breath's middle: the 40:60 split keeps both stages
         * gliding in step, so the two agree to second order. */
        double worst_period = 0.0;
        for (int k = 1; k < c.n_up; k++) {
            const double s0 = c.up[k - 1] - 0.2 * rate_period(c.up[k - 1] - 0.1 * rate_period(c.up[k - 1]));
            const double s1 = c.up[k] - 0.2 * rate_period(c.up[k] - 0.1 * rate_period(c.up[k]));
            if ((s0 < 30.0 && s1 > 30.0) || (s0 < 270.0 && s1 > 270.0))
                continue; /* across a corner of the glide, "the rate" is no single line */
            worst_period = fmax(worst_period, fabs(s1 - s0 - rate_period(0.5 * (s0 + s1))));
        }
        printf("  breath periods within %.3f ms of 60/rate at each breath's middle\n",
               worst_period * 1e3);
        CHECK(worst_period < 0.003, "rate shorthand period");
        /* 40:60 split: mid-exhale comes inhale/2 + exhale/2 = period/2 after
         * mid-inhale, in the steady part at the start (period 6 s). */
        CHECK(c.n_down > 0 && fabs(c.down[0] - c.up[0] - 3.0) < 0.003, "inhale:exhale 40:60");
        free(L);
    }
    lull_script_free(&s);

    /* Errors, with their column. */
    struct {
        const char *text;
        int col;
    } bad[] = {
        { "voice b pacer rate=6\n1:00 end\n", 20 },
        { "voice b pacer rate=50/min\n1:00 end\n", 20 },
        { "voice b pacer rate=0.5/min\n1:00 end\n", 20 },
        { "voice b pacer\n0:10 b rate=6/m\n1:00 end\n", 13 },
        { "voice b pacer\n0:10 b rate=fast/min\n1:00 end\n", 13 },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        lull_script *x = NULL;
        const int r = lull_script_load_string(bad[i].text, strlen(bad[i].text), "t.lull", NULL, &x);
        char want[32];
        snprintf(want, sizeof want, ":%d: ", bad[i].col);
        const char *err = lull_last_error();
        printf("error case %zu: %s\n", i, err);
        CHECK(r == LULL_ERR_SCRIPT && strstr(err, want) && strstr(err, "rate"), "rate error %zu", i);
        lull_script_free(&x);
    }
    /* isochronic keeps its own rate= (pulses per second, Hz). */
    lull_script *iso = load("voice p isochronic rate=4Hz\n1:00 end\n");
    CHECK(iso != NULL, "isochronic rate= is still its own parameter");
    lull_script_free(&iso);
}

static void test_fuzz(void)
{
    failures += vh_fuzz_check(vc, RATE, 4, 30.0, 2.0);
}

int main(void)
{
    test_class();
    test_steady(4.0, 0.0, 6.0, 0.0);
    test_steady(4.0, 2.0, 5.0, 3.0);
    test_steady(1.5, 0.0, 2.0, 0.0);
    test_glide();
    test_script();
    test_fuzz();
    return check_done("test_pacer");
}
