/*
 * clip_util.h - helpers for the clip tests: write test clips in any format
 * with libsndfile, run a script through an offline engine into memory.
 * Header-only (static functions) so each test stays one file.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_CLIP_UTIL_H
#define LULL_CLIP_UTIL_H

#include "lull.h"

#include <sndfile.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CU_PI 3.14159265358979323846

static int failures;

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
            failures++;                                 \
        }                                               \
    } while (0)

/* A scratch folder for this test run: build/clip-tests/NAME. */
static char cu_dir[1024];

static inline void cu_make_dir(const char *name)
{
    snprintf(cu_dir, sizeof cu_dir, "%s/clip-tests", LULL_BINARY_DIR);
    mkdir(cu_dir, 0777);
    snprintf(cu_dir, sizeof cu_dir, "%s/clip-tests/%s", LULL_BINARY_DIR, name);
    mkdir(cu_dir, 0777);
}

static inline const char *cu_path(const char *file)
{
    static char buf[4][1200];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", cu_dir, file);
    return buf[k];
}

typedef enum cu_signal { CU_SINE, CU_IMPULSE, CU_NOISE } cu_signal;

/* Write `frames` frames at `rate` of a signal to `file` (in cu_dir) with the
 * libsndfile `format`.  Sine: freq_hz at amplitude amp (right channel the
 * same); impulse: one sample of amp at frame 0; noise: uniform white.
 * Returns 0, or -1 if libsndfile cannot write the format. */
static inline int cu_write(const char *file, int format, int rate, int channels, long frames, cu_signal sig,
                    double freq_hz, double amp)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE *sf = sf_open(cu_path(file), SFM_WRITE, &info);
    if (!sf) {
        printf("cannot write %s: %s\n", file, sf_strerror(NULL));
        return -1;
    }
    float *buf = calloc((size_t)frames * (size_t)channels, sizeof(float));
    uint32_t rng = 12345;
    for (long i = 0; i < frames; i++) {
        double v = 0.0;
        if (sig == CU_SINE)
            v = amp * sin(2.0 * CU_PI * freq_hz * (double)i / rate);
        else if (sig == CU_IMPULSE)
            v = i == 0 ? amp : 0.0;
        else {
            rng = rng * 1664525u + 1013904223u;
            v = amp * ((double)(rng >> 8) / 8388608.0 - 1.0);
        }
        for (int c = 0; c < channels; c++)
            buf[i * channels + c] = (float)v;
    }
    sf_count_t w = sf_writef_float(sf, buf, frames);
    free(buf);
    sf_close(sf);
    return w == frames ? 0 : -1;
}

/* Write `text` to a file in cu_dir. */
static inline void cu_write_text(const char *file, const char *text)
{
    FILE *f = fopen(cu_path(file), "wb");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

typedef struct cu_render {
    float *lr;          /* interleaved stereo */
    long frames;
    lull_clip_stats stats;
} cu_render;

static inline void cu_diag_print(void *user, const lull_diag *d)
{
    (void)user;
    printf("  %s:%d:%d: %s: %s\n", d->file, d->line, d->column,
           d->severity == LULL_SEVERITY_ERROR ? "error" : "warning", d->message);
}

/* Load `script` as if it were the file cu_dir/test.lull. */
static inline lull_script *cu_load(const char *script)
{
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = cu_diag_print;
    lull_script *s = NULL;
    int r = lull_script_load_string(script, strlen(script), cu_path("test.lull"), &lc, &s);
    if (r != LULL_OK)
        printf("  script did not load: %s\n", lull_strerror(r));
    return s;
}

/* Render a script with an offline engine, in blocks of `block` frames
 * (0: random sizes 1..4096). */
static inline int cu_render_script(const char *script, int rate, int resampler, int block, cu_render *out)
{
    memset(out, 0, sizeof *out);
    lull_script *s = cu_load(script);
    if (!s)
        return -1;
    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = rate;
    ec.offline = 1;
    ec.resampler = resampler;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK) {
        lull_script_free(&s);
        return -1;
    }
    out->frames = (long)lull_engine_length_frames(e);
    out->lr = calloc((size_t)out->frames * 2, sizeof(float));
    uint32_t rng = 99;
    long done = 0;
    while (done < out->frames) {
        int n = block;
        if (n <= 0) {
            rng = rng * 1664525u + 1013904223u;
            n = 1 + (int)((rng >> 12) % 4096u);
        }
        if (n > out->frames - done)
            n = (int)(out->frames - done);
        lull_engine_process(e, out->lr + 2 * done, n);
        done += n;
    }
    lull_engine_clip_stats(e, &out->stats);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return 0;
}

/* The script's render with the best converter (cu_render_script, blocks
 * of `block` frames) as `ref`, and an engine of the same script, offline
 * or live, to pull by hand against it.  0; -1 with nothing left allocated. */
static inline int cu_reference_and_engine(const char *script, int rate, int block, int offline, cu_render *ref,
                                          lull_script **s, lull_engine **e)
{
    *s = NULL;
    *e = NULL;
    if (cu_render_script(script, rate, LULL_RESAMPLER_BEST, block, ref) < 0) {
        printf("  the reference render failed\n");
        return -1;
    }
    *s = cu_load(script);
    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = rate;
    ec.offline = offline;
    if (!*s || lull_engine_create(*s, &ec, e) != LULL_OK) {
        printf("  the engine could not be made\n");
        lull_script_free(s);
        free(ref->lr);
        ref->lr = NULL;
        return -1;
    }
    return 0;
}

/* One channel (0 left, 1 right) of frames [from, from+n). */
static inline float *cu_channel(const cu_render *r, int ch, long from, long n)
{
    float *x = malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    for (long i = 0; i < n; i++)
        x[i] = (from + i < r->frames && from + i >= 0) ? r->lr[2 * (from + i) + ch] : 0.0f;
    return x;
}

#endif
