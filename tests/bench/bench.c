/*
 * bench.c - lull's benchmarks (make bench).  Every figure is a ratio against
 * a baseline measured in the same run, because these machines are shared and
 * noisy: wall-clock numbers alone say little.
 *
 *   render/wav     60-minute tones+noise session to 48 kHz 24-bit WAV,
 *                  against writing the same WAV of silence (the I/O floor)
 *   render/flac    10 minutes to FLAC and to Ogg Vorbis, against libsndfile
 *   render/ogg     encoding the same frames from a buffer (the encoder floor)
 *   mixer          engine cost per frame at 64-frame blocks: per voice kind,
 *                  for 1/4/16/64 voices (linearity), and the per-block cost
 *                  distribution (p50, p99.9) of a 16-voice mix against the
 *                  1333 us budget of a 64-frame block at 48 kHz
 *   summary        the render/wav session with the loudness summary, as
 *                  `lull render` writes it, against the same floor and against
 *                  the render without it; the `--loudness` analysis pass
 *   memory         peak RSS (VmHWM) of a fresh process, this program run
 *                  again, that pulls a 1-hour and an 8-hour session through
 *                  the engine (flat in session length), and the CPU time
 *                  of each pull per hour of session (linear in length)
 *
 * Each timing is the best of several repetitions.  Usage:
 *   lull-bench [--quick] [--reps N] [--only GROUP] [--dir TMPDIR] [--kernel BLOCKS]
 *              [--render-kernel SECONDS] [SOURCE_DIR]
 * --only runs one group of figures: render (WAV), flac, ogg, mixer, linearity,
 * blocks, memory or summary (repeat --only for several).  --kernel runs only the
 * 16-voice mixer for BLOCKS 64-frame blocks and --render-kernel renders the
 * first SECONDS of tones60.lull to a WAV in TMPDIR, cancelled there (for callgrind:
 * tests/bench/callgrind.sh).
 */
#include "lull.h"
#include "bench_util.h"

#include <sndfile.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* CPU seconds the last timed call used (bench_util.h, cpu_sec). */
static double last_cpu;

static const char *tmpdir = "/tmp";
static const char *srcdir = LULL_SOURCE_DIR;
static int reps = 3;
static int quick;
static void die(const char *what, const char *why)
{
    fprintf(stderr, "lull-bench: %s: %s\n", what, why);
    exit(1);
}

static unsigned only_mask; /* 0: every group */

enum { G_RENDER = 1, G_FLAC = 2, G_OGG = 4, G_MIXER = 8, G_LINEAR = 16, G_BLOCKS = 32, G_MEMORY = 64, G_SUMMARY = 128 };

static int wanted(unsigned group) { return !only_mask || (only_mask & group); }

static unsigned group_named(const char *name)
{
    static const struct { const char *name; unsigned bit; } groups[] = {
        { "render", G_RENDER }, { "flac", G_FLAC },     { "ogg", G_OGG },       { "mixer", G_MIXER },
        { "linearity", G_LINEAR }, { "blocks", G_BLOCKS }, { "memory", G_MEMORY },
        { "summary", G_SUMMARY },
    };
    for (size_t i = 0; i < sizeof groups / sizeof groups[0]; i++)
        if (!strcmp(name, groups[i].name))
            return groups[i].bit;
    die(name, "unknown group (render, flac, ogg, mixer, linearity, blocks, memory, summary)");
    return 0;
}


/* ------------------------------------------------------------- sessions */

static lull_script *load_file(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/tests/bench/%s", srcdir, name);
    lull_script *s = NULL;
    if (lull_script_load_file(path, NULL, &s) != LULL_OK)
        die(path, lull_last_error());
    return s;
}

static lull_script *load_text(const char *text)
{
    lull_script *s = NULL;
    if (lull_script_load_string(text, strlen(text), "bench", NULL, &s) != LULL_OK)
        die("generated session", lull_last_error());
    return s;
}

/* A 10-second 22.05 kHz mono clip (a tone with a slow tremolo, standing in
 * for narration), written once into tmpdir for the clip voices. */
static const char *clip_path(void)
{
    static char path[1024];
    if (path[0])
        return path;
    snprintf(path, sizeof path, "%s/lull-bench-clip.wav", tmpdir);
    SF_INFO info = { 0 };
    info.samplerate = 22050;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        die(path, sf_strerror(NULL));
    float buf[22050];
    for (int sec = 0; sec < 10; sec++) {
        for (int i = 0; i < 22050; i++) {
            double t = sec + i / 22050.0;
            buf[i] = (float)(0.5 * sin(2 * 3.14159265358979 * 180.0 * t) *
                             (0.6 + 0.4 * sin(2 * 3.14159265358979 * 3.0 * t)));
        }
        sf_writef_float(sf, buf, 22050);
    }
    sf_close(sf);
    return path;
}

/* A session of n voices of one kind, each gliding slowly so the ramp paths
 * are exercised.  kind "mix" is the 16-voice mix in proportion: half
 * binaural tones, a quarter noise, a quarter clip voices looping a clip. */
static lull_script *voices_session(const char *kind, int n, const char *length)
{
    size_t cap = 256 + (size_t)n * 256;
    char *t = malloc(cap);
    size_t k = (size_t)snprintf(t, cap, "title \"bench %s x%d\"\n", kind, n);
    for (int i = 0; i < n; i++) {
        const char *kd = kind;
        if (!strcmp(kind, "mix"))
            kd = i < n / 2 ? "binaural" : i < 3 * n / 4 ? "noise" : "clip";
        if (!strcmp(kd, "binaural"))
            k += (size_t)snprintf(t + k, cap - k, "voice v%d binaural carrier=%dHz beat=%dHz gain=-40dB\n", i,
                                  150 + 7 * i, 4 + i % 8);
        else if (!strcmp(kd, "noise"))
            k += (size_t)snprintf(t + k, cap - k, "voice v%d noise color=%s gain=-40dB\n", i,
                                  i % 3 == 0 ? "white" : i % 3 == 1 ? "pink" : "brown");
        else
            k += (size_t)snprintf(t + k, cap - k, "voice v%d %s gain=-40dB\n", i, kd);
        if (!strcmp(kd, "clip"))
            k += (size_t)snprintf(t + k, cap - k, "0:00 v%d play \"%s\" loop\n", i, clip_path());
    }
    for (int i = 0; i < n; i++)
        k += (size_t)snprintf(t + k, cap - k, "0:00 v%d gain=-30dB over %s\n", i, length);
    k += (size_t)snprintf(t + k, cap - k, "%s end\n", length);
    lull_script *s = load_text(t);
    free(t);
    return s;
}

/* --------------------------------------------------------------- timing */

/* The I/O floor: the same file, all zeros, through libsndfile; `synced`:
 * made durable before the clock stops, as lull_render_file does when it
 * replaces a file (fsync before its rename), so the disk's own speed is in
 * both. */
static double time_silence_wav_as(int64_t frames, int rate, int synced)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lull-bench-silence.wav", tmpdir);
    SF_INFO info = { 0 };
    info.samplerate = rate;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_24;
    float *buf = calloc(2 * 16384, sizeof(float));
    double t0 = now_sec(), c0 = cpu_sec();
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf || !buf)
        die(path, sf_strerror(NULL));
    for (int64_t done = 0; done < frames;) {
        int n = frames - done > 16384 ? 16384 : (int)(frames - done);
        sf_writef_float(sf, buf, n);
        done += n;
    }
    sf_close(sf);
    if (synced) {
        int fd = open(path, O_RDONLY);
        if (fd < 0 || fsync(fd) != 0)
            die(path, strerror(errno));
        close(fd);
    }
    double t = now_sec() - t0;
    last_cpu = cpu_sec() - c0;
    unlink(path);
    free(buf);
    return t;
}

static double time_silence_wav(int64_t frames, int rate) { return time_silence_wav_as(frames, rate, 0); }

/* The encoder floor: frames already computed, encoded from memory. */
static double time_encode(const float *frames_buf, int64_t frames, int format, const char *ext)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lull-bench-enc.%s", tmpdir, ext);
    SF_INFO info = { 0 };
    info.samplerate = 48000;
    info.channels = 2;
    info.format = format;
    double t0 = now_sec();
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        die(path, sf_strerror(NULL));
    if ((format & SF_FORMAT_TYPEMASK) == SF_FORMAT_OGG) {
        double q = 0.6; /* as lull's render */
        sf_command(sf, SFC_SET_VBR_ENCODING_QUALITY, &q, sizeof q);
    }
    for (int64_t done = 0; done < frames;) {
        int n = frames - done > 16384 ? 16384 : (int)(frames - done);
        sf_writef_float(sf, frames_buf + 2 * done, n);
        done += n;
    }
    sf_close(sf);
    double t = now_sec() - t0;
    unlink(path);
    return t;
}

/* `summary`: with the loudness measurement of `lull render`'s summary;
 * `replace`: over an existing file, which lull syncs before its rename. */
static double time_render_as(const lull_script *s, const char *ext, int summary, int replace)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/lull-bench-render.%s", tmpdir, ext);
    if (replace) {
        FILE *f = fopen(path, "wb");
        if (!f || fputs("an older render\n", f) < 0 || fclose(f) != 0)
            die(path, strerror(errno));
    }
    lull_render_config rc = lull_render_config_init();
    lull_loudness loud;
    if (summary)
        rc.loudness = &loud; /* as `lull render` does, for its summary */
    double t0 = now_sec(), c0 = cpu_sec();
    int r = lull_render_file(s, path, &rc);
    double t = now_sec() - t0;
    last_cpu = cpu_sec() - c0;
    if (r != LULL_OK)
        die("render", lull_last_error());
    unlink(path);
    return t;
}

static double time_render(const lull_script *s, const char *ext) { return time_render_as(s, ext, 0, 0); }

/* The analysis pass behind `lull render --loudness`. */
static double time_analysis(const lull_script *s)
{
    lull_loudness loud;
    double t0 = now_sec();
    if (lull_analyze_loudness(s, NULL, NULL, NULL, &loud) != LULL_OK)
        die("analysis", lull_last_error());
    return now_sec() - t0;
}

/* Offline engines wait for the clip loader (complete output, as a render);
 * live ones never wait (as in an audio callback). */
static lull_engine *engine_mode(const lull_script *s, int offline)
{
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = offline;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK)
        die("engine", lull_last_error());
    return e;
}

static lull_engine *engine_for(const lull_script *s) { return engine_mode(s, 1); }

/* Engine cost in ns per frame at a block size, into memory. */
static int64_t underruns_seen;

/* Measured as a live host runs the engine: clips prepared before the first
 * block, then the engine never waits (the loader decodes on its own thread;
 * its cost is in lull-bench-clips). */
/* The least time of many short trials (32 blocks each) over `frames`: a
 * moment of load on the shared machine lands in a few trials and is not
 * counted, where a mean over the whole run would carry it (the per-voice
 * figures are small differences of two such times). */
#define MIXER_TRIAL_BLOCKS 32
static double time_mixer(const lull_script *s, int block, int64_t frames)
{
    lull_engine *e = engine_mode(s, 0);
    lull_engine_prepare(e);
    float *buf = malloc(sizeof(float) * 2 * (size_t)block);
    lull_engine_process(e, buf, block); /* warm up */
    double t = 1e30;
    for (int64_t done = 0; done < frames; done += (int64_t)block * MIXER_TRIAL_BLOCKS) {
        const double t0 = now_sec();
        for (int b = 0; b < MIXER_TRIAL_BLOCKS; b++)
            lull_engine_process(e, buf, block);
        const double dt = now_sec() - t0;
        t = dt < t ? dt : t;
    }
    frames = (int64_t)block * MIXER_TRIAL_BLOCKS;
    lull_clip_stats cs;
    lull_engine_clip_stats(e, &cs);
    underruns_seen += cs.underruns;
    free(buf);
    lull_engine_destroy(&e);
    return t * 1e9 / (double)frames;
}

static double best_mixer(const lull_script *s, int64_t frames)
{
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double v = time_mixer(s, 64, frames);
        best = v < best ? v : best;
    }
    return best;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Per-block cost distribution of the 16-voice mix at 64 frames. */
static void block_costs(const lull_script *s, int blocks, double *p50, double *p999, double *max)
{
    lull_engine *e = engine_mode(s, 0);
    float buf[2 * 64];
    double *us = malloc(sizeof(double) * (size_t)blocks);
    lull_engine_prepare(e); /* as the player does before it starts */
    for (int i = 0; i < 64; i++)
        lull_engine_process(e, buf, 64);
    for (int i = 0; i < blocks; i++) {
        double t0 = now_sec();
        lull_engine_process(e, buf, 64);
        us[i] = (now_sec() - t0) * 1e6;
    }
    qsort(us, (size_t)blocks, sizeof *us, cmp_double);
    *p50 = us[blocks / 2];
    *p999 = us[(int)((double)blocks * 0.999)];
    *max = us[blocks - 1];
    free(us);
    lull_engine_destroy(&e);
}


/* The session the memory figures pull through the engine. */
static lull_script *memory_session(const char *length) { return voices_session("mix", 4, length); }

/* `lull-bench --memory-child LENGTH` (run by child_peak_rss): pull the
 * whole session through the engine, print the peak resident size (KiB)
 * and the CPU seconds the pull took, every thread (the clip loader's too). */
static int memory_child(const char *length)
{
    lull_script *s = memory_session(length);
    lull_engine *e = engine_for(s);
    float *buf = malloc(sizeof(float) * 2 * 4096);
    const double c0 = cpu_sec();
    while (!lull_engine_finished(e))
        lull_engine_process(e, buf, 4096);
    const double cpu = cpu_sec() - c0;
    free(buf);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    printf("%ld %.6f\n", own_peak_kib(), cpu);
    return 0;
}

/* Peak RSS (KiB) of a fresh process (this program executed again, so
 * nothing of this one's renders is in it) that pulls the whole session
 * through the engine; *cpu: the CPU seconds of the pull. */
static long child_peak_rss(const char *length, double *cpu)
{
    int fds[2];
    if (pipe(fds) != 0)
        die("memory", "pipe");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        if (dup2(fds[1], STDOUT_FILENO) < 0)
            _exit(127);
        execl("/proc/self/exe", "lull-bench", "--dir", tmpdir, "--memory-child", length, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char text[64] = "";
    ssize_t r = read(fds[0], text, sizeof text - 1);
    close(fds[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || r <= 0)
        die("memory", "the child failed");
    text[r] = '\0';
    char *rest = NULL;
    const long kib = strtol(text, &rest, 10);
    if (kib <= 0)
        die("memory", "the child could not read its peak (/proc/self/status)");
    *cpu = strtod(rest, NULL);
    if (!(*cpu > 0.0))
        die("memory", "the child did not say how long the pull took");
    return kib;
}

/* ---------------------------------------------------------------- table */

static int rows_missed;

static void header(void)
{
    printf("| %-58s | %12s | %12s | %8s | %8s | %-4s |\n", "figure", "value", "baseline", "ratio", "target", "met");
    printf("|%s|%s|%s|%s|%s|%s|\n", "------------------------------------------------------------", "--------------",
           "--------------", "----------", "----------", "------");
}

/* value and baseline in the same unit; target is a ratio (0: none). */
static void row(const char *figure, double value, const char *unit, double base, double target)
{
    char v[32], b[32] = "", r[16] = "", t[16] = "", met[8] = "";
    snprintf(v, sizeof v, "%.3f %s", value, unit);
    if (base > 0) {
        snprintf(b, sizeof b, "%.3f %s", base, unit);
        snprintf(r, sizeof r, "%.3fx", value / base);
    }
    if (target > 0) {
        snprintf(t, sizeof t, "<= %.2fx", target);
        int ok = value / base <= target;
        snprintf(met, sizeof met, "%s", ok ? "yes" : "NO");
        rows_missed += !ok;
    }
    printf("| %-58s | %12s | %12s | %8s | %8s | %-4s |\n", figure, v, b, r, t, met);
}

/* A figure with an absolute target (percent of a budget, KiB ...). */
static void row_abs(const char *figure, double value, const char *unit, double limit)
{
    char v[32], t[24] = "", met[8] = "";
    snprintf(v, sizeof v, "%.3f %s", value, unit);
    if (limit > 0) {
        snprintf(t, sizeof t, "<= %g", limit);
        snprintf(met, sizeof met, "%s", value <= limit ? "yes" : "NO");
        rows_missed += value > limit;
    }
    printf("| %-58s | %12s | %12s | %8s | %8s | %-4s |\n", figure, v, "", "", t, met);
}

static int kernel(int blocks)
{
    lull_script *s = voices_session("mix", 16, "60:00");
    lull_engine *e = engine_for(s);
    float buf[2 * 64];
    for (int i = 0; i < blocks; i++)
        lull_engine_process(e, buf, 64);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return 0;
}

/* Cancels the render (cleanly: the file is removed) past *user frames. */
static int stop_after(void *user, int64_t done, int64_t total)
{
    (void)total;
    return done >= *(const int64_t *)user;
}

/* The render path alone, for callgrind: the first `seconds` of tones60.lull
 * (as the full benchmark renders it) to a WAV in tmpdir. */
static int render_kernel(double seconds)
{
    lull_script *s = load_file("tones60.lull");
    char path[1024];
    snprintf(path, sizeof path, "%s/lull-bench-render-kernel.wav", tmpdir);
    lull_render_config rc = lull_render_config_init();
    int64_t stop = (int64_t)(seconds * 48000.0);
    rc.progress = stop_after;
    rc.user = &stop;
    int r = lull_render_file(s, path, &rc);
    if (r != LULL_OK && r != LULL_ERR_CANCELLED)
        die("render", lull_last_error());
    lull_script_free(&s);
    return 0;
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick"))
            quick = 1;
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            tmpdir = argv[++i];
        else if (!strcmp(argv[i], "--memory-child") && i + 1 < argc)
            return memory_child(argv[++i]);
        else if (!strcmp(argv[i], "--kernel") && i + 1 < argc)
            return kernel(atoi(argv[++i]));
        else if (!strcmp(argv[i], "--render-kernel") && i + 1 < argc)
            return render_kernel(atof(argv[++i]));
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only_mask |= group_named(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc && atoi(argv[i + 1]) > 0)
            reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: lull-bench [--quick] [--reps N] [--only GROUP]... [--dir TMPDIR] [--kernel BLOCKS]\n"
                   "                  [--render-kernel SECONDS] [SOURCE_DIR]\n"
                   "GROUP: render, flac, ogg, mixer, linearity, blocks, memory or summary\n");
            return 0;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "lull-bench: unknown option or missing value: %s (try --help)\n", argv[i]);
            return 2;
        } else {
            srcdir = argv[i];
        }
    }
    if (quick)
        reps = 1;
    const int64_t mix_frames = quick ? 48000 * 2 : 48000 * 30;
    printf("lull %s benchmark (%s run; best of %d)\n\n", lull_version(), quick ? "quick" : "full", reps);
    header();

    /* Render to WAV against the I/O floor. */
    lull_script *tones = load_file("tones60.lull");
    int64_t frames = (int64_t)(lull_script_duration_sec(tones) * 48000.0 + 0.5);
    if (!quick && wanted(G_RENDER)) {
        double floor_t = 1e30, render_t = 1e30, synced_t = 1e30, replace_t = 1e30, floor_cpu = 1e30,
               render_cpu = 1e30;
        for (int r = 0; r < reps; r++) {
            double a = time_silence_wav(frames, 48000);
            floor_cpu = last_cpu < floor_cpu ? last_cpu : floor_cpu;
            double b = time_render(tones, "wav");
            render_cpu = last_cpu < render_cpu ? last_cpu : render_cpu;
            double c = time_silence_wav_as(frames, 48000, 1);
            double d = time_render_as(tones, "wav", 0, 1);
            floor_t = a < floor_t ? a : floor_t;
            render_t = b < render_t ? b : render_t;
            synced_t = c < synced_t ? c : synced_t;
            replace_t = d < replace_t ? d : replace_t;
        }
        /* A new file, which lull (like the floor) hands to the kernel
         * without waiting for the disk. */
        row("render 60 min tones+noise, WAV 24-bit (s)", render_t, "s", floor_t, 1.25);
        /* Over an existing file lull waits for the disk before the rename
         * (the old file gives way only to a complete one, even after a
         * power cut): against silence made durable the same way. */
        row("  replacing a file (fsync), against silence fsynced (s)", replace_t, "s", synced_t, 0);
        /* Both again in memory (tmpfs), where the file system costs least:
         * what synthesis and the copy into the page cache cost, without the
         * disk and ext4's block allocation. */
        if (access("/dev/shm", W_OK) == 0 && strcmp(tmpdir, "/dev/shm") != 0) {
            const char *saved = tmpdir;
            double mfloor = 1e30, mrender = 1e30;
            tmpdir = "/dev/shm";
            for (int r = 0; r < reps; r++) {
                double a = time_silence_wav(frames, 48000);
                double b = time_render(tones, "wav");
                mfloor = a < mfloor ? a : mfloor;
                mrender = b < mrender ? b : mrender;
            }
            tmpdir = saved;
            row("  the same into memory (/dev/shm, no disk) (s)", mrender, "s", mfloor, 0);
        }
        /* The work itself, whatever the host did meanwhile: CPU seconds of
         * every thread.  On two cores the wall time cannot go below half
         * the render's CPU time, which bounds the ratio above. */
        row("  CPU time, all threads, against the floor's (s)", render_cpu, "s", floor_cpu, 0);
        row("  lower bound on 2 cores: CPU / 2 against the floor (s)", render_cpu / 2.0, "s", floor_t, 0);
        row_abs("  render speed (x real time)", (double)frames / 48000.0 / render_t, "x", 0);
    }

    /* The command line's render: the same with the loudness summary, and
     * the analysis pass of --loudness (no file). */
    if (!quick && wanted(G_SUMMARY)) {
        double floor_t = 1e30, plain_t = 1e30, summary_t = 1e30, analysis_t = 1e30;
        for (int r = 0; r < reps; r++) {
            double a = time_silence_wav(frames, 48000);
            double b = time_render(tones, "wav");
            double c = time_render_as(tones, "wav", 1, 0);
            double d = time_analysis(tones);
            floor_t = a < floor_t ? a : floor_t;
            plain_t = b < plain_t ? b : plain_t;
            summary_t = c < summary_t ? c : summary_t;
            analysis_t = d < analysis_t ? d : analysis_t;
        }
        row("render 60 min WAV with the loudness summary (s)", summary_t, "s", floor_t, 0);
        row("  against the render without the summary (s)", summary_t, "s", plain_t, 0);
        row("loudness analysis 60 min, --loudness pass (s)", analysis_t, "s", floor_t, 0);
        row("  against the render without the summary (s)", analysis_t, "s", plain_t, 0);
    }

    /* FLAC and Ogg against the encoder fed from memory (10 minutes). */
    if (!quick && wanted(G_FLAC | G_OGG)) {
        lull_script *ten = load_file("tones10.lull");
        int64_t f10 = (int64_t)(lull_script_duration_sec(ten) * 48000.0 + 0.5);
        float *pcm = malloc(sizeof(float) * 2 * (size_t)f10);
        lull_engine *e = engine_for(ten);
        for (int64_t done = 0; done < f10; done += 4096)
            lull_engine_process(e, pcm + 2 * done, f10 - done > 4096 ? 4096 : (int)(f10 - done));
        lull_engine_destroy(&e);
        static const struct { const char *ext; int fmt; const char *name; } encs[] = {
            { "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, "render 10 min, FLAC 24-bit (s)" },
            { "ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, "render 10 min, Ogg Vorbis q0.6 (s)" },
        };
        for (int k = 0; k < 2; k++) {
            if (!wanted(k == 0 ? G_FLAC : G_OGG))
                continue;
            double enc = 1e30, ren = 1e30;
            for (int r = 0; r < reps; r++) {
                double a = time_encode(pcm, f10, encs[k].fmt, encs[k].ext);
                double b = time_render(ten, encs[k].ext);
                enc = a < enc ? a : enc;
                ren = b < ren ? b : ren;
            }
            row(encs[k].name, ren, "s", enc, 1.15);
        }
        free(pcm);
        lull_script_free(&ten);
    }

    /* Mixer cost per voice kind (8 voices of the kind, minus no voices),
     * each the least of many short trials (time_mixer). */
    lull_script *empty = voices_session("binaural", 0, "60:00");
    const double base_ns = wanted(G_MIXER | G_LINEAR) ? best_mixer(empty, mix_frames) : 0.0;
    if (wanted(G_MIXER))
        row_abs("mixer, no voices (ns/frame)", base_ns, "ns", 0);
    static const char *const kinds[] = { "binaural", "monaural", "isochronic", "pacer",
                                         "tone",     "bell",     "noise",      "spin", "clip" };
    for (size_t k = 0; wanted(G_MIXER) && k < sizeof kinds / sizeof kinds[0]; k++) {
        lull_script *s = voices_session(kinds[k], 8, "60:00");
        double ns = best_mixer(s, mix_frames);
        char name[64];
        snprintf(name, sizeof name, "  %s (ns/frame/voice)", kinds[k]);
        row_abs(name, (ns - base_ns) / 8.0, "ns", 0);
        lull_script_free(&s);
    }

    /* Linearity in the number of voices (binaural, the common case). */
    double per1 = 0;
    static const int counts[] = { 1, 4, 16, 64 };
    for (int k = 0; wanted(G_LINEAR) && k < 4; k++) {
        lull_script *s = voices_session("binaural", counts[k], "60:00");
        double ns = best_mixer(s, mix_frames) - base_ns;
        double per = ns / counts[k];
        if (k == 0)
            per1 = per;
        char name[64];
        snprintf(name, sizeof name, "  %d binaural voices, per voice (ns/frame)", counts[k]);
        row(name, per, "ns", per1, k ? 1.25 : 0);
        lull_script_free(&s);
    }

    /* Per-block cost of 16 voices against a 64-frame block's budget. */
    if (wanted(G_BLOCKS)) {
        lull_script *s = voices_session("mix", 16, "60:00");
        double p50, p999, mx;
        block_costs(s, quick ? 2000 : 200000, &p50, &p999, &mx);
        const double budget_us = 64.0 / 48000.0 * 1e6;
        row_abs("16 voices (8 tone, 4 noise, 4 clip), 64-frame block p50 (% budget)", p50 / budget_us * 100.0, "%", 2.0);
        row_abs("  p99.9 (% budget)", p999 / budget_us * 100.0, "%", 10.0);
        row_abs("  max (% budget)", mx / budget_us * 100.0, "%", 0);
        lull_script_free(&s);
    }

    /* Peak memory for a 1-hour and an 8-hour session. */
    if (!quick && wanted(G_MEMORY)) {
        double c1 = 0.0, c1b = 0.0, c8 = 0.0;
        long m1 = child_peak_rss("1:00:00", &c1), m8 = child_peak_rss("8:00:00", &c8);
        /* The 1-hour pull (about 2 s) a second time: a moment of load
         * weighs on it eight times as much as on the 8-hour one. */
        (void)child_peak_rss("1:00:00", &c1b);
        c1 = c1b < c1 ? c1b : c1;
        row("peak RSS, 4 voices: 8 h vs 1 h (MiB)", (double)m8 / 1024.0, "MiB", (double)m1 / 1024.0, 1.10);
        row_abs("  peak RSS, 1 h (MiB)", (double)m1 / 1024.0, "MiB", 32.0);
        /* Cost linear in session length: CPU seconds per hour of session,
         * the 8-hour pull against the 1-hour one (the same processes). */
        row("CPU per session hour, 4 voices: 8 h vs 1 h (s)", c8 / 8.0, "s", c1, 1.10);
    }

    if (underruns_seen)
        printf("\nnote: the clip loader fell behind %lld time(s) during the mixer runs\n",
               (long long)underruns_seen);
    printf("\n%d figure(s) missed their target.\n", rows_missed);
    lull_script_free(&tones);
    lull_script_free(&empty);
    return 0;
}
