/*
 * bench.c - lull's benchmarks (make bench).  Every figure is a ratio against
 * a baseline measured in the same run, because these machines are shared and
 * noisy: wall-clock numbers alone say little.
 *
 *   render/tones   60-minute tones+noise session to 48 kHz 24-bit WAV,
 *                  against writing the same WAV of silence (the I/O floor)
 *   mixer          engine cost per frame at 64-frame blocks, and per voice
 *
 * Each timing is the best of several repetitions.  Usage:
 *   lull-bench [--quick] [--dir TMPDIR] [SOURCE_DIR]
 */
#include "lull.h"

#include <sndfile.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char *tmpdir = "/tmp";
static int reps = 3;

/* The I/O floor: the same file, all zeros, through libsndfile. */
static double time_silence_wav(int64_t frames, int rate)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lull-bench-silence.wav", tmpdir);
    SF_INFO info = { 0 };
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    float *buf = calloc(2 * 4096, sizeof(float));
    double t0 = now_sec();
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf || !buf) {
        fprintf(stderr, "lull-bench: cannot write %s: %s\n", path, sf_strerror(NULL));
        exit(1);
    }
    for (int64_t done = 0; done < frames;) {
        int n = frames - done > 4096 ? 4096 : (int)(frames - done);
        sf_writef_float(sf, buf, n);
        done += n;
    }
    sf_close(sf);
    double t = now_sec() - t0;
    unlink(path);
    free(buf);
    return t;
}

static lull_script *load(const char *path)
{
    lull_script *s = NULL;
    if (lull_script_load_file(path, NULL, &s) != LULL_OK) {
        fprintf(stderr, "lull-bench: cannot load %s: %s\n", path, lull_last_error());
        exit(1);
    }
    return s;
}

static double time_render(const lull_script *s, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lull-bench-%s.wav", tmpdir, name);
    lull_render_config rc = lull_render_config_init();
    double t0 = now_sec();
    int r = lull_render_file(s, path, &rc);
    double t = now_sec() - t0;
    if (r != LULL_OK) {
        fprintf(stderr, "lull-bench: render failed: %s\n", lull_last_error());
        exit(1);
    }
    unlink(path);
    return t;
}

/* Engine cost in ns per frame at a block size, into memory. */
static double time_mixer(const lull_script *s, int block, int64_t frames)
{
    lull_engine_config ec = lull_engine_config_init();
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK)
        exit(1);
    float *buf = malloc(sizeof(float) * 2 * (size_t)block);
    /* Skip the fade-in so the voices are audible and busy. */
    lull_engine_seek(e, 48000 * 60);
    double t0 = now_sec();
    for (int64_t done = 0; done < frames; done += block)
        lull_engine_process(e, buf, block);
    double t = now_sec() - t0;
    free(buf);
    lull_engine_destroy(&e);
    return t * 1e9 / (double)frames;
}

static void row(const char *figure, double value, const char *unit, double floor_v, double target)
{
    double ratio = floor_v > 0 ? value / floor_v : 0;
    if (target > 0)
        printf("| %-34s | %10.3f %-5s | %10.3f | %7.3fx | <= %.2fx | %-3s |\n", figure, value, unit, floor_v,
               ratio, target, ratio <= target ? "yes" : "NO");
    else
        printf("| %-34s | %10.3f %-5s | %10s | %8s | %8s | %-3s |\n", figure, value, unit, "", "", "", "");
}

int main(int argc, char **argv)
{
    const char *src = LULL_SOURCE_DIR;
    int quick = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            tmpdir = argv[++i];
        else
            src = argv[i];
    }
    if (quick)
        reps = 1;
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/bench/tones60.lull", src);
    lull_script *tones = load(path);
    int64_t frames = (int64_t)(lull_script_duration_sec(tones) * 48000.0 + 0.5);
    if (quick)
        frames /= 10;

    double floor_t = 1e30, render_t = 1e30;
    for (int r = 0; r < reps; r++) {
        double a = time_silence_wav(frames, 48000);
        double b = quick ? a : time_render(tones, "tones");
        if (a < floor_t)
            floor_t = a;
        if (b < render_t)
            render_t = b;
    }
    double mix64 = 1e30, mix64_0 = 1e30;
    snprintf(path, sizeof path, "%s/tests/bench/empty.lull", src);
    lull_script *empty = load(path);
    for (int r = 0; r < reps; r++) {
        double a = time_mixer(tones, 64, 48000 * 60);
        double b = time_mixer(empty, 64, 48000 * 60);
        if (a < mix64)
            mix64 = a;
        if (b < mix64_0)
            mix64_0 = b;
    }
    double audio_sec = (double)frames / 48000.0;
    printf("lull %s bench (%s)\n\n", lull_version(), quick ? "quick" : "full");
    printf("| %-34s | %16s | %10s | %8s | %8s | %-3s |\n", "figure", "value", "floor", "ratio", "target", "met");
    printf("|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "------------------",
           "------------", "----------", "----------", "-----");
    if (!quick)
        row("render tones 60m WAV24 (s)", render_t, "s", floor_t, 1.25);
    row("I/O floor: silence WAV24 (s)", floor_t, "s", 0, 0);
    printf("| %-34s | %10.0f %-5s | %10s | %8s | %8s | %-3s |\n", "render speed (x real time)",
           quick ? audio_sec / floor_t : audio_sec / render_t, "x", "", "", "", "");
    row("mixer 3 voices, 64-frame (ns/frame)", mix64, "ns", mix64_0, 0);
    row("mixer no voices, 64-frame (ns/frame)", mix64_0, "ns", 0, 0);
    printf("| %-34s | %10.2f %-5s | %10s | %8s | %8s | %-3s |\n", "mixer per voice (ns/frame/voice)",
           (mix64 - mix64_0) / 3.0, "ns", "", "", "", "");
    printf("| %-34s | %10.4f %-5s | %10s | %8s | %8s | %-3s |\n", "64-frame block cost / budget",
           mix64 * 64 / 1333333.3 * 100.0, "%", "", "", "", "");
    lull_script_free(&tones);
    lull_script_free(&empty);
    return 0;
}
