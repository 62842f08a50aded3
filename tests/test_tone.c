/*
 * test_tone.c - the plain tone voice, driven through its class table
 * (tests/voice_harness.h) and measured: frequency and level per ear, the
 * balance law, a glide's end point and click bound, split invariance, random
 * parameter sequences.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "lull_voice.h"
#include "voice_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define RATE 48000.0

enum { FREQ = 0, GAIN, PAN };

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

static const lull_voice_class *vc = &lull_voice_tone;

static float *buf(long n)
{
    float *p = calloc((size_t)n, sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

static void test_class(void)
{
    CHECK(strcmp(vc->kind, "tone") == 0, "kind");
    CHECK(lull_voice_find("tone") == vc, "registered");
    CHECK(vc->n_params == 3 && lull_voice_param_index(vc, "freq") == FREQ
              && lull_voice_param_index(vc, "gain") == GAIN && lull_voice_param_index(vc, "pan") == PAN,
          "parameters");
    for (int p = 0; p < vc->n_params; p++)
        CHECK(vc->params[p].help && vc->params[p].min <= vc->params[p].def
                  && vc->params[p].def <= vc->params[p].max,
              "parameter %s described", vc->params[p].name);
}

static void steady(double freq, double gain, double pan, double want_l, double want_r)
{
    const long n = 480000;
    float *L = buf(n), *R = buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, FREQ, freq);
    vh_set(&s, GAIN, gain);
    vh_set(&s, PAN, pan);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_RANDOM);
    const double al = an_rms(L, 0, (size_t)n) * sqrt(2.0), ar = an_rms(R, 0, (size_t)n) * sqrt(2.0);
    const double fl = want_l > 0 ? an_estimate_frequency(L, (size_t)n, RATE) : 0;
    const double fr = want_r > 0 ? an_estimate_frequency(R, (size_t)n, RATE) : 0;
    const double gl = an_goertzel_amplitude(L, (size_t)n, freq, RATE);
    printf("freq %g gain %g pan %+g: left %.6f Hz amplitude %.6f (%.3f, Goertzel %.6f), right %.6f "
           "Hz amplitude %.6f (%.3f)\n",
           freq, gain, pan, fl, al, want_l, gl, fr, ar, want_r);
    CHECK(fabs(al - want_l) < 1e-4 && fabs(ar - want_r) < 1e-4, "levels");
    CHECK(want_l == 0 || fabs(fl - freq) < 0.01, "left frequency");
    CHECK(want_r == 0 || fabs(fr - freq) < 0.01, "right frequency");
    if (want_l == 0)
        CHECK(an_rms(L, 0, (size_t)n) == 0.0, "left silent");
    if (pan == 0.0)
        CHECK(memcmp(L, R, (size_t)n * sizeof(float)) == 0, "centred: ears identical");
    CHECK(L[0] == 0.0f, "phase starts at 0");
    free(st);
    free(L);
    free(R);
}

static void test_glide(void)
{
    const long glide_n = 240000, hold_n = 240000, n = glide_n + hold_n;
    float *L = buf(n), *R = buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, FREQ, 200.0);
    vh_set(&s, GAIN, 0.2);
    vh_set(&s, PAN, -1.0);
    vh_glide(&s, FREQ, 2000.0, 0, glide_n);
    vh_glide(&s, GAIN, 0.9, 0, glide_n);
    vh_glide(&s, PAN, 1.0, 0, glide_n);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_RANDOM);
    const double fr = an_estimate_frequency(R + glide_n, (size_t)hold_n, RATE);
    const double jl = an_max_jump(L, (size_t)n, NULL), jr = an_max_jump(R, (size_t)n, NULL);
    const double bound = 0.9 * 2.0 * PI * 2000.0 / RATE + 1e-5;
    printf("glide 200 -> 2000 Hz, pan -1 -> +1: right ends at %.6f Hz, left level after %.3g; "
           "largest jumps %.6f %.6f (bound %.6f)\n",
           fr, an_rms(L, (size_t)glide_n, (size_t)n), jl, jr, bound);
    CHECK(fabs(fr - 2000.0) < 0.01, "glide target");
    CHECK(an_rms(L, (size_t)glide_n, (size_t)n) == 0.0, "pan +1 silences the left ear");
    CHECK(jl <= bound && jr <= bound, "click");
    free(st);
    free(L);
    free(R);
    CHECK(vh_split_invariant(vc, RATE, &s, n), "split invariance");
}

static void test_fuzz(void)
{
    for (uint64_t seed = 1; seed <= 4; seed++) {
        double peak;
        const long bad = vh_fuzz(vc, RATE, seed, 20.0, 2.0, &peak);
        printf("fuzz seed %llu: %ld bad samples, peak %.4f (bound 2.0 = +6 dB)\n",
               (unsigned long long)seed, bad, peak);
        CHECK(bad == 0, "fuzz produced NaN/Inf or out-of-range output");
    }
}

int main(void)
{
    test_class();
    steady(440.0, 0.5, 0.0, 0.5, 0.5);
    steady(1000.0, 0.5, -0.5, 0.5, 0.25);
    steady(250.0, 1.0, 0.25, 0.75, 1.0);
    steady(100.0, 0.5, -1.0, 0.5, 0.0);
    steady(15000.0, 0.5, 0.0, 0.5, 0.5);
    test_glide();
    test_fuzz();
    if (failures) {
        printf("test_tone: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_tone: all passed\n");
    return 0;
}
