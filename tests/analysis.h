/*
 * analysis.h - audio measurements for the test suite.
 *
 * Every helper here is itself checked against signals with known answers in
 * tests/test_analysis.c, so a failing voice test points at the voice, not at
 * the ruler.  All functions are [NRT] and allocate freely.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_ANALYSIS_H
#define LULL_ANALYSIS_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Amplitude of the component at freq_hz (Goertzel, rectangular window):
 * a sine of peak A with a whole number of cycles in the buffer reads A. */
double an_goertzel_amplitude(const float *x, size_t n, double freq_hz, double rate_hz);

/* Frequency of the dominant sinusoid, in Hz: Hann-windowed FFT peak, then a
 * golden-section search for the maximum of the windowed DTFT magnitude
 * within +-1 FFT bin.  Resolves far below 0.001 Hz on a 10 s buffer of a
 * clean tone.  Returns a negative number on bad input. */
double an_estimate_frequency(const float *x, size_t n, double rate_hz);

/* Same, searching only between lo_hz and hi_hz (for one of several tones). */
double an_estimate_frequency_in(const float *x, size_t n, double rate_hz,
                                double lo_hz, double hi_hz);

/* In-place radix-2 complex FFT (forward, e^{-j...}); n must be a power of 2.
 * Returns 0 on success, -1 if n is not a power of two. */
int an_fft(double *re, double *im, size_t n);

/* Welch averaged one-sided power spectral density (units^2 / Hz), Hann
 * window, 50 % overlap, segment length seg (power of two).  psd must hold
 * seg/2 + 1 values; bin k is at k * rate_hz / seg.  Integrating psd over
 * frequency gives the signal's mean square.  Returns the number of segments
 * averaged (0 on error). */
size_t an_welch_psd(const float *x, size_t n, size_t seg, double rate_hz, double *psd);

/* The mean of the Welch PSDs of two signals of the same length (e.g. the two
 * ears of a stereo noise), for the price of one: both ride in one complex
 * FFT.  Averaging two independent channels halves the estimate's variance. */
size_t an_welch_psd2(const float *a, const float *b, size_t n, size_t seg, double rate_hz,
                     double *psd);

typedef struct an_slope {
    double slope_db_per_oct;  /* least-squares fit of band level vs log2 f */
    double max_dev_fit_db;    /* largest |band level - fitted line| */
    double max_dev_ideal_db;  /* half the spread of (level - ideal line): the
                                 +-dB of the bands about a line of the ideal
                                 slope with the best offset */
    int n_bands;
} an_slope;

/* Fit the spectral slope of psd over [lo_hz, hi_hz] using fractional-octave
 * bands (bands_per_octave = 3 for 1/3 octave).  Each band's level is the
 * mean of its bins in dB, placed at the geometric mean of its bin
 * frequencies; bands with no bin are skipped.  ideal_db_per_oct is only used
 * for max_dev_ideal_db.  Returns 0, or -1 if fewer than 3 bands. */
int an_fit_slope(const double *psd, size_t n_bins, double bin_hz, double lo_hz,
                 double hi_hz, double bands_per_octave, double ideal_db_per_oct,
                 an_slope *out);

/* RMS of x[begin .. end). */
double an_rms(const float *x, size_t begin, size_t end);

/* Mean of x[begin .. end). */
double an_mean(const float *x, size_t begin, size_t end);

/* Largest |x[i] - x[i-1]|; *at (if not NULL) receives i. */
double an_max_jump(const float *x, size_t n, size_t *at);

/* True peak: the largest |value| of the band-limited signal between and at
 * the samples, estimated by 4x oversampling with a windowed-sinc
 * interpolator (64 taps per phase, Blackman window), as ITU-R BS.1770-4
 * annex 2 describes with a longer filter.  At least the sample peak; the
 * first and last 32 samples count by their sample values only. */
double an_true_peak(const float *x, size_t n);

/* True peak measured more finely: `oversample` points per sample interval
 * (16 is a good choice), each interpolated from 48 samples on either side
 * through a Kaiser-windowed sinc (beta 8: within 0.01 dB of the ideal up to
 * 0.45 fs), in double precision.  Slower than an_true_peak; for the limiter
 * checks.  The first and last 48 samples count by their sample values only.
 * Returns -1 if out of memory. */
double an_true_peak_fine(const float *x, size_t n, int oversample);

/* First index with |x[i]| > threshold, or -1. */
long an_onset(const float *x, size_t n, double threshold);

/* A decoded audio file, channels deinterleaved. */
typedef struct an_audio {
    float **channel;   /* channel[c][i] */
    int channels;
    size_t frames;
    double rate_hz;
} an_audio;

/* Read any file libsndfile can decode (WAV, FLAC ...).  Returns 0 or -1 (and
 * leaves *out zeroed). */
int an_read_audio(const char *path, an_audio *out);
void an_audio_free(an_audio *a);
/* A stereo file's frames interleaved, as the engine writes them (to compare
 * bit for bit with memcmp), *frames set; NULL if it cannot be read or is
 * not stereo.  free() the result. */
float *an_read_stereo_interleaved(const char *path, int64_t *frames);
/* A headerless file of interleaved stereo float32 frames (what ALSA's file
 * plugin captures), *frames set (0 if it cannot be read); NULL only when
 * the file cannot be opened or memory runs out.  free() the result. */
float *an_read_raw_stereo(const char *path, size_t *frames);

#ifdef __cplusplus
}
#endif
#endif
