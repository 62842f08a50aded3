/*
 * test_spin.c - spinning pink noise, driven through its class table
 * (tests/voice_harness.h) and measured: the inter-aural delay read back by
 * cross-correlating the ears in short windows against width * sin(2 pi rate
 * t), the pink slope and level of each ear, identical ears at width 0, no
 * added clicks, split invariance, random parameter sequences.
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

enum { WIDTH = 0, SRATE, GAIN };

static const lull_voice_class *vc = &lull_voice_spin;

static void render(const vh_sched *s, long n, float *L, float *R, int split)
{
    void *st = vh_new(vc, RATE, 42, s);
    vh_render(vc, st, s, 0, n, L, R, split);
    free(st);
}

static void test_class(void)
{
    static const char *const names[] = { "width", "rate", "gain" };
    failures += vh_check_class(vc, "spin", names, 3);
}

/* Inter-aural delay (left minus right, in microseconds) of the window
 * [c - half, c + half): the lag of the cross-correlation peak, refined by a
 * parabola through the peak and its neighbours.  The delay must not move by
 * more than a frame or so within the 20 ms window, or the narrow peak smears
 * (so the fast, wide cases are checked by their clicks, not here).  Ears are first-differenced
 * (whitened a little) so the pink low end does not flatten the peak. */
static double itd_at(const float *L, const float *R, long c, long half, int max_lag)
{
    double best = -HUGE_VAL, cm = 0, c0 = 0, cp = 0;
    int best_lag = 0;
    double corr[2 * 256 + 3]; /* max_lag <= 255 */
    for (int lag = -max_lag - 1; lag <= max_lag + 1; lag++) {
        double s = 0.0;
        for (long i = c - half; i < c + half; i++) {
            const double dl = (double)L[i] - L[i - 1];
            const double dr = (double)R[i + lag] - R[i + lag - 1];
            s += dl * dr;
        }
        corr[lag + max_lag + 1] = s;
    }
    for (int lag = -max_lag; lag <= max_lag; lag++) {
        const double v = corr[lag + max_lag + 1];
        if (v > best) {
            best = v;
            best_lag = lag;
            cm = corr[lag + max_lag];
            c0 = v;
            cp = corr[lag + max_lag + 2];
        }
    }
    const double frac = 0.5 * (cm - cp) / (cm - 2.0 * c0 + cp);
    /* L(n) = x(n - dl), R(n + lag) = x(n + lag - dr): peak at lag = dr - dl. */
    return -((double)best_lag + frac) / RATE * 1e6;
}

static void test_itd(double width_us, double rate_hz)
{
    const long n = (long)(8.0 * RATE);
    float *L = check_buf(n), *R = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, WIDTH, width_us);
    vh_set(&s, SRATE, rate_hz);
    vh_set(&s, GAIN, 0.5);
    render(&s, n, L, R, VH_SPLIT_RANDOM);
    const long half = 480; /* 20 ms windows */
    const int max_lag = (int)ceil(width_us * 1e-6 * RATE) + 3;
    double worst = 0.0, sum2 = 0.0, peak = 0.0;
    int count = 0;
    for (long c = 2000; c + half + max_lag + 2 < n; c += 2400) {
        /* the window's centre is frame c - 0.5 */
        const double t = ((double)c - 0.5) / RATE;
        const double want = width_us * sin(2.0 * PI * rate_hz * t);
        const double got = itd_at(L, R, c, half, max_lag);
        if (fabs(got - want) > 20.0)
            printf("  window at %.3f s: measured %.1f us, expected %.1f us\n", t, got, want);
        worst = fmax(worst, fabs(got - want));
        sum2 += (got - want) * (got - want);
        peak = fmax(peak, fabs(got));
        count++;
    }
    const double rms = sqrt(sum2 / count);
    printf("width %g us rate %g Hz: %d windows, inter-aural delay follows width*sin(2 pi rate t) "
           "within %.2f us RMS, %.2f us worst; largest measured %.1f us\n",
           width_us, rate_hz, count, rms, worst, peak);
    CHECK(rms < 3.0 && worst < 10.0, "inter-aural delay track");
    CHECK(fabs(peak - width_us) < 0.03 * width_us + 3.0, "swing reaches the width");
    free(L);
    free(R);
}

static void test_spectrum(void)
{
    const long n = (long)(60.0 * RATE);
    const size_t seg = 65536;
    float *L = check_buf(n), *R = check_buf(n);
    double *psd = calloc(seg / 2 + 1, sizeof *psd);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, WIDTH, 1000.0);
    vh_set(&s, SRATE, 0.5);
    vh_set(&s, GAIN, 1.0);
    render(&s, n, L, R, VH_SPLIT_SEGMENT);
    for (int ear = 0; ear < 2; ear++) {
        const float *x = ear ? R : L;
        an_welch_psd(x, (size_t)n, seg, RATE, psd);
        an_slope sl;
        an_fit_slope(psd, seg / 2 + 1, RATE / (double)seg, 20.0, 20000.0, 3.0, -3.0103, &sl);
        const double db = 20.0 * log10(an_rms(x, 0, (size_t)n) / sqrt(0.5));
        printf("%s ear while spinning: slope %+.3f dB/oct (pink %+.3f), +-%.3f dB about the ideal "
               "line 20 Hz - 20 kHz (%d bands), level %+.3f dB re a full-scale sine\n",
               ear ? "right" : "left", sl.slope_db_per_oct, -3.0103, sl.max_dev_ideal_db, sl.n_bands, db);
        CHECK(fabs(sl.slope_db_per_oct + 3.0103) < 0.1, "pink slope");
        CHECK(sl.max_dev_ideal_db <= 0.5, "pink flatness");
        CHECK(fabs(db) < 0.2, "level");
    }
    free(psd);
    free(L);
    free(R);
}

static void test_width_zero_and_clicks(void)
{
    const long n = (long)(10.0 * RATE);
    float *L = check_buf(n), *R = check_buf(n), *L2 = check_buf(n), *R2 = check_buf(n);
    vh_sched s = vh_defaults(vc);
    vh_set(&s, WIDTH, 0.0);
    vh_set(&s, SRATE, 3.0);
    vh_set(&s, GAIN, 0.5);
    render(&s, n, L, R, VH_SPLIT_RANDOM);
    CHECK(memcmp(L, R, (size_t)n * sizeof(float)) == 0, "width 0: both ears identical");
    CHECK(an_rms(L, 0, 4800) > 0.2, "full level from the first frame (line pre-filled)");

    /* The same source spinning fast and wide.  A moving delay time-warps
     * each ear (Doppler): its derivative is at most pi * width * rate, so
     * the signal may get steeper by that factor, and by nothing more: no
     * steps from the delay line or the interpolation. */
    vh_set(&s, WIDTH, 5000.0);
    vh_set(&s, SRATE, 20.0);
    render(&s, n, L2, R2, VH_SPLIT_RANDOM);
    const double j_still = an_max_jump(L, (size_t)n, NULL);
    const double j_spin = fmax(an_max_jump(L2, (size_t)n, NULL), an_max_jump(R2, (size_t)n, NULL));
    const double doppler = 1.0 + PI * 5000e-6 * 20.0;
    printf("largest jump: still %.5f, spinning 5000 us at 20 Hz %.5f (bound: still * Doppler "
           "factor %.3f * 1.05 = %.5f)\n",
           j_still, j_spin, doppler, j_still * doppler * 1.05);
    CHECK(j_spin < 1.05 * doppler * j_still, "spinning adds clicks");
    free(L);
    free(R);
    free(L2);
    free(R2);

    vh_sched g = vh_defaults(vc);
    vh_set(&g, WIDTH, 100.0);
    vh_set(&g, SRATE, -1.0);
    vh_set(&g, GAIN, 0.1);
    vh_glide(&g, WIDTH, 3000.0, 0, 300000);
    vh_glide(&g, SRATE, 4.0, 0, 300000);
    vh_glide(&g, GAIN, 1.0, 0, 300000);
    CHECK(vh_split_invariant(vc, RATE, &g, 400000), "split invariance");
}

static void test_fuzz(void)
{
    /* Pink noise at +6 dB has an RMS of 1.41; 12 is far past any peak
     * it can reach and catches only a broken state. */
    failures += vh_fuzz_check(vc, RATE, 3, 20.0, 12.0);
}

int main(void)
{
    test_class();
    test_itd(600.0, 0.25);
    test_itd(300.0, 1.0);
    test_itd(2000.0, -0.1);
    test_spectrum();
    test_width_zero_and_clicks();
    test_fuzz();
    return check_done("test_spin");
}
