/*
 * analysis.c - audio measurements for the test suite (see analysis.h).
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"

#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

#define AN_PI 3.14159265358979323846

double an_goertzel_amplitude(const float *x, size_t n, double freq_hz, double rate_hz)
{
    if (!x || n == 0 || rate_hz <= 0.0)
        return 0.0;
    /* Goertzel (G. Goertzel, Amer. Math. Monthly 1958): second-order
     * resonator, then one complex output sample. */
    const double w = 2.0 * AN_PI * freq_hz / rate_hz;
    const double coef = 2.0 * cos(w);
    double s1 = 0.0, s2 = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double s0 = (double)x[i] + coef * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    const double re = s1 - s2 * cos(w);
    const double im = s2 * sin(w);
    return 2.0 * sqrt(re * re + im * im) / (double)n;
}

int an_fft(double *re, double *im, size_t n)
{
    if (n == 0 || (n & (n - 1)) != 0)
        return -1;
    /* Iterative radix-2 decimation in time (Cooley & Tukey 1965): bit-reverse
     * permutation, then log2(n) butterfly passes. */
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j ^= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    /* Twiddles computed directly (not by recurrence) so the error does not
     * grow with n; the butterflies then walk memory in order. */
    const size_t half_n = n / 2;
    double *tw = malloc((half_n ? half_n : 1) * 2 * sizeof *tw);
    if (!tw)
        return -1;
    for (size_t k = 0; k < half_n; k++) {
        tw[2 * k] = cos(-2.0 * AN_PI * (double)k / (double)n);
        tw[2 * k + 1] = sin(-2.0 * AN_PI * (double)k / (double)n);
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        const size_t half = len >> 1, tw_stride = n / len;
        for (size_t i0 = 0; i0 < n; i0 += len) {
            for (size_t k = 0; k < half; k++) {
                const double wr = tw[2 * k * tw_stride], wi = tw[2 * k * tw_stride + 1];
                const size_t i = i0 + k, j = i + half;
                const double tr = re[j] * wr - im[j] * wi;
                const double ti = re[j] * wi + im[j] * wr;
                re[j] = re[i] - tr;
                im[j] = im[i] - ti;
                re[i] += tr;
                im[i] += ti;
            }
        }
    }
    free(tw);
    return 0;
}

static size_t next_pow2(size_t n)
{
    size_t p = 1;
    while (p < n)
        p <<= 1;
    return p;
}

/* |sum_i y[i] e^{-j w i}|^2, with the phasor re-anchored every 256 samples so
 * rounding does not accumulate over long buffers. */
static double dtft_power(const double *y, size_t n, double w)
{
    double acc_re = 0.0, acc_im = 0.0;
    const double step_c = cos(w), step_s = sin(w);
    for (size_t i0 = 0; i0 < n; i0 += 256) {
        double c = cos(w * (double)i0), s = -sin(w * (double)i0);
        const size_t end = i0 + 256 < n ? i0 + 256 : n;
        for (size_t i = i0; i < end; i++) {
            acc_re += y[i] * c;
            acc_im += y[i] * s;
            /* (c + js) * e^{-jw} */
            const double nc = c * step_c + s * step_s;
            s = s * step_c - c * step_s;
            c = nc;
        }
    }
    return acc_re * acc_re + acc_im * acc_im;
}

double an_estimate_frequency_in(const float *x, size_t n, double rate_hz,
                                double lo_hz, double hi_hz)
{
    if (!x || n < 16 || rate_hz <= 0.0)
        return -1.0;
    const size_t nfft = next_pow2(n);
    double *y = malloc(n * sizeof *y);
    double *re = calloc(nfft, sizeof *re);
    double *im = calloc(nfft, sizeof *im);
    if (!y || !re || !im) {
        free(y);
        free(re);
        free(im);
        return -1.0;
    }
    /* Hann window: low sidelobes, so a second tone or the negative-frequency
     * image barely biases the peak. */
    for (size_t i = 0; i < n; i++) {
        const double w = 0.5 - 0.5 * cos(2.0 * AN_PI * (double)i / (double)(n - 1));
        y[i] = w * (double)x[i];
        re[i] = y[i];
    }
    an_fft(re, im, nfft);
    const double bin_hz = rate_hz / (double)nfft;
    size_t k_lo = (size_t)fmax(1.0, ceil(lo_hz / bin_hz));
    size_t k_hi = (size_t)fmin((double)(nfft / 2 - 1), floor(hi_hz / bin_hz));
    size_t best = 0;
    double best_p = -1.0;
    for (size_t k = k_lo; k <= k_hi; k++) {
        const double p = re[k] * re[k] + im[k] * im[k];
        if (p > best_p) {
            best_p = p;
            best = k;
        }
    }
    free(re);
    free(im);
    if (best == 0) {
        free(y);
        return -1.0;
    }
    /* Golden-section search for the DTFT maximum in +-1 bin; the Hann main
     * lobe is +-2/T wide and the bin is <= 1/T, so it is unimodal there. */
    const double to_w = 2.0 * AN_PI / rate_hz;
    const double g = 0.6180339887498949;
    double a = ((double)best - 1.0) * bin_hz, b = ((double)best + 1.0) * bin_hz;
    double c = b - g * (b - a), d = a + g * (b - a);
    double pc = dtft_power(y, n, c * to_w), pd = dtft_power(y, n, d * to_w);
    for (int it = 0; it < 60 && b - a > 1e-9; it++) {
        if (pc > pd) {
            b = d;
            d = c;
            pd = pc;
            c = b - g * (b - a);
            pc = dtft_power(y, n, c * to_w);
        } else {
            a = c;
            c = d;
            pc = pd;
            d = a + g * (b - a);
            pd = dtft_power(y, n, d * to_w);
        }
    }
    free(y);
    return 0.5 * (a + b);
}

double an_estimate_frequency(const float *x, size_t n, double rate_hz)
{
    return an_estimate_frequency_in(x, n, rate_hz, 0.0, rate_hz / 2.0);
}

/* Shared Welch core.  With b != NULL the two real signals go through one
 * complex FFT (a as the real part, b as the imaginary part); since
 * X_a[k] = (Z[k] + Z*[N-k]) / 2 and X_b[k] = (Z[k] - Z*[N-k]) / 2j,
 * |X_a[k]|^2 + |X_b[k]|^2 = (|Z[k]|^2 + |Z[N-k]|^2) / 2, so the mean of the two
 * power spectra costs one FFT per segment. */
static size_t welch(const float *a, const float *b, size_t n, size_t seg, double rate_hz,
                    double *psd)
{
    if (!a || !psd || seg < 4 || (seg & (seg - 1)) != 0 || n < seg || rate_hz <= 0.0)
        return 0;
    double *win = malloc(seg * sizeof *win);
    double *re = malloc(seg * sizeof *re);
    double *im = malloc(seg * sizeof *im);
    if (!win || !re || !im) {
        free(win);
        free(re);
        free(im);
        return 0;
    }
    /* Welch (IEEE Trans. Audio Electroacoust. 1967): periodic Hann, 50 %
     * overlap, which makes the overlapping windows sum to a constant. */
    double win_sq = 0.0;
    for (size_t i = 0; i < seg; i++) {
        win[i] = 0.5 - 0.5 * cos(2.0 * AN_PI * (double)i / (double)seg);
        win_sq += win[i] * win[i];
    }
    const size_t half = seg / 2;
    memset(psd, 0, (half + 1) * sizeof *psd);
    size_t count = 0;
    for (size_t start = 0; start + seg <= n; start += half) {
        for (size_t i = 0; i < seg; i++) {
            re[i] = win[i] * (double)a[start + i];
            im[i] = b ? win[i] * (double)b[start + i] : 0.0;
        }
        an_fft(re, im, seg);
        if (b) {
            for (size_t k = 0; k <= half; k++) {
                const size_t m = (seg - k) & (seg - 1);
                psd[k] += 0.5 * (re[k] * re[k] + im[k] * im[k] + re[m] * re[m] + im[m] * im[m]);
            }
            count += 2;
        } else {
            for (size_t k = 0; k <= half; k++)
                psd[k] += re[k] * re[k] + im[k] * im[k];
            count++;
        }
    }
    const double scale = 1.0 / (rate_hz * win_sq * (double)count);
    for (size_t k = 0; k <= half; k++)
        psd[k] *= (k == 0 || k == half) ? scale : 2.0 * scale;
    free(win);
    free(re);
    free(im);
    return b ? count / 2 : count;
}

size_t an_welch_psd(const float *x, size_t n, size_t seg, double rate_hz, double *psd)
{
    return welch(x, NULL, n, seg, rate_hz, psd);
}

size_t an_welch_psd2(const float *a, const float *b, size_t n, size_t seg, double rate_hz,
                     double *psd)
{
    if (!b)
        return 0;
    return welch(a, b, n, seg, rate_hz, psd);
}

int an_fit_slope(const double *psd, size_t n_bins, double bin_hz, double lo_hz,
                 double hi_hz, double bands_per_octave, double ideal_db_per_oct,
                 an_slope *out)
{
    if (!psd || !out || bin_hz <= 0.0 || lo_hz <= 0.0 || hi_hz <= lo_hz
        || bands_per_octave <= 0.0)
        return -1;
    /* Bands of equal log width that tile [lo, hi] exactly. */
    const int n_bands = (int)ceil(log2(hi_hz / lo_hz) * bands_per_octave - 1e-9);
    double *bx = malloc((size_t)n_bands * sizeof *bx);
    double *by = malloc((size_t)n_bands * sizeof *by);
    if (!bx || !by) {
        free(bx);
        free(by);
        return -1;
    }
    int m = 0;
    for (int b = 0; b < n_bands; b++) {
        const double f1 = lo_hz * pow(hi_hz / lo_hz, (double)b / n_bands);
        const double f2 = lo_hz * pow(hi_hz / lo_hz, (double)(b + 1) / n_bands);
        size_t k1 = (size_t)ceil(f1 / bin_hz), k2 = (size_t)ceil(f2 / bin_hz);
        if (k1 == 0)
            k1 = 1;
        if (k2 > n_bins)
            k2 = n_bins;
        if (k2 <= k1)
            continue;
        double sum = 0.0, sum_log_f = 0.0;
        for (size_t k = k1; k < k2; k++) {
            sum += psd[k];
            sum_log_f += log2((double)k * bin_hz);
        }
        const double cnt = (double)(k2 - k1);
        if (sum <= 0.0)
            continue;
        bx[m] = sum_log_f / cnt;
        by[m] = 10.0 * log10(sum / cnt);
        m++;
    }
    if (m < 3) {
        free(bx);
        free(by);
        return -1;
    }
    double mx = 0.0, my = 0.0;
    for (int i = 0; i < m; i++) {
        mx += bx[i];
        my += by[i];
    }
    mx /= m;
    my /= m;
    double sxy = 0.0, sxx = 0.0;
    for (int i = 0; i < m; i++) {
        sxy += (bx[i] - mx) * (by[i] - my);
        sxx += (bx[i] - mx) * (bx[i] - mx);
    }
    const double slope = sxy / sxx;
    double dev_fit = 0.0, r_min = HUGE_VAL, r_max = -HUGE_VAL;
    for (int i = 0; i < m; i++) {
        const double e = fabs(by[i] - (my + slope * (bx[i] - mx)));
        if (e > dev_fit)
            dev_fit = e;
        const double r = by[i] - ideal_db_per_oct * bx[i];
        if (r < r_min)
            r_min = r;
        if (r > r_max)
            r_max = r;
    }
    out->slope_db_per_oct = slope;
    out->max_dev_fit_db = dev_fit;
    out->max_dev_ideal_db = 0.5 * (r_max - r_min);
    out->n_bands = m;
    free(bx);
    free(by);
    return 0;
}

double an_rms(const float *x, size_t begin, size_t end)
{
    if (!x || end <= begin)
        return 0.0;
    double acc = 0.0;
    for (size_t i = begin; i < end; i++)
        acc += (double)x[i] * (double)x[i];
    return sqrt(acc / (double)(end - begin));
}

double an_mean(const float *x, size_t begin, size_t end)
{
    if (!x || end <= begin)
        return 0.0;
    double acc = 0.0;
    for (size_t i = begin; i < end; i++)
        acc += (double)x[i];
    return acc / (double)(end - begin);
}

/* 4x oversampling: phases 1/4, 2/4, 3/4 between each pair of samples, each
 * from AN_TP_HALF samples on either side through a Blackman-windowed sinc.
 * Between-sample points are taken only where the whole filter fits in the
 * buffer (the first and last 32 samples count by their sample values). */
#define AN_TP_HALF 32
double an_true_peak(const float *x, size_t n)
{
    static double taps[3][2 * AN_TP_HALF];
    static int ready;
    const double pi = 3.14159265358979323846;
    if (!ready) {
        for (int ph = 0; ph < 3; ph++) {
            const double frac = (ph + 1) / 4.0;
            for (int k = 0; k < 2 * AN_TP_HALF; k++) {
                /* tap k weighs sample i + k - (HALF - 1) for the point i + frac */
                const double t = (double)(k - (AN_TP_HALF - 1)) - frac;
                const double sinc = sin(pi * t) / (pi * t);
                const double u = (t + AN_TP_HALF) / (2.0 * AN_TP_HALF); /* 0..1 */
                const double w = 0.42 - 0.5 * cos(2 * pi * u) + 0.08 * cos(4 * pi * u);
                taps[ph][k] = sinc * w;
            }
        }
        ready = 1;
    }
    double peak = 0.0;
    for (size_t i = 0; x && i < n; i++) {
        if (fabs((double)x[i]) > peak)
            peak = fabs((double)x[i]);
        if (i < AN_TP_HALF - 1 || i + AN_TP_HALF >= n)
            continue;
        for (int ph = 0; ph < 3; ph++) {
            double acc = 0.0;
            for (int k = 0; k < 2 * AN_TP_HALF; k++)
                acc += taps[ph][k] * (double)x[i + (size_t)k - (AN_TP_HALF - 1)];
            if (fabs(acc) > peak)
                peak = fabs(acc);
        }
    }
    return peak;
}

#define AN_FINE_HALF 48

static double an_bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 80; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

double an_true_peak_fine(const float *x, size_t n, int oversample)
{
    const double pi = 3.14159265358979323846;
    const int os = oversample < 2 ? 2 : oversample;
    const int taps = 2 * AN_FINE_HALF;
    double *h = malloc(sizeof(double) * (size_t)(os - 1) * (size_t)taps);
    if (!h)
        return -1.0;
    for (int ph = 1; ph < os; ph++) {
        const double frac = (double)ph / os;
        double sum = 0.0;
        for (int k = 0; k < taps; k++) {
            /* tap k weighs sample i - HALF + 1 + k for the point i + frac */
            const double d = frac + (double)(AN_FINE_HALF - 1 - k);
            const double u = d / AN_FINE_HALF;
            const double w = an_bessel_i0(8.0 * sqrt(u * u < 1.0 ? 1.0 - u * u : 0.0)) / an_bessel_i0(8.0);
            h[(size_t)(ph - 1) * (size_t)taps + (size_t)k] = sin(pi * d) / (pi * d) * w;
            sum += sin(pi * d) / (pi * d) * w;
        }
        for (int k = 0; k < taps; k++) /* unity at DC */
            h[(size_t)(ph - 1) * (size_t)taps + (size_t)k] /= sum;
    }
    double peak = 0.0;
    for (size_t i = 0; x && i < n; i++) {
        if (fabs((double)x[i]) > peak)
            peak = fabs((double)x[i]);
        if (i + 1 < AN_FINE_HALF || i + AN_FINE_HALF >= n)
            continue;
        const float *w = x + i + 1 - AN_FINE_HALF;
        for (int ph = 0; ph < os - 1; ph++) {
            const double *hp = h + (size_t)ph * (size_t)taps;
            double acc = 0.0;
            for (int k = 0; k < taps; k++)
                acc += hp[k] * (double)w[k];
            if (fabs(acc) > peak)
                peak = fabs(acc);
        }
    }
    free(h);
    return peak;
}

double an_max_jump(const float *x, size_t n, size_t *at)
{
    double best = 0.0;
    size_t best_i = 0;
    for (size_t i = 1; x && i < n; i++) {
        const double d = fabs((double)x[i] - (double)x[i - 1]);
        if (d > best) {
            best = d;
            best_i = i;
        }
    }
    if (at)
        *at = best_i;
    return best;
}

long an_onset(const float *x, size_t n, double threshold)
{
    for (size_t i = 0; x && i < n; i++)
        if (fabs((double)x[i]) > threshold)
            return (long)i;
    return -1;
}

void an_audio_free(an_audio *a)
{
    if (!a)
        return;
    if (a->channel) {
        for (int c = 0; c < a->channels; c++)
            free(a->channel[c]);
        free(a->channel);
    }
    memset(a, 0, sizeof *a);
}

int an_read_audio(const char *path, an_audio *out)
{
    if (!out)
        return -1;
    memset(out, 0, sizeof *out);
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return -1;
    if (info.channels < 1 || info.frames < 0) {
        sf_close(sf);
        return -1;
    }
    const size_t frames = (size_t)info.frames;
    const size_t ch = (size_t)info.channels;
    float *inter = malloc((frames ? frames : 1) * ch * sizeof *inter);
    out->channel = calloc(ch, sizeof *out->channel);
    if (!inter || !out->channel) {
        free(inter);
        free(out->channel);
        out->channel = NULL;
        sf_close(sf);
        return -1;
    }
    out->channels = info.channels;
    for (size_t c = 0; c < ch; c++) {
        out->channel[c] = malloc((frames ? frames : 1) * sizeof **out->channel);
        if (!out->channel[c]) {
            free(inter);
            sf_close(sf);
            an_audio_free(out);
            return -1;
        }
    }
    const sf_count_t got = sf_readf_float(sf, inter, (sf_count_t)frames);
    sf_close(sf);
    const size_t n = got > 0 ? (size_t)got : 0;
    for (size_t i = 0; i < n; i++)
        for (size_t c = 0; c < ch; c++)
            out->channel[c][i] = inter[i * ch + c];
    free(inter);
    out->frames = n;
    out->rate_hz = (double)info.samplerate;
    return 0;
}

float *an_read_stereo_interleaved(const char *path, int64_t *frames)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return NULL;
    float *buf = info.channels == 2 && info.frames >= 0
                     ? malloc(sizeof(float) * 2 * (size_t)(info.frames ? info.frames : 1))
                     : NULL;
    if (buf)
        *frames = sf_readf_float(sf, buf, info.frames);
    sf_close(sf);
    return buf;
}

float *an_read_raw_stereo(const char *path, size_t *frames)
{
    *frames = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *x = malloc(bytes > 0 ? (size_t)bytes : 1);
    if (x && bytes > 0 && fread(x, 1, (size_t)bytes, f) == (size_t)bytes)
        *frames = (size_t)bytes / (2 * sizeof(float));
    fclose(f);
    return x;
}
