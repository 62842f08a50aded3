/*
 * test_monaural.c - the monaural voice, driven through its class table the
 * way the mixer drives it (tests/voice_harness.h), and measured.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "check.h"
#include "lull_voice.h"
#include "voice_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846
#define RATE 48000.0

enum { CARRIER = 0, BEAT, GAIN };

static const lull_voice_class *vc = &lull_voice_monaural;

static void test_class(void)
{
    static const char *const names[] = { "carrier", "beat", "gain" };
    failures += vh_check_class(vc, "monaural", names, 3);
}

static void test_steady(void)
{
    const long n = 480000; /* 10 s */
    float *L = check_buf(n), *R = check_buf(n), *sq = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, CARRIER, 200.0);
    vh_set(&s, BEAT, 10.0);
    vh_set(&s, GAIN, 0.5);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_SEGMENT);
    CHECK(memcmp(L, R, (size_t)n * sizeof(float)) == 0, "both ears must be identical");

    const double f_lo = an_estimate_frequency_in(L, (size_t)n, RATE, 191.0, 200.0);
    const double f_hi = an_estimate_frequency_in(L, (size_t)n, RATE, 200.0, 209.0);
    const double a_lo = an_goertzel_amplitude(L, (size_t)n, 195.0, RATE);
    const double a_hi = an_goertzel_amplitude(L, (size_t)n, 205.0, RATE);
    const double rms = an_rms(L, 0, (size_t)n);
    printf("steady 200/10 gain 0.5: tones %.7f Hz and %.7f Hz (195, 205), amplitudes %.6f %.6f "
           "(0.25), RMS %.6f (0.25)\n",
           f_lo, f_hi, a_lo, a_hi, rms);
    CHECK(fabs(f_lo - 195.0) < 0.01 && fabs(f_hi - 205.0) < 0.01, "tone frequencies");
    CHECK(fabs(a_lo - 0.25) < 1e-4 && fabs(a_hi - 0.25) < 1e-4, "tone amplitudes");
    /* Nothing else: the two tones carry all the power. */
    CHECK(fabs(rms - 0.25) < 1e-4, "total RMS %g", rms);

    /* The beat itself: the squared signal's strongest low component. */
    for (long i = 0; i < n; i++)
        sq[i] = L[i] * L[i];
    const double mean = an_mean(sq, 0, (size_t)n);
    for (long i = 0; i < n; i++)
        sq[i] -= (float)mean;
    const double beat = an_estimate_frequency_in(sq, (size_t)n, RATE, 2.0, 50.0);
    printf("level envelope beats at %.7f Hz (10)\n", beat);
    CHECK(fabs(beat - 10.0) < 0.01, "beat %g", beat);
    CHECK(L[0] == 0.0f, "phases start at 0");

    /* process adds into the buffers */
    for (long i = 0; i < 4800; i++)
        L[i] = R[i] = 1.0f;
    vc->init(st, &(lull_voice_ctx){ RATE, 1 }, (double[]){ 200.0, 10.0, 0.5 });
    vh_render(vc, st, &s, 0, 4800, L, R, VH_SPLIT_SEGMENT);
    float *L2 = check_buf(4800), *R2 = check_buf(4800);
    vc->init(st, &(lull_voice_ctx){ RATE, 1 }, (double[]){ 200.0, 10.0, 0.5 });
    vh_render(vc, st, &s, 0, 4800, L2, R2, VH_SPLIT_SEGMENT);
    int adds = 1;
    for (long i = 0; i < 4800; i++)
        adds &= L[i] == 1.0f + L2[i] && R[i] == 1.0f + R2[i];
    CHECK(adds, "process must add into the buffers");
    free(L2);
    free(R2);
    free(st);
    free(L);
    free(R);
    free(sq);
}

static void test_peak(void)
{
    /* gain 0 dB: the sum peaks at 1.0 once per beat and never above. */
    const long n = 480000;
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, CARRIER, 1000.0);
    vh_set(&s, BEAT, 7.0);
    vh_set(&s, GAIN, 1.0);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_SEGMENT);
    double peak = 0.0;
    for (long i = 0; i < n; i++)
        peak = fmax(peak, fabs((double)L[i]));
    printf("gain 0 dB: peak %.7f (at most 1.0)\n", peak);
    CHECK(peak <= 1.0 && peak > 0.999, "peak %g", peak);
    free(st);
    free(L);
    free(R);
}

static void test_glide(void)
{
    const long glide_n = 240000, hold_n = 480000, n = glide_n + hold_n;
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, CARRIER, 200.0);
    vh_set(&s, BEAT, 10.0);
    vh_set(&s, GAIN, 0.1);
    vh_glide(&s, CARRIER, 800.0, 0, glide_n);
    vh_glide(&s, BEAT, 2.0, 0, glide_n);
    vh_glide(&s, GAIN, 1.0, 0, glide_n);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_RANDOM);
    const double f_lo = an_estimate_frequency_in(L + glide_n, (size_t)hold_n, RATE, 795.0, 800.0);
    const double f_hi = an_estimate_frequency_in(L + glide_n, (size_t)hold_n, RATE, 800.0, 805.0);
    printf("after glide to 800/2: tones %.7f Hz and %.7f Hz (799, 801)\n", f_lo, f_hi);
    CHECK(fabs(f_lo - 799.0) < 0.01 && fabs(f_hi - 801.0) < 0.01, "glide target");

    /* No clicks: a sum of two sines of amplitude g/2 at f1 <= f2 moves at
     * most g/2 * 2 pi (f1 + f2) / rate per frame. */
    size_t at;
    const double jump = an_max_jump(L, (size_t)n, &at);
    const double bound = 0.5 * 2.0 * PI * (799.0 + 801.0) / RATE + 1e-5;
    printf("largest jump %.6f at frame %zu (bound %.6f)\n", jump, at, bound);
    CHECK(jump <= bound, "click");
    free(st);
    free(L);
    free(R);

    CHECK(vh_split_invariant(vc, RATE, &s, n), "split invariance");
}

static void test_fuzz(void)
{
    failures += vh_fuzz_check(vc, RATE, 4, 20.0, 2.0);
}

int main(void)
{
    test_class();
    test_steady();
    test_peak();
    test_glide();
    test_fuzz();
    return check_done("test_monaural");
}
