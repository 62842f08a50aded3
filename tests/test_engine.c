/*
 * test_engine.c - the engine core measured from lull_engine_process():
 * binaural frequencies, glides that land exactly on their target frame,
 * de-clicked steps, fade envelopes, sample-accurate events, bit-identical
 * output whatever the block size, seeds, seeking, and the soft limiter.
 *
 * Every figure is measured on the audio (tests/analysis.h), except where a
 * test compares against a reference signal computed here in double
 * precision from the script's own definition (a glide is linear in Hz from
 * its start frame to its end frame; the phase advances by the frequency of
 * each frame).
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "engine_internal.h"
#include "lull.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

#define PI 3.14159265358979323846

static lull_engine *make_engine(const char *text, int rate_hz, uint64_t seed)
{
    lull_script *s = NULL;
    int r = lull_script_load_string(text, strlen(text), "t.lull", NULL, &s);
    if (r != LULL_OK) {
        fprintf(stderr, "script rejected: %s\n%s\n", lull_last_error(), text);
        exit(1);
    }
    lull_engine_config c = lull_engine_config_init();
    c.rate_hz = rate_hz;
    c.seed = seed;
    lull_engine *e = NULL;
    r = lull_engine_create(s, &c, &e);
    lull_script_free(&s);
    if (r != LULL_OK) {
        fprintf(stderr, "engine: %s\n", lull_strerror(r));
        exit(1);
    }
    return e;
}

/* A whole rendering, deinterleaved. */
typedef struct take {
    float *l, *r;
    size_t n;
} take;

static take render(const char *text, int rate_hz, uint64_t seed, int block)
{
    lull_engine *e = make_engine(text, rate_hz, seed);
    take t;
    t.n = (size_t)lull_engine_length_frames(e);
    t.l = malloc(sizeof(float) * t.n);
    t.r = malloc(sizeof(float) * t.n);
    float *buf = malloc(sizeof(float) * 2 * (size_t)block);
    if (!t.l || !t.r || !buf)
        exit(1);
    size_t done = 0;
    while (done < t.n) {
        int n = (int)(t.n - done < (size_t)block ? t.n - done : (size_t)block);
        int live = lull_engine_process(e, buf, n);
        CHECK(live == n, "process returned %d of %d frames inside the session", live, n);
        for (int k = 0; k < n; k++) {
            t.l[done + (size_t)k] = buf[2 * k];
            t.r[done + (size_t)k] = buf[2 * k + 1];
        }
        done += (size_t)n;
    }
    CHECK(lull_engine_finished(e), "finished at the end");
    /* Past the end: silence, and no frame counts as live. */
    buf[0] = buf[1] = 1.0f;
    CHECK(lull_engine_process(e, buf, 1) == 0 && buf[0] == 0.0f && buf[1] == 0.0f, "silence after end");
    free(buf);
    lull_engine_destroy(&e);
    CHECK(e == NULL, "destroy clears the pointer");
    return t;
}

static void take_free(take *t)
{
    free(t->l);
    free(t->r);
}

static double peak(const float *x, size_t a, size_t b)
{
    double m = 0;
    for (size_t i = a; i < b; i++)
        if (fabs(x[i]) > m)
            m = fabs(x[i]);
    return m;
}

/* Largest |x[i]-x[i-1]| for i in (a, b). */
static double max_jump(const float *x, size_t a, size_t b, size_t *at)
{
    size_t w = 0;
    double j = an_max_jump(x + a, b - a, &w);
    if (at)
        *at = a + w;
    return j;
}

/* The steepest a sine of peak amp at f_hz can move between two samples. */
static double sine_step(double amp, double f_hz, double rate_hz)
{
    return 2.0 * amp * sin(PI * f_hz / rate_hz);
}

static double db(double x) { return pow(10.0, x / 20.0); }

/* ------------------------------------------------------------- binaural */

static void test_binaural_frequencies(void)
{
    static const struct {
        double carrier, beat;
        int rate;
    } cases[] = { { 200, 10, 48000 }, { 440, 7.83, 44100 }, { 1500, 40, 48000 }, { 20, 0.5, 48000 } };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text, "voice d binaural carrier=%gHz beat=%gHz gain=-6dB\n10s end\n",
                 cases[i].carrier, cases[i].beat);
        take t = render(text, cases[i].rate, LULL_DEFAULT_SEED, 4096);
        CHECK(t.n == (size_t)(10 * cases[i].rate), "length %zu", t.n);
        /* Skip the 10 ms end fade. */
        size_t n = t.n - (size_t)cases[i].rate / 50;
        double fl = an_estimate_frequency(t.l, n, cases[i].rate);
        double fr = an_estimate_frequency(t.r, n, cases[i].rate);
        double wl = cases[i].carrier - cases[i].beat / 2, wr = cases[i].carrier + cases[i].beat / 2;
        CHECK(fabs(fl - wl) < 0.01, "left %.5f Hz, expected %.5f", fl, wl);
        CHECK(fabs(fr - wr) < 0.01, "right %.5f Hz, expected %.5f", fr, wr);
        CHECK(fabs((fr - fl) - cases[i].beat) < 0.01, "beat %.5f Hz, expected %g", fr - fl, cases[i].beat);
        /* Peak level is the gain, untouched by the limiter. */
        double pk = peak(t.l, 0, n);
        CHECK(fabs(pk - db(-6)) < 1e-3, "peak %.5f, expected %.5f", pk, db(-6));
        take_free(&t);
    }
}

/* Reference for a binaural voice with one linear glide of carrier and beat
 * from (c0, b0) to (c1, b1) over frames [s, s+len): the phase of each ear
 * advances by that frame's frequency.  Returns the largest difference from
 * the engine's output over frames [0, n). */
static double glide_reference_error(const take *t, size_t n, int rate, double gain, double c0, double b0,
                                    double c1, double b1, int64_t s, int64_t len, size_t *worst_at)
{
    double ph_l = 0, ph_r = 0, worst = 0;
    for (size_t i = 0; i < n; i++) {
        double yl = gain * sin(2 * PI * ph_l), yr = gain * sin(2 * PI * ph_r);
        double el = fabs(yl - t->l[i]), er = fabs(yr - t->r[i]);
        if (el > worst || er > worst) {
            worst = el > er ? el : er;
            *worst_at = i;
        }
        int64_t k = (int64_t)i - s;
        double x = k <= 0 ? 0.0 : k >= len ? 1.0 : (double)k / (double)len;
        double c = c0 + (c1 - c0) * x, b = b0 + (b1 - b0) * x;
        ph_l += (c - b / 2) / rate;
        ph_r += (c + b / 2) / rate;
        ph_l -= floor(ph_l);
        ph_r -= floor(ph_r);
    }
    return worst;
}

static void test_glides(void)
{
    const int rate = 48000;
    /* The glide: beat 10 -> 6 Hz over 4 minutes from 0:20. */
    {
        take t = render("voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\n"
                        "0:20 drone beat=6Hz over 4m\n"
                        "4:30 end\n",
                        rate, LULL_DEFAULT_SEED, 4096);
        const size_t s = 20 * (size_t)rate, e = 260 * (size_t)rate;
        const double g = db(-14);
        /* Middle (2:20): 196 / 204 Hz, beat 8 Hz.  The glide moves the
         * frequencies by 0.017 Hz across the 2 s window, symmetrically. */
        size_t mid = (s + e) / 2, w = 2 * (size_t)rate;
        double fl = an_estimate_frequency(t.l + mid - w / 2, w, rate);
        double fr = an_estimate_frequency(t.r + mid - w / 2, w, rate);
        CHECK(fabs(fl - 196.0) < 0.01 && fabs(fr - 204.0) < 0.01 && fabs(fr - fl - 8.0) < 0.01,
              "middle of the glide: %.5f / %.5f Hz", fl, fr);
        /* Just after the end (4:20 .. 4:29.98): exactly 197 / 203 Hz. */
        size_t after = t.n - e - (size_t)rate / 50;
        fl = an_estimate_frequency(t.l + e, after, rate);
        fr = an_estimate_frequency(t.r + e, after, rate);
        CHECK(fabs(fl - 197.0) < 0.01 && fabs(fr - 203.0) < 0.01 && fabs(fr - fl - 6.0) < 0.01,
              "after the glide: %.5f / %.5f Hz (beat %.5f)", fl, fr, fr - fl);
        /* Before it: still 10 Hz. */
        fl = an_estimate_frequency(t.l + rate, 18 * (size_t)rate, rate);
        fr = an_estimate_frequency(t.r + rate, 18 * (size_t)rate, rate);
        CHECK(fabs(fr - fl - 10.0) < 0.01, "before the glide: beat %.5f", fr - fl);
        /* The whole waveform against the reference: right start, right
         * end, no drift over 4.5 minutes. */
        size_t at = 0;
        double err = glide_reference_error(&t, t.n - (size_t)rate / 50, rate, g, 200, 10, 200, 6, (int64_t)s,
                                           (int64_t)(e - s), &at);
        CHECK(err < 2e-5, "differs from the reference by %.3g at frame %zu", err, at);
        double j = max_jump(t.l, 1, t.n, &at);
        CHECK(j <= sine_step(g, 197.0, rate) * 1.001, "left jumps %.6f at %zu (a 197 Hz sine: %.6f)", j, at,
              sine_step(g, 197.0, rate));
        j = max_jump(t.r, 1, t.n, &at);
        CHECK(j <= sine_step(g, 205.0, rate) * 1.001, "right jumps %.6f at %zu", j, at);
        take_free(&t);
    }
    /* A fast, wide glide at a time off the control grid: a glide one frame
     * early, late, long or short would put the phase 0.13 rad off. */
    {
        take t = render("voice d binaural carrier=200Hz beat=0Hz gain=-6dB\n"
                        "0:01.0007 d carrier=1200Hz over 1.5s\n"
                        "0:04 end\n",
                        rate, LULL_DEFAULT_SEED, 4096);
        int64_t s = 48034; /* 1.0007 s * 48 kHz = 48033.6 */
        size_t at = 0;
        double err = glide_reference_error(&t, t.n - (size_t)rate / 50, rate, db(-6), 200, 0, 1200, 0, s,
                                           72000, &at);
        CHECK(err < 1e-4, "fast glide differs from the reference by %.3g at frame %zu", err, at);
        /* One frame off would be this far out: check the test can see it. */
        double off = glide_reference_error(&t, t.n - (size_t)rate / 50, rate, db(-6), 200, 0, 1200, 0, s,
                                           72001, &at);
        CHECK(off > 100 * 1e-4, "a one-frame longer reference should not match (%.3g)", off);
        size_t a = (size_t)s + 72000, b = t.n - (size_t)rate / 50;
        double fl = an_estimate_frequency(t.l + a, b - a, rate);
        CHECK(fabs(fl - 1200.0) < 0.01, "after the fast glide %.5f Hz", fl);
        double j = max_jump(t.l, 1, t.n, &at);
        CHECK(j <= sine_step(db(-6), 1200.0, rate) * 1.001, "jump %.5f at %zu", j, at);
        take_free(&t);
    }
    /* Gain glides are linear in dB: halfway from -46 to -6 dB is -26 dB. */
    {
        take t = render("voice d binaural carrier=200Hz beat=0Hz gain=-46dB\n"
                        "0:01 d gain=-6dB over 2s\n"
                        "0:04 end\n",
                        rate, LULL_DEFAULT_SEED, 4096);
        /* One 240-frame cycle centred on 0:02. */
        double pk = peak(t.l, 96000 - 120, 96000 + 120);
        CHECK(fabs(20 * log10(pk) + 26.0) < 0.05, "middle of the gain glide: %.3f dB", 20 * log10(pk));
        pk = peak(t.l, 48000 + 24000 - 120, 48000 + 24000 + 120);
        CHECK(fabs(20 * log10(pk) + 36.0) < 0.1, "quarter of the gain glide: %.3f dB", 20 * log10(pk));
        pk = peak(t.l, 144000, 190000);
        CHECK(fabs(pk - db(-6)) < 1e-4, "end of the gain glide: %.5f", pk);
        take_free(&t);
    }
}

/* -------------------------------------------------------------- de-click */

static void test_declick(void)
{
    const int rate = 48000;
    take t = render("voice d binaural carrier=200Hz beat=10Hz gain=-20dB\n"
                    "0:01 d gain=-6dB\n"
                    "0:02 d gain=-30dB\n"
                    "0:03 d gain=off\n"
                    "0:04 d gain=-6dB\n"
                    "0:05 d carrier=400Hz\n"
                    "0:06 master gain=-12dB\n"
                    "0:07 master gain=0dB\n"
                    "0:08 end\n",
                    rate, LULL_DEFAULT_SEED, 4096);
    size_t at;
    /* What the signal can make: the loudest sine's own steepest step, plus
     * a 10 ms (480-frame) straight ramp to that level.  A 10 ms ramp in dB
     * out of silence rises 14 times faster at its end and fails this. */
    const double ramp = db(-6) / 480.0;
    double lim_l = sine_step(db(-6), 195.0, rate) + ramp, lim_r = sine_step(db(-6), 205.0, rate) + ramp;
    double j = max_jump(t.l, 1, 5 * (size_t)rate, &at);
    CHECK(j <= lim_l * 1.001, "left: a step jumps %.5f at frame %zu; the sine alone moves %.5f", j, at, lim_l);
    j = max_jump(t.r, 1, 5 * (size_t)rate, &at);
    CHECK(j <= lim_r * 1.001, "right: a step jumps %.5f at frame %zu; the sine alone moves %.5f", j, at, lim_r);
    lim_r = sine_step(db(-6), 405.0, rate) + ramp;
    j = max_jump(t.r, 5 * (size_t)rate - 1, t.n, &at);
    CHECK(j <= lim_r * 1.001, "after the carrier step: jump %.5f at frame %zu (sine: %.5f)", j, at, lim_r);
    /* The de-click ramp takes 10 ms: levels are settled 10 ms after each step. */
    double pk = peak(t.l, 48000 + 480, 48000 + 480 + 960);
    CHECK(fabs(pk - db(-6)) < 1e-3, "-6 dB reached 10 ms after the step: %.5f", pk);
    pk = peak(t.l, 48000 - 960, 48000);
    CHECK(fabs(pk - db(-20)) < 1e-3, "-20 dB until the step: %.5f", pk);
    pk = peak(t.l, 3 * 48000 + 480, 4 * 48000);
    CHECK(pk == 0.0, "gain=off is exact silence 10 ms after the step: %g", pk);
    pk = peak(t.l, 6 * 48000 + 480, 7 * 48000);
    CHECK(fabs(pk - db(-18)) < 1e-3, "master -12 dB: %.5f", pk);
    take_free(&t);

    /* Same-time steps apply in file order: the last one wins. */
    t = render("voice d binaural carrier=200Hz beat=0Hz gain=-20dB\n"
               "0:01 d gain=-6dB\n"
               "0:01 d gain=-30dB\n"
               "0:02 end\n",
               rate, LULL_DEFAULT_SEED, 4096);
    pk = peak(t.l, 48000 + 480, 96000 - 960);
    CHECK(fabs(pk - db(-30)) < 1e-4, "same-time events: %.5f, expected %.5f", pk, db(-30));
    take_free(&t);
}

/* ----------------------------------------------------------------- fades */

static void test_fades(void)
{
    const int rate = 48000;
    const double amp = db(-6);
    /* 200 Hz, beat 0: 240 frames a cycle, so 480-frame windows hold whole
     * cycles and their RMS follows the envelope only. */
    take t = render("voice d binaural carrier=200Hz beat=0Hz gain=-6dB\n"
                    "0:00 master fade-in 2s\n"
                    "0:05 master fade-out 2s\n"
                    "0:09 end\n",
                    rate, LULL_DEFAULT_SEED, 4096);
    CHECK(t.l[0] == 0.0f && t.r[0] == 0.0f, "a script that opens with a fade-in starts silent");
    const size_t w = 480;
    double prev = -1;
    int monotone = 1;
    for (size_t a = 0; a + w <= 2 * (size_t)rate; a += w) {
        double r = an_rms(t.l, a, a + w);
        if (r < prev - 1e-7)
            monotone = 0;
        prev = r;
    }
    CHECK(monotone, "fade-in RMS envelope rises monotonically");
    /* Raised cosine: at a quarter of the fade the level is
     * 0.5 - 0.5 cos(pi/4) = 0.146 of full. */
    for (int q = 1; q <= 3; q++) {
        size_t c = (size_t)q * (size_t)rate / 2;
        double r = an_rms(t.l, c - 120, c + 120) * sqrt(2.0) / amp;
        double want = 0.5 - 0.5 * cos(PI * q / 4.0);
        CHECK(fabs(r - want) < 0.005, "fade-in at %d/4: %.4f of full, raised cosine says %.4f", q, r, want);
    }
    double r = an_rms(t.l, 2 * (size_t)rate, 5 * (size_t)rate) * sqrt(2.0);
    CHECK(fabs(r - amp) < 1e-4, "full level between the fades: %.5f", r);
    prev = 1e9;
    monotone = 1;
    for (size_t a = 5 * (size_t)rate; a + w <= 7 * (size_t)rate; a += w) {
        double x = an_rms(t.l, a, a + w);
        if (x > prev + 1e-7)
            monotone = 0;
        prev = x;
    }
    CHECK(monotone, "fade-out RMS envelope falls monotonically");
    size_t c = 5 * (size_t)rate + (size_t)rate / 2;
    r = an_rms(t.l, c - 120, c + 120) * sqrt(2.0) / amp;
    CHECK(fabs(r - (0.5 + 0.5 * cos(PI / 4))) < 0.005, "fade-out at 1/4: %.4f", r);
    CHECK(peak(t.l, 7 * (size_t)rate, t.n) == 0.0 && peak(t.r, 7 * (size_t)rate, t.n) == 0.0,
          "exact silence after the fade-out");
    CHECK(peak(t.l, 7 * (size_t)rate - 240, 7 * (size_t)rate) > 0.0, "the fade-out lasts its 2 s");
    size_t at;
    double j = max_jump(t.l, 1, t.n, &at);
    CHECK(j <= sine_step(amp, 200, rate) * 1.001, "fades never click: jump %.5f at %zu", j, at);
    take_free(&t);

    /* No fade-out: the session still ends with a 10 ms fade to silence. */
    t = render("voice d binaural carrier=200Hz beat=0Hz gain=-6dB\n0:02 end\n", rate, LULL_DEFAULT_SEED, 4096);
    CHECK(t.l[0] == 0.0f && fabs(t.l[60] - amp) < 1e-3, "starts at full level without a fade-in (%.4f)", t.l[60]);
    CHECK(fabs(peak(t.l, t.n - 960, t.n - 480) - amp) < 1e-3, "full level until 10 ms before the end");
    /* The envelope of the last 10 ms: each sample over the steady 200 Hz
     * sine it multiplies (where that sine is not near a zero). */
    prev = 1.0 + 1e-4;
    monotone = 1;
    double env_first = -1;
    for (size_t i = t.n - 480; i < t.n; i++) {
        double sn = amp * sin(2 * PI * 200.0 * (double)(i % 240) / rate);
        if (fabs(sn) < 0.2 * amp)
            continue;
        double env = t.l[i] / sn;
        if (env_first < 0)
            env_first = env;
        if (env > prev + 1e-4 || env < -1e-4)
            monotone = 0;
        prev = env;
    }
    CHECK(monotone, "the end fade falls monotonically");
    CHECK(env_first > 0.98, "the end fade starts 10 ms before the end (%.4f)", env_first);
    CHECK(fabs(t.l[t.n - 1]) < 1e-5 && fabs(t.r[t.n - 1]) < 1e-5, "last sample %.3g / %.3g", t.l[t.n - 1],
          t.r[t.n - 1]);
    j = max_jump(t.l, 1, t.n, &at);
    CHECK(j <= sine_step(amp, 200, rate) * 1.001, "end fade jump %.5f at %zu", j, at);
    take_free(&t);

    /* A fade-in that starts while the fade is not at silence rises from
     * where the level is: no drop to silence, no click. */
    t = render("voice d binaural carrier=200Hz beat=0Hz gain=-6dB\n"
               "0:00.5 master fade-out 1s\n"
               "0:01 master fade-in 1s\n"
               "0:02.5 master fade-in 0.5s\n"
               "0:04 end\n",
               rate, LULL_DEFAULT_SEED, 4096);
    j = max_jump(t.l, 1, t.n, &at);
    CHECK(j <= sine_step(amp, 200, rate) * 1.001 + amp * PI / (2 * 24000), "fade-in over a fade: jump %.5f at %zu",
          j, at);
    CHECK(peak(t.l, 48000, 48240) > 0.45 * amp, "the fade-in starts from the level it finds");
    CHECK(fabs(peak(t.l, 2 * 48000, 5 * 24000) - amp) < 1e-3 && fabs(peak(t.l, 5 * 24000, 3 * 48000) - amp) < 1e-3,
          "full level through a fade-in that starts at full level");
    take_free(&t);

    /* A fade-in later than 0:00 keeps the session silent until it starts. */
    t = render("voice d binaural carrier=200Hz beat=0Hz gain=-6dB\n"
               "0:01 master fade-in 1s\n0:03 end\n",
               rate, LULL_DEFAULT_SEED, 4096);
    CHECK(peak(t.l, 0, 48000) == 0.0, "silent before a late first fade-in");
    CHECK(peak(t.l, 48001, 48241) > 0.0, "sound once it starts");
    take_free(&t);
}

/* ------------------------------------------------------ sample accuracy */

static void test_sample_accuracy(void)
{
    static const struct {
        const char *when;
        int rate;
        size_t frame;
    } cases[] = {
        { "0:01.000", 48000, 48000 },
        { "0:01.0001", 48000, 48005 },  /* 48004.8 rounds to 48005 */
        { "0:01.0001", 44100, 44104 },  /* 44104.41 rounds to 44104 */
        { "1.2345s", 48000, 59256 },
        { "0:00.01", 96000, 960 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[256];
        snprintf(text, sizeof text,
                 "voice d binaural carrier=200Hz beat=10Hz gain=-120dB\n%s d gain=-6dB\n0:02 end\n", cases[i].when);
        take t = render(text, cases[i].rate, LULL_DEFAULT_SEED, 4096);
        size_t f = cases[i].frame;
        long on_l = an_onset(t.l, t.n, 0.0), on_r = an_onset(t.r, t.n, 0.0);
        /* The de-click ramp starts at the event's frame, from exact
         * silence: that frame is 0, the next one is not. */
        CHECK(on_l == (long)f + 1 && on_r == (long)f + 1, "%s at %d Hz: first non-zero sample %ld / %ld, expected %zu",
              cases[i].when, cases[i].rate, on_l, on_r, f + 1);
        size_t d = (size_t)cases[i].rate / 100; /* 10 ms */
        double pk = peak(t.l, f + d, f + 2 * d + (size_t)cases[i].rate / 195);
        CHECK(fabs(pk - db(-6)) < 1e-3, "%s: level reached 10 ms later: %.5f", cases[i].when, pk);
        take_free(&t);
    }
    /* And the other way round: master gain to silence at 0:01.  The last
     * non-zero sample is the ramp's last frame before silence. */
    take t = render("voice d binaural carrier=200Hz beat=10Hz gain=-6dB\n0:01 master gain=off\n0:02 end\n", 48000,
                    LULL_DEFAULT_SEED, 4096);
    CHECK(peak(t.l, 48000 + 480, t.n) == 0.0 && peak(t.r, 48000 + 480, t.n) == 0.0, "silent from 0:01.010");
    CHECK(t.l[48000 + 479] != 0.0f && t.r[48000 + 479] != 0.0f, "ramp still running at its last frame");
    CHECK(fabs(peak(t.r, 48000 - 480, 48000) - db(-6)) < 1e-3, "full level right up to 0:01");
    take_free(&t);
}

/* --------------------------------------------------------- determinism */

static const char *busy_script =
    "voice a binaural carrier=200Hz beat=10Hz gain=-14dB\n"
    "voice b binaural carrier=333Hz beat=4Hz gain=-20dB\n"
    "voice p noise color=pink gain=-26dB\n"
    "voice w noise color=white gain=-30dB\n"
    "voice r noise color=brown gain=-24dB\n"
    "0:00 master fade-in 0.3s\n"
    "0:00.0101 a beat=6Hz over 1.3333s\n"
    "0:00.5 p gain=-12dB\n"
    "0:00.777 b carrier=500Hz beat=1Hz over 17ms\n"
    "0:01.001 w gain=off\n"
    "0:01.001 r gain=-10dB over 0.5s\n"
    "0:01.5 master gain=-3dB over 0.25s\n"
    "0:02 a gain=-6dB\n"
    "0:02.5 master fade-out 0.4s\n"
    "0:03 end\n";

static float *render_interleaved(const char *text, uint64_t seed, int block, unsigned rnd, size_t *n_out)
{
    lull_engine *e = make_engine(text, 48000, seed);
    size_t n = (size_t)lull_engine_length_frames(e);
    float *out = malloc(sizeof(float) * 2 * n);
    if (!out)
        exit(1);
    size_t done = 0;
    while (done < n) {
        int b = block;
        if (rnd) {
            rnd = rnd * 1103515245u + 12345u;
            b = 1 + (int)((rnd >> 8) % LULL_MAX_BLOCK_FRAMES);
        }
        if ((size_t)b > n - done)
            b = (int)(n - done);
        lull_engine_process(e, out + 2 * done, b);
        done += (size_t)b;
    }
    lull_engine_destroy(&e);
    *n_out = n;
    return out;
}

static void test_determinism(void)
{
    size_t n = 0, m = 0;
    float *ref = render_interleaved(busy_script, LULL_DEFAULT_SEED, 4096, 0, &n);
    CHECK(n == 144000, "length %zu", n);
    CHECK(peak(ref, 0, 2 * n) > 0.05, "the busy script makes sound");
    static const int blocks[] = { 4096, 1, 7, 64, 31, 33, 4095 };
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        float *x = render_interleaved(busy_script, LULL_DEFAULT_SEED, blocks[i], 0, &m);
        CHECK(m == n && memcmp(x, ref, sizeof(float) * 2 * n) == 0, "block size %d changes the output", blocks[i]);
        free(x);
    }
    for (unsigned r = 1; r <= 3; r++) {
        float *x = render_interleaved(busy_script, LULL_DEFAULT_SEED, 0, r * 7919u, &m);
        CHECK(m == n && memcmp(x, ref, sizeof(float) * 2 * n) == 0, "random block sizes change the output");
        free(x);
    }
    /* Two engines side by side, in different block sizes. */
    {
        lull_engine *e1 = make_engine(busy_script, 48000, LULL_DEFAULT_SEED);
        lull_engine *e2 = make_engine(busy_script, 48000, LULL_DEFAULT_SEED);
        float *a = malloc(sizeof(float) * 2 * n), *b = malloc(sizeof(float) * 2 * n);
        size_t d1 = 0, d2 = 0;
        while (d1 < n || d2 < n) {
            if (d1 < n) {
                int k = (int)(n - d1 < 100 ? n - d1 : 100);
                lull_engine_process(e1, a + 2 * d1, k);
                d1 += (size_t)k;
            }
            if (d2 < n) {
                int k = (int)(n - d2 < 257 ? n - d2 : 257);
                lull_engine_process(e2, b + 2 * d2, k);
                d2 += (size_t)k;
            }
        }
        CHECK(memcmp(a, ref, sizeof(float) * 2 * n) == 0 && memcmp(b, ref, sizeof(float) * 2 * n) == 0,
              "two engines at once");
        free(a);
        free(b);
        lull_engine_destroy(&e1);
        lull_engine_destroy(&e2);
    }
    /* Another seed changes the noise, and only the noise. */
    {
        const char *noise = "voice p noise color=pink gain=-12dB\nvoice w noise color=white gain=-20dB\n1s end\n";
        float *x1 = render_interleaved(noise, LULL_DEFAULT_SEED, 4096, 0, &m);
        float *x2 = render_interleaved(noise, 12345, 4096, 0, &m);
        float *x3 = render_interleaved(noise, 12345, 64, 0, &m);
        size_t same = 0;
        double sxy = 0, sxx = 0, syy = 0;
        for (size_t i = 0; i < 2 * m; i++) {
            same += x1[i] == x2[i];
            sxy += (double)x1[i] * x2[i];
            sxx += (double)x1[i] * x1[i];
            syy += (double)x2[i] * x2[i];
        }
        double rho = sxy / sqrt(sxx * syy);
        CHECK(same < m / 100, "seed 12345 shares %zu of %zu samples with the default seed", same, 2 * m);
        CHECK(fabs(rho) < 0.05, "seeds 12345 and default correlate: %.3f", rho);
        CHECK(fabs(10 * log10(sxx / syy)) < 0.5, "level differs by %.2f dB between seeds", 10 * log10(sxx / syy));
        CHECK(memcmp(x2, x3, sizeof(float) * 2 * m) == 0, "a seed is reproducible");
        free(x1);
        free(x2);
        free(x3);
        const char *tones = "voice a binaural carrier=200Hz beat=10Hz gain=-14dB\n"
                            "0:00.0101 a beat=6Hz over 1.3333s\n0:01 end\n";
        float *t1 = render_interleaved(tones, 1, 4096, 0, &m);
        float *t2 = render_interleaved(tones, 2, 4096, 0, &n);
        CHECK(m == n && memcmp(t1, t2, sizeof(float) * 2 * n) == 0, "tones do not depend on the seed");
        free(t1);
        free(t2);
        n = 144000;
    }
    free(ref);
}

/* ------------------------------------------------------------------ seek */

/* Every parameter value at `frame`, as the engine's tracks give it. */
static int same_state(const lull_engine *a, const lull_engine *b, int64_t frame)
{
    for (int v = 0; v < a->n_voices; v++)
        for (int p = 0; p < a->voices[v].vc->n_params; p++)
            if (lull_track_at(&a->voices[v].tracks[p], frame) != lull_track_at(&b->voices[v].tracks[p], frame))
                return 0;
    return lull_track_at(&a->master_gain, frame) == lull_track_at(&b->master_gain, frame) &&
           lull_track_at(&a->master_fade, frame) == lull_track_at(&b->master_fade, frame);
}

static void test_seek(void)
{
    const int rate = 48000;
    const char *text = "voice d binaural carrier=200Hz beat=10Hz gain=-20dB\n"
                       "voice n noise color=pink gain=-30dB\n"
                       "0:00 master fade-in 1s\n"
                       "0:01 d carrier=400Hz beat=4Hz over 4s\n"
                       "0:02 d gain=-6dB over 2s\n"
                       "0:02.5 section \"middle\"\n"
                       "0:03 master gain=-3dB over 2s\n"
                       "0:03.5 n gain=-12dB\n"
                       "0:06 end\n";
    static const int64_t targets[] = { 0, 1000, 48000 + 17, 120000, 150000, 168000 + 3, 250000, 280000 };
    float *buf = malloc(sizeof(float) * 2 * 9600);
    float *ref = malloc(sizeof(float) * 2 * 9600);
    float *l1 = malloc(sizeof(float) * 9600), *l2 = malloc(sizeof(float) * 9600);
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        int64_t f = targets[i];
        lull_engine *played = make_engine(text, rate, LULL_DEFAULT_SEED);
        lull_engine *sought = make_engine(text, rate, LULL_DEFAULT_SEED);
        /* Play through to f in odd blocks. */
        for (int64_t d = 0; d < f;) {
            int k = (int)(f - d < 999 ? f - d : 999);
            lull_engine_process(played, buf, k);
            d += k;
        }
        /* The sought engine first plays a while elsewhere, then jumps. */
        lull_engine_process(sought, buf, 4000);
        CHECK(lull_engine_seek(sought, f) == LULL_OK, "seek");
        CHECK(lull_engine_position_frames(sought) == f && lull_engine_position_frames(played) == f, "position");
        CHECK(same_state(played, sought, f), "parameters after seeking to %lld differ from playing there",
              (long long)f);
        lull_engine_process(played, ref, 9600);
        lull_engine_process(sought, buf, 9600);
        CHECK(same_state(played, sought, f + 9600), "parameters 9600 frames after seeking to %lld", (long long)f);
        lull_engine_destroy(&played);
        lull_engine_destroy(&sought);
    }
    /* Tone only, with the noise silent: frequency and level right after a
     * seek equal those of playing straight through (mid glide and after). */
    const char *tone = "voice d binaural carrier=200Hz beat=10Hz gain=-20dB\n"
                       "0:01 d carrier=400Hz beat=4Hz over 4s\n"
                       "0:02 d gain=-6dB over 2s\n"
                       "0:03 master gain=-3dB over 2s\n"
                       "0:08 end\n";
    take t = render(tone, rate, LULL_DEFAULT_SEED, 4096);
    static const int64_t at[] = { 120000, 200000, 260000 };
    float *r = malloc(sizeof(float) * 2 * 19200);
    float *rl = malloc(sizeof(float) * 19200), *rr = malloc(sizeof(float) * 19200);
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        lull_engine *e = make_engine(tone, rate, LULL_DEFAULT_SEED);
        lull_engine_seek(e, at[i]);
        lull_engine_process(e, r, 19200);
        for (int k = 0; k < 19200; k++) {
            rl[k] = r[2 * k];
            rr[k] = r[2 * k + 1];
        }
        const float *pl = t.l + at[i], *pr = t.r + at[i];
        double fl = an_estimate_frequency(rl, 19200, rate), fl0 = an_estimate_frequency(pl, 19200, rate);
        double fr = an_estimate_frequency(rr, 19200, rate), fr0 = an_estimate_frequency(pr, 19200, rate);
        CHECK(fabs(fl - fl0) < 0.01 && fabs(fr - fr0) < 0.01, "seek to %lld: %.4f/%.4f Hz, played %.4f/%.4f Hz",
              (long long)at[i], fl, fr, fl0, fr0);
        /* Envelope in 20 slices. */
        for (int s = 0; s < 20; s++) {
            double a = peak(rl, (size_t)s * 960, (size_t)(s + 1) * 960);
            double b = peak(pl, (size_t)s * 960, (size_t)(s + 1) * 960);
            CHECK(fabs(a - b) < 2e-3 * b, "seek to %lld, slice %d: peak %.5f, played %.5f", (long long)at[i], s, a, b);
        }
        lull_engine_destroy(&e);
    }
    /* White noise after a seek has the level it has when played there. */
    {
        const char *wn = "voice n noise color=white gain=-12dB\n0:01 n gain=-32dB over 2s\n0:02.5 master gain=-6dB\n0:04 end\n";
        static const int64_t nat[] = { 30000, 72000, 100000, 125000, 160000 };
        for (size_t i = 0; i < sizeof nat / sizeof nat[0]; i++) {
            lull_engine *played = make_engine(wn, rate, LULL_DEFAULT_SEED);
            lull_engine *sought = make_engine(wn, rate, LULL_DEFAULT_SEED);
            for (int64_t d = 0; d < nat[i];) {
                int k = (int)(nat[i] - d < 4096 ? nat[i] - d : 4096);
                lull_engine_process(played, buf, k);
                d += k;
            }
            lull_engine_seek(sought, nat[i]);
            lull_engine_process(played, ref, 4800);
            lull_engine_process(sought, buf, 4800);
            for (int k = 0; k < 4800; k++) {
                l1[k] = ref[2 * k];
                l2[k] = buf[2 * k];
            }
            double r1 = an_rms(l1, 0, 4800), r2 = an_rms(l2, 0, 4800);
            CHECK(fabs(20 * log10(r2 / r1)) < 0.3, "noise after seeking to %lld: RMS %.5f, played %.5f",
                  (long long)nat[i], r2, r1);
            lull_engine_destroy(&played);
            lull_engine_destroy(&sought);
        }
    }
    /* Clamping, and section frames in the engine's rate. */
    lull_engine *e = make_engine(text, 44100, LULL_DEFAULT_SEED);
    CHECK(lull_engine_section_frame(e, 0) == 110250 && lull_engine_section_frame(e, 1) == -1, "section frame");
    CHECK(lull_engine_seek(e, lull_engine_section_frame(e, 0)) == LULL_OK && lull_engine_position_frames(e) == 110250,
          "seek to a section");
    lull_engine_seek(e, -5);
    CHECK(lull_engine_position_frames(e) == 0, "negative seek clamps to 0");
    lull_engine_seek(e, 1LL << 40);
    CHECK(lull_engine_position_frames(e) == lull_engine_length_frames(e) && lull_engine_finished(e),
          "seek past the end clamps to the end");
    lull_engine_destroy(&e);
    take_free(&t);
    free(r);
    free(rl);
    free(rr);
    free(buf);
    free(ref);
    free(l1);
    free(l2);
}

/* --------------------------------------------------------------- limits */

static void test_limiter(void)
{
    /* 40 loud tones and 8 loud noises: the sum would be ~80 x full scale. */
    char *text = malloc(8192);
    size_t k = 0;
    for (int i = 0; i < 40; i++)
        k += (size_t)snprintf(text + k, 8192 - k, "voice t%d binaural carrier=%dHz beat=%dHz gain=+6dB\n", i,
                              60 + 36 * i, i % 40);
    for (int i = 0; i < 8; i++)
        k += (size_t)snprintf(text + k, 8192 - k, "voice n%d noise color=%s gain=+6dB\n", i,
                              i % 3 == 0 ? "white" : i % 3 == 1 ? "pink" : "brown");
    k += (size_t)snprintf(text + k, 8192 - k, "0:01 t3 carrier=1500Hz over 1s\n0:01.5 master gain=+6dB\n0:03 end\n");
    take t = render(text, 48000, LULL_DEFAULT_SEED, 64);
    int finite = 1;
    double pk = 0;
    for (size_t i = 0; i < t.n; i++) {
        if (!isfinite(t.l[i]) || !isfinite(t.r[i]))
            finite = 0;
        if (fabs(t.l[i]) > pk)
            pk = fabs(t.l[i]);
        if (fabs(t.r[i]) > pk)
            pk = fabs(t.r[i]);
    }
    CHECK(finite, "NaN or Inf in the output");
    CHECK(pk < 1.0, "peak %.6f reaches full scale", pk);
    /* held at the -1 dBTP ceiling (an_true_peak: test_safety measures that) */
    CHECK(pk > 0.85 && pk <= 0.8913, "the limiter does not hold the mix at its ceiling (peak %.4f)", pk);
    take_free(&t);
    free(text);

    /* At normal levels the limiter does nothing: a -1.5 dB sine keeps its
     * exact peak (0.841, just under the ceiling less the estimator's
     * margin) and its shape. */
    t = render("voice d binaural carrier=250Hz beat=0Hz gain=-1.5dB\n0:01 end\n", 48000, LULL_DEFAULT_SEED, 4096);
    pk = peak(t.l, 0, 40000);
    CHECK(fabs(pk - db(-1.5)) < 1e-4, "a -1.5 dB sine peaks at %.5f", pk);
    double h3 = an_goertzel_amplitude(t.l, 38400, 750.0, 48000);
    CHECK(h3 < 1e-5, "third harmonic %.3g: the limiter is bending a normal signal", h3);
    take_free(&t);

    /* Bad calls are harmless. */
    float one[2];
    CHECK(lull_engine_process(NULL, one, 1) == 0, "NULL engine");
    lull_engine *e = NULL;
    lull_engine_destroy(&e);
    lull_engine_destroy(NULL);
    lull_script *s = NULL;
    lull_script_load_string("voice d binaural\n1s end\n", 24, "x", NULL, &s);
    lull_engine_config c = lull_engine_config_init();
    c.rate_hz = 1000;
    CHECK(lull_engine_create(s, &c, &e) == LULL_ERR_ARG && e == NULL, "a 1 kHz rate is refused");
    CHECK(lull_engine_create(s, NULL, &e) == LULL_OK && lull_engine_rate(e) == 48000 &&
              lull_engine_length_frames(e) == 48000, "NULL config means 48 kHz");
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

int main(void)
{
    test_binaural_frequencies();
    test_glides();
    test_declick();
    test_fades();
    test_sample_accuracy();
    test_determinism();
    test_seek();
    test_limiter();
    if (failures) {
        fprintf(stderr, "test_engine: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_engine: ok\n");
    return 0;
}
