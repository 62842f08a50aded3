/*
 * test_bell.c - the struck tone, driven through its class table
 * (tests/voice_harness.h) and through the engine from a script, and
 * measured: silence until struck, the strike landing on its event's frame,
 * the 60 dB decay time, the pitch, re-strikes without clicks, split
 * invariance, random parameter sequences.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "check.h"
#include "lull.h"
#include "lull_voice.h"
#include "voice_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define RATE 48000.0
#define DECLICK 480 /* the mixer's 10 ms step ramp */

enum { FREQ = 0, GAIN, DECAY, STRIKE };

static const lull_voice_class *vc = &lull_voice_bell;

static void test_class(void)
{
    static const char *const names[] = { "freq", "gain", "decay", "strike" };
    failures += vh_check_class(vc, "bell", names, 4);
}

/* Render n frames with strikes: strike value k+1 set at frames at[k] (a
 * step, ramped over the de-click time as the mixer does).  Tracks change
 * only between pieces, as events do. */
static void render_strikes(void *st, vh_sched *s, const long *at, const double *value, int n_at,
                           long n, float *L, float *R, int split)
{
    long t = 0;
    for (int k = 0; k <= n_at; k++) {
        const long next = k < n_at ? at[k] : n;
        vh_render(vc, st, s, t, next - t, L + t, R + t, split);
        t = next;
        if (k < n_at)
            vh_glide(s, STRIKE, value[k], t, DECLICK);
    }
}

/* Level in dB of the ring in [t0, t0 + 0.1 s) (whole cycles of 500 Hz). */
static double level_db(const float *x, double t0_sec)
{
    const size_t a = (size_t)(t0_sec * RATE), b = a + (size_t)(0.1 * RATE);
    return 20.0 * log10(an_rms(x, a, b) * sqrt(2.0));
}

static void test_ring(void)
{
    const long n = (long)(8.0 * RATE);
    const double gain = 0.5, decay = 2.0;
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, FREQ, 500.0);
    vh_set(&s, GAIN, gain);
    vh_set(&s, DECAY, decay);
    vh_set(&s, STRIKE, 0.0);
    void *st = vh_new(vc, RATE, 1, &s);
    /* strike at 1 s; the same value again at 3 s (no strike); 2 at 5 s. */
    const long at[] = { 48000, 144000, 240000 };
    const double val[] = { 1.0, 1.0, 2.0 };
    render_strikes(st, &s, at, val, 3, n, L, R, VH_SPLIT_RANDOM);
    CHECK(memcmp(L, R, (size_t)n * sizeof(float)) == 0, "both ears identical");

    double before = 0.0;
    for (long i = 0; i <= 48000; i++)
        before = fmax(before, fabs((double)L[i]));
    const long onset = an_onset(L, (size_t)n, 1e-6);
    double peak = 0.0;
    for (long i = 48000; i < 48000 + 4800; i++)
        peak = fmax(peak, fabs((double)L[i]));
    printf("unstruck: peak %.3g before the strike; first sound at frame %ld (strike at 48000), "
           "peak %.5f (gain %.3f)\n",
           before, onset, peak, gain);
    CHECK(before == 0.0, "silent until struck");
    CHECK(onset == 48001, "the strike lands on its frame (first non-zero output one frame later)");
    CHECK(peak <= gain && peak > 0.995 * gain, "peak level");

    /* 60 dB per `decay` seconds: 30 dB per second here, measured over 1.5 s
     * and across the repeated value at 3 s (which must not re-strike). */
    const double d1 = level_db(L, 1.2), d2 = level_db(L, 2.7), d3 = level_db(L, 3.7);
    const double rate1 = (d1 - d2) / 1.5, rate2 = (d2 - d3) / 1.0;
    printf("decay: %.3f dB/s then %.3f dB/s across the repeated strike=1 (want %.3f)\n", rate1, rate2,
           60.0 / decay);
    CHECK(fabs(rate1 - 30.0) < 0.05 && fabs(rate2 - 30.0) < 0.05, "decay rate");
    const double f = an_estimate_frequency(L + 48000 + 480, 48000, RATE);
    printf("pitch %.5f Hz (500)\n", f);
    CHECK(fabs(f - 500.0) < 0.01, "pitch");

    /* Re-struck at 5 s while still ringing: back to full level, no click. */
    double peak2 = 0.0;
    for (long i = 240000; i < 240000 + 4800; i++)
        peak2 = fmax(peak2, fabs((double)L[i]));
    const double jump = an_max_jump(L, (size_t)n, NULL);
    const double bound = gain * (2.0 * PI * 500.0 / RATE + 1.0 / (0.002 * RATE)) + 1e-5;
    printf("re-strike peak %.5f; largest jump %.6f (bound %.6f)\n", peak2, jump, bound);
    CHECK(peak2 > 0.995 * gain && peak2 <= gain, "re-strike level");
    CHECK(jump <= bound, "click");

    /* The ring dies to exact silence (no denormal tail). */
    vh_sched q = s;
    vh_set(&q, DECAY, 0.05);
    float *tail_l = check_buf(48000), *tail_r = check_buf(48000);
    vh_render(vc, st, &q, n, 48000, tail_l, tail_r, VH_SPLIT_SEGMENT);
    CHECK(tail_l[47999] == 0.0f, "decays to exact zero");
    free(tail_l);
    free(tail_r);
    free(st);
    free(L);
    free(R);
}

static void test_splits(void)
{
    const long n = (long)(4.0 * RATE);
    float *L[3], *R[3];
    const long at[] = { 1000, 1000 + 2 * DECLICK, 60000, 60400, 120000 };
    const double val[] = { 1.0, 2.0, 3.0, 4.0, 5.0 };
    for (int k = 0; k < 3; k++) {
        L[k] = check_buf(n);
        R[k] = check_buf(n);
        vh_sched s = vh_defaults(vc);
        vh_glide(&s, FREQ, 1200.0, 0, n);
        vh_glide(&s, DECAY, 0.5, 0, n);
        void *st = vh_new(vc, RATE, 1, &s);
        render_strikes(st, &s, at, val, 5, n, L[k], R[k], k);
        free(st);
    }
    const size_t bytes = (size_t)n * sizeof(float);
    const int same = !memcmp(L[0], L[1], bytes) && !memcmp(L[0], L[2], bytes)
                     && !memcmp(R[0], R[1], bytes) && !memcmp(R[0], R[2], bytes);
    printf("bell split invariance with 5 strike events (one 8 ms after the last): %s\n",
           same ? "bit-identical" : "DIFFER");
    CHECK(same, "split invariance");
    for (int k = 0; k < 3; k++) {
        free(L[k]);
        free(R[k]);
    }
}

static void test_script(void)
{
    const char *text = "voice chime bell freq=500Hz decay=2s gain=-6dB\n"
                       "0:01 chime strike=1\n"
                       "0:01.5 chime freq=600Hz\n"
                       "0:02.250 chime strike=2\n"
                       "0:03 end\n";
    lull_script *s = NULL;
    CHECK(lull_script_load_string(text, strlen(text), "bell.lull", NULL, &s) == LULL_OK, "load: %s",
          lull_last_error());
    if (!s)
        return;
    lull_engine *e = NULL;
    lull_engine_config cfg = lull_engine_config_init();
    CHECK(lull_engine_create(s, &cfg, &e) == LULL_OK, "engine");
    const long n = (long)lull_engine_length_frames(e);
    float *io = check_buf(2 * n), *L = check_buf(n);
    lull_engine_process(e, io, (int)(n < 4096 ? n : 4096));
    for (long t = 4096; t < n; t += 777)
        lull_engine_process(e, io + 2 * t, (int)(n - t < 777 ? n - t : 777));
    for (long i = 0; i < n; i++)
        L[i] = io[2 * i];
    const long first = an_onset(L, (size_t)n, 1e-6);
    /* The second strike: the first frame after 2.25 s where the level rises
     * again (the envelope only falls between strikes). */
    const double before = an_rms(L, 108000 - 4800, 108000), after = an_rms(L, 108000 + 96, 108000 + 4896);
    printf("script: first sound at frame %ld (strike at 48000); level around the 2.25 s strike "
           "%.4f -> %.4f\n",
           first, before, after);
    CHECK(first == 48001, "script strike lands on its frame");
    CHECK(after > 1.8 * before, "second strike from the script");
    free(io);
    free(L);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

static void test_fuzz(void)
{
    failures += vh_fuzz_check(vc, RATE, 4, 20.0, 2.0);
}

int main(void)
{
    test_class();
    test_ring();
    test_splits();
    test_script();
    test_fuzz();
    return check_done("test_bell");
}
