/*
 * test_resampler.c - the clip sample-rate converters measured (resample.h):
 * passband flatness, imaging and aliasing rejection, noise and distortion,
 * for each `resampler=` choice, with libsamplerate's sinc converters (what
 * lull used before libsoxr) measured the same way for comparison.
 *
 *   passband   44.1 -> 48 kHz, tones 20 Hz .. 20 kHz: largest |gain| in dB
 *              up to 16 kHz and up to 20 kHz
 *   imaging    22.05 -> 48 kHz, tones 1 .. 10 kHz: the strongest image
 *              (at 22050 +- f) relative to the tone, dB
 *   aliasing   96 -> 48 kHz, tones 25 .. 47 kHz: the strongest alias (at
 *              48000 - f) relative to a tone in band, dB
 *   THD+N      44.1 -> 48 kHz, 1 kHz: everything but the tone, dB
 *
 * Every tone has a whole number of cycles in the 1 s window the Goertzel
 * filter reads (an_goertzel_amplitude, tested in test_analysis), taken
 * after 1 s of steady state, so there is no leakage to mistake for images.
 * The figures are printed; each lull choice is held to limits a little
 * looser than what it measured here (tests/README.md).
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "lull.h"
#include "resample.h"

#include <samplerate.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                    \
    do {                                                    \
        if (!(cond)) {                                      \
            failures++;                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);     \
            printf(__VA_ARGS__);                            \
            printf("\n");                                   \
        }                                                   \
    } while (0)

#define OUT_RATE 48000
#define AMP 0.5
#define TWO_PI 6.28318530717958647692

/* A converter under test: one of lull's, or a libsamplerate sinc type for
 * comparison (src_type >= 0). */
typedef struct conv {
    const char *name;
    int resampler;   /* lull_resampler, when src_type < 0 */
    int src_type;
} conv;

/* Convert 2 s of a sine (or two) at in_rate_hz to 48 kHz mono and return
 * output frames [24000, 72000): one steady second. */
static float *convert(const conv *c, int in_rate_hz, double f1_hz, double f2_hz)
{
    const size_t n_in = (size_t)in_rate_hz * 2;
    const size_t n_out = (size_t)OUT_RATE * 2 + 64;
    float *in = malloc(sizeof(float) * n_in);
    float *out = calloc(n_out, sizeof(float));
    for (size_t i = 0; i < n_in; i++) {
        double t = (double)i / in_rate_hz;
        double v = sin(TWO_PI * f1_hz * t);
        if (f2_hz > 0)
            v = 0.5 * (v + sin(TWO_PI * f2_hz * t));
        in[i] = (float)(AMP * v);
    }
    size_t made_total = 0;
    if (c->src_type >= 0) {
        SRC_DATA d = { 0 };
        d.data_in = in;
        d.input_frames = (long)n_in;
        d.data_out = out;
        d.output_frames = (long)n_out;
        d.src_ratio = (double)OUT_RATE / in_rate_hz;
        d.end_of_input = 1;
        if (src_simple(&d, c->src_type, 1) == 0)
            made_total = (size_t)d.output_frames_gen;
    } else {
        const char *why = NULL;
        lull_rs *rs = lull_rs_create(c->resampler, 1, in_rate_hz, OUT_RATE, &why);
        size_t pos = 0;
        while (rs) {
            size_t used = 0, made = 0;
            size_t k = n_in - pos < 4096 ? n_in - pos : 4096;
            if (lull_rs_process(rs, in + pos, k, &used, out + made_total, n_out - made_total, &made,
                                pos + used >= n_in, &why) != 0)
                break;
            pos += used;
            made_total += made;
            if (pos >= n_in && made == 0 && k == 0)
                break;
        }
        lull_rs_destroy(&rs);
    }
    free(in);
    CHECK(made_total >= (size_t)OUT_RATE * 3 / 2, "%s at %d Hz: only %zu frames out", c->name, in_rate_hz, made_total);
    float *w = malloc(sizeof(float) * OUT_RATE);
    memcpy(w, out + OUT_RATE / 2, sizeof(float) * OUT_RATE);
    free(out);
    return w;
}

static double db(double x)
{
    return 20.0 * log10(x > 1e-12 ? x : 1e-12);
}

typedef struct quality {
    double pass16_db, pass20_db, image_db, alias_db, thdn_db;
} quality;

static quality measure(const conv *c)
{
    quality q = { 0, 0, -300, -300, 0 };
    static const double pass_hz[] = { 20, 100, 1000, 5000, 10000, 14000, 16000, 18000, 19000, 20000 };
    for (size_t i = 0; i < sizeof pass_hz / sizeof pass_hz[0]; i++) {
        float *y = convert(c, 44100, pass_hz[i], 0);
        double g = fabs(db(an_goertzel_amplitude(y, OUT_RATE, pass_hz[i], OUT_RATE) / AMP));
        if (pass_hz[i] <= 16000 && g > q.pass16_db)
            q.pass16_db = g;
        if (g > q.pass20_db)
            q.pass20_db = g;
        free(y);
    }
    static const double up_hz[] = { 1000, 4000, 8000, 10000 };
    for (size_t i = 0; i < sizeof up_hz / sizeof up_hz[0]; i++) {
        float *y = convert(c, 22050, up_hz[i], 0);
        double tone = an_goertzel_amplitude(y, OUT_RATE, up_hz[i], OUT_RATE);
        const double images[] = { 22050 - up_hz[i], 22050 + up_hz[i] };
        for (int k = 0; k < 2; k++) {
            if (images[k] >= OUT_RATE / 2)
                continue;
            double r = db(an_goertzel_amplitude(y, OUT_RATE, images[k], OUT_RATE) / tone);
            if (r > q.image_db)
                q.image_db = r;
        }
        free(y);
    }
    /* Downsampling: a 1 kHz tone in band (the reference) plus one above the
     * output's Nyquist that must vanish. */
    static const double down_hz[] = { 25000, 26000, 30000, 40000, 45000 };
    for (size_t i = 0; i < sizeof down_hz / sizeof down_hz[0]; i++) {
        float *y = convert(c, 96000, 1000, down_hz[i]);
        double ref = an_goertzel_amplitude(y, OUT_RATE, 1000, OUT_RATE);
        double r = db(an_goertzel_amplitude(y, OUT_RATE, OUT_RATE - down_hz[i], OUT_RATE) / ref);
        if (r > q.alias_db)
            q.alias_db = r;
        free(y);
    }
    /* THD+N: fit the 1 kHz sine (in phase and quadrature; exact for whole
     * cycles) and weigh what is left. */
    float *y = convert(c, 44100, 1000, 0);
    double ci = 0, si = 0;
    for (int i = 0; i < OUT_RATE; i++) {
        ci += y[i] * cos(TWO_PI * 1000.0 * i / OUT_RATE);
        si += y[i] * sin(TWO_PI * 1000.0 * i / OUT_RATE);
    }
    ci *= 2.0 / OUT_RATE;
    si *= 2.0 / OUT_RATE;
    double resid = 0;
    for (int i = 0; i < OUT_RATE; i++) {
        double e = y[i] - ci * cos(TWO_PI * 1000.0 * i / OUT_RATE) - si * sin(TWO_PI * 1000.0 * i / OUT_RATE);
        resid += e * e;
    }
    resid /= OUT_RATE;
    q.thdn_db = 10.0 * log10((resid > 1e-30 ? resid : 1e-30) / ((ci * ci + si * si) / 2));
    free(y);
    return q;
}

int main(void)
{
    static const conv convs[] = {
        { "lull best (soxr VHQ)", LULL_RESAMPLER_BEST, -1 },
        { "lull medium (soxr HQ)", LULL_RESAMPLER_MEDIUM, -1 },
        { "lull fastest (soxr MQ)", LULL_RESAMPLER_FASTEST, -1 },
        { "lull linear (SRC_LINEAR)", LULL_RESAMPLER_LINEAR, -1 },
        { "libsamplerate SINC_BEST", 0, SRC_SINC_BEST_QUALITY },
        { "libsamplerate SINC_MEDIUM", 0, SRC_SINC_MEDIUM_QUALITY },
        { "libsamplerate SINC_FASTEST", 0, SRC_SINC_FASTEST },
    };
    /* Limits for lull's choices: passband to 16 kHz, to 20 kHz, image,
     * alias (dB), THD+N (dB). */
    static const double limits[4][5] = {
        { 0.001, 0.01, -160, -145, -140 },
        { 0.001, 0.02, -130, -140, -125 },
        { 0.1, 0.5, -110, -130, -105 },
        { 5.0, 8.0, 0, 1, -55 },
    };
    printf("%-28s %9s %9s %9s %9s %9s\n", "converter", "pass16k", "pass20k", "image", "alias", "THD+N");
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        quality q = measure(&convs[i]);
        printf("%-28s %7.4f dB %7.4f dB %6.1f dB %6.1f dB %6.1f dB\n", convs[i].name, q.pass16_db, q.pass20_db,
               q.image_db, q.alias_db, q.thdn_db);
        if (convs[i].src_type >= 0)
            continue;
        const double *lim = limits[i];
        CHECK(q.pass16_db <= lim[0], "%s: passband to 16 kHz %.4f dB, limit %.4f", convs[i].name, q.pass16_db, lim[0]);
        CHECK(q.pass20_db <= lim[1], "%s: passband to 20 kHz %.4f dB, limit %.4f", convs[i].name, q.pass20_db, lim[1]);
        CHECK(q.image_db <= lim[2], "%s: image %.1f dB, limit %.1f", convs[i].name, q.image_db, lim[2]);
        CHECK(q.alias_db <= lim[3], "%s: alias %.1f dB, limit %.1f", convs[i].name, q.alias_db, lim[3]);
        CHECK(q.thdn_db <= lim[4], "%s: THD+N %.1f dB, limit %.1f", convs[i].name, q.thdn_db, lim[4]);
    }
    if (failures)
        printf("%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
