/*
 * bench_limiter.c - what the master bus's true-peak limiter costs (make
 * bench), per frame at 64-frame blocks, in four states:
 *   idle    a mix well under the ceiling (-20 dBFS noise): the block is
 *           only copied through the delay line;
 *   tonal   two-tone mixes 3 dB under the ceiling, over the old idle level
 *           (-10.5 dBFS): the smooth-waveform bound proves no estimate is
 *           needed, so this is a copy too (every session's tones);
 *   near    white noise peaking at 0.4 (-8 dBFS): over the idle level and
 *           too rough for the bound, so the 8x estimate runs for every
 *           frame, but the gain stays (almost always) 1;
 *   active  white noise 12 dB over the ceiling: estimate, gain and
 *           smoothing for every frame.
 * Each is a ratio against the 16-voice mixer (the whole of
 * lull_engine_process for tests/bench's 16-voice session), measured in the
 * same run, best of several repetitions.
 *
 *   lull-bench-limiter [--kernel idle|tonal|near|active BLOCKS]
 * --kernel runs only the limiter on that signal (for callgrind:
 *   valgrind --tool=callgrind --toggle-collect=lull_limiter_process ...).
 */
#include "limiter.h"
#include "lull.h"
#include "bench_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RATE 48000
#define BLOCK 64
#define FRAMES (RATE * 4)

/* White noise at `amp` (uniform, so its peak is amp). */
static float *noise(double amp)
{
    float *x = malloc(sizeof(float) * 2 * FRAMES);
    uint32_t r = 12345u;
    for (int i = 0; i < 2 * FRAMES; i++) {
        r = r * 1664525u + 1013904223u;
        x[i] = (float)(amp * ((double)(r >> 8) / 8388608.0 - 1.0));
    }
    return x;
}

static lull_limiter lim;
static float io[2 * BLOCK];
static int64_t tags[BLOCK];

/* Two tones in each ear, peaking 3 dB under full scale. */
static float *tones(void)
{
    const double pi = 3.14159265358979323846;
    float *x = malloc(sizeof(float) * 2 * FRAMES);
    for (int i = 0; i < FRAMES; i++) {
        const double t = (double)i / RATE;
        x[2 * i] = (float)(0.45 * sin(2 * pi * 180 * t) + 0.25 * sin(2 * pi * 320 * t));
        x[2 * i + 1] = (float)(0.45 * sin(2 * pi * 190 * t) + 0.25 * sin(2 * pi * 328 * t));
    }
    return x;
}

/* ns per frame of the limiter over the signal, best of reps. */
static double limiter_ns(const float *x, int reps)
{
    double best = 1e30;
    for (int rep = 0; rep < reps; rep++) {
        lull_limiter_reset(&lim, 0);
        const double t0 = now_sec();
        for (int at = 0; at + BLOCK <= FRAMES; at += BLOCK) {
            memcpy(io, x + 2 * at, sizeof io);
            lull_limiter_process(&lim, io, tags, BLOCK);
        }
        const double ns = (now_sec() - t0) * 1e9 / FRAMES;
        best = ns < best ? ns : best;
    }
    return best;
}

/* ns per frame of the 16-voice mixer, limiter included (idle). */
static double mixer_ns(int reps)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/bench/voices16.lull", LULL_SOURCE_DIR);
    lull_script *s = NULL;
    if (lull_script_load_file(path, NULL, &s) != LULL_OK)
        return -1.0;
    double best = 1e30;
    float buf[2 * BLOCK];
    for (int rep = 0; rep < reps; rep++) {
        lull_engine *e = NULL;
        lull_engine_config ec = lull_engine_config_init();
        if (lull_engine_create(s, &ec, &e) != LULL_OK)
            return -1.0;
        const double t0 = now_sec();
        for (int at = 0; at + BLOCK <= FRAMES; at += BLOCK)
            lull_engine_process(e, buf, BLOCK);
        const double ns = (now_sec() - t0) * 1e9 / FRAMES;
        best = ns < best ? ns : best;
        lull_engine_destroy(&e);
    }
    lull_script_free(&s);
    return best;
}

int main(int argc, char **argv)
{
    lull_limiter_init(&lim, RATE, LULL_TRUE_PEAK_DEFAULT_DBTP, 32);
    float *idle = noise(0.1), *tonal = tones(), *near = noise(0.4), *active = noise(3.5);
    if (argc == 4 && !strcmp(argv[1], "--kernel")) {
        const float *x = !strcmp(argv[2], "idle")    ? idle
                         : !strcmp(argv[2], "tonal") ? tonal
                         : !strcmp(argv[2], "near")  ? near
                                                     : active;
        const int blocks = atoi(argv[3]);
        lull_limiter_reset(&lim, 0);
        for (int b = 0; b < blocks; b++) {
            memcpy(io, x + 2 * (b * BLOCK % (FRAMES - BLOCK)), sizeof io);
            lull_limiter_process(&lim, io, tags, BLOCK);
        }
        free(idle);
        free(tonal);
        free(near);
        free(active);
        return 0;
    }
    const int reps = 5;
    const double mix = mixer_ns(reps);
    const double ni = limiter_ns(idle, reps);
    const double nt = limiter_ns(tonal, reps);
    const long long tonal_est = (long long)lim.estimated_frames;
    const double nn = limiter_ns(near, reps);
    const long long near_est = (long long)lim.estimated_frames, near_act = (long long)lim.active_frames;
    const double na = limiter_ns(active, reps);
    printf("limiter at %d-frame blocks, %d Hz (best of %d; frames estimated in a pass of %d):\n", BLOCK, RATE, reps,
           FRAMES);
    printf("  16-voice mixer (lull_engine_process)  %8.1f ns/frame\n", mix);
    printf("  limiter idle (noise -20 dBFS)         %8.1f ns/frame  %6.3f of the mixer\n", ni, ni / mix);
    printf("  limiter tonal, 3 dB under the ceiling %8.1f ns/frame  %6.3f of the mixer  (%lld estimated)\n", nt,
           nt / mix, tonal_est);
    printf("  limiter near (white noise -8 dBFS)    %8.1f ns/frame  %6.3f of the mixer  (%lld estimated, %lld "
           "limited)\n",
           nn, nn / mix, near_est, near_act);
    printf("  limiter active (white noise +12 dB)   %8.1f ns/frame  %6.3f of the mixer\n", na, na / mix);
    printf("  (active gain: lowest %.3f, %lld frames below 1 in the last pass)\n", (double)lim.min_gain,
           (long long)lim.active_frames);
    free(idle);
    free(tonal);
    free(near);
    free(active);
    return 0;
}
