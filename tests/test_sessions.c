/*
 * test_sessions.c - the shipped sessions (scripts/<name>/<name>.lull) load,
 * render, and sound the way their scripts say:
 *
 *   - every session folder in scripts/ has a script that loads cleanly, and
 *     every one of them is listed here (a new session must add its checks);
 *   - the whole render is finite and within full scale, and the final fade
 *     reaches silence;
 *   - the binaural beat (each ear's frequency) at chosen instants matches
 *     the value the script's glides give there, within 0.02 Hz;
 *   - the pacer's breathing period matches inhale + exhale before and after
 *     its glide;
 *   - every narration clip lands at its timestamp: the session is rendered a
 *     second time without its `play` lines and the difference (the clip plus
 *     the ducking it causes) must start within 30 ms after the clip's time
 *     and be silent in the half second before.
 *
 * Renders are pulled from the engine in offline mode (complete, as a file
 * render) with the fastest clip resampler, to keep the test quick.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "lull.h"
#include "lull_internal.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define BLOCK 4096

static int failures;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "FAILED: %s: ", #cond);                          \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* What each session promises, from its script. */
typedef struct tone_check {
    double at_sec;        /* centre of a 6 s window without narration */
    double carrier_hz, beat_hz;
} tone_check;

typedef struct breath_check {
    double from_sec, to_sec; /* window without narration */
    double period_sec;
} breath_check;

typedef struct session_spec {
    const char *name;
    double length_sec;
    tone_check tones[4];
    breath_check breaths[2];
} session_spec;

/* Beat values at the check times follow the scripts' linear glides. */
static const session_spec sessions[] = {
    { "pmr-back", 1200.0,
      { { 1.0 * 60 + 40, 180.0, 10.0 - 4.0 * 70.0 / 900.0 },  /* beat 10 -> 6 over 15m from 0:30 */
        { 9.0 * 60 + 0, 180.0, 10.0 - 4.0 * 510.0 / 900.0 },
        { 17.0 * 60 + 40, 180.0, 6.0 } },
      { { 0, 0, 0 } } },
    { "imagery-shore", 900.0,
      { { 3.0 * 60 + 30, 160.0, 8.0 - 1.0 * 180.0 / 720.0 },  /* 8 -> 7 over 12m from 0:30 */
        { 12.0 * 60 + 50, 160.0, 7.0 } },
      { { 0, 0, 0 } } },
    { "breathing", 600.0, { { 0, 0, 0 } },
      { { 0 * 60 + 40, 1 * 60 + 28, 6.0 },                      /* rate=10/min */
        { 7 * 60 + 44, 9 * 60 + 4, 10.0 } } },                   /* 6/min after the glide */
    { "body-scan", 900.0,
      { { 4.0 * 60 + 6, 190.0, 8.0 - 3.0 * 206.0 / 720.0 },   /* 8 -> 5 over 12m from 0:40 */
        { 13.0 * 60 + 40, 190.0, 5.0 } },
      { { 0, 0, 0 } } },
    { "sleep-descent", 1800.0,
      { { 6.0 * 60 + 0, 150.0, 10.0 - 4.0 * 270.0 / 510.0 },  /* 10 -> 6 over 8m30s from 1:30 */
        { 10.0 * 60 + 0, 150.0, 6.0 },
        { 17.0 * 60 + 0, 150.0, 6.0 - 4.0 * 420.0 / 840.0 },  /* 6 -> 2 over 14m from 10:00 */
        { 24.5 * 60, 150.0, 2.0 } },
      { { 0, 0, 0 } } },
    { "unwind", 1200.0,
      { { 0 * 60 + 17, 200.0, 10.0 },
        { 2.0 * 60 + 20, 200.0, 10.0 - 4.0 * 120.0 / 240.0 },  /* 10 -> 6 over 4m from 0:20 */
        { 10.0 * 60, 200.0, 6.0 } },
      { { 0, 0, 0 } } },
};
#define N_SESSIONS ((int)(sizeof sessions / sizeof sessions[0]))

static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    *len = fread(buf, 1, (size_t)n, f);
    buf[*len] = '\0';
    fclose(f);
    return buf;
}

/* The script with every `VOICE play ...` line turned into a comment. */
static char *without_plays(const char *text, size_t len)
{
    char *out = malloc(len + 1);
    memcpy(out, text, len + 1);
    for (char *line = out; line && *line;) {
        char *nl = strchr(line, '\n');
        char a[64], b[64], c[64];
        if (sscanf(line, "%63s %63s %63s", a, b, c) == 3 && !strcmp(c, "play") && a[0] != '#')
            line[0] = '#';
        line = nl ? nl + 1 : NULL;
    }
    return out;
}

static lull_script *load(const char *text, size_t len, const char *path)
{
    lull_script *s = NULL;
    int r = lull_script_load_string(text, len, path, NULL, &s);
    CHECK(r == LULL_OK, "%s does not load: %s", path, lull_last_error());
    return s;
}

static lull_engine *engine(const lull_script *s)
{
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = 1;
    ec.resampler = LULL_RESAMPLER_FASTEST;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK)
        return NULL;
    return e;
}

/* A stretch of the render kept for measuring. */
typedef struct window {
    int64_t from, to;
    float *left, *right;
} window;

static void keep(window *w, const float *block, int64_t pos, int n)
{
    for (int k = 0; k < n; k++) {
        int64_t f = pos + k;
        if (f >= w->from && f < w->to) {
            w->left[f - w->from] = block[2 * k];
            w->right[f - w->from] = block[2 * k + 1];
        }
    }
}

static void window_init(window *w, double from_sec, double to_sec)
{
    w->from = (int64_t)(from_sec * RATE);
    w->to = (int64_t)(to_sec * RATE);
    w->left = calloc((size_t)(w->to - w->from), sizeof(float));
    w->right = calloc((size_t)(w->to - w->from), sizeof(float));
}

/* Breathing period from the level envelope: autocorrelation peak. */
static double breath_period(const float *x, size_t n)
{
    const size_t hop = RATE / 20; /* 50 ms */
    size_t m = n / hop;
    double *env = calloc(m, sizeof(double));
    double mean = 0;
    for (size_t i = 0; i < m; i++) {
        env[i] = an_rms(x, i * hop, (i + 1) * hop);
        mean += env[i];
    }
    mean /= (double)m;
    for (size_t i = 0; i < m; i++)
        env[i] -= mean;
    /* Search 3..15 s, then refine the peak with a parabola. */
    size_t lo = 3 * 20, hi = 15 * 20, best = lo;
    double bestv = -1e30, ac[15 * 20 + 2];
    for (size_t lag = lo - 1; lag <= hi + 1 && lag < m; lag++) {
        double s = 0;
        for (size_t i = 0; i + lag < m; i++)
            s += env[i] * env[i + lag];
        ac[lag] = s / (double)(m - lag);
    }
    for (size_t lag = lo; lag <= hi && lag + 1 < m; lag++)
        if (ac[lag] > bestv && ac[lag] >= ac[lag - 1] && ac[lag] >= ac[lag + 1]) {
            bestv = ac[lag];
            best = lag;
        }
    double a = ac[best - 1], b = ac[best], c = ac[best + 1];
    double d = a - 2 * b + c;
    double off = d != 0 ? 0.5 * (a - c) / d : 0;
    free(env);
    return ((double)best + off) * (double)hop / RATE;
}

typedef struct clip_time {
    int64_t frame;
    int line;
} clip_time;

static void check_session(const session_spec *sp)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/scripts/%s/%s.lull", LULL_SOURCE_DIR, sp->name, sp->name);
    size_t len = 0;
    char *text = read_text(path, &len);
    CHECK(text != NULL, "cannot read %s", path);
    if (!text)
        return;
    lull_script *s = load(text, len, path);
    char *bare_text = without_plays(text, len);
    lull_script *bare = load(bare_text, strlen(bare_text), path);
    if (!s || !bare) {
        free(text);
        free(bare_text);
        return;
    }
    CHECK(fabs(lull_script_duration_sec(s) - sp->length_sec) < 1e-9, "%s lasts %.1f s, expected %.1f",
          sp->name, lull_script_duration_sec(s), sp->length_sec);

    /* Narration times, from the script's play events. */
    clip_time clips[256];
    int n_clips = 0;
    for (int i = 0; i < s->n_events && n_clips < 256; i++)
        if (s->events[i].kind == LULL_EV_PLAY)
            clips[n_clips++] = (clip_time){ lull_ns_to_frames(s->events[i].time_ns, RATE), s->events[i].line };

    window tw[4], bw[2];
    int n_t = 0, n_b = 0;
    for (int k = 0; k < 4 && sp->tones[k].at_sec > 0; k++)
        window_init(&tw[n_t++], sp->tones[k].at_sec - 3.0, sp->tones[k].at_sec + 3.0);
    for (int k = 0; k < 2 && sp->breaths[k].to_sec > 0; k++)
        window_init(&bw[n_b++], sp->breaths[k].from_sec, sp->breaths[k].to_sec);

    lull_engine *e = engine(s), *eb = engine(bare);
    CHECK(e && eb, "%s: engine: %s", sp->name, lull_last_error());
    if (!e || !eb)
        goto out;
    const int64_t total = lull_engine_length_frames(e);
    float *a = malloc(sizeof(float) * 2 * BLOCK), *b = malloc(sizeof(float) * 2 * BLOCK);
    double peak = 0;
    int64_t bad = -1;
    int64_t last_loud = -1;       /* last frame where the whole mix is above -100 dB */
    int64_t *first_diff = malloc(sizeof(int64_t) * (size_t)(n_clips ? n_clips : 1));
    int64_t *early_diff = malloc(sizeof(int64_t) * (size_t)(n_clips ? n_clips : 1));
    for (int c = 0; c < n_clips; c++)
        first_diff[c] = early_diff[c] = -1;
    for (int64_t pos = 0; pos < total; pos += BLOCK) {
        int n = total - pos > BLOCK ? BLOCK : (int)(total - pos);
        lull_engine_process(e, a, n);
        lull_engine_process(eb, b, n);
        for (int k = 0; k < 2 * n; k++) {
            float x = a[k];
            if (!isfinite(x) && bad < 0)
                bad = pos + k / 2;
            if (fabsf(x) > peak)
                peak = fabsf(x);
            if (fabsf(x) > 1e-5f)
                last_loud = pos + k / 2;
        }
        for (int c = 0; c < n_clips; c++) {
            const int64_t t = clips[c].frame;
            if (pos + n <= t - RATE / 2 || pos > t + RATE / 2)
                continue;
            for (int k = 0; k < n; k++) {
                const int64_t f = pos + k;
                if (f < t - RATE / 2 || f > t + RATE / 2)
                    continue;
                float d = fmaxf(fabsf(a[2 * k] - b[2 * k]), fabsf(a[2 * k + 1] - b[2 * k + 1]));
                if (d > 1e-4f) {
                    if (f < t && early_diff[c] < 0)
                        early_diff[c] = f;
                    if (f >= t && first_diff[c] < 0)
                        first_diff[c] = f;
                }
            }
        }
        for (int w = 0; w < n_t; w++)
            keep(&tw[w], a, pos, n);
        for (int w = 0; w < n_b; w++)
            keep(&bw[w], a, pos, n);
    }
    CHECK(bad < 0, "%s: non-finite sample at frame %lld", sp->name, (long long)bad);
    CHECK(peak < 1.0, "%s: peak %.4f reaches full scale", sp->name, peak);
    CHECK(last_loud < total - RATE / 100, "%s: the final fade does not reach silence (last sound %.3f s before the end)",
          sp->name, (double)(total - last_loud) / RATE);
    printf("%-14s %6.1f min, peak %.3f, silent for the last %.2f s\n", sp->name, (double)total / RATE / 60.0, peak,
           (double)(total - last_loud - 1) / RATE);

    int landed = 0;
    for (int c = 0; c < n_clips; c++) {
        const double late_ms = first_diff[c] < 0 ? -1 : (double)(first_diff[c] - clips[c].frame) * 1000.0 / RATE;
        CHECK(first_diff[c] >= 0 && late_ms <= 30.0, "%s:%d: narration should start at frame %lld; first heard %.1f ms later",
              sp->name, clips[c].line, (long long)clips[c].frame, late_ms);
        CHECK(early_diff[c] < 0, "%s:%d: something from the narration is heard %.1f ms before its time", sp->name,
              clips[c].line, (double)(clips[c].frame - early_diff[c]) * 1000.0 / RATE);
        landed += first_diff[c] >= 0 && late_ms <= 30.0 && early_diff[c] < 0;
    }
    if (n_clips)
        printf("%-14s %d/%d narration clips start within 30 ms after their timestamps\n", sp->name, landed, n_clips);

    for (int w = 0; w < n_t; w++) {
        const tone_check *tc = &sp->tones[w];
        size_t n = (size_t)(tw[w].to - tw[w].from);
        const double fl_want = tc->carrier_hz - tc->beat_hz / 2, fr_want = tc->carrier_hz + tc->beat_hz / 2;
        double fl = an_estimate_frequency_in(tw[w].left, n, RATE, fl_want - 3, fl_want + 3);
        double fr = an_estimate_frequency_in(tw[w].right, n, RATE, fr_want - 3, fr_want + 3);
        printf("%-14s at %6.1f s: left %.4f Hz (want %.4f), right %.4f Hz (want %.4f), beat %.4f Hz (want %.4f)\n",
               sp->name, tc->at_sec, fl, fl_want, fr, fr_want, fr - fl, tc->beat_hz);
        CHECK(fabs(fl - fl_want) < 0.02 && fabs(fr - fr_want) < 0.02 && fabs((fr - fl) - tc->beat_hz) < 0.02,
              "%s: the beat at %.1f s is not what the script says", sp->name, tc->at_sec);
        free(tw[w].left);
        free(tw[w].right);
    }
    for (int w = 0; w < n_b; w++) {
        size_t n = (size_t)(bw[w].to - bw[w].from);
        double p = breath_period(bw[w].left, n);
        printf("%-14s breathing period %.3f s between %.0f and %.0f s (want %.3f)\n", sp->name, p,
               sp->breaths[w].from_sec, sp->breaths[w].to_sec, sp->breaths[w].period_sec);
        CHECK(fabs(p - sp->breaths[w].period_sec) < 0.05, "%s: breathing period %.3f s, script says %.3f s",
              sp->name, p, sp->breaths[w].period_sec);
        free(bw[w].left);
        free(bw[w].right);
    }
    free(first_diff);
    free(early_diff);
    free(a);
    free(b);
out:
    lull_engine_destroy(&e);
    lull_engine_destroy(&eb);
    lull_script_free(&s);
    lull_script_free(&bare);
    free(text);
    free(bare_text);
}

int main(int argc, char **argv)
{
    /* Every folder in scripts/ with a script of its own name is covered. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/scripts", LULL_SOURCE_DIR);
    DIR *d = opendir(dir);
    CHECK(d != NULL, "cannot list %s", dir);
    int found = 0;
    for (struct dirent *de; d && (de = readdir(d));) {
        if (de->d_name[0] == '.')
            continue;
        char p[2048];
        snprintf(p, sizeof p, "%s/%s/%s.lull", dir, de->d_name, de->d_name);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        fclose(f);
        found++;
        int listed = 0;
        for (int i = 0; i < N_SESSIONS; i++)
            listed |= !strcmp(sessions[i].name, de->d_name);
        CHECK(listed, "scripts/%s is not checked by test_sessions.c: add what it promises", de->d_name);
    }
    if (d)
        closedir(d);
    CHECK(found >= 5, "only %d sessions in scripts/", found);
    for (int i = 0; i < N_SESSIONS; i++)
        if (argc < 2 || !strcmp(argv[1], sessions[i].name))
            check_session(&sessions[i]);
    if (failures) {
        fprintf(stderr, "test_sessions: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_sessions: ok\n");
    return 0;
}
