/*
 * test_limiter_skip.c - the true-peak limiter's shortcuts change nothing.
 *
 * The limiter skips its 8x estimate where a cheap bound proves the estimate
 * could not reach its target (limiter.c: "Cheap when idle", "Cheap when the
 * waveform is smooth").  Here every signal goes through two limiters: one
 * with the shortcuts, one that estimates every frame near the threshold
 * (always_estimate), at random block sizes, and the outputs must be equal
 * bit for bit.  The signals are chosen to sit on the bound's edges: tones
 * from 50 Hz to 0.49 fs swept in level across the target (a wrong constant
 * L or G lets an over-target interval through unestimated, and the outputs
 * part), square waves and clicks (the largest second differences), noise,
 * silence around bursts, and NaN/huge input.
 *
 * It also checks that the shortcut is taken where it should be: a tonal mix
 * 3 dB under the ceiling (over the old idle level, so the old test
 * estimated every frame) needs no estimate at all.
 *
 * MIT licence; see LICENSE.
 */
#include "check.h"
#include "limiter.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#define RATE 48000
#define FRAMES (RATE / 2)
#define CEILING_DBTP -1.0

static lull_limiter fast, slow;
static uint32_t rng = 1u;

static uint32_t next_rand(void) { return check_rand(&rng); }

static double uniform(void) { return check_uniform(&rng); }

/* Both limiters over the same stereo signal at random block sizes (1..256,
 * different for each); the number of differing output samples. */
static long run_pair(const float *x, int frames)
{
    static float a[2 * FRAMES], b[2 * FRAMES];
    static int64_t tags[256];
    lull_limiter_reset(&fast, 0);
    lull_limiter_reset(&slow, 0);
    memcpy(a, x, sizeof(float) * 2 * (size_t)frames);
    memcpy(b, x, sizeof(float) * 2 * (size_t)frames);
    for (int at = 0; at < frames;) {
        int n = 1 + (int)(next_rand() % 256u);
        n = n > frames - at ? frames - at : n;
        lull_limiter_process(&fast, a + 2 * at, tags, n);
        at += n;
    }
    for (int at = 0; at < frames;) {
        int n = 1 + (int)(next_rand() % 256u);
        n = n > frames - at ? frames - at : n;
        lull_limiter_process(&slow, b + 2 * at, tags, n);
        at += n;
    }
    long diff = 0;
    for (int k = 0; k < 2 * frames; k++)
        diff += memcmp(&a[k], &b[k], sizeof(float)) != 0;
    return diff;
}

static float sig[2 * FRAMES];

static void tone(double hz, double peak, double hz_r)
{
    const double pi = 3.14159265358979323846;
    const double ph = uniform() * 2.0 * pi;
    for (int i = 0; i < FRAMES; i++) {
        sig[2 * i] = (float)(peak * sin(2.0 * pi * hz * i / RATE + ph));
        sig[2 * i + 1] = (float)(peak * sin(2.0 * pi * hz_r * i / RATE));
    }
}

int main(void)
{
    lull_limiter_init(&fast, RATE, CEILING_DBTP, 32);
    lull_limiter_init(&slow, RATE, CEILING_DBTP, 32);
    slow.always_estimate = 1;
    const double target = fast.target;
    CHECK(fast.bound_lin >= 1.0f && fast.bound_lin < 1.001f, "L = %.7f", fast.bound_lin);
    CHECK(fast.bound_curv > 0.3f && fast.bound_curv < 1.0f, "G = %.5f", fast.bound_curv);

    /* 0. The bound's constants, from their definition: feed the FIR
     * (the limiter's own taps) the signals that are straight lines through
     * the interval's ends, and the ones with a single unit second difference
     * and zero ends; the largest outputs are L and G, and the limiter's
     * constants must cover them (and not by much: a loose bound skips less). */
    {
        const int h = LULL_LIM_HALF;
        double worst_lin = 0.0, worst_curv = 0.0;
        for (int ph = 0; ph < LULL_LIM_PHASES - 1; ph++) {
            for (int u = -1; u <= 1; u += 2)
                for (int v = -1; v <= 1; v += 2) {
                    double y = 0.0; /* x[h-1] = u, x[h] = v, straight line */
                    for (int k = 0; k < 2 * h; k++)
                        y += (double)fast.taps[k][ph] * (u + (double)(v - u) * (k - (h - 1)));
                    worst_lin = fabs(y) > worst_lin ? fabs(y) : worst_lin;
                }
            double sum = 0.0;
            for (int m = 1; m < 2 * h - 1; m++) {
                double y = 0.0; /* D = 1 at m only, x[h-1] = x[h] = 0 */
                for (int k = 0; k < 2 * h; k++) {
                    const double x = m >= h ? (k > m ? k - m : 0) : (k < m ? m - k : 0);
                    y += (double)fast.taps[k][ph] * x;
                }
                sum += fabs(y);
            }
            worst_curv = sum > worst_curv ? sum : worst_curv;
        }
        CHECK(fast.bound_lin >= worst_lin && fast.bound_lin < worst_lin * 1.0001, "L = %.7f, measured %.7f",
              fast.bound_lin, worst_lin);
        CHECK(fast.bound_curv >= worst_curv && fast.bound_curv < worst_curv * 1.0001, "G = %.6f, measured %.6f",
              fast.bound_curv, worst_curv);
    }

    /* 1. Tones swept in level across the target, low to 0.49 fs; the
     * inter-sample peak of a high tone is up to 3 dB over its samples. */
    const double freqs[] = { 50, 440, 3000, 9000, 15000, 19999, 21000, 23000, 23520 };
    int cases = 0;
    for (size_t f = 0; f < sizeof freqs / sizeof freqs[0]; f++) {
        for (double db = -8.0; db <= 1.0; db += 0.75) {
            tone(freqs[f], target * pow(10.0, db / 20.0), freqs[f] * 0.997);
            const long d = run_pair(sig, FRAMES);
            CHECK(d == 0, "%.0f Hz at %+.2f dB re target: %ld samples differ", freqs[f], db, d);
            cases++;
        }
    }

    /* 2. A tonal mix 3 dB under the ceiling (sample peak over the old
     * idle level): no estimate at all. */
    {
        const double pi = 3.14159265358979323846;
        for (int i = 0; i < FRAMES; i++) {
            const double t = (double)i / RATE;
            sig[2 * i] = (float)(0.45 * sin(2 * pi * 180 * t) + 0.25 * sin(2 * pi * 320 * t));
            sig[2 * i + 1] = (float)(0.45 * sin(2 * pi * 190 * t) + 0.25 * sin(2 * pi * 328 * t));
        }
        CHECK(run_pair(sig, FRAMES) == 0, "tonal mix: outputs differ");
        CHECK(fast.estimated_frames == 0, "tonal mix under the ceiling: %lld frames estimated",
              (long long)fast.estimated_frames);
        CHECK(slow.estimated_frames > FRAMES / 2, "the reference estimated only %lld frames",
              (long long)slow.estimated_frames);
        CHECK(fast.active_frames == 0, "the tonal mix was limited (%lld frames)", (long long)fast.active_frames);
        cases++;
    }

    /* 3. Square waves and clicks (Gibbs overshoot; largest second
     * differences), at levels across the target. */
    for (double db = -10.0; db <= 0.5; db += 0.5) {
        const double a = target * pow(10.0, db / 20.0);
        const int periods[] = { 2, 3, 7, 48, 480 };
        for (size_t p = 0; p < sizeof periods / sizeof periods[0]; p++) {
            for (int i = 0; i < FRAMES; i++) {
                sig[2 * i] = (float)((i / periods[p]) % 2 ? a : -a);
                sig[2 * i + 1] = (float)(i % 997 == 0 ? a : 0.0);
            }
            const long d = run_pair(sig, FRAMES);
            CHECK(d == 0, "square period %d at %+.1f dB: %ld samples differ", periods[p], db, d);
            cases++;
        }
    }

    /* 4. Noise (white, and a smooth one: white through two one-poles) and
     * bursts out of silence, at random levels across the target. */
    for (int trial = 0; trial < 40; trial++) {
        const double a = target * pow(10.0, (uniform() * 14.0 - 12.0) / 20.0);
        const int smooth = trial % 2;
        double y1 = 0.0, y2 = 0.0, z1 = 0.0, z2 = 0.0;
        for (int i = 0; i < FRAMES; i++) {
            const double wl = uniform() * 2.0 - 1.0, wr = uniform() * 2.0 - 1.0;
            y1 += 0.05 * (wl - y1);
            y2 += 0.05 * (y1 - y2);
            z1 += 0.05 * (wr - z1);
            z2 += 0.05 * (z1 - z2);
            const int on = (i / 4000) % 3 != 2; /* bursts with silence between */
            sig[2 * i] = on ? (float)(a * (smooth ? 8.0 * y2 : wl)) : 0.0f;
            sig[2 * i + 1] = on ? (float)(a * (smooth ? 8.0 * z2 : wr)) : 0.0f;
        }
        const long d = run_pair(sig, FRAMES);
        CHECK(d == 0, "noise trial %d (%s, %.3f): %ld samples differ", trial, smooth ? "smooth" : "white", a, d);
        cases++;
    }

    /* 5. Non-finite and huge input among a loud tone. */
    tone(1000, 0.8, 1000);
    sig[2 * 1000] = NAN;
    sig[2 * 5000 + 1] = INFINITY;
    sig[2 * 9000] = -3.0e7f;
    sig[2 * 12000 + 1] = 40.0f;
    CHECK(run_pair(sig, FRAMES) == 0, "non-finite input: outputs differ");
    cases++;

    printf("test_limiter_skip: %d signals, each through both limiters at random blocks\n", cases);
    return check_done("test_limiter_skip");
}
