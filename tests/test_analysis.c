/*
 * test_analysis.c - the measuring tools, measured: every helper in
 * analysis.c against synthetic signals whose answer is known exactly.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"

#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PI 3.14159265358979323846

static int failures;

#define CHECK(cond, ...)                                   \
    do {                                                   \
        if (!(cond)) {                                     \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            printf(__VA_ARGS__);                           \
            printf("\n");                                  \
            failures++;                                    \
        }                                                  \
    } while (0)

/* Small deterministic generator for test signals (splitmix64). */
static uint64_t rng_state = 12345;
static double urand(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1p-53; /* [0, 1) */
}

static void sine(float *x, size_t n, double f_hz, double amp, double rate_hz, double phase)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(amp * sin(2.0 * PI * f_hz * (double)i / rate_hz + phase));
}

static void test_fft(void)
{
    enum { N = 64 };
    double re[N], im[N], xr[N], xi[N];
    for (int i = 0; i < N; i++) {
        xr[i] = re[i] = urand() - 0.5;
        xi[i] = im[i] = urand() - 0.5;
    }
    CHECK(an_fft(re, im, N) == 0, "fft of 64 refused");
    double err = 0.0;
    for (int k = 0; k < N; k++) {
        double sr = 0.0, si = 0.0;
        for (int i = 0; i < N; i++) {
            const double a = -2.0 * PI * k * i / N;
            sr += xr[i] * cos(a) - xi[i] * sin(a);
            si += xr[i] * sin(a) + xi[i] * cos(a);
        }
        err = fmax(err, fmax(fabs(sr - re[k]), fabs(si - im[k])));
    }
    printf("fft: max error vs direct DFT (n=64) %.3g\n", err);
    CHECK(err < 1e-12, "fft error %g", err);
    CHECK(an_fft(re, im, 48) == -1, "fft accepted n=48");
}

static void test_goertzel(void)
{
    enum { N = 4800 };
    static float x[N];
    sine(x, N, 1000.0, 0.5, 48000.0, 0.3);
    const double a = an_goertzel_amplitude(x, N, 1000.0, 48000.0);
    const double off = an_goertzel_amplitude(x, N, 2000.0, 48000.0);
    printf("goertzel: amplitude at 1 kHz %.7f (0.5), at 2 kHz %.2g\n", a, off);
    CHECK(fabs(a - 0.5) < 1e-5, "goertzel amplitude %g", a);
    CHECK(off < 1e-5, "goertzel leakage %g", off);
}

static void test_frequency(void)
{
    const double rate = 48000.0;
    const size_t n = 480000; /* 10 s */
    float *x = malloc(n * sizeof *x);
    const double f_true[] = { 201.2345678, 1000.0005, 45.001, 7777.7777 };
    for (int t = 0; t < 4; t++) {
        sine(x, n, f_true[t], 0.5, rate, 0.7);
        const double f = an_estimate_frequency(x, n, rate);
        printf("frequency: %.7f Hz estimated as %.7f (error %.2g Hz)\n", f_true[t], f, f - f_true[t]);
        CHECK(fabs(f - f_true[t]) < 1e-4, "estimate %.7f for %.7f", f, f_true[t]);
    }
    /* 1000.0005 must not read as 1000.000: resolution check */
    sine(x, n, 1000.0005, 0.5, rate, 0.0);
    CHECK(fabs(an_estimate_frequency(x, n, rate) - 1000.0) > 3e-4, "cannot resolve 0.5 mHz");

    /* With noise at -40 dB and a second tone, searching a sub-band. */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.5 * sin(2.0 * PI * 195.0 * (double)i / rate)
                       + 0.5 * sin(2.0 * PI * 205.0 * (double)i / rate + 1.0)
                       + 0.01 * (urand() - 0.5) * 3.4641);
    const double f1 = an_estimate_frequency_in(x, n, rate, 150.0, 200.0);
    const double f2 = an_estimate_frequency_in(x, n, rate, 200.0, 250.0);
    printf("frequency: two tones + noise: %.6f (195), %.6f (205)\n", f1, f2);
    CHECK(fabs(f1 - 195.0) < 1e-3 && fabs(f2 - 205.0) < 1e-3, "two tones %g %g", f1, f2);
    free(x);
}

/* Noise with an exactly known spectrum: random phases, |X(f)| ~ f^(exp/2). */
static float *synth_power_law(size_t n, double power_exp, double bump_lo, double bump_hi,
                              double bump_db)
{
    double *re = calloc(n, sizeof *re), *im = calloc(n, sizeof *im);
    float *x = malloc(n * sizeof *x);
    for (size_t k = 1; k < n / 2; k++) {
        const double f = (double)k;
        double mag = pow(f, 0.5 * power_exp);
        const double f_hz = f * 48000.0 / (double)n;
        if (f_hz >= bump_lo && f_hz < bump_hi)
            mag *= pow(10.0, bump_db / 20.0);
        const double ph = 2.0 * PI * urand();
        re[k] = mag * cos(ph);
        im[k] = mag * sin(ph);
        re[n - k] = re[k];
        im[n - k] = -im[k];
    }
    /* inverse FFT via conjugation */
    for (size_t k = 0; k < n; k++)
        im[k] = -im[k];
    an_fft(re, im, n);
    double peak = 0.0;
    for (size_t i = 0; i < n; i++)
        peak = fmax(peak, fabs(re[i]));
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(0.5 * re[i] / peak);
    free(re);
    free(im);
    return x;
}

static void test_welch_slope(void)
{
    const double rate = 48000.0;
    const size_t n = 1u << 21, seg = 1u << 16;
    double *psd = malloc((seg / 2 + 1) * sizeof *psd);
    float *x = malloc(n * sizeof *x);

    /* White, uniform: variance 1/3, flat PSD (1/3) / (rate/2). */
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(2.0 * urand() - 1.0);
    size_t count = an_welch_psd(x, n, seg, rate, psd);
    double integral = 0.0;
    for (size_t k = 0; k <= seg / 2; k++)
        integral += psd[k] * rate / (double)seg;
    const double var = an_rms(x, 0, n) * an_rms(x, 0, n);
    printf("welch: %zu segments, integral of PSD %.5f vs mean square %.5f\n", count, integral, var);
    CHECK(count == 2 * n / seg - 1, "segment count %zu", count);
    CHECK(fabs(integral / var - 1.0) < 0.01, "Parseval %g vs %g", integral, var);
    /* Two-channel Welch == mean of the single-channel ones. */
    {
        float *y = malloc(n * sizeof *y);
        double *p1 = malloc((seg / 2 + 1) * sizeof *p1), *p2 = malloc((seg / 2 + 1) * sizeof *p2);
        for (size_t i = 0; i < n; i++)
            y[i] = (float)(0.3 * sin(0.001 * (double)i) + 0.1 * (urand() - 0.5));
        an_welch_psd(y, n, seg, rate, p1);
        CHECK(an_welch_psd2(x, y, n, seg, rate, p2) == count, "psd2 count");
        double err = 0.0;
        for (size_t k = 0; k <= seg / 2; k++)
            err = fmax(err, fabs(p2[k] - 0.5 * (psd[k] + p1[k])) / (0.5 * (psd[k] + p1[k])));
        printf("welch: two-channel PSD vs mean of single ones: max relative error %.2g\n", err);
        CHECK(err < 1e-9, "psd2 error %g", err);
        free(y);
        free(p1);
        free(p2);
    }
    an_slope s;
    CHECK(an_fit_slope(psd, seg / 2 + 1, rate / (double)seg, 20, 20000, 3, 0.0, &s) == 0, "fit");
    const double level_db = 10.0 * log10((1.0 / 3.0) / (rate / 2.0));
    printf("slope: white %.3f dB/oct, dev %.3f dB (%d bands)\n", s.slope_db_per_oct, s.max_dev_ideal_db, s.n_bands);
    CHECK(fabs(s.slope_db_per_oct) < 0.05 && s.max_dev_ideal_db < 0.5, "white slope");
    CHECK(fabs(10.0 * log10(psd[1000]) - level_db) < 1.5, "white level %g vs %g",
          10.0 * log10(psd[1000]), level_db);

    const double exps[] = { -1.0, -2.0 };
    const double ideal[] = { -3.0103, -6.0206 };
    for (int e = 0; e < 2; e++) {
        float *y = synth_power_law(n, exps[e], 0, 0, 0);
        an_welch_psd(y, n, seg, rate, psd);
        an_fit_slope(psd, seg / 2 + 1, rate / (double)seg, 20, 20000, 3, ideal[e], &s);
        printf("slope: synthetic f^%g: %.4f dB/oct (ideal %.4f), dev from fit %.3f, from ideal +-%.3f dB\n",
               exps[e], s.slope_db_per_oct, ideal[e], s.max_dev_fit_db, s.max_dev_ideal_db);
        CHECK(fabs(s.slope_db_per_oct - ideal[e]) < 0.05, "slope %g", s.slope_db_per_oct);
        CHECK(s.max_dev_ideal_db < 0.4, "deviation %g", s.max_dev_ideal_db);
        free(y);
    }
    /* A +3 dB shelf between 1 and 2 kHz must show up as a deviation. */
    float *y = synth_power_law(n, -1.0, 1000.0, 2000.0, 3.0);
    an_welch_psd(y, n, seg, rate, psd);
    an_fit_slope(psd, seg / 2 + 1, rate / (double)seg, 20, 20000, 3, -3.0103, &s);
    printf("slope: pink with +3 dB bump at 1-2 kHz: dev from ideal +-%.3f dB\n", s.max_dev_ideal_db);
    CHECK(s.max_dev_ideal_db > 1.2, "bump not detected (%g)", s.max_dev_ideal_db);
    free(y);
    free(x);
    free(psd);
}

static void test_levels(void)
{
    enum { N = 48000 };
    static float x[N];
    sine(x, N, 1000.0, 1.0, 48000.0, 0.0);
    const double rms = an_rms(x, 0, N);
    printf("rms: full-scale sine %.6f (0.707107), mean %.2g\n", rms, an_mean(x, 0, N));
    CHECK(fabs(rms - sqrt(0.5)) < 1e-5, "rms %g", rms);
    CHECK(fabs(an_mean(x, 0, N)) < 1e-6, "mean");
    CHECK(an_rms(x, 10, 10) == 0.0, "empty range");

    size_t at = 0;
    sine(x, N, 1000.0, 0.8, 48000.0, 0.1);
    const double jmp = an_max_jump(x, N, &at);
    const double bound = 2.0 * PI * 1000.0 / 48000.0 * 0.8;
    printf("jump: sine 1 kHz amp 0.8: %.6f (bound %.6f)\n", jmp, bound);
    CHECK(jmp <= bound && jmp > 0.99 * bound, "sine jump %g", jmp);
    x[1234] += 0.5f;
    CHECK(an_max_jump(x, N, &at) > 0.5 && (at == 1234 || at == 1235), "click at %zu", at);

    memset(x, 0, sizeof x);
    for (size_t i = 5000; i < N; i++)
        x[i] = 0.25f;
    CHECK(an_onset(x, N, 0.1) == 5000, "onset %ld", an_onset(x, N, 0.1));
    CHECK(an_onset(x, N, 0.3) == -1, "onset above everything");
}

static void test_file(void)
{
    char path[512];
#ifdef LULL_BINARY_DIR
    snprintf(path, sizeof path, "%s/test_analysis_tmp.wav", LULL_BINARY_DIR);
#else
    snprintf(path, sizeof path, "/tmp/test_analysis_tmp.wav");
#endif
    enum { N = 1000 };
    float inter[2 * N];
    for (int i = 0; i < N; i++) {
        inter[2 * i] = (float)sin(0.01 * i) * 0.5f;
        inter[2 * i + 1] = (float)i / N - 0.5f;
    }
    const int formats[] = { SF_FORMAT_WAV | SF_FORMAT_FLOAT, SF_FORMAT_FLAC | SF_FORMAT_PCM_16 };
    const char *ext[] = { "wav", "flac" };
    for (int f = 0; f < 2; f++) {
        char p[520];
        snprintf(p, sizeof p, "%.*s.%s", (int)(strlen(path) - 4), path, ext[f]);
        SF_INFO info = { 0 };
        info.samplerate = 44100;
        info.channels = 2;
        info.format = formats[f];
        SNDFILE *sf = sf_open(p, SFM_WRITE, &info);
        CHECK(sf != NULL, "cannot write %s", p);
        if (!sf)
            continue;
        sf_writef_float(sf, inter, N);
        sf_close(sf);
        an_audio a;
        CHECK(an_read_audio(p, &a) == 0, "read %s", p);
        double err = 0.0;
        for (int i = 0; i < N && a.channels == 2 && a.frames == N; i++) {
            err = fmax(err, fabs(a.channel[0][i] - inter[2 * i]));
            err = fmax(err, fabs(a.channel[1][i] - inter[2 * i + 1]));
        }
        printf("file: %s %d ch %zu frames %.0f Hz, max error %.2g\n", ext[f], a.channels, a.frames,
               a.rate_hz, err);
        CHECK(a.channels == 2 && a.frames == N && a.rate_hz == 44100.0, "file shape");
        CHECK(err <= (f == 0 ? 0.0 : 1.0 / 32768.0), "file contents err %g", err);
        an_audio_free(&a);
        int64_t got = -1;
        float *il = an_read_stereo_interleaved(p, &got);
        CHECK(il && got == N, "interleaved read of %s: %lld frames", p, (long long)got);
        if (il && got == N && f == 0)
            CHECK(memcmp(il, inter, sizeof inter) == 0, "interleaved read differs from what was written");
        free(il);
        remove(p);
    }
    CHECK(an_read_stereo_interleaved("/nonexistent/x.wav", &(int64_t){ 0 }) == NULL, "missing file read");
    {
        char raw[520];
        snprintf(raw, sizeof raw, "%.*s.raw", (int)(strlen(path) - 4), path);
        FILE *f = fopen(raw, "wb");
        CHECK(f != NULL, "cannot write %s", raw);
        if (f) {
            fwrite(inter, sizeof(float), 2 * N, f);
            fclose(f);
            size_t got = 0;
            float *x = an_read_raw_stereo(raw, &got);
            CHECK(x && got == N && memcmp(x, inter, sizeof inter) == 0, "raw read: %zu frames", got);
            free(x);
            remove(raw);
        }
        size_t none_frames = 1;
        CHECK(an_read_raw_stereo("/nonexistent/x.raw", &none_frames) == NULL && none_frames == 0,
              "missing raw file read");
    }
    an_audio none;
    CHECK(an_read_audio("/nonexistent/x.wav", &none) == -1, "missing file accepted");
}

/* True peak: a sine whose samples all miss its crests reads its real
 * amplitude, a slow sine reads its sample peak, and an isolated impulse
 * (sample peak 1) rings to no more than the sinc's own lobes allow. */
static void test_true_peak(void)
{
    const size_t n = 4800;
    float *x = malloc(sizeof(float) * n);
    /* fs/4 at 45 degrees: every sample is at 0.7071 of the crest. */
    sine(x, n, 12000.0, 0.8, 48000.0, 3.14159265358979323846 / 4.0);
    double sp = 0.0;
    for (size_t i = 0; i < n; i++)
        sp = fabs(x[i]) > sp ? fabs(x[i]) : sp;
    double tp = an_true_peak(x, n);
    CHECK(fabs(sp - 0.8 * 0.70710678) < 1e-4, "sample peak %g", sp);
    CHECK(fabs(tp - 0.8) < 0.8 * 0.01, "fs/4 sine at 45 deg: true peak %g, want 0.8", tp);
    /* 15 kHz, phase chosen so samples miss the crest: within 1 %. */
    sine(x, n, 15000.0, 0.5, 48000.0, 0.3);
    tp = an_true_peak(x, n);
    CHECK(fabs(tp - 0.5) < 0.005, "15 kHz sine: true peak %g, want 0.5", tp);
    /* 100 Hz: the sample peak is the true peak, within 0.1 %. */
    sine(x, n, 100.0, 0.9, 48000.0, 0.0);
    tp = an_true_peak(x, n);
    CHECK(fabs(tp - 0.9) < 0.9e-3, "100 Hz sine: true peak %g, want 0.9", tp);
    /* A square wave at full scale overshoots between its samples (Gibbs):
     * the sample peak misses it, the true peak must see it. */
    for (size_t i = 0; i < n; i++)
        x[i] = (i / 24) % 2 ? 1.0f : -1.0f;
    tp = an_true_peak(x, n);
    CHECK(tp > 1.05 && tp < 1.3, "full-scale square: true peak %g, want 1.05 .. 1.3", tp);
    /* The fine meter: the square agrees with the 4x one within 0.5 dB;
     * tones near the top of the band, with the crest between the samples,
     * read their amplitude within 0.02 dB. */
    double fine = an_true_peak_fine(x, n, 16);
    CHECK(fabs(20.0 * log10(fine / tp)) < 0.5, "square: fine %g vs 4x %g", fine, tp);
    const double tones[][2] = { { 12000.0, 48000.0 }, { 20000.0, 48000.0 }, { 20000.0, 44100.0 }, { 997.0, 48000.0 } };
    for (int i = 0; i < 4; i++) {
        sine(x, n, tones[i][0], 0.7, tones[i][1], 0.37);
        fine = an_true_peak_fine(x, n, 16);
        CHECK(fabs(20.0 * log10(fine / 0.7)) < 0.02, "%g Hz at %g Hz: fine true peak %g, want 0.7", tones[i][0],
              tones[i][1], fine);
    }
    free(x);
}

int main(void)
{
    test_fft();
    test_goertzel();
    test_frequency();
    test_welch_slope();
    test_levels();
    test_file();
    test_true_peak();
    if (failures) {
        printf("test_analysis: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_analysis: all passed\n");
    return 0;
}
