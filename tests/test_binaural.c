/*
 * test_binaural.c - the binaural voice, driven directly through its class
 * table the way the mixer drives it (control every LULL_CONTROL_FRAMES, then
 * one or more process calls), and measured.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "lull_voice.h"
#include "osc.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PI 3.14159265358979323846
#define RATE 48000.0

static int failures;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
            failures++;                                    \
        }                                                  \
    } while (0)

static const lull_voice_class *vc = &lull_voice_binaural;

/* Parameter values (voice units) at absolute frame t of a glide from a to b
 * lasting glide_frames (held at b afterwards). */
typedef struct glide {
    double a[3], b[3];
    long glide_frames;
} glide;

static void glide_at(const glide *g, long t, double *v)
{
    const double u = t >= g->glide_frames ? 1.0 : (double)t / (double)g->glide_frames;
    for (int i = 0; i < 3; i++)
        v[i] = g->a[i] + (g->b[i] - g->a[i]) * u;
}

static uint32_t split_rng = 1;
static int random_chunk(int left)
{
    split_rng = split_rng * 1664525u + 1013904223u;
    return 1 + (int)((split_rng >> 16) % (uint32_t)left);
}

/* Render frames [t0, t0+n) into L/R (added).  split: 0 = one process call per
 * segment, 1 = random splits, 2 = one frame per call. */
static void render(void *st, const glide *g, long t0, long n, float *L, float *R, int split)
{
    long t = t0;
    while (t < t0 + n) {
        /* Segments on an absolute grid, as the mixer does. */
        long seg_end = (t / LULL_CONTROL_FRAMES + 1) * LULL_CONTROL_FRAMES;
        if (seg_end > t0 + n)
            seg_end = t0 + n;
        const int frames = (int)(seg_end - t);
        double from[3], to[3];
        glide_at(g, t, from);
        glide_at(g, seg_end, to);
        vc->control(st, from, to, frames);
        int done = 0;
        while (done < frames) {
            int k = frames - done;
            if (split == 1)
                k = random_chunk(k);
            else if (split == 2)
                k = 1;
            vc->process(st, L + (t - t0) + done, R + (t - t0) + done, k);
            done += k;
        }
        t = seg_end;
    }
}

static void *new_voice(const double *values)
{
    void *st = malloc(vc->state_size);
    lull_voice_ctx ctx = { RATE, 1 };
    vc->init(st, &ctx, values);
    return st;
}

static void test_class(void)
{
    CHECK(strcmp(vc->kind, "binaural") == 0, "kind");
    CHECK(vc->n_params == 3, "n_params");
    CHECK(lull_voice_find("binaural") == vc, "registry");
    CHECK(lull_voice_find("nope") == NULL, "registry unknown");
    CHECK(lull_voice_param_index(vc, "carrier") == 0 && lull_voice_param_index(vc, "beat") == 1
          && lull_voice_param_index(vc, "gain") == 2 && lull_voice_param_index(vc, "x") == -1,
          "param order");
    CHECK(vc->params[0].min == 20 && vc->params[0].max == 1500 && vc->params[0].def == 200, "carrier");
    CHECK(vc->params[1].min == 0 && vc->params[1].max == 40 && vc->params[1].def == 10, "beat");
    CHECK(vc->params[2].unit == LULL_UNIT_GAIN && vc->params[2].def == -12, "gain");
}

static void test_table(void)
{
    lull_osc_init_table();
    double err = 0.0;
    uint64_t ph = 0x123456789ABCDEFull;
    for (int i = 0; i < 2000000; i++) {
        ph = ph * 6364136223846793005ull + 1442695040888963407ull;
        const double ref = sin(2.0 * PI * (double)ph * 0x1p-64);
        err = fmax(err, fabs((double)lull_osc_sine(ph) - ref));
    }
    printf("table sine: max error %.3g (%.1f dB)\n", err, 20.0 * log10(err));
    CHECK(err < 1e-6, "sine table error %g", err);
    CHECK(lull_osc_sine(0) == 0.0f && lull_osc_sine(1ull << 62) == 1.0f, "exact points");
}

static void test_steady(void)
{
    const long n = 480000; /* 10 s */
    float *L = calloc((size_t)n, sizeof *L), *R = calloc((size_t)n, sizeof *R);
    glide g = { { 200, 10, 0.5 }, { 200, 10, 0.5 }, 1 };
    void *st = new_voice(g.a);
    render(st, &g, 0, n, L, R, 0);
    const double fl = an_estimate_frequency(L, (size_t)n, RATE);
    const double fr = an_estimate_frequency(R, (size_t)n, RATE);
    const double al = an_goertzel_amplitude(L, (size_t)n, 195.0, RATE);
    const double ar = an_goertzel_amplitude(R, (size_t)n, 205.0, RATE);
    printf("steady 200/10: left %.7f Hz, right %.7f Hz, beat %.7f Hz, amplitude %.6f %.6f\n",
           fl, fr, fr - fl, al, ar);
    CHECK(fabs(fl - 195.0) < 0.01 && fabs(fr - 205.0) < 0.01, "ear frequencies");
    CHECK(fabs(fr - fl - 10.0) < 0.01, "beat");
    CHECK(fabs(al - 0.5) < 1e-4 && fabs(ar - 0.5) < 1e-4, "amplitude");
    CHECK(L[0] == 0.0f && R[0] == 0.0f, "phases start at 0");

    /* process adds: render onto a buffer of ones */
    for (long i = 0; i < 4800; i++)
        L[i] = R[i] = 1.0f;
    float *L2 = calloc(4800, sizeof *L2), *R2 = calloc(4800, sizeof *R2);
    vc->init(st, &(lull_voice_ctx){ RATE, 1 }, g.a);
    render(st, &g, 0, 4800, L, R, 0);
    vc->init(st, &(lull_voice_ctx){ RATE, 1 }, g.a);
    render(st, &g, 0, 4800, L2, R2, 0);
    int adds = 1;
    for (long i = 0; i < 4800; i++)
        adds &= L[i] == 1.0f + L2[i] && R[i] == 1.0f + R2[i];
    CHECK(adds, "process must add into the buffers");

    /* beat 0: identical ears */
    glide g0 = { { 300, 0, 0.25 }, { 300, 0, 0.25 }, 1 };
    memset(L, 0, 4800 * sizeof *L);
    memset(R, 0, 4800 * sizeof *R);
    vc->init(st, &(lull_voice_ctx){ RATE, 1 }, g0.a);
    render(st, &g0, 0, 4800, L, R, 1);
    CHECK(memcmp(L, R, 4800 * sizeof *L) == 0, "beat 0 gives identical ears");
    free(L2);
    free(R2);
    free(L);
    free(R);
    free(st);
}

static void test_glide_and_splits(void)
{
    const long glide_n = 240000, hold_n = 480000, n = glide_n + hold_n;
    float *L[3], *R[3];
    /* 195 -> 398 Hz left, 205 -> 402 Hz right, gain 0.1 -> 0.5 over 5 s */
    glide g = { { 200, 10, 0.1 }, { 400, 4, 0.5 }, glide_n };
    for (int s = 0; s < 3; s++) {
        L[s] = calloc((size_t)n, sizeof(float));
        R[s] = calloc((size_t)n, sizeof(float));
        void *st = new_voice(g.a);
        render(st, &g, 0, n, L[s], R[s], s);
        free(st);
    }
    const int same1 = memcmp(L[0], L[1], (size_t)n * sizeof(float)) == 0
                      && memcmp(R[0], R[1], (size_t)n * sizeof(float)) == 0;
    const int same2 = memcmp(L[0], L[2], (size_t)n * sizeof(float)) == 0
                      && memcmp(R[0], R[2], (size_t)n * sizeof(float)) == 0;
    printf("split invariance: random splits %s, one-frame calls %s\n",
           same1 ? "bit-identical" : "DIFFER", same2 ? "bit-identical" : "DIFFER");
    CHECK(same1 && same2, "output depends on process splits");

    /* Ends on target: the hold after the glide. */
    const double fl = an_estimate_frequency(L[0] + glide_n, (size_t)hold_n, RATE);
    const double fr = an_estimate_frequency(R[0] + glide_n, (size_t)hold_n, RATE);
    printf("after glide: left %.7f Hz (398), right %.7f Hz (402), beat %.7f\n", fl, fr, fr - fl);
    CHECK(fabs(fl - 398.0) < 0.01 && fabs(fr - 402.0) < 0.01 && fabs(fr - fl - 4.0) < 0.01,
          "glide target");

    /* Phase at the end of the glide equals the integral of the linear
     * frequency ramp: sum_k f(k)/rate over the glide frames. */
    const double cyc_l = (double)glide_n * 195.0 / RATE
                         + (398.0 - 195.0) * (double)(glide_n - 1) / (2.0 * RATE);
    const double cyc_r = (double)glide_n * 205.0 / RATE
                         + (402.0 - 205.0) * (double)(glide_n - 1) / (2.0 * RATE);
    const double exp_l = 0.5 * sin(2.0 * PI * (cyc_l - floor(cyc_l)));
    const double exp_r = 0.5 * sin(2.0 * PI * (cyc_r - floor(cyc_r)));
    printf("phase at glide end: left %.6f (expected %.6f), right %.6f (expected %.6f)\n",
           L[0][glide_n], exp_l, R[0][glide_n], exp_r);
    CHECK(fabs(L[0][glide_n] - exp_l) < 1e-4 && fabs(R[0][glide_n] - exp_r) < 1e-4,
          "glide phase trajectory");

    /* No clicks: the largest step is what the fastest sine can do. */
    size_t at_l, at_r;
    const double jl = an_max_jump(L[0], (size_t)n, &at_l);
    const double jr = an_max_jump(R[0], (size_t)n, &at_r);
    const double bound_l = 2.0 * PI * 398.0 / RATE * 0.5 + 1e-5;
    const double bound_r = 2.0 * PI * 402.0 / RATE * 0.5 + 1e-5;
    printf("largest jump: left %.6f (bound %.6f), right %.6f (bound %.6f)\n", jl, bound_l, jr, bound_r);
    CHECK(jl <= bound_l && jr <= bound_r, "click");
    for (int s = 0; s < 3; s++) {
        free(L[s]);
        free(R[s]);
    }
}

static void test_precision(void)
{
    /* Analytic: the increment quantisation over 8 hours. */
    const double rates[] = { 44100.0, 48000.0, 96000.0 };
    const double cases[][2] = { { 200, 10 }, { 1500, 0.5 }, { 20, 40 }, { 333.3333, 3.3333 }, { 100, 7.83 } };
    double worst_hz = 0.0;
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 5; c++) {
            const double fl = lull_osc_increment_hz(
                lull_osc_increment(cases[c][0] - cases[c][1] / 2, rates[r]), rates[r]);
            const double fr = lull_osc_increment_hz(
                lull_osc_increment(cases[c][0] + cases[c][1] / 2, rates[r]), rates[r]);
            worst_hz = fmax(worst_hz, fabs(fr - fl - cases[c][1]));
            worst_hz = fmax(worst_hz, fabs(fl - (cases[c][0] - cases[c][1] / 2)));
        }
    printf("increment precision: worst frequency/beat error %.3g Hz; over 8 h that is %.3g cycles\n",
           worst_hz, worst_hz * 8 * 3600);
    CHECK(worst_hz < 1e-9, "increment precision");

    /* Rendered: advance one hour (control every 32 frames as the mixer
     * does), then check the next 10 s against the exact phase predicted from
     * the integer increment, and measure the frequencies. */
    glide g = { { 200, 10, 0.5 }, { 200, 10, 0.5 }, 1 };
    void *st = new_voice(g.a);
    const long hour = (long)RATE * 3600, tail = 480000;
    float *L = calloc((size_t)tail, sizeof *L), *R = calloc((size_t)tail, sizeof *R);
    float scratch_l[4096], scratch_r[4096];
    const clock_t c0 = clock();
    for (long t = 0; t < hour; t += 4096)
        render(st, &g, t, hour - t < 4096 ? hour - t : 4096, scratch_l, scratch_r, 0);
    render(st, &g, hour, tail, L, R, 0);
    const double secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
    const uint64_t inc_l = (uint64_t)lull_osc_increment(195.0, RATE);
    const uint64_t inc_r = (uint64_t)lull_osc_increment(205.0, RATE);
    double err = 0.0;
    for (long i = 0; i < tail; i++) {
        const uint64_t frame = (uint64_t)(hour + i);
        const double pl = (double)(frame * inc_l) * 0x1p-64, pr = (double)(frame * inc_r) * 0x1p-64;
        err = fmax(err, fabs(L[i] - 0.5 * sin(2.0 * PI * pl)));
        err = fmax(err, fabs(R[i] - 0.5 * sin(2.0 * PI * pr)));
    }
    const double fl = an_estimate_frequency(L, (size_t)tail, RATE);
    const double fr = an_estimate_frequency(R, (size_t)tail, RATE);
    printf("after 1 h (%.2f s CPU, %.0fx real time): left %.7f right %.7f beat %.7f Hz; "
           "max deviation from exact phase %.2g\n",
           secs, 3610.0 / secs, fl, fr, fr - fl, err);
    CHECK(fabs(fl - 195.0) < 0.001 && fabs(fr - 205.0) < 0.001 && fabs(fr - fl - 10.0) < 0.001,
          "long-run frequency");
    CHECK(err < 2e-6, "phase drift after 1 h: %g", err);
    free(L);
    free(R);
    free(st);
}

int main(void)
{
    test_class();
    test_table();
    test_steady();
    test_glide_and_splits();
    test_precision();
    if (failures) {
        printf("test_binaural: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_binaural: all passed\n");
    return 0;
}
