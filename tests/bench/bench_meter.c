/*
 * bench_meter.c - what the loudness summary costs per frame: libebur128 in
 * the modes a meter may ask for, against lull's own true peak
 * (engine/true_peak.c) with and without its exact skip.  Every figure is
 * also given as a ratio to libebur128's I+LRA in the same run (the part of
 * the summary that has no cheaper replacement); the machine is shared, so
 * only ratios mean much.  Not a test: nothing here has a time limit.
 *
 *   lull-bench-meter [--seconds S] [--reps N] [--only MODE] [SOURCE_DIR]
 *
 * Signals: the first S seconds (default 60) of tests/bench/tones60.lull
 * after its fade-in, as the engine makes it, and as long a white noise
 * (the worst case for the skip).  --only MODE runs one mode once on the
 * tones (for callgrind): i, i+sp, i+tp, i+tp+sp, lull-tp, lull-tp-all.
 */
#include "lull.h"
#include "bench_util.h"
#include "true_peak.h"

#include <ebur128.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CHUNK 16384

static void die(const char *what, const char *why)
{
    fprintf(stderr, "lull-bench-meter: %s: %s\n", what, why);
    exit(1);
}

typedef struct meter_mode {
    const char *name;
    int ebu_mode;     /* 0: lull's true peak */
    int exhaustive;
} meter_mode;

static const meter_mode modes[] = {
    { "i", EBUR128_MODE_I | EBUR128_MODE_LRA, 0 },
    { "i+sp", EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_SAMPLE_PEAK, 0 },
    { "i+tp", EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK, 0 },
    { "i+tp+sp", EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK | EBUR128_MODE_SAMPLE_PEAK, 0 },
    { "lull-tp", 0, 0 },
    { "lull-tp-all", 0, 1 },
};
#define N_MODES (int)(sizeof modes / sizeof modes[0])

static const char *describe(const meter_mode *m)
{
    if (!strcmp(m->name, "i"))
        return "libebur128 I+LRA";
    if (!strcmp(m->name, "i+sp"))
        return "libebur128 I+LRA+SAMPLE_PEAK";
    if (!strcmp(m->name, "i+tp"))
        return "libebur128 I+LRA+TRUE_PEAK";
    if (!strcmp(m->name, "i+tp+sp"))
        return "libebur128 I+LRA+TRUE_PEAK+SAMPLE_PEAK (before)";
    if (!strcmp(m->name, "lull-tp"))
        return "lull true peak + sample peak (skip)";
    return "lull true peak, every block estimated";
}

/* Seconds to measure x (n frames) in mode m; *peak receives the true peak. */
static double run(const meter_mode *m, const float *x, int64_t n, double *peak, double *estimated_share)
{
    double t0 = now_sec();
    *peak = 0.0;
    *estimated_share = 0.0;
    if (m->ebu_mode) {
        ebur128_state *st = ebur128_init(2, 48000, m->ebu_mode);
        if (!st)
            die("ebur128_init", "out of memory");
        for (int64_t i = 0; i < n; i += CHUNK)
            ebur128_add_frames_float(st, x + 2 * i, (size_t)(n - i > CHUNK ? CHUNK : n - i));
        double lufs, a = 0.0, b = 0.0;
        ebur128_loudness_global(st, &lufs);
        if (m->ebu_mode & EBUR128_MODE_TRUE_PEAK) {
            ebur128_true_peak(st, 0, &a);
            ebur128_true_peak(st, 1, &b);
        }
        *peak = a > b ? a : b;
        ebur128_destroy(&st);
    } else {
        lull_true_peak *tp = lull_true_peak_create();
        if (!tp)
            die("lull_true_peak_create", "out of memory");
        lull_true_peak_set_exhaustive(tp, m->exhaustive);
        (void)lull_true_peak_constants;
        for (int64_t i = 0; i < n; i += CHUNK)
            lull_true_peak_add(tp, x + 2 * i, (int)(n - i > CHUNK ? CHUNK : n - i));
        lull_true_peak_result(tp, peak, NULL);
        int64_t blocks, est, intervals;
        lull_true_peak_counts(tp, &blocks, &est, &intervals);
        (void)est;
        /* intervals estimated, per interval of either channel */
        *estimated_share = blocks ? (double)intervals / (double)(blocks * LULL_TP_BLOCK) : 0.0;
        lull_true_peak_free(&tp);
    }
    return now_sec() - t0;
}

static float *tones_signal(const char *srcdir, int64_t n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/bench/tones60.lull", srcdir);
    lull_script *s = NULL;
    if (lull_script_load_file(path, NULL, &s) != LULL_OK)
        die(path, lull_last_error());
    lull_engine *e = NULL;
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = 1;
    if (lull_engine_create(s, &ec, &e) != LULL_OK)
        die("engine", lull_last_error());
    float *x = malloc(sizeof(float) * 2 * (size_t)n);
    if (!x)
        die("signal", "out of memory");
    /* Skip the 30 s fade-in: the middle of the session is what an hour is. */
    const int64_t skip = 48000 * 30;
    for (int64_t i = 0; i < skip; i += 4096)
        lull_engine_process(e, x, (int)(skip - i > 4096 ? 4096 : skip - i));
    for (int64_t i = 0; i < n; i += 4096)
        lull_engine_process(e, x + 2 * i, (int)(n - i > 4096 ? 4096 : n - i));
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return x;
}

static float *noise_signal(int64_t n)
{
    float *x = malloc(sizeof(float) * 2 * (size_t)n);
    if (!x)
        die("signal", "out of memory");
    uint64_t r = 0x9E3779B97F4A7C15u;
    for (int64_t i = 0; i < 2 * n; i++) {
        r ^= r << 13;
        r ^= r >> 7;
        r ^= r << 17;
        x[i] = (float)((double)(r >> 11) / 9007199254740992.0 - 0.5) * 0.5f;
    }
    return x;
}

int main(int argc, char **argv)
{
    const char *srcdir = LULL_SOURCE_DIR;
    double seconds = 60.0;
    int reps = 3;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else
            srcdir = argv[i];
    }
    if (seconds <= 0 || reps < 1)
        die("arguments", "--seconds and --reps must be positive");
    const int64_t n = (int64_t)(seconds * 48000.0);
    float *tones = tones_signal(srcdir, n);
    double peak, share;
    if (only) {
        for (int k = 0; k < N_MODES; k++)
            if (!strcmp(only, modes[k].name)) {
                run(&modes[k], tones, n, &peak, &share);
                printf("%s: true peak %.6f\n", only, peak);
                free(tones);
                return 0;
            }
        die(only, "unknown mode (i, i+sp, i+tp, i+tp+sp, lull-tp, lull-tp-all)");
    }
    float *noise = noise_signal(n);
    const char *names[2] = { "tones60 (after the fade-in)", "white noise" };
    float *sig[2] = { tones, noise };
    printf("lull-bench-meter: %.0f s of 48 kHz stereo, best of %d\n\n", seconds, reps);
    printf("| %-48s | %-28s | %10s | %9s | %10s | %12s |\n", "meter", "signal", "ns/frame", "vs I+LRA",
           "estimated", "true peak dB");
    printf("|%s|%s|%s|%s|%s|%s|\n", "--------------------------------------------------",
           "------------------------------", "------------", "-----------", "------------", "--------------");
    for (int s = 0; s < 2; s++) {
        double best[N_MODES];
        for (int k = 0; k < N_MODES; k++)
            best[k] = 1e30;
        double peaks[N_MODES], shares[N_MODES];
        /* Interleave the modes across repetitions, so a noisy moment hurts
         * every mode alike. */
        for (int r = 0; r < reps; r++)
            for (int k = 0; k < N_MODES; k++) {
                double t = run(&modes[k], sig[s], n, &peaks[k], &shares[k]);
                best[k] = t < best[k] ? t : best[k];
            }
        for (int k = 0; k < N_MODES; k++) {
            char pk[32] = "", es[32] = "";
            if (peaks[k] > 0)
                snprintf(pk, sizeof pk, "%.3f", 20.0 * log10(peaks[k]));
            if (!modes[k].ebu_mode)
                snprintf(es, sizeof es, "%.2f %%", shares[k] * 100.0);
            printf("| %-48s | %-28s | %10.2f | %8.2fx | %10s | %12s |\n", describe(&modes[k]), names[s],
                   best[k] / (double)n * 1e9, best[k] / best[0], es, pk);
        }
    }
    free(tones);
    free(noise);
    return 0;
}
