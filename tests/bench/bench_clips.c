/*
 * bench_clips.c - clip-heavy benchmark (make bench).  A 60-minute session:
 * 40 narration clips (22.05 kHz mono, spoken by espeak-ng, or synthetic
 * speech-like sound when espeak-ng is missing) over an ambience loop
 * (44.1 kHz stereo Ogg Vorbis) and two binaural voices, with ducking.
 *
 *   render     the session to 48 kHz 24-bit WAV with each resampler,
 *              against writing the same WAV of silence through libsndfile
 *              in the same run (the I/O floor): time and ratio
 *   memory     peak resident size of a process rendering the session
 *              (engine only, best resampler, output discarded; the loop
 *              cache holds the ambience's 30 s) for 1 hour and for 8 hours
 *              (the 8-hour session repeats the narration 8 times: 320 clips)
 *
 * Usage: lull-bench-clips [--quick] [--dir TMPDIR] [--skip-8h] [--resampler Q] [--reps N]
 * --quick renders 2 minutes with 3 clips, as a smoke test for ctest;
 * --resampler renders with that converter only (for profiling); --reps
 * (default 3, 1 with --quick) times the floor and every render that many
 * times, alternated, and keeps the best of each: on a shared machine one
 * moment of load moved a single floor from 0.84 to 1.19 s.
 *
 * MIT licence; see LICENSE.
 */
#define _DEFAULT_SOURCE /* readlink, fork (POSIX under -std=c11) */
#include "lull.h"
#include "bench_util.h"

#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>


static char dir[1024];

static const char *in_dir(const char *name)
{
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static const char *const lines[] = {
    "Settle into a comfortable position, and let your eyes close when you are ready.",
    "Breathe in slowly through your nose, and let the breath go, all the way out.",
    "Notice the weight of your body, resting, supported, with nothing to do.",
    "Bring your attention to your feet. Let them soften, and grow warm and heavy.",
    "Now your calves and your knees. There is nothing to hold on to here.",
    "Let the muscles of your lower back widen, and release, with every breath out.",
    "If a thought comes, let it pass like a cloud, and return to the breath.",
    "Your shoulders drop a little further. Your jaw is loose. Your face is calm.",
};

/* Speech-like stand-in: a 140 Hz buzz through two moving formants, cut
 * into syllables, 22.05 kHz mono. */
static int synth_narration(const char *path, double seconds, unsigned seed)
{
    const int rate = 22050;
    SF_INFO info = { 0 };
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return -1;
    long n = (long)(seconds * rate);
    float *x = malloc(sizeof(float) * (size_t)n);
    double ph = 0;
    for (long i = 0; i < n; i++) {
        double t = (double)i / rate;
        double f0 = 140.0 + 20.0 * sin(2 * 3.14159 * 0.7 * t + seed);
        ph += f0 / rate;
        double v = 0;
        for (int h = 1; h < 30; h++) {
            double f = h * f0;
            double f1 = 500 + 300 * sin(2 * 3.14159 * 3.1 * t + seed), f2 = 1500 + 600 * sin(2 * 3.14159 * 2.3 * t);
            double g = exp(-pow((f - f1) / 150, 2)) + 0.5 * exp(-pow((f - f2) / 250, 2));
            v += g * sin(2 * 3.14159 * h * ph) / h;
        }
        double syl = fmod(t * 4.0, 1.0);
        x[i] = (float)(0.3 * v * (syl < 0.7 ? sin(3.14159 * syl / 0.7) : 0.0));
    }
    sf_writef_float(sf, x, n);
    free(x);
    sf_close(sf);
    return 0;
}

static void make_assets(int n_clips, int quick)
{
    int have_espeak = system("command -v espeak-ng >/dev/null 2>&1") == 0;
    for (int i = 0; i < n_clips; i++) {
        char name[64];
        snprintf(name, sizeof name, "narration%02d.wav", i);
        if (access(in_dir(name), F_OK) == 0)
            continue;
        int ok = -1;
        if (have_espeak) {
            /* Three lines a clip: about 15-20 s of speech, 22.05 kHz mono. */
            char cmd[4096];
            snprintf(cmd, sizeof cmd, "espeak-ng -s 140 -w '%s' '%s %s %s' 2>/dev/null", in_dir(name),
                     lines[i % 8], lines[(i + 3) % 8], lines[(i + 5) % 8]);
            ok = system(cmd) == 0 ? 0 : -1;
        }
        if (ok != 0 && synth_narration(in_dir(name), quick ? 5.0 : 18.0, (unsigned)i) != 0) {
            fprintf(stderr, "lull-bench-clips: cannot write %s\n", in_dir(name));
            exit(1);
        }
    }
    if (access(in_dir("rain.ogg"), F_OK) != 0) {
        /* 30 s of pink-ish noise (leaky-integrated white), 44.1 kHz stereo Vorbis. */
        SF_INFO info = { 0 };
        info.samplerate = 44100;
        info.channels = 2;
        info.format = SF_FORMAT_OGG | SF_FORMAT_VORBIS;
        SNDFILE *sf = sf_open(in_dir("rain.ogg"), SFM_WRITE, &info);
        if (!sf) {
            fprintf(stderr, "lull-bench-clips: cannot write rain.ogg: %s\n", sf_strerror(NULL));
            exit(1);
        }
        const long n = 44100L * 30;
        float *x = malloc(sizeof(float) * 2 * (size_t)n);
        uint32_t r = 1;
        double a = 0, b = 0;
        for (long i = 0; i < n; i++) {
            r = r * 1664525u + 1013904223u;
            a = 0.97 * a + ((double)(r >> 8) / 8388608.0 - 1.0) * 0.1;
            r = r * 1664525u + 1013904223u;
            b = 0.97 * b + ((double)(r >> 8) / 8388608.0 - 1.0) * 0.1;
            x[2 * i] = (float)a;
            x[2 * i + 1] = (float)b;
        }
        sf_writef_float(sf, x, n);
        sf_close(sf);
        free(x);
    }
}

/* The session: `hours` long, a narration clip every 90 s (the 40 files in
 * turn), ambience all through, two binaural voices. */
static char *session(double hours, int n_files, int max_clips)
{
    size_t cap = 4096 + (size_t)(hours * 60) * 100;
    char *t = malloc(cap);
    size_t len = (size_t)snprintf(t, cap,
                                  "title \"clip benchmark\"\n"
                                  "voice guide clip gain=-3dB duck=-10dB attack=80ms release=600ms\n"
                                  "voice rain clip gain=-20dB\n"
                                  "voice drone binaural carrier=200Hz beat=8Hz gain=-18dB\n"
                                  "voice low binaural carrier=110Hz beat=4Hz gain=-22dB\n"
                                  "0:00 master fade-in 10s\n"
                                  "0:00 rain play \"rain.ogg\" loop fade=5s\n"
                                  "0:30 drone beat=5Hz over 10m\n");
    long total_s = (long)(hours * 3600);
    int k = 0;
    for (long s = 45; s + 30 < total_s && k < max_clips; s += 90, k++)
        len += (size_t)snprintf(t + len, cap - len, "%ld:%02ld:%02ld guide play \"narration%02d.wav\"\n", s / 3600,
                                s / 60 % 60, s % 60, k % n_files);
    snprintf(t + len, cap - len, "%ld:%02ld:%02ld master fade-out 20s\n%ld:%02ld:%02ld end\n", (total_s - 20) / 3600,
             (total_s - 20) / 60 % 60, (total_s - 20) % 60, total_s / 3600, total_s / 60 % 60, total_s % 60);
    return t;
}

static lull_script *load(const char *text)
{
    lull_script *s = NULL;
    int r = lull_script_load_string(text, strlen(text), in_dir("bench.lull"), NULL, &s);
    if (r != LULL_OK) {
        fprintf(stderr, "lull-bench-clips: the session does not load: %s\n", lull_last_error());
        exit(1);
    }
    return s;
}

/* CPU seconds the last timed call used (bench_util.h, cpu_sec). */
static double last_cpu;

static double time_silence(int64_t frames)
{
    SF_INFO info = { 0 };
    info.samplerate = 48000;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    /* Written as lull-bench writes its floor: 16384 frames a call. */
    float *buf = calloc(2 * 16384, sizeof(float));
    double t0 = now_sec(), c0 = cpu_sec();
    SNDFILE *sf = sf_open(in_dir("silence.wav"), SFM_WRITE, &info);
    if (!sf || !buf)
        exit(1);
    for (int64_t done = 0; done < frames;) {
        int n = frames - done > 16384 ? 16384 : (int)(frames - done);
        sf_writef_float(sf, buf, n);
        done += n;
    }
    sf_close(sf);
    double t = now_sec() - t0;
    last_cpu = cpu_sec() - c0;
    free(buf);
    unlink(in_dir("silence.wav"));
    return t;
}

static double time_render(const lull_script *s, int resampler)
{
    lull_render_config rc = lull_render_config_init();
    rc.resampler = resampler;
    double t0 = now_sec(), c0 = cpu_sec();
    int r = lull_render_file(s, in_dir("render.wav"), &rc);
    double t = now_sec() - t0;
    last_cpu = cpu_sec() - c0;
    if (r != LULL_OK) {
        fprintf(stderr, "lull-bench-clips: render failed: %s\n", lull_last_error());
        exit(1);
    }
    unlink(in_dir("render.wav"));
    return t;
}


static const char *peak_file(const char *hours)
{
    static char name[64];
    snprintf(name, sizeof name, "peak-%s.txt", hours);
    return in_dir(name);
}

/* Child process: run the engine through the whole session, output
 * discarded; its peak resident size goes to peak_file for the parent. */
static int child_run(const char *hours_arg, int n_files)
{
    const double hours = atof(hours_arg);
    char *text = session(hours, n_files, 100000);
    lull_script *s = load(text);
    free(text);
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = 1;
    ec.resampler = LULL_RESAMPLER_BEST; /* what renders use, loop cache included */
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK)
        return 2;
    static float buf[2 * 4096];
    while (!lull_engine_finished(e))
        lull_engine_process(e, buf, 4096);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    FILE *f = fopen(peak_file(hours_arg), "w");
    if (!f || fprintf(f, "%ld\n", own_peak_kib()) < 0 || fclose(f) != 0)
        return 3;
    return 0;
}

static long peak_kib(const char *self, const char *hours, double *sec)
{
    double t0 = now_sec();
    pid_t pid = fork();
    if (pid == 0) {
        execl(self, self, "--child", hours, "--dir", dir, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
        fprintf(stderr, "lull-bench-clips: the %s h run failed\n", hours);
        exit(1);
    }
    *sec = now_sec() - t0;
    long kib = -1;
    FILE *f = fopen(peak_file(hours), "r");
    if (!f || fscanf(f, "%ld", &kib) != 1 || kib <= 0) {
        fprintf(stderr, "lull-bench-clips: the %s h run did not report its peak memory\n", hours);
        exit(1);
    }
    fclose(f);
    unlink(peak_file(hours));
    return kib;
}

int main(int argc, char **argv)
{
    int quick = 0, skip8 = 0, only = 0, reps = 0;
    const char *child_hours = NULL;
    snprintf(dir, sizeof dir, "/tmp/lull-bench-clips");
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--skip-8h"))
            skip8 = 1;
        else if (!strcmp(argv[i], "--resampler") && i + 1 < argc && (only = lull_resampler_from_name(argv[i + 1])) > 0)
            i++;
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc && (reps = atoi(argv[i + 1])) > 0)
            i++;
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            snprintf(dir, sizeof dir, "%s", argv[++i]);
        else if (!strcmp(argv[i], "--child") && i + 1 < argc)
            child_hours = argv[++i];
        else {
            fprintf(stderr, "usage: lull-bench-clips [--quick] [--skip-8h] [--dir TMPDIR] [--resampler Q] [--reps N]\n");
            return 2;
        }
    }
    const int n_files = quick ? 3 : 40;
    if (child_hours)
        return child_run(child_hours, n_files);
    mkdir(dir, 0777);
    make_assets(n_files, quick);

    const double hours = quick ? 2.0 / 60.0 : 1.0;
    char *text = session(hours, n_files, quick ? 3 : 40);
    lull_script *s = load(text);
    free(text);
    int clips = lull_script_clip_count(s);
    double narration = 0;
    for (int i = 0; i < clips; i++) {
        lull_clip_desc c;
        if (lull_script_clip_info(s, i, &c) == LULL_OK && !c.loop)
            narration += c.duration_sec;
    }
    printf("session: %.0f min, %d clips (%d narration, %.0f s of speech at 22.05 kHz mono), "
           "ambience loop 44.1 kHz stereo, 2 binaural voices\n",
           lull_script_duration_sec(s) / 60, clips, clips - 1, narration);
    const int64_t frames = (int64_t)(lull_script_duration_sec(s) * 48000);
    if (reps <= 0)
        reps = quick ? 1 : 3;
    static const int resamplers[] = { LULL_RESAMPLER_BEST, LULL_RESAMPLER_MEDIUM, LULL_RESAMPLER_FASTEST };
    /* The floor and the renders alternated, the best of each kept (its
     * CPU time too, each the least seen). */
    double floor_s = 1e30, floor_cpu = 1e30, wall[3] = { 1e30, 1e30, 1e30 }, cpu[3] = { 1e30, 1e30, 1e30 };
    for (int r = 0; r < reps; r++) {
        const double f = time_silence(frames);
        floor_s = f < floor_s ? f : floor_s;
        floor_cpu = last_cpu < floor_cpu ? last_cpu : floor_cpu;
        for (int q = 0; q < 3; q++) {
            if (only && resamplers[q] != only)
                continue;
            const double t = time_render(s, resamplers[q]);
            wall[q] = t < wall[q] ? t : wall[q];
            cpu[q] = last_cpu < cpu[q] ? last_cpu : cpu[q];
        }
    }
    printf("I/O floor (silence, 48 kHz 24-bit WAV, best of %d): %.2f s (CPU %.2f s)\n", reps, floor_s, floor_cpu);
    double best_ratio = -1;
    for (int q = 0; q < 3; q++) {
        if (only && resamplers[q] != only)
            continue;
        /* CPU: every thread's; on two cores the wall time cannot go below
         * half of it. */
        printf("render, %-7s resampler: %7.2f s = %5.1fx the I/O floor, %6.1fx real time; "
               "CPU %.2f s = %.1fx the floor's, bound on 2 cores %.2fx the floor\n",
               lull_resampler_name(resamplers[q]), wall[q], wall[q] / floor_s, lull_script_duration_sec(s) / wall[q],
               cpu[q], cpu[q] / floor_cpu, cpu[q] / 2.0 / floor_s);
        if (resamplers[q] == LULL_RESAMPLER_BEST)
            best_ratio = wall[q] / floor_s;
        fflush(stdout);
    }
    lull_script_free(&s);
    struct rusage self_ru;
    getrusage(RUSAGE_SELF, &self_ru);
    printf("peak memory of this process (assets, renders): %ld KiB\n", self_ru.ru_maxrss);
    if (quick)
        return 0;

    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        return 1;
    self[n] = '\0';
    double t1, t8;
    long m1 = peak_kib(self, "1", &t1);
    printf("peak memory, 1 h session (40 clips):   %6ld KiB  (engine only, best resampler, %.0f s)\n", m1, t1);
    fflush(stdout);
    if (!skip8) {
        long m8 = peak_kib(self, "8", &t8);
        printf("peak memory, 8 h session (320 clips):  %6ld KiB  (engine only, best resampler, %.0f s)\n", m8, t8);
        printf("8 h / 1 h peak memory: %.3f\n", (double)m8 / (double)m1);
    }
    if (best_ratio > 0)
        printf("figure: 1 h clip-heavy render with the best resampler = %.2fx the I/O floor (target 1.6x); "
               "peak memory %.1f MiB (target < 32 MiB)\n",
               best_ratio, (double)m1 / 1024.0);
    return 0;
}
