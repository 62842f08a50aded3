/*
 * bench_callback.c - what lull's audio callback costs, on a real backend.
 *
 * On the JACK server named by JACK_DEFAULT_SERVER (callback.sh starts one on
 * the dummy driver, once with 64-frame and once with 256-frame periods):
 *   1. a do-nothing callback (it only zeroes the buffer) runs for SECONDS;
 *   2. lull_player plays a 16-voice session (voices16.lull) for SECONDS.
 * Each callback is timed from entry to return with CLOCK_MONOTONIC into a
 * preallocated array (lull's through the player's test hooks, so the whole
 * callback is measured: commands, engine, status).  Printed: p50, p99 and
 * max microseconds per callback, each as a fraction of the block's time
 * budget, and lull's figures against the do-nothing floor measured in the
 * same run (the machine's noise shows in both).
 *
 * Usage: lull-bench-callback [--seconds S] [SOURCE_DIR]
 */
#include "lull.h"

#include <portaudio.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SAMPLES 4000000

typedef struct timing {
    double *us;               /* preallocated; written only by the audio thread */
    atomic_long n;
    struct timespec started;  /* audio thread only */
    atomic_ulong frames;      /* frames per callback seen */
} timing;

static timing floor_t, lull_t;
static atomic_int lull_on;

static double now_us(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_nsec - a->tv_nsec) * 1e-3;
}

static void record(timing *t, const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    long i = atomic_load_explicit(&t->n, memory_order_relaxed);
    if (i < MAX_SAMPLES) {
        t->us[i] = now_us(a, &b);
        atomic_store_explicit(&t->n, i + 1, memory_order_release);
    }
}

/* lull_player's test hooks bracket its whole callback. */
void lull_rt_callback_enter(void);
void lull_rt_callback_leave(void);
void lull_rt_callback_enter(void) { clock_gettime(CLOCK_MONOTONIC, &lull_t.started); }
void lull_rt_callback_leave(void)
{
    if (atomic_load_explicit(&lull_on, memory_order_relaxed))
        record(&lull_t, &lull_t.started);
}

static int do_nothing(const void *in, void *out, unsigned long frames,
                      const PaStreamCallbackTimeInfo *ti, PaStreamCallbackFlags flags, void *user)
{
    (void)in, (void)ti, (void)flags, (void)user;
    struct timespec a;
    clock_gettime(CLOCK_MONOTONIC, &a);
    memset(out, 0, sizeof(float) * 2 * frames);
    atomic_store_explicit(&floor_t.frames, frames, memory_order_relaxed);
    record(&floor_t, &a);
    return paContinue;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct summary {
    long n;
    double p50, p99, max;
} summary;

static summary summarise(timing *t)
{
    summary s = { atomic_load(&t->n), 0, 0, 0 };
    /* The first callbacks include page faults and cache warm-up. */
    long skip = s.n > 200 ? 100 : 0;
    double *x = t->us + skip;
    long n = s.n - skip;
    if (n <= 0)
        return s;
    qsort(x, (size_t)n, sizeof *x, cmp_double);
    s.p50 = x[n / 2];
    s.p99 = x[(long)((double)n * 0.99)];
    s.max = x[n - 1];
    s.n = n;
    return s;
}

static void sleep_sec(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    double seconds = 10.0;
    const char *src = LULL_SOURCE_DIR;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            seconds = atof(argv[++i]);
        else
            src = argv[i];
    }
    floor_t.us = calloc(MAX_SAMPLES, sizeof(double));
    lull_t.us = calloc(MAX_SAMPLES, sizeof(double));
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/bench/voices16.lull", src);
    lull_script *s = NULL;
    if (!floor_t.us || !lull_t.us || lull_script_load_file(path, NULL, &s) != LULL_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, lull_last_error());
        return 1;
    }

    /* lull's player first (it starts PortAudio quietly), then the floor
     * stream on the same device. */
    lull_player_config cfg = lull_player_config_init();
    cfg.host_api = "jack";
    lull_player *p = NULL;
    if (lull_player_open(s, &cfg, &p) != LULL_OK) {
        fprintf(stderr, "%s\n", lull_last_error());
        return 1;
    }
    lull_player_stats st;
    lull_player_get_stats(p, &st);
    const int rate = st.rate_hz;
    Pa_Initialize(); /* a reference: PortAudio is already up */
    PaStream *floor_stream = NULL;
    PaDeviceIndex dev = paNoDevice;
    for (PaHostApiIndex i = 0; i < Pa_GetHostApiCount(); i++)
        if (Pa_GetHostApiInfo(i)->type == paJACK)
            dev = Pa_GetHostApiInfo(i)->defaultOutputDevice;
    PaStreamParameters op = { dev, 2, paFloat32, Pa_GetDeviceInfo(dev)->defaultLowOutputLatency,
                              NULL };
    if (Pa_OpenStream(&floor_stream, NULL, &op, rate, paFramesPerBufferUnspecified, paClipOff,
                      do_nothing, NULL) != paNoError) {
        fprintf(stderr, "cannot open the do-nothing stream\n");
        return 1;
    }
    Pa_StartStream(floor_stream);
    sleep_sec(seconds);
    Pa_StopStream(floor_stream);
    Pa_CloseStream(floor_stream);

    atomic_store(&lull_on, 1);
    lull_player_start(p);
    sleep_sec(seconds);
    lull_player_get_stats(p, &st);
    atomic_store(&lull_on, 0);
    lull_player_close(&p);
    Pa_Terminate();

    const unsigned long frames = atomic_load(&floor_t.frames);
    const double budget_us = (double)frames / rate * 1e6;
    summary f = summarise(&floor_t), l = summarise(&lull_t);
    printf("callback cost, %lu frames at %d Hz (budget %.0f us), 16 voices, %.0f s each, "
           "JACK dummy driver\n",
           frames, rate, budget_us, seconds);
    printf("  %-12s %8s %9s %9s %9s   %s\n", "", "calls", "p50 us", "p99 us", "max us",
           "p50 / p99 / max of budget");
    printf("  %-12s %8ld %9.2f %9.2f %9.2f   %.4f / %.4f / %.4f\n", "do-nothing", f.n, f.p50,
           f.p99, f.max, f.p50 / budget_us, f.p99 / budget_us, f.max / budget_us);
    printf("  %-12s %8ld %9.2f %9.2f %9.2f   %.4f / %.4f / %.4f\n", "lull", l.n, l.p50, l.p99,
           l.max, l.p50 / budget_us, l.p99 / budget_us, l.max / budget_us);
    printf("  lull minus do-nothing: p50 %.2f us (%.1f%% of budget), p99 %.2f us (%.1f%%); "
           "%lld xruns in lull's run\n",
           l.p50 - f.p50, 100 * (l.p50 - f.p50) / budget_us, l.p99 - f.p99,
           100 * (l.p99 - f.p99) / budget_us, (long long)st.xruns);
    lull_script_free(&s);
    free(floor_t.us);
    free(lull_t.us);
    return l.n > 0 && f.n > 0 ? 0 : 1;
}
