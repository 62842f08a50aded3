/*
 * test_loudness.c - loudness measurement and normalisation (EBU R 128).
 *
 *  - the master trim is a clean gain inside the engine's master stage;
 *  - lull_analyze_loudness() reads a tone of known level correctly, and
 *    agrees with the meter a render runs on what it writes;
 *  - normalising to -16 and -23 LUFS (true-peak ceiling -1 dBTP) lands
 *    within 0.1 LU of the target, with the true peak under the ceiling, as
 *    measured again by an independent libebur128 pass over the written
 *    file (decoded by libsndfile; no liblull code involved);
 *  - when the ceiling decides, the true peak still stays under it;
 *  - silence measures -inf and asks for no trim.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "lull.h"

#include <ebur128.h>
#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

static lull_script *load(const char *text)
{
    lull_script *s = NULL;
    int r = lull_script_load_string(text, strlen(text), "test", NULL, &s);
    if (r != LULL_OK) {
        fprintf(stderr, "cannot load test script: %s\n", lull_strerror(r));
        exit(1);
    }
    return s;
}

/* The independent meter: libsndfile decodes, libebur128 measures. */
typedef struct measured {
    double lufs, tp_dbtp;
    double tp16_dbtp; /* the 16x reference meter (tests/analysis.h) */
    long long frames;
} measured;

static int measure_file(const char *path, measured *m)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return -1;
    ebur128_state *st = ebur128_init((unsigned)info.channels, (unsigned long)info.samplerate,
                                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    double *buf = malloc(sizeof(double) * 4096 * (size_t)info.channels);
    m->frames = 0;
    sf_count_t n;
    while ((n = sf_readf_double(sf, buf, 4096)) > 0) {
        ebur128_add_frames_double(st, buf, (size_t)n);
        m->frames += n;
    }
    ebur128_loudness_global(st, &m->lufs);
    double tp = 0.0;
    for (unsigned c = 0; c < (unsigned)info.channels; c++) {
        double x;
        ebur128_true_peak(st, c, &x);
        if (x > tp)
            tp = x;
    }
    m->tp_dbtp = 20.0 * log10(tp);
    ebur128_destroy(&st);
    free(buf);
    sf_close(sf);
    an_audio a;
    if (an_read_audio(path, &a) != 0)
        return -1;
    double tp16 = 0.0;
    for (int c = 0; c < a.channels; c++) {
        double x = an_true_peak_fine(a.channel[c], a.frames, 16);
        tp16 = x > tp16 ? x : tp16;
    }
    an_audio_free(&a);
    m->tp16_dbtp = 20.0 * log10(tp16);
    return 0;
}

/* A session with some life in it: a tone that glides, noise that swells,
 * fades at both ends. */
static const char *varied =
    "title \"loudness\"\n"
    "voice tone binaural carrier=180Hz beat=8Hz gain=-18dB\n"
    "voice bed noise color=pink gain=-32dB\n"
    "0:00 master fade-in 5s\n"
    "0:10 tone carrier=260Hz beat=5Hz over 30s\n"
    "0:20 bed gain=-24dB over 20s\n"
    "0:50 tone gain=-22dB over 10s\n"
    "1:20 master fade-out 10s\n"
    "1:30 end\n";

static void test_trim_is_clean_gain(void)
{
    lull_script *s = load("voice t binaural carrier=300Hz beat=4Hz gain=-30dB\n"
                          "voice n noise color=white gain=-40dB\n0:02 end\n");
    lull_engine_config c0 = lull_engine_config_init(), c6 = c0;
    c6.master_trim_db = 20.0 * log10(2.0);
    lull_engine *e0 = NULL, *e6 = NULL;
    CHECK(lull_engine_create(s, &c0, &e0) == LULL_OK, "create");
    CHECK(lull_engine_create(s, &c6, &e6) == LULL_OK, "create trimmed");
    float a[2 * 512], b[2 * 512];
    double worst = 0.0, peak = 0.0;
    while (!lull_engine_finished(e0)) {
        int n = lull_engine_process(e0, a, 512);
        lull_engine_process(e6, b, 512);
        for (int i = 0; i < 2 * n; i++) {
            double d = fabs((double)b[i] - 2.0 * (double)a[i]);
            worst = d > worst ? d : worst;
            peak = fabs(a[i]) > peak ? fabs(a[i]) : peak;
        }
    }
    CHECK(peak > 0.01, "the test signal is not silent (peak %g)", peak);
    CHECK(worst < 1e-6, "trim +6.02 dB doubles every sample (worst error %g)", worst);

    lull_engine *bad = NULL;
    c6.master_trim_db = 80.0;
    CHECK(lull_engine_create(s, &c6, &bad) == LULL_ERR_ARG && !bad, "a +80 dB trim is refused");
    lull_engine_destroy(&e0);
    lull_engine_destroy(&e6);
    lull_script_free(&s);
}

static void test_known_level(void)
{
    /* A 997 Hz sine of the same peak A in both ears measures 20 log10 A
     * LUFS (BS.1770: a full-scale 1 kHz sine in both channels is 0 LUFS,
     * the K-weighting adds +0.69 dB at 1 kHz and the offset takes -0.691). */
    lull_script *s = load("voice t binaural carrier=997Hz beat=0Hz gain=-20dB\n0:20 end\n");
    lull_engine_config cfg = lull_engine_config_init();
    lull_engine *e = NULL;
    CHECK(lull_engine_create(s, &cfg, &e) == LULL_OK, "create");
    float buf[2 * 1024];
    double peak = 0.0;
    while (!lull_engine_finished(e)) {
        int n = lull_engine_process(e, buf, 1024);
        /* Skip the start and end de-click ramps. */
        int64_t pos = lull_engine_position_frames(e);
        if (pos > 48000 && pos < 19 * 48000)
            for (int i = 0; i < 2 * n; i++)
                peak = fabs(buf[i]) > peak ? fabs(buf[i]) : peak;
    }
    lull_engine_destroy(&e);
    lull_loudness m;
    CHECK(lull_analyze_loudness(s, &cfg, NULL, NULL, &m) == LULL_OK, "analyze");
    double expect = 20.0 * log10(peak);
    CHECK(fabs(m.integrated_lufs - expect) < 0.05, "sine of peak %.2f dBFS measures %.3f LUFS", expect,
          m.integrated_lufs);
    CHECK(fabs(m.sample_peak_dbfs - expect) < 0.01, "sample peak %.3f vs %.3f", m.sample_peak_dbfs, expect);
    CHECK(m.true_peak_dbtp >= m.sample_peak_dbfs - 1e-9 && m.true_peak_dbtp < expect + 0.1,
          "true peak %.3f dBTP of a clean sine is its peak %.3f", m.true_peak_dbtp, expect);
    CHECK(m.range_lu < 0.5, "a steady tone has no loudness range (%.2f LU)", m.range_lu);
    lull_script_free(&s);
}

static void normalise(const char *text, double target, double ceiling, int expect_limited)
{
    lull_script *s = load(text);
    lull_engine_config ec = lull_engine_config_init();
    lull_loudness before;
    CHECK(lull_analyze_loudness(s, &ec, NULL, NULL, &before) == LULL_OK, "analyze");
    int limited = -1;
    double trim = lull_loudness_trim_db(&before, target, ceiling, &limited);
    CHECK(limited == expect_limited, "target %.1f: limited %d, expected %d", target, limited, expect_limited);

    char dir[] = "/tmp/lull-loudness-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL, "temporary folder");
    snprintf(path, sizeof path, "%s/out.wav", dir);
    lull_render_config rc = lull_render_config_init();
    rc.master_trim_db = trim;
    lull_loudness written;
    rc.loudness = &written;
    CHECK(lull_render_file(s, path, &rc) == LULL_OK, "render: %s", lull_last_error());

    measured m;
    CHECK(measure_file(path, &m) == 0, "read back %s", path);
    unlink(path);
    rmdir(dir);
    CHECK(m.frames == (long long)(lull_script_duration_sec(s) * 48000 + 0.5), "whole file (%lld frames)",
          m.frames);
    if (!expect_limited)
        CHECK(fabs(m.lufs - target) <= 0.1, "normalised to %.1f LUFS, measured %.3f", target, m.lufs);
    else
        CHECK(m.lufs < target - 0.1, "held under the target by the ceiling: %.3f LUFS", m.lufs);
    CHECK(m.tp_dbtp <= ceiling, "true peak %.3f dBTP under the %.1f ceiling", m.tp_dbtp, ceiling);
    /* What the render reported is what was written (24-bit rounding aside). */
    CHECK(fabs(written.integrated_lufs - m.lufs) < 0.01, "render says %.3f LUFS, file measures %.3f",
          written.integrated_lufs, m.lufs);
    /* The render's true peak (8x, tests/test_true_peak_meter.c) against the
     * 16x reference, and against libebur128 (4x) within the tolerance EBU
     * Tech 3341 allows a true-peak meter: +0.2 / -0.4 dB. */
    CHECK(fabs(written.true_peak_dbtp - m.tp16_dbtp) < 0.01, "render says %.3f dBTP, file measures %.3f (16x)",
          written.true_peak_dbtp, m.tp16_dbtp);
    CHECK(m.tp_dbtp - written.true_peak_dbtp <= 0.2 && m.tp_dbtp - written.true_peak_dbtp >= -0.4,
          "render says %.3f dBTP, libebur128 reads the file as %.3f", written.true_peak_dbtp, m.tp_dbtp);
    printf("target %6.1f LUFS ceiling %4.1f: measured before %.2f LUFS / %.2f dBTP, trim %+.2f dB -> "
           "%.3f LUFS, %.3f dBTP (libebur128), %.3f (16x), render said %.3f%s\n",
           target, ceiling, before.integrated_lufs, before.true_peak_dbtp, trim, m.lufs, m.tp_dbtp, m.tp16_dbtp,
           written.true_peak_dbtp,
           limited ? " (ceiling)" : "");
    lull_script_free(&s);
}

/* The summary a render gives (its meter on its own thread, fed the chunks
 * as written) is the analysis pass's, value for value: the same samples
 * measured, however they were cut into blocks. */
static void test_render_summary_is_analysis(void)
{
    lull_script *s = load(varied);
    lull_loudness a, w;
    lull_engine_config ec = lull_engine_config_init();
    CHECK(lull_analyze_loudness(s, &ec, NULL, NULL, &a) == LULL_OK, "analyze");
    char dir[] = "/tmp/lull-loudness-XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL, "temporary folder");
    snprintf(path, sizeof path, "%s/out.wav", dir);
    lull_render_config rc = lull_render_config_init();
    rc.samples = LULL_SAMPLES_FLOAT32;
    rc.loudness = &w;
    CHECK(lull_render_file(s, path, &rc) == LULL_OK, "render: %s", lull_last_error());
    unlink(path);
    rmdir(dir);
    CHECK(a.integrated_lufs == w.integrated_lufs && a.range_lu == w.range_lu &&
              a.true_peak_dbtp == w.true_peak_dbtp && a.sample_peak_dbfs == w.sample_peak_dbfs,
          "analysis %.6f LUFS %.6f LU %.6f dBTP %.6f dBFS, render %.6f %.6f %.6f %.6f", a.integrated_lufs,
          a.range_lu, a.true_peak_dbtp, a.sample_peak_dbfs, w.integrated_lufs, w.range_lu, w.true_peak_dbtp,
          w.sample_peak_dbfs);
    lull_script_free(&s);
}

static void test_silence(void)
{
    lull_script *s = load("voice t binaural carrier=200Hz beat=4Hz gain=-120dB\n0:05 end\n");
    lull_loudness m;
    CHECK(lull_analyze_loudness(s, NULL, NULL, NULL, &m) == LULL_OK, "analyze silence");
    CHECK(isinf(m.integrated_lufs) && m.integrated_lufs < 0, "silence is -inf LUFS (%g)", m.integrated_lufs);
    int limited = 1;
    CHECK(lull_loudness_trim_db(&m, -16.0, -1.0, &limited) == 0.0 && !limited, "no trim for silence");
    lull_script_free(&s);
}

int main(void)
{
    test_trim_is_clean_gain();
    test_known_level();
    normalise(varied, -16.0, -1.0, 0);
    normalise(varied, -23.0, -1.0, 0);
    /* A pure 440 Hz tone peaks 0.7 dB over its loudness, so -0.5 LUFS would
     * put it at +0.2 dBTP; the -1 dBTP ceiling must win. */
    normalise("voice t binaural carrier=440Hz beat=0Hz gain=-20dB\n0:15 end\n", -0.5, -1.0, 1);
    test_render_summary_is_analysis();
    test_silence();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
