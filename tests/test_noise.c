/*
 * test_noise.c - the noise voice: spectral slope per colour at several
 * rates (Welch averaging, 1/3-octave bands), level convention, ear
 * decorrelation, determinism, split invariance, DC stability.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "hot.h"
#include "lull_voice.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static const lull_voice_class *vc = &lull_voice_noise;
static const char *const color_name[] = { "white", "pink", "brown" };

static uint32_t split_rng = 7;

/* Create and render n frames at constant gain; split: 0 = one process call
 * per 32-frame segment, 1 = random splits. */
static void render(double rate_hz, uint64_t seed, int color, double gain, long n,
                   float *L, float *R, int split, double *init_ms)
{
    void *st = malloc(vc->state_size);
    const lull_voice_ctx ctx = { rate_hz, seed };
    const double values[2] = { (double)color, gain };
    const clock_t c0 = clock();
    vc->init(st, &ctx, values);
    if (init_ms)
        *init_ms = 1000.0 * (double)(clock() - c0) / CLOCKS_PER_SEC;
    for (long t = 0; t < n; t += LULL_CONTROL_FRAMES) {
        const int frames = n - t < LULL_CONTROL_FRAMES ? (int)(n - t) : LULL_CONTROL_FRAMES;
        vc->control(st, values, values, frames);
        int done = 0;
        while (done < frames) {
            int k = frames - done;
            if (split) {
                split_rng = split_rng * 1664525u + 1013904223u;
                k = 1 + (int)((split_rng >> 16) % (uint32_t)k);
            }
            vc->process(st, L + t + done, R + t + done, k);
            done += k;
        }
    }
    free(st);
}

static double correlation(const float *a, const float *b, long n, int diff)
{
    double sab = 0, saa = 0, sbb = 0;
    for (long i = diff; i < n; i++) {
        const double x = diff ? (double)a[i] - a[i - 1] : a[i];
        const double y = diff ? (double)b[i] - b[i - 1] : b[i];
        sab += x * y;
        saa += x * x;
        sbb += y * y;
    }
    return sab / sqrt(saa * sbb);
}

static void test_class(void)
{
    CHECK(strcmp(vc->kind, "noise") == 0 && lull_voice_find("noise") == vc, "kind");
    CHECK(vc->n_params == 2 && lull_voice_param_index(vc, "color") == 0
          && lull_voice_param_index(vc, "gain") == 1, "params");
    CHECK(vc->params[0].unit == LULL_UNIT_ENUM && vc->params[0].def == 1.0
          && strcmp(vc->params[0].choices[2], "brown") == 0 && vc->params[0].choices[3] == NULL,
          "color enum");
    CHECK(vc->params[1].def == -20.0 && vc->params[1].min == -120.0 && vc->params[1].max == 6.0,
          "gain");
}

/* Slopes, levels, decorrelation at one rate. */
static void test_rate(double rate_hz, double seconds)
{
    const long n = (long)(rate_hz * seconds);
    const size_t seg = rate_hz > 50000.0 ? 131072 : 65536;
    float *L = malloc((size_t)n * sizeof *L), *R = malloc((size_t)n * sizeof *R);
    double *psd = malloc((seg / 2 + 1) * sizeof *psd);
    const double ideal[] = { 0.0, -3.0103, -6.0206 };
    const double tol_db[] = { 0.5, 0.5, 0.5 };        /* +- about the ideal line */
    const double rms_tol_db[] = { 0.05, 0.1, 0.5 };   /* brown: few degrees of freedom */
    for (int c = 0; c < 3; c++) {
        memset(L, 0, (size_t)n * sizeof *L);
        memset(R, 0, (size_t)n * sizeof *R);
        double init_ms = 0.0;
        const clock_t c0 = clock();
        render(rate_hz, 0x5eed0000u + (uint64_t)c, c, 1.0, n, L, R, 0, &init_ms);
        const double render_s = (double)(clock() - c0) / CLOCKS_PER_SEC;
        int finite = 1;
        for (long i = 0; i < n; i++)
            finite &= isfinite(L[i]) && isfinite(R[i]);
        CHECK(finite, "non-finite output");
        /* Both ears have the same colour by construction; averaging their
         * spectra halves the variance of the estimate at the low bands. */
        an_welch_psd2(L, R, (size_t)n, seg, rate_hz, psd);
        an_slope s;
        an_fit_slope(psd, seg / 2 + 1, rate_hz / (double)seg, 20.0, 20000.0, 3.0, ideal[c], &s);
        const double rms_l = an_rms(L, 0, (size_t)n), rms_r = an_rms(R, 0, (size_t)n);
        const double db_l = 20.0 * log10(rms_l / sqrt(0.5)), db_r = 20.0 * log10(rms_r / sqrt(0.5));
        printf("%5.1f kHz %-5s: slope %+.3f dB/oct (ideal %+.3f), +-%.3f dB about the ideal line, "
               "%.3f dB max from fit (%d bands)\n"
               "               RMS L %.4f (%+.3f dB re sine) R %.4f (%+.3f dB); init %.1f ms, "
               "%.0fx real time\n",
               rate_hz / 1000.0, color_name[c], s.slope_db_per_oct, ideal[c], s.max_dev_ideal_db,
               s.max_dev_fit_db, s.n_bands, rms_l, db_l, rms_r, db_r, init_ms, seconds / render_s);
        CHECK(fabs(s.slope_db_per_oct - ideal[c]) < 0.05, "%s slope %g at %g", color_name[c],
              s.slope_db_per_oct, rate_hz);
        CHECK(s.max_dev_ideal_db <= tol_db[c], "%s deviation %g dB at %g", color_name[c],
              s.max_dev_ideal_db, rate_hz);
        CHECK(fabs(db_l) < rms_tol_db[c] && fabs(db_r) < rms_tol_db[c], "%s level %+.3f %+.3f dB",
              color_name[c], db_l, db_r);
        /* Independent ears: correlation of the signals' first differences
         * for pink and brown, whose power sits at a few Hz and leaves too few
         * degrees of freedom for a tight bound on the raw signals. */
        const double rho = correlation(L, R, n, c != 0);
        printf("%5.1f kHz %-5s L/R correlation %+.4f\n", rate_hz / 1000.0, color_name[c], rho);
        CHECK(fabs(rho) < 0.01, "%s ears correlated: %g", color_name[c], rho);
        /* DC: means over 10 s windows, relative to the RMS. */
        const double rms = an_rms(L, 0, (size_t)n);
        double worst = 0.0;
        const long win = (long)(10.0 * rate_hz);
        for (long t = 0; t + win <= n; t += win)
            worst = fmax(worst, fabs(an_mean(L, (size_t)t, (size_t)(t + win))) / rms);
        const double dc_tol[] = { 0.01, 0.15, 0.03 };
        printf("%5.1f kHz %-5s largest |mean| over 10 s windows: %.4f x RMS\n", rate_hz / 1000.0,
               color_name[c], worst);
        CHECK(worst < dc_tol[c], "%s DC wander %g", color_name[c], worst);
    }
    free(L);
    free(R);
    free(psd);
}

static void test_determinism(void)
{
    const long n = 48000;
    float *a[4], *b[4];
    for (int i = 0; i < 4; i++) {
        a[i] = calloc((size_t)n, sizeof(float));
        b[i] = calloc((size_t)n, sizeof(float));
    }
    for (int c = 0; c < 3; c++) {
        for (int i = 0; i < 4; i++) {
            memset(a[i], 0, (size_t)n * sizeof(float));
            memset(b[i], 0, (size_t)n * sizeof(float));
        }
        render(48000.0, 42, c, 0.5, n, a[0], b[0], 0, NULL);
        render(48000.0, 42, c, 0.5, n, a[1], b[1], 0, NULL);
        render(48000.0, 42, c, 0.5, n, a[2], b[2], 1, NULL);
        render(48000.0, 43, c, 0.5, n, a[3], b[3], 0, NULL);
        const size_t bytes = (size_t)n * sizeof(float);
        const int same_seed = !memcmp(a[0], a[1], bytes) && !memcmp(b[0], b[1], bytes);
        const int split_inv = !memcmp(a[0], a[2], bytes) && !memcmp(b[0], b[2], bytes);
        const int other_seed = memcmp(a[0], a[3], bytes) != 0 && memcmp(b[0], b[3], bytes) != 0;
        printf("%-5s same seed %s, random process splits %s, other seed %s\n", color_name[c],
               same_seed ? "bit-identical" : "DIFFERS", split_inv ? "bit-identical" : "DIFFER",
               other_seed ? "differs" : "IDENTICAL");
        CHECK(same_seed && split_inv && other_seed, "determinism (%s)", color_name[c]);
    }
    for (int i = 0; i < 4; i++) {
        free(a[i]);
        free(b[i]);
    }
}

/* A gain ramp is linear per sample and lands on its target. */
static void test_gain_ramp(void)
{
    void *st = malloc(vc->state_size);
    const lull_voice_ctx ctx = { 48000.0, 9 };
    float L[64] = { 0 }, R[64] = { 0 }, L2[64] = { 0 }, R2[64] = { 0 };
    const double from[2] = { 0.0, 0.0 }, to[2] = { 0.0, 1.0 }, hold[2] = { 0.0, 1.0 };
    vc->init(st, &ctx, from);
    vc->control(st, from, to, 32);
    vc->process(st, L, R, 32);
    vc->control(st, hold, hold, 32);
    vc->process(st, L + 32, R + 32, 32);
    vc->init(st, &ctx, hold);
    vc->control(st, hold, hold, 32);
    vc->process(st, L2, R2, 32);
    vc->control(st, hold, hold, 32);
    vc->process(st, L2 + 32, R2 + 32, 32);
    /* same seed, same source: the ramped output is the held one scaled */
    double err = 0.0;
    for (int i = 0; i < 64; i++) {
        const double g = i < 32 ? i / 32.0 : 1.0;
        err = fmax(err, fabs(L[i] - g * L2[i]));
    }
    printf("gain ramp: max error vs linear ramp %.2g\n", err);
    CHECK(L[0] == 0.0f && err < 1e-6, "gain ramp");
    free(st);
}

/* Five minutes of brown noise: the level does not creep. */
static void test_long_brown(void)
{
    const long n = 48000L * 300;
    float *L = calloc((size_t)n, sizeof *L), *R = calloc((size_t)n, sizeof *R);
    render(48000.0, 77, 2, 1.0, n, L, R, 0, NULL);
    double worst_mean = 0.0, rms_min = 1e9, rms_max = 0.0;
    for (long t = 0; t + 48000L * 60 <= n; t += 48000L * 60) {
        const double m = fabs(an_mean(L, (size_t)t, (size_t)(t + 48000L * 60)));
        const double r = an_rms(L, (size_t)t, (size_t)(t + 48000L * 60));
        worst_mean = fmax(worst_mean, m);
        rms_min = fmin(rms_min, r);
        rms_max = fmax(rms_max, r);
    }
    printf("brown 5 min: per-minute |mean| <= %.4f, RMS %.4f..%.4f\n", worst_mean, rms_min, rms_max);
    CHECK(worst_mean < 0.01 && rms_min > 0.6 && rms_max < 0.82, "brown long-run stability");
    free(L);
    free(R);
}

/* n frames of pink noise with a gain that ramps from segment to segment,
 * pulled in random pieces (split_rng). */
static void render_ramped(double rate_hz, long n, float *L, float *R)
{
    void *st = malloc(vc->state_size);
    const lull_voice_ctx ctx = { rate_hz, 1234 };
    double from[2] = { 1.0, 0.25 }, to[2] = { 1.0, 0.25 };
    vc->init(st, &ctx, from);
    for (long t = 0; t < n; t += LULL_CONTROL_FRAMES) {
        const int frames = n - t < LULL_CONTROL_FRAMES ? (int)(n - t) : LULL_CONTROL_FRAMES;
        from[1] = to[1];
        to[1] = (t / LULL_CONTROL_FRAMES) % 7 == 3 ? 0.8 : 0.25; /* some segments ramp */
        vc->control(st, from, to, frames);
        int done = 0;
        while (done < frames) {
            split_rng = split_rng * 1664525u + 1013904223u;
            const int k = 1 + (int)((split_rng >> 16) % (uint32_t)(frames - done));
            vc->process(st, L + t + done, R + t + done, k);
            done += k;
        }
    }
    free(st);
}

/* The AVX-512 pipeline (voices/noise.c, chosen at init where the CPU has
 * it) gives the very samples of the portable cascade: LULL_CPU=baseline
 * switches it off for the second render. */
static void test_wide_path(void)
{
    if (!lull_use_avx512()) {
        printf("wide path: this CPU has no AVX-512 (or LULL_CPU=baseline): only the portable path runs\n");
        return;
    }
    const double rates[] = { 44100.0, 48000.0, 96000.0, 8000.0 };
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        const long n = (long)rates[r] * 20;
        float *L[2], *R[2];
        for (int w = 0; w < 2; w++) {
            L[w] = calloc((size_t)n, sizeof(float));
            R[w] = calloc((size_t)n, sizeof(float));
            if (w == 1)
                setenv("LULL_CPU", "baseline", 1);
            render_ramped(rates[r], n, L[w], R[w]);
            unsetenv("LULL_CPU");
        }
        long first = -1;
        for (long i = 0; i < n && first < 0; i++)
            if (memcmp(&L[0][i], &L[1][i], sizeof(float)) || memcmp(&R[0][i], &R[1][i], sizeof(float)))
                first = i;
        printf("wide path, pink at %.0f Hz, 20 s, ramps, random splits: %s", rates[r],
               first < 0 ? "bit-identical to the portable path\n" : "DIFFERS");
        if (first >= 0)
            printf(" from frame %ld (%.9g vs %.9g)\n", first, L[0][first], L[1][first]);
        CHECK(first < 0, "wide path at %.0f Hz", rates[r]);
        for (int w = 0; w < 2; w++) {
            free(L[w]);
            free(R[w]);
        }
    }
}

int main(void)
{
    const clock_t c0 = clock();
    test_class();
    test_determinism();
    test_gain_ramp();
    test_wide_path();
    test_rate(48000.0, 60.0);
    test_rate(44100.0, 60.0);
    test_rate(96000.0, 60.0);
    test_long_brown();
    printf("test_noise: %.1f s CPU\n", (double)(clock() - c0) / CLOCKS_PER_SEC);
    if (failures) {
        printf("test_noise: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_noise: all passed\n");
    return 0;
}
