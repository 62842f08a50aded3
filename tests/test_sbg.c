/*
 * test_sbg.c - SBaGen schedules (engine/sbg.c): the timeline each construct
 * produces (voice parameters at chosen instants, read from the engine's
 * parameter tracks after a seek), the audio it renders (frequencies per
 * ear, levels, noise slopes, a bell's onset), errors at their line and
 * column, and `convert`: the .lull it writes renders bit-identically.
 *
 * The schedules are lull's own, in tests/sbg/.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "engine_internal.h"
#include "lull.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

#define RATE 48000
#define SBG_DIR LULL_SOURCE_DIR "/tests/sbg/"

/* ------------------------------------------------------------- loading */

typedef struct diags {
    int errors, warnings;
    int line, col;       /* of the first error */
    char msg[1024];
} diags;

static void on_diag(void *user, const lull_diag *d)
{
    diags *g = user;
    if (d->severity == LULL_SEVERITY_WARNING) {
        g->warnings++;
        return;
    }
    if (g->errors++ == 0) {
        g->line = d->line;
        g->col = d->column;
        snprintf(g->msg, sizeof g->msg, "%s", d->message);
    }
}

static lull_script *load(const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", file[0] == '/' ? "" : SBG_DIR, file);
    diags g;
    memset(&g, 0, sizeof g);
    lull_load_config c = lull_load_config_init();
    c.on_diag = on_diag;
    c.user = &g;
    lull_script *s = NULL;
    int r = lull_script_load_file(path, &c, &s);
    if (r != LULL_OK) {
        fprintf(stderr, "%s: not loaded (%d): %d:%d: %s\n", path, r, g.line, g.col, g.msg);
        exit(1);
    }
    return s;
}

static lull_engine *engine(const lull_script *s, int rate)
{
    lull_engine_config c = lull_engine_config_init();
    c.rate_hz = rate;
    c.offline = 1;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &c, &e) != LULL_OK) {
        fprintf(stderr, "engine: %s\n", lull_last_error());
        exit(1);
    }
    return e;
}

static int voice_index(const lull_script *s, const char *name)
{
    for (int i = 0; i < lull_script_voice_count(s); i++)
        if (!strcmp(lull_script_voice_name(s, i), name))
            return i;
    fprintf(stderr, "no voice '%s'\n", name);
    exit(1);
}

/* A parameter's value at `sec` in script units (Hz, dB ...), from the
 * engine's track after seeking there. */
static double param_at(lull_engine *e, const lull_script *s, const char *voice, const char *param, double sec)
{
    const int vi = voice_index(s, voice);
    const int pi = lull_voice_param_index(e->voices[vi].vc, param);
    const int64_t frame = (int64_t)llround(sec * e->rate_hz);
    lull_engine_seek(e, frame + 1);
    return lull_track_at(&e->voices[vi].tracks[pi], frame);
}

/* A gain as a linear amplitude. */
static double gain_at(lull_engine *e, const lull_script *s, const char *voice, double sec)
{
    const int vi = voice_index(s, voice);
    const int pi = lull_voice_param_index(e->voices[vi].vc, "gain");
    const int64_t frame = (int64_t)llround(sec * e->rate_hz);
    lull_engine_seek(e, frame + 1);
    return lull_track_gain(&e->voices[vi].tracks[pi], frame);
}

/* Render [from, from+len) seconds, deinterleaved. */
typedef struct clip {
    float *l, *r;
    size_t n;
} clip;

static clip render(lull_engine *e, double from, double len)
{
    clip c;
    c.n = (size_t)llround(len * e->rate_hz);
    c.l = malloc(c.n * sizeof *c.l);
    c.r = malloc(c.n * sizeof *c.r);
    float *buf = malloc(2 * c.n * sizeof *buf);
    if (!c.l || !c.r || !buf)
        exit(1);
    lull_engine_seek(e, (int64_t)llround(from * e->rate_hz));
    lull_engine_process(e, buf, (int)c.n);
    for (size_t i = 0; i < c.n; i++) {
        c.l[i] = buf[2 * i];
        c.r[i] = buf[2 * i + 1];
    }
    free(buf);
    return c;
}

static void clip_free(clip *c)
{
    free(c->l);
    free(c->r);
}

static double amp(const float *x, size_t n, double hz)
{
    return an_goertzel_amplitude(x, n, hz, RATE);
}

/* ---------------------------------------------------------------- tests */

static void test_binaural(void)
{
    lull_script *s = load("binaural.sbg");
    lull_engine *e = engine(s, RATE);
    CHECK(fabs(lull_script_duration_sec(s) - 270.0) < 1e-9, "length %g", lull_script_duration_sec(s));
    CHECK(!strcmp(lull_script_title(s), "Binaural tones both ways round, and a plain sine"), "title '%s'",
          lull_script_title(s));
    /* 200+10: the higher tone in the left ear. */
    CHECK(param_at(e, s, "ch1_left", "freq", 60) == 205.0, "left %g", param_at(e, s, "ch1_left", "freq", 60));
    CHECK(param_at(e, s, "ch1_right", "freq", 60) == 195.0, "right");
    CHECK(param_at(e, s, "ch1_left", "gain", 60) == -13.979, "gain %g", param_at(e, s, "ch1_left", "gain", 60));
    /* Fading in over the first 30 s, in a straight line in amplitude. */
    CHECK(fabs(gain_at(e, s, "ch1_left", 15.0) - 0.1) < 1e-4, "half way %g", gain_at(e, s, "ch1_left", 15.0));
    /* 200-10 later: the higher tone on the right. */
    CHECK(param_at(e, s, "ch1_left", "freq", 180) == 195.0, "left after");
    CHECK(param_at(e, s, "ch1_right", "freq", 180) == 205.0, "right after");

    clip c = render(e, 60.0, 1.0);
    double fl = an_estimate_frequency_in(c.l, c.n, RATE, 180, 230);
    double fr = an_estimate_frequency_in(c.r, c.n, RATE, 180, 230);
    CHECK(fabs(fl - 205.0) < 0.01, "left ear %.4f Hz", fl);
    CHECK(fabs(fr - 195.0) < 0.01, "right ear %.4f Hz", fr);
    CHECK(fabs(amp(c.l, c.n, 205) - 0.2) < 0.002, "205 Hz at %g", amp(c.l, c.n, 205));
    CHECK(amp(c.l, c.n, 195) < 0.001, "no 195 Hz on the left: %g", amp(c.l, c.n, 195));
    /* 300/10: a plain sine at 0.1 in both ears. */
    CHECK(fabs(amp(c.l, c.n, 300) - 0.1) < 0.001 && fabs(amp(c.r, c.n, 300) - 0.1) < 0.001, "300 Hz %g %g",
          amp(c.l, c.n, 300), amp(c.r, c.n, 300));
    clip_free(&c);

    c = render(e, 180.0, 1.0);
    fl = an_estimate_frequency_in(c.l, c.n, RATE, 180, 230);
    fr = an_estimate_frequency_in(c.r, c.n, RATE, 180, 230);
    CHECK(fabs(fl - 195.0) < 0.01 && fabs(fr - 205.0) < 0.01, "after the change: %.4f %.4f", fl, fr);
    CHECK(fabs(amp(c.l, c.n, 152) - 0.05) < 0.001 && fabs(amp(c.r, c.n, 148) - 0.05) < 0.001,
          "150+4/5: %g %g", amp(c.l, c.n, 152), amp(c.r, c.n, 148));
    CHECK(amp(c.l, c.n, 300) < 0.001, "300 Hz faded out: %g", amp(c.l, c.n, 300));
    clip_free(&c);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_crossfade(void)
{
    lull_script *s = load("crossfade.sbg");
    lull_engine *e = engine(s, RATE);
    /* Different tones: the old one out over [1:30, 2:00], the new one in
     * over [2:00, 2:30], each a straight line in amplitude. */
    CHECK(fabs(gain_at(e, s, "ch1_left", 105) - 0.05) < 1e-4, "out half way %g", gain_at(e, s, "ch1_left", 105));
    CHECK(gain_at(e, s, "ch1_left", 120) < 1e-9, "silent at the change");
    CHECK(param_at(e, s, "ch1_left", "freq", 119.5) == 202.0, "old frequency before");
    CHECK(param_at(e, s, "ch1_left", "freq", 121) == 302.0, "new frequency after");
    CHECK(fabs(gain_at(e, s, "ch1_left", 135) - 0.05) < 1e-4, "in half way %g", gain_at(e, s, "ch1_left", 135));
    /* The same noise carries on: its level glides over the whole minute. */
    const double g40 = 0.40 * 0.25 * sqrt(2.0), g20 = 0.20 * 0.25 * sqrt(2.0);
    CHECK(fabs(gain_at(e, s, "ch2_pink", 120) - 0.5 * (g40 + g20)) < 1e-4, "pink half way %g",
          gain_at(e, s, "ch2_pink", 120));
    CHECK(fabs(gain_at(e, s, "ch2_pink", 90) - g40) < 1e-4, "pink before");
    CHECK(fabs(gain_at(e, s, "ch2_pink", 150) - g20) < 1e-4, "pink after");
    clip c = render(e, 200.0, 1.0);
    const double fl = an_estimate_frequency_in(c.l, c.n, RATE, 250, 350);
    CHECK(fabs(fl - 302.0) < 0.02, "new tone %.4f", fl);
    CHECK(fabs(amp(c.l, c.n, 302) - 0.1) < 0.004, "level %g", amp(c.l, c.n, 302));
    clip_free(&c);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_fadespec(void)
{
    lull_script *s = load("fadespec.sbg");
    lull_engine *e = engine(s, RATE);
    /* -F 10000: a 10 s change.  `<`: through silence though the frequency
     * is the same: out over [55, 60], in over [60, 65]. */
    CHECK(fabs(gain_at(e, s, "ch1_left", 57.5) - 0.05) < 1e-4, "out %g", gain_at(e, s, "ch1_left", 57.5));
    CHECK(gain_at(e, s, "ch1_left", 60.0) < 1e-9, "silent at 1:00 (%g)", gain_at(e, s, "ch1_left", 60.0));
    CHECK(fabs(gain_at(e, s, "ch1_left", 62.5) - 0.15) < 1e-4, "in %g", gain_at(e, s, "ch1_left", 62.5));
    /* `==` on both sides: 200+4 slides to 220+8 over [1:55, 2:05]; half
     * way the carrier is 210 and the beat 6: left 213, right 207. */
    CHECK(fabs(param_at(e, s, "ch1_left", "freq", 120) - 213.0) < 1e-6, "left %g",
          param_at(e, s, "ch1_left", "freq", 120));
    CHECK(fabs(param_at(e, s, "ch1_right", "freq", 120) - 207.0) < 1e-6, "right %g",
          param_at(e, s, "ch1_right", "freq", 120));
    CHECK(fabs(gain_at(e, s, "ch1_left", 120) - 0.3) < 1e-4, "no dip in a slide: %g", gain_at(e, s, "ch1_left", 120));
    CHECK(param_at(e, s, "ch1_left", "freq", 125.5) == 224.0, "slide lands");
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_slide(void)
{
    lull_script *s = load("slide.sbg");
    lull_engine *e = engine(s, RATE);
    /* `->`: the slide takes the whole 10 minutes. */
    CHECK(fabs(param_at(e, s, "ch1_left", "freq", 300) - 228.5) < 1e-6, "left %g",
          param_at(e, s, "ch1_left", "freq", 300));
    CHECK(fabs(param_at(e, s, "ch1_right", "freq", 300) - 221.5) < 1e-6, "right %g",
          param_at(e, s, "ch1_right", "freq", 300));
    CHECK(fabs(param_at(e, s, "ch1_left", "freq", 150) - 215.25) < 1e-6, "quarter %g",
          param_at(e, s, "ch1_left", "freq", 150));
    CHECK(fabs(gain_at(e, s, "ch1_left", 300) - 0.15) < 1e-4, "gain %g", gain_at(e, s, "ch1_left", 300));
    CHECK(param_at(e, s, "ch1_left", "freq", 600.5) == 255.0, "end");
    clip c = render(e, 299.5, 1.0);
    const double fl = an_estimate_frequency_in(c.l, c.n, RATE, 200, 260);
    const double fr = an_estimate_frequency_in(c.r, c.n, RATE, 200, 260);
    CHECK(fabs(fl - 228.5) < 0.02 && fabs(fr - 221.5) < 0.02, "ears %.4f %.4f", fl, fr);
    clip_free(&c);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static double slope(const clip *c, double lo, double hi, double ideal, double *rms)
{
    const size_t seg = 8192;
    double *psd = malloc((seg / 2 + 1) * sizeof *psd);
    an_welch_psd2(c->l, c->r, c->n, seg, RATE, psd);
    an_slope sl;
    an_fit_slope(psd, seg / 2 + 1, (double)RATE / (double)seg, lo, hi, 3, ideal, &sl);
    free(psd);
    *rms = 0.5 * (an_rms(c->l, 0, c->n) + an_rms(c->r, 0, c->n));
    return sl.slope_db_per_oct;
}

static void test_noise_and_others(void)
{
    lull_script *s = load("noise.sbg");
    lull_engine *e = engine(s, RATE);
    double rms;
    /* Noise at 50: RMS 50/400 of full scale. */
    clip c = render(e, 3.0, 15.0);
    double k = slope(&c, 40, 16000, -3.01, &rms);
    CHECK(fabs(k + 3.01) < 0.5, "pink slope %.2f dB/oct", k);
    CHECK(fabs(rms - 0.125) < 0.125 * 0.05, "pink RMS %.4f", rms);
    clip_free(&c);
    c = render(e, 23.0, 15.0);
    k = slope(&c, 40, 16000, 0.0, &rms);
    CHECK(fabs(k) < 0.5, "white slope %.2f dB/oct", k);
    CHECK(fabs(rms - 0.125) < 0.125 * 0.05, "white RMS %.4f", rms);
    clip_free(&c);
    c = render(e, 43.0, 15.0);
    k = slope(&c, 40, 8000, -6.02, &rms);
    CHECK(fabs(k + 6.02) < 0.5, "brown slope %.2f dB/oct", k);
    CHECK(fabs(rms - 0.125) < 0.125 * 0.05, "brown RMS %.4f", rms);
    clip_free(&c);
    /* 300@10/20: isochronic, tone 300 Hz pulsed 10 times a second. */
    CHECK(param_at(e, s, "ch1_iso", "tone", 70) == 300.0 && param_at(e, s, "ch1_iso", "rate", 70) == 10.0, "iso");
    c = render(e, 70.0, 1.0);
    double f = an_estimate_frequency(c.l, c.n, RATE);
    CHECK(fabs(f - 300.0) < 0.05, "iso tone %.3f", f);
    /* On and off: 10 ms windows, loudest against quietest. */
    double lo = 1.0, hi = 0.0;
    for (size_t i = 0; i + 480 <= c.n; i += 480) {
        double r = an_rms(c.l, i, i + 480);
        lo = r < lo ? r : lo;
        hi = r > hi ? r : hi;
    }
    CHECK(hi > 0.12 && lo < 0.01, "pulses: %g .. %g", lo, hi);
    clip_free(&c);
    /* bell+440/20: struck when its period starts, at 1:20, peak 0.2. */
    /* (the isochronic tone fades out until 1:20: from 1:19.99 it is below 0.002) */
    c = render(e, 79.99, 0.5);
    long on = an_onset(c.l, c.n, 0.01);
    CHECK(on >= 480 && on < 480 + 200, "bell onset at frame %ld of the clip (480 is 1:20)", on);
    double peak = 0.0;
    for (size_t i = 480; i < 480 + 2400; i++)
        peak = fabs(c.l[i]) > peak ? fabs(c.l[i]) : peak;
    CHECK(fabs(peak - 0.2) < 0.01, "bell peak %g", peak);
    CHECK(fabs(an_estimate_frequency_in(c.l + 480, 9600, RATE, 400, 480) - 440.0) < 0.5, "bell pitch");
    clip_free(&c);
    /* spin:300+4.2/80: width 300 us either side (600 us inter-aural). */
    CHECK(param_at(e, s, "ch1_spin", "width", 100) == 600.0, "spin width");
    CHECK(param_at(e, s, "ch1_spin", "rate", 100) == 4.2, "spin rate");
    CHECK(fabs(gain_at(e, s, "ch1_spin", 100) - 0.8 * 0.25 * sqrt(2.0)) < 1e-4, "spin level");
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_blocks_midnight(void)
{
    lull_script *s = load("blocks.sbg");
    lull_engine *e = engine(s, RATE);
    /* 23:58 twice -> burst at 23:58 and 23:59 (a, then b 30 s later);
     * 00:01+30s is 3:30 after the start (past midnight); off at 00:03. */
    CHECK(fabs(lull_script_duration_sec(s) - 301.0) < 1e-9, "length %g", lull_script_duration_sec(s));
    CHECK(param_at(e, s, "ch1_left", "freq", 15) == 202.0, "a at 0:15");
    CHECK(param_at(e, s, "ch1_left", "freq", 45) == 303.0, "b at 0:45");
    CHECK(param_at(e, s, "ch1_left", "freq", 75) == 202.0, "a at 1:15");
    CHECK(param_at(e, s, "ch1_left", "freq", 105) == 303.0, "b at 1:45");
    CHECK(param_at(e, s, "ch1_left", "freq", 200) == 303.0, "b still at 3:20");
    CHECK(param_at(e, s, "ch1_left", "freq", 215) == 202.0, "a after midnight, 3:35");
    CHECK(gain_at(e, s, "ch1_left", 300.5) < 0.05 && gain_at(e, s, "ch1_left", 299) > 0.099, "off at 5:00");
    CHECK(lull_script_section_count(s) == 2, "sections %d", lull_script_section_count(s));
    CHECK(lull_script_section_count(s) == 2 && lull_script_section_start_sec(s, 0) == 210.0, "section a at %g",
          lull_script_section_start_sec(s, 0));
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_options(void)
{
    lull_script *s = load("options.sbg");
    lull_engine *e = engine(s, RATE);
    /* -q 2 halves every time, -T 22:05 starts 2.5 min in, -L 0:30 lasts 15 min. */
    CHECK(fabs(lull_script_duration_sec(s) - 900.0) < 1e-9, "length %g", lull_script_duration_sec(s));
    CHECK(param_at(e, s, "ch1_left", "freq", 1) == 202.0, "a from the start");
    CHECK(fabs(gain_at(e, s, "ch1_left", 1) - 0.1) < 1e-4, "a already faded in: %g", gain_at(e, s, "ch1_left", 1));
    /* b at 22:30 -> 15:00 after 22:00 at double speed, 12:30 into the
     * session; the change takes 30 s (-q halves the fade too). */
    CHECK(fabs(gain_at(e, s, "ch1_left", 742.5) - 0.05) < 1e-4, "out %g", gain_at(e, s, "ch1_left", 742.5));
    CHECK(gain_at(e, s, "ch1_left", 750) < 1e-9, "silent at 12:30");
    CHECK(param_at(e, s, "ch1_left", "freq", 760) == 302.0, "b");
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_compound(void)
{
    lull_script *s = load("compound.sbg");
    lull_engine *e = engine(s, RATE);
    CHECK(fabs(lull_script_duration_sec(s) - 180.0) < 1e-9, "length %g", lull_script_duration_sec(s));
    CHECK(param_at(e, s, "ch1_left", "freq", 60) == 202.0, "a");
    CHECK(param_at(e, s, "ch1_left", "freq", 89.9) == 202.0, "a until 1:30");
    CHECK(param_at(e, s, "ch1_left", "freq", 100) == 302.0, "NOW+00:01+00:00:30 is 1:30");
    CHECK(param_at(e, s, "ch1_left", "freq", 130) == 202.0, "+00:02 counts from NOW");
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

/* A 1 kHz sine at 0.8 for 10 s. */
static void write_tone_wav(const char *path)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = RATE;
    info.channels = 2;
    info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f)
        exit(1);
    float *b = malloc(sizeof(float) * 2 * RATE * 10);
    for (int i = 0; i < RATE * 10; i++)
        b[2 * i] = b[2 * i + 1] = (float)(0.8 * sin(2.0 * 3.14159265358979323846 * 1000.0 * i / RATE));
    sf_writef_float(f, b, RATE * 10);
    sf_close(f);
    free(b);
}

static char tmpdir[256];

static void test_mix(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/mix-tone.wav", tmpdir);
    write_tone_wav(path);
    /* The schedule beside it. */
    FILE *in = fopen(SBG_DIR "mix.sbg", "rb");
    snprintf(path, sizeof path, "%s/mix.sbg", tmpdir);
    FILE *out = fopen(path, "wb");
    char buf[4096];
    size_t n = in ? fread(buf, 1, sizeof buf, in) : 0;
    if (!in || !out || fwrite(buf, 1, n, out) != n)
        exit(1);
    fclose(in);
    fclose(out);
    lull_script *s = load(path);
    lull_engine *e = engine(s, RATE);
    CHECK(lull_script_clip_count(s) == 1, "one background clip");
    clip c = render(e, 1.0, 2.0);
    CHECK(fabs(amp(c.l, c.n, 1000) - 0.4) < 0.004, "mix/50: %g", amp(c.l, c.n, 1000));
    clip_free(&c);
    c = render(e, 4.6, 0.8);
    CHECK(fabs(amp(c.l, c.n, 1000) - 0.2) < 0.002, "mix/25: %g", amp(c.l, c.n, 1000));
    clip_free(&c);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

/* -------------------------------------------------------------- convert */

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *b = malloc(1 << 20);
    *len = fread(b, 1, (1 << 20) - 1, f);
    b[*len] = '\0';
    fclose(f);
    return b;
}

static float *render_all(const lull_script *s, int rate, size_t *frames)
{
    lull_engine *e = engine(s, rate);
    *frames = (size_t)lull_engine_length_frames(e);
    float *b = malloc(2 * *frames * sizeof *b + 8);
    size_t done = 0;
    while (done < *frames) {
        int n = *frames - done > 4096 ? 4096 : (int)(*frames - done);
        lull_engine_process(e, b + 2 * done, n);
        done += (size_t)n;
    }
    lull_engine_destroy(&e);
    return b;
}

static void test_convert(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s", file[0] == '/' ? "" : SBG_DIR, file);
    size_t len;
    char *text = read_all(path, &len);
    CHECK(text != NULL, "%s", path);
    if (!text)
        return;
    char *lull = NULL;
    int r = lull_sbg_convert(text, len, path, NULL, NULL, &lull);
    CHECK(r == LULL_OK, "%s: convert %d %s", file, r, lull_last_error());
    if (r != LULL_OK) {
        free(text);
        return;
    }
    /* Every ## line is kept. */
    for (char *l = strstr(text, "##"); l; l = strstr(l + 2, "##")) {
        char want[256];
        size_t n = strcspn(l, "\r\n");
        snprintf(want, sizeof want, "%.*s\n", (int)(n < 200 ? n : 200), l);
        CHECK(strstr(lull, want) != NULL, "%s: '%s' is missing from the conversion", file, want);
    }
    lull_script *a = NULL, *b = NULL;
    char lpath[600];
    snprintf(lpath, sizeof lpath, "%s.lull", path);
    CHECK(lull_script_load_sbg(text, len, path, NULL, &a) == LULL_OK, "%s sbg", file);
    r = lull_script_load_string(lull, strlen(lull), lpath, NULL, &b);
    CHECK(r == LULL_OK, "%s: the conversion does not load: %s", file, lull_last_error());
    if (a && b) {
        size_t na, nb;
        float *pa = render_all(a, 8000, &na), *pb = render_all(b, 8000, &nb);
        CHECK(na == nb && na > 0 && memcmp(pa, pb, 2 * na * sizeof *pa) == 0,
              "%s: the converted .lull renders differently (%zu vs %zu frames)", file, na, nb);
        free(pa);
        free(pb);
    }
    lull_script_free(&a);
    lull_script_free(&b);
    lull_text_free(&lull);
    free(text);
}

/* --------------------------------------------------------------- errors */

static void expect_error(const char *text, int line, int col, const char *needle)
{
    diags g;
    memset(&g, 0, sizeof g);
    lull_load_config c = lull_load_config_init();
    c.on_diag = on_diag;
    c.user = &g;
    lull_script *s = NULL;
    int r = lull_script_load_sbg(text, strlen(text), "bad.sbg", &c, &s);
    CHECK(r == LULL_ERR_SCRIPT && !s, "accepted: %s", text);
    CHECK(g.line == line && g.col == col, "%s: error at %d:%d, expected %d:%d (%s)", text, g.line, g.col, line,
          col, g.msg);
    CHECK(strstr(g.msg, needle) != NULL, "%s: message '%s' lacks '%s'", text, g.msg, needle);
    lull_script_free(&s);
}

static void test_errors(void)
{
    expect_error("a: 200+4/10\nNOW b\n", 2, 5, "not a defined tone-set");
    expect_error("a: 200+4/10\nNOW a\n+00:10 a\n+00:05 a\n", 4, 1, "out of order");
    expect_error("a: 200x4/10\n", 1, 4, "not a tone spec");
    expect_error("a: 10+4/10\nNOW a\n", 1, 4, "left ear");
    expect_error("a: 300@80/10\n", 1, 4, "pulse rate");
    expect_error("-Z\n", 1, 2, "unknown SBaGen option");
    expect_error("-SE -i 200+4/1\n", 1, 6, "not supported");
    expect_error("-c 80=1\n", 1, 2, "compensation");
    expect_error("a: wave00:200+4/10\n", 1, 4, "waveforms");
    expect_error("a: 200+4/10\n+00:10 a\n", 2, 1, "needs an absolute time");
    expect_error("a: 200+4/10\nb: {\n+00:00 a\n", 2, 1, "never closed");
    expect_error("a: 200+4/10\nNOW a\n22:00 a\n", 3, 1, "mixes NOW with clock times");
    expect_error("a: 200+4/10\nx: {\n  12:00 a\n}\nNOW x\n", 3, 3, "must be relative");
    expect_error("x: {\n  +00:00 x\n}\nNOW x\n", 2, 10, "calls itself");
    expect_error("a: 200+4/10 pink/10 mix/10 mix/20\n", 1, 28, "only one mix");
    expect_error("a: 200+4/250\n", 1, 4, "too loud");
    expect_error("-L 99\n", 1, 4, "-L expects");
    expect_error("a: 200+4/10\n25:00 a\n", 2, 1, "not a clock time");
    expect_error("a: 200+4/10\nNOW << a\n", 2, 5, "fade spec");
    expect_error("a: 200+4/10\nNOW a -> b\n", 2, 7, "only '->'");
    expect_error("a 200+4/10\n", 1, 2, "expected ':'");
    /* Warnings, not errors: options about SBaGen's own output. */
    diags g;
    memset(&g, 0, sizeof g);
    lull_load_config c = lull_load_config_init();
    c.on_diag = on_diag;
    c.user = &g;
    lull_script *s = NULL;
    const char *ok = "-r 44100 -Wo out.wav\na: 200+4/10\nNOW a\n+00:01 off\n";
    CHECK(lull_script_load_sbg(ok, strlen(ok), "ok.sbg", &c, &s) == LULL_OK && g.warnings == 3,
          "warnings %d errors %d (%s)", g.warnings, g.errors, g.msg);
    lull_script_free(&s);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/lull-sbg-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir))
        return 1;
    test_binaural();
    test_crossfade();
    test_fadespec();
    test_slide();
    test_noise_and_others();
    test_blocks_midnight();
    test_options();
    test_compound();
    test_mix();
    test_errors();
    static const char *const files[] = { "binaural.sbg", "crossfade.sbg", "fadespec.sbg", "slide.sbg",
                                         "noise.sbg",    "blocks.sbg",    "options.sbg",  "compound.sbg" };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
        test_convert(files[i]);
    char mix[512];
    snprintf(mix, sizeof mix, "%s/mix.sbg", tmpdir);
    test_convert(mix);
    char rm[600];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
    if (system(rm) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    if (failures)
        fprintf(stderr, "test_sbg: %d check(s) failed\n", failures);
    else
        printf("test_sbg: all checks passed\n");
    return failures ? 1 : 0;
}
