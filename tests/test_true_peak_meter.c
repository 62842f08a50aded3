/*
 * test_true_peak_meter.c - the loudness summary's true-peak meter
 * (engine/true_peak.c), measured:
 *
 *  - the skip is exact: on many signals (tones up to Nyquist, white and
 *    spiky noise, steps, clipped and square waves, impulses) every block's
 *    bound and every interval's bound is at least the exact estimate it
 *    stands for, and the meter's result with the skip is bit-identical to
 *    estimating every block, however the frames are split into calls;
 *  - accuracy: against the 16x reference meter (tests/analysis.h) on tones
 *    from 100 Hz to 0.45 fs, on inter-sample-peak test signals with a known
 *    true peak (sines at fs/4, fs/6, fs/8 phased so the samples miss the
 *    crests) and on white noise; against libebur128's TRUE_PEAK mode within
 *    the tolerance EBU Tech 3341 allows a true-peak meter (+0.2 / -0.4 dB)
 *    on the tones and the inter-sample-peak signals;
 *  - the sample peak is the largest |sample|, exactly.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "check.h"
#include "true_peak.h"

#include <ebur128.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define FRAMES 120000 /* several of the meter's 16384-frame batches */
#define PAD 128       /* readable silence either side, for the block checks */

static const double pi = 3.14159265358979323846;

static uint64_t rng = 0x2545F4914F6CDD1Du;
static double uniform(void) /* [0, 1) */
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static double db(double x) { return 20.0 * log10(x); }

/* A short raised-cosine fade at both ends, so the reference (which counts
 * the first and last 48 samples by value) and the meter (which hears
 * silence before and after) agree about the edges. */
static void fade(float *x, int n, int fade_frames)
{
    for (int i = 0; i < fade_frames && i < n / 2; i++) {
        const float g = (float)(0.5 - 0.5 * cos(pi * (i + 0.5) / fade_frames));
        x[i] *= g;
        x[n - 1 - i] *= g;
    }
}

typedef struct signal {
    char name[64];
    float *l, *r;         /* FRAMES each, with PAD zeros either side */
    int faded;            /* accuracy checks apply */
    double expect_db;     /* known true peak (NAN: none) */
    int ebu;              /* compare with libebur128 */
    double tol16_db;      /* allowed |ours - 16x| */
} signal;

static signal sigs[32];
static int n_sigs;

static signal *new_signal(const char *name)
{
    signal *s = &sigs[n_sigs++];
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    s->l = check_buf(FRAMES + 2 * PAD) + PAD;
    s->r = check_buf(FRAMES + 2 * PAD) + PAD;
    s->expect_db = NAN;
    s->tol16_db = 0.01;
    return s;
}

static void tone(const char *name, double freq_hz, double phase, double amp, double tol16)
{
    signal *s = new_signal(name);
    for (int i = 0; i < FRAMES; i++) {
        s->l[i] = (float)(amp * sin(2.0 * pi * freq_hz * i / RATE + phase));
        s->r[i] = (float)(0.5 * amp * sin(2.0 * pi * freq_hz * 0.999 * i / RATE));
    }
    fade(s->l, FRAMES, 2000);
    fade(s->r, FRAMES, 2000);
    s->faded = 1;
    s->ebu = 1;
    s->tol16_db = tol16;
}

/* A sine of true peak amp at rate / period, phased so its crests fall
 * halfway between two samples: its sample peak is amp * cos(pi / period). */
static void isp(int period, double amp, double tol16)
{
    char name[64];
    snprintf(name, sizeof name, "inter-sample peak, fs/%d", period);
    tone(name, (double)RATE / period, pi / 2.0 - pi / period, amp, tol16);
    sigs[n_sigs - 1].expect_db = db(amp);
}

static void build_signals(void)
{
    tone("tone 100 Hz", 100.0, 0.3, 0.7, 0.01);
    tone("tone 997 Hz", 997.0, 0.1, 0.5, 0.01);
    tone("tone 5 kHz", 5000.0, 1.0, 0.5, 0.01);
    /* The 8x grid may miss a crest by up to 1 - cos(pi f / (8 fs)). */
    tone("tone 10 kHz", 10000.0, 0.7, 0.5, 0.04);
    tone("tone 18 kHz", 18000.0, 0.2, 0.5, 0.11);
    tone("tone 21.6 kHz (0.45 fs)", 21600.0, 0.5, 0.5, 0.16);
    isp(4, 0.5, 0.05);
    isp(6, 0.5, 0.03);
    isp(8, 0.5, 0.02);
    isp(4, 1.0, 0.05);

    /* Signals for the bound only (not band-limited, or not faded). */
    signal *s = new_signal("white noise");
    for (int i = 0; i < FRAMES; i++) {
        s->l[i] = (float)(uniform() - 0.5);
        s->r[i] = (float)(0.5 * (uniform() - 0.5));
    }
    fade(s->l, FRAMES, 500);
    fade(s->r, FRAMES, 500);
    s->faded = 1;
    s->tol16_db = 0.3; /* its content near Nyquist is where the FIRs differ */
    s = new_signal("gaussian noise with spikes");
    for (int i = 0; i < FRAMES; i++) {
        double g = 0.0;
        for (int k = 0; k < 12; k++)
            g += uniform();
        s->l[i] = (float)(0.05 * (g - 6.0));
        s->r[i] = uniform() < 0.001 ? (float)(uniform() < 0.5 ? -0.9 : 0.9) : 0.0f;
    }
    s = new_signal("nyquist, steps, square");
    for (int i = 0; i < FRAMES; i++) {
        s->l[i] = (i / 3000) % 2 ? ((i & 1) ? 0.8f : -0.8f) : ((i / 100) % 2 ? 0.9f : -0.9f);
        s->r[i] = (i / 777) % 3 == 0 ? 1.0f : (i / 777) % 3 == 1 ? -0.25f : 0.0f;
    }
    s = new_signal("clipped sine, impulses");
    for (int i = 0; i < FRAMES; i++) {
        double v = 2.0 * sin(2.0 * pi * 440.0 * i / RATE);
        s->l[i] = (float)(v > 0.7 ? 0.7 : v < -0.7 ? -0.7 : v);
        s->r[i] = i % 4801 == 0 ? 1.0f : 0.0f;
    }
    s = new_signal("tone under noise, fading in");
    for (int i = 0; i < FRAMES; i++) {
        const double g = (double)i / FRAMES;
        s->l[i] = (float)(g * (0.4 * sin(2.0 * pi * 180.0 * i / RATE) + 0.02 * (uniform() - 0.5)));
        s->r[i] = (float)(g * (0.3 * sin(2.0 * pi * 320.0 * i / RATE) + 0.02 * (uniform() - 0.5)));
    }
    s = new_signal("tiny values and silence");
    for (int i = 0; i < FRAMES; i++) {
        s->l[i] = i < FRAMES / 2 ? (float)(1e-30 * sin(i * 0.3)) : 0.0f;
        s->r[i] = i > FRAMES / 3 && i < FRAMES / 2 ? (float)(1e-3 * (uniform() - 0.5)) : 0.0f;
    }
}

/* Every bound at least the exact estimate it stands for, over every
 * block of both channels (blocks start at every offset the meter might
 * use; interval bounds also over partial blocks). */
static void check_bounds(const lull_true_peak *tp, const signal *s)
{
    int64_t blocks = 0, bad_block = 0, bad_interval = 0;
    double worst_slack = 1e30;
    const float *ch[2] = { s->l, s->r };
    for (int c = 0; c < 2; c++) {
        const float *x = ch[c];
        for (int start = -(LULL_TP_BLOCK / 2) - 5; start + LULL_TP_BLOCK < FRAMES;) {
            const int frames = 1 + (int)(uniform() * LULL_TP_BLOCK);
            float ib[LULL_TP_BLOCK];
            lull_true_peak_interval_bounds(tp, x + start, frames, ib);
            float exact = 0.0f, part = 0.0f;
            for (int j = 0; j < LULL_TP_BLOCK; j++) {
                const float e = lull_true_peak_interval_estimate(tp, x + start + j);
                exact = e > exact ? e : exact;
                if (j >= frames)
                    continue;
                part = e > part ? e : part;
                if (!(ib[j] >= e)) {
                    if (bad_interval++ < 3)
                        printf("  %s: interval %d: bound %.9g < estimate %.9g\n", s->name, start + j, ib[j], e);
                }
            }
            const float bb = lull_true_peak_block_bound(tp, x + start);
            const float be = lull_true_peak_block_estimate(tp, x + start, frames);
            if (!(bb >= exact) || be != part) {
                if (bad_block++ < 3)
                    printf("  %s: block at %d: bound %.9g, estimate %.9g; %.9g / %.9g\n", s->name, start, bb, exact,
                           part, be);
            }
            if (exact > 0.0f && bb / exact < worst_slack)
                worst_slack = bb / exact;
            blocks++;
            start += frames;
        }
    }
    CHECK(bad_block == 0, "%s: %lld of %lld block bounds under the estimate", s->name, (long long)bad_block,
          (long long)blocks);
    CHECK(bad_interval == 0, "%s: %lld interval bounds under the estimate", s->name, (long long)bad_interval);
    printf("%-34s %lld blocks: bound / estimate >= %.6f\n", s->name, (long long)blocks, worst_slack);
}

/* The meter's result for a signal, fed in calls of `chunk` frames (0:
 * random sizes). */
static void measure(const signal *s, int exhaustive, int chunk, double *tp_out, double *sp_out,
                    double *estimated_share)
{
    lull_true_peak *tp = lull_true_peak_create();
    CHECK(tp != NULL, "create");
    if (!tp)
        exit(1);
    lull_true_peak_set_exhaustive(tp, exhaustive);
    float buf[2 * 20000];
    for (int i = 0; i < FRAMES;) {
        int n = chunk ? chunk : 1 + (int)(uniform() * 20000);
        n = n < FRAMES - i ? n : FRAMES - i;
        for (int k = 0; k < n; k++) {
            buf[2 * k] = s->l[i + k];
            buf[2 * k + 1] = s->r[i + k];
        }
        lull_true_peak_add(tp, buf, n);
        i += n;
    }
    lull_true_peak_result(tp, tp_out, sp_out);
    int64_t blocks, est, intervals;
    lull_true_peak_counts(tp, &blocks, &est, &intervals);
    if (estimated_share)
        *estimated_share = (double)intervals / (double)(blocks * LULL_TP_BLOCK);
    lull_true_peak_free(&tp);
}

static double ebu_true_peak(const signal *s)
{
    ebur128_state *st = ebur128_init(2, RATE, EBUR128_MODE_TRUE_PEAK);
    float *lr = check_buf(2L * FRAMES);
    for (int i = 0; i < FRAMES; i++) {
        lr[2 * i] = s->l[i];
        lr[2 * i + 1] = s->r[i];
    }
    double a = 0.0, b = 0.0;
    if (st && ebur128_add_frames_float(st, lr, FRAMES) == EBUR128_SUCCESS) {
        ebur128_true_peak(st, 0, &a);
        ebur128_true_peak(st, 1, &b);
    }
    ebur128_destroy(&st);
    free(lr);
    return a > b ? a : b;
}

int main(void)
{
    build_signals();
    lull_true_peak *probe = lull_true_peak_create();
    CHECK(probe != NULL, "create");
    if (!probe)
        return 1;
    double lin, curv;
    lull_true_peak_constants(probe, &lin, &curv);
    printf("bound constants: lin %.9f, curv %.6f\n", lin, curv);
    CHECK(lin >= 1.0 && lin < 1.001 && curv > 0.3 && curv < 1.0, "constants lin %.9f curv %.6f", lin, curv);

    for (int k = 0; k < n_sigs; k++) {
        const signal *s = &sigs[k];
        check_bounds(probe, s);

        double all, sp_all, tp, sp, share = 0.0;
        measure(s, 1, 16384, &all, &sp_all, NULL);
        static const int chunks[] = { 16384, 1, 4096, 16387, 0 };
        for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
            double sh;
            measure(s, 0, chunks[c], &tp, &sp, &sh);
            CHECK(tp == all && sp == sp_all, "%s, calls of %d: %.9g / %.9g with the skip, %.9g / %.9g without",
                  s->name, chunks[c], tp, sp, all, sp_all);
            if (c == 0)
                share = sh;
        }
        double peak = 0.0;
        for (int i = 0; i < FRAMES; i++) {
            peak = fabs((double)s->l[i]) > peak ? fabs((double)s->l[i]) : peak;
            peak = fabs((double)s->r[i]) > peak ? fabs((double)s->r[i]) : peak;
        }
        CHECK(sp == peak, "%s: sample peak %.9g, largest |sample| %.9g", s->name, sp, peak);
        CHECK(tp >= sp, "%s: true peak %.9g under the sample peak %.9g", s->name, tp, sp);

        if (!s->faded)
            continue;
        const double f16 = fmax(an_true_peak_fine(s->l, FRAMES, 16), an_true_peak_fine(s->r, FRAMES, 16));
        const double d16 = db(tp) - db(f16);
        CHECK(fabs(d16) <= s->tol16_db, "%s: %.3f dBTP, 16x reference %.3f (allowed %.2f dB)", s->name, db(tp),
              db(f16), s->tol16_db);
        if (!isnan(s->expect_db))
            CHECK(db(tp) - s->expect_db <= 0.01 && db(tp) - s->expect_db >= -s->tol16_db,
                  "%s: %.3f dBTP, known %.3f", s->name, db(tp), s->expect_db);
        char ebu_txt[64] = "";
        if (s->ebu) {
            const double e = db(ebu_true_peak(s)) - db(tp);
            CHECK(e <= 0.2 && e >= -0.4, "%s: libebur128 reads %+.3f dB from %.3f dBTP", s->name, e, db(tp));
            snprintf(ebu_txt, sizeof ebu_txt, ", libebur128 %+.3f dB", e);
        }
        printf("%-34s true peak %8.3f dBTP (sample peak %8.3f): 16x %+.3f dB%s; %.2f %% of intervals estimated\n",
               s->name, db(tp), db(sp), d16, ebu_txt, share * 100.0);
    }
    lull_true_peak_free(&probe);
    for (int k = 0; k < n_sigs; k++) {
        free(sigs[k].l - PAD);
        free(sigs[k].r - PAD);
    }
    return check_done("test_true_peak_meter");
}
