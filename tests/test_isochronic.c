/*
 * test_isochronic.c - the isochronic voice, driven through its class table
 * (tests/voice_harness.h) and measured: tone frequency, pulse rate, duty
 * cycle and edge length read off the rendered envelope, click bound, split
 * invariance, random parameter sequences.
 *
 * The envelope is read with a quadrature trick: with the tone at 1 kHz and
 * 48 kHz there are exactly 48 frames a cycle, so x[i] is the sine and
 * x[i-12], x[i+12] are minus and plus the cosine of the same phase, and
 *     env[i]^2 = x[i]^2 + (x[i-12]^2 + x[i+12]^2) / 2
 * is the squared envelope, exact where the envelope is flat and, because it
 * is centred on i, free of any lag where it moves linearly.  Crossings use
 * hysteresis (armed below 0.25, counted at 0.5) so the estimator's small
 * 2 kHz ripple on the edges cannot count one edge twice.
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
#define QUARTER 12 /* frames in a quarter cycle of 1 kHz at 48 kHz */

enum { TONE = 0, PRATE, GAIN, DUTY };

static const lull_voice_class *vc = &lull_voice_isochronic;

/* The documented edge length, in seconds. */
static double edge_sec(double rate_hz, double duty)
{
    return fmin(0.020, 0.25 * fmin(duty, 1.0 - duty) / rate_hz);
}

typedef struct pulses {
    double freq_hz;      /* from the mean distance between rising crossings */
    double duty;         /* mean (fall - rise) / period at half level */
    double rise_10_90_s; /* mean 10 %..90 % rise time */
    int n;
} pulses;

/* Fractional index where env crosses level between i-1 and i. */
static double cross_at(const float *env, long i, double level)
{
    return (double)(i - 1) + (level - env[i - 1]) / (env[i] - env[i - 1]);
}

static pulses measure(const float *x, long begin, long end, double gain)
{
    const long n = end - begin - 2 * QUARTER;
    float *env = check_buf(n);
    for (long i = 0; i < n; i++) {
        const double a = x[begin + i], b = x[begin + i + QUARTER], c = x[begin + i + 2 * QUARTER];
        env[i] = (float)(sqrt(b * b + 0.5 * (a * a + c * c)) / gain);
    }
    pulses p = { 0, 0, 0, 0 };
    double first_rise = -1, last_rise = -1, rise = -1, t10 = -1, duty_sum = 0, rt_sum = 0;
    int n_rise = 0, n_duty = 0, n_rt = 0;
    int low = 0, high = 0; /* hysteresis: seen below 0.05 / above 0.95 */
    for (long i = 1; i < n; i++) {
        if (env[i] < 0.05f)
            low = 1;
        if (low && env[i - 1] < 0.1f && env[i] >= 0.1f)
            t10 = cross_at(env, i, 0.1);
        if (t10 >= 0 && env[i - 1] < 0.9f && env[i] >= 0.9f) {
            rt_sum += cross_at(env, i, 0.9) - t10;
            n_rt++;
            t10 = -1;
        }
        if (low && env[i - 1] < 0.5f && env[i] >= 0.5f) {
            low = 0;
            high = 0;
            rise = cross_at(env, i, 0.5);
            if (first_rise < 0)
                first_rise = rise;
            last_rise = rise;
            n_rise++;
        }
        if (env[i] > 0.95f)
            high = 1;
        if (high && env[i - 1] >= 0.5f && env[i] < 0.5f && rise >= 0 && n_rise >= 2) {
            high = 0;
            /* width of this pulse over the period just measured */
            const double period = (last_rise - first_rise) / (n_rise - 1);
            duty_sum += (cross_at(env, i, 0.5) - rise) / period;
            n_duty++;
        }
    }
    if (n_rise >= 2)
        p.freq_hz = RATE * (n_rise - 1) / (last_rise - first_rise);
    p.duty = n_duty ? duty_sum / n_duty : -1;
    p.rise_10_90_s = n_rt ? rt_sum / n_rt / RATE : -1;
    p.n = n_rise;
    free(env);
    return p;
}

static void test_class(void)
{
    static const char *const names[] = { "tone", "rate", "gain", "duty" };
    failures += vh_check_class(vc, "isochronic", names, 4);
    CHECK(vc->params[DUTY].def == 0.5, "duty defaults to 0.5");
}

/* Steady pulses: rate, duty, edge length, tone, peak, click bound. */
static void steady(double rate_hz, double duty, double gain)
{
    const long n = 480000; /* 10 s */
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, TONE, 1000.0);
    vh_set(&s, PRATE, rate_hz);
    vh_set(&s, GAIN, gain);
    vh_set(&s, DUTY, duty);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_RANDOM);
    CHECK(memcmp(L, R, (size_t)n * sizeof(float)) == 0, "both ears must be identical");

    const pulses p = measure(L, 0, n, gain);
    const double e = edge_sec(rate_hz, duty);
    const double rise_expected = e * (2.0 / PI) * (asin(sqrt(0.9)) - asin(sqrt(0.1)));
    const double tone = an_estimate_frequency_in(L, (size_t)n, RATE, 995.0, 1005.0);
    double peak = 0.0;
    for (long i = 0; i < n; i++)
        peak = fmax(peak, fabs((double)L[i]));
    size_t at;
    const double jump = an_max_jump(L, (size_t)n, &at);
    const double bound = gain * (2.0 * PI * 1000.0 + PI / (2.0 * e)) / RATE + 1e-5;
    printf("rate %g Hz duty %g: %d pulses at %.6f Hz, duty %.5f, rise 10-90 %.3f ms (expected "
           "%.3f), tone %.5f Hz, peak %.5f (gain %g), largest jump %.5f (bound %.5f)\n",
           rate_hz, duty, p.n, p.freq_hz, p.duty, p.rise_10_90_s * 1e3, rise_expected * 1e3, tone,
           peak, gain, jump, bound);
    CHECK(fabs(p.freq_hz - rate_hz) < 0.01, "pulse rate %.6f, want %g", p.freq_hz, rate_hz);
    CHECK(fabs(p.duty - duty) < 0.005, "duty %.5f, want %g", p.duty, duty);
    CHECK(fabs(p.rise_10_90_s - rise_expected) < 0.3e-3, "edge length");
    CHECK(fabs(tone - 1000.0) < 0.01, "tone frequency %.5f", tone);
    CHECK(peak <= gain && peak > 0.999 * gain, "peak %g", peak);
    CHECK(jump <= bound, "click: jump %g > %g at %zu", jump, bound, at);
    CHECK(L[0] == 0.0f, "starts silent at the start of a rise");
    free(st);
    free(L);
    free(R);
}

static void test_glide(void)
{
    /* rate 4 -> 10 Hz, duty 0.5 -> 0.3, gain 0.2 -> 0.8 over 5 s, then hold. */
    const long glide_n = 240000, hold_n = 480000, n = glide_n + hold_n;
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, TONE, 1000.0);
    vh_set(&s, PRATE, 4.0);
    vh_set(&s, GAIN, 0.2);
    vh_set(&s, DUTY, 0.5);
    vh_glide(&s, PRATE, 10.0, 0, glide_n);
    vh_glide(&s, DUTY, 0.3, 0, glide_n);
    vh_glide(&s, GAIN, 0.8, 0, glide_n);
    void *st = vh_new(vc, RATE, 1, &s);
    vh_render(vc, st, &s, 0, n, L, R, VH_SPLIT_RANDOM);
    const pulses p = measure(L, glide_n + 4800, n, 0.8);
    size_t at;
    const double jump = an_max_jump(L, (size_t)n, &at);
    const double bound = 0.8 * (2.0 * PI * 1000.0 + PI / (2.0 * edge_sec(10.0, 0.3))) / RATE + 1e-5;
    printf("after glide to 10 Hz / duty 0.3: %.6f Hz, duty %.5f; largest jump over the glide %.5f "
           "(bound %.5f)\n",
           p.freq_hz, p.duty, jump, bound);
    CHECK(fabs(p.freq_hz - 10.0) < 0.01, "rate after glide");
    CHECK(fabs(p.duty - 0.3) < 0.005, "duty after glide");
    CHECK(jump <= bound, "click during glide");

    /* The pulse phase integrates the gliding rate: over the glide it runs
     * (4 + 10)/2 * 5 s = 35 cycles, so the first pulse after it starts
     * exactly at the end of the glide (a rise from 0 at frame glide_n). */
    double before = 0.0;
    for (long i = glide_n - 2000; i < glide_n; i++)
        before = fmax(before, fabs((double)L[i]));
    const long onset = an_onset(L + glide_n, 4800, 1e-3);
    printf("pulse phase after the glide: level before the end %.2g, first pulse at +%ld frames\n",
           before, onset);
    CHECK(before < 1e-6 && onset >= 0 && onset < 100, "pulse phase continuity through a glide");
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
    steady(4.0, 0.5, 0.5);
    steady(10.0, 0.3, 1.0);
    steady(2.5, 0.8, 0.25);
    steady(40.0, 0.5, 0.5);
    test_glide();
    test_fuzz();
    return check_done("test_isochronic");
}
