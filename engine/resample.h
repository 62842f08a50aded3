/*
 * resample.h - the clip sample-rate converter, one interface over the two
 * libraries lull uses (internal to liblull, [NRT]: the loader thread only).
 *
 *   best     libsoxr "very high quality" (28-bit, linear phase)
 *   medium   libsoxr "high quality" (20-bit, linear phase)
 *   fastest  libsoxr "medium quality" (16-bit, linear phase, wider rolloff)
 *   linear   libsamplerate SRC_LINEAR (interpolation, no filter)
 *
 * Why libsoxr: on this project's 60-minute clip benchmark libsamplerate's
 * SINC_BEST spent minutes converting; libsoxr's multi-stage FFT filters are
 * 20-150 times faster for the same or better measured passband and
 * rejection (tests/test_resampler.c measures every choice; the figures are
 * in tests/README.md).
 *
 * Alignment: every choice starts on its sample.  An impulse at input frame
 * 0 comes out at output frame 0 (libsoxr removes its own filter delay, so
 * no soxr_delay compensation is needed; linear's one-frame lag is dropped
 * here), so after lull_rs_reset the output grid starts exactly on the
 * input frame fed next.
 */
#ifndef LULL_RESAMPLE_H
#define LULL_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lull_rs lull_rs;

/* A converter for interleaved float frames of `channels` channels from
 * in_rate_hz to out_rate_hz with quality `resampler` (lull_resampler).
 * Returns NULL with *why set on failure. */
lull_rs *lull_rs_create(int resampler, int channels, int in_rate_hz, int out_rate_hz, const char **why);
void lull_rs_destroy(lull_rs **rs);   /* NULL-safe */

/* Forget all history: the next frame fed is input frame 0 of a new signal,
 * and the next frame produced is output frame 0 on the same instant. */
int lull_rs_reset(lull_rs *rs);

/* Convert: consume up to in_frames (*used says how many), produce up to
 * out_frames (*made).  Pass end_of_input once no more input will come, then
 * keep calling (with in_frames 0) until *made is 0 to drain the tail.
 * Returns 0, or -1 with *why set. */
int lull_rs_process(lull_rs *rs, const float *in, size_t in_frames, size_t *used, float *out,
                    size_t out_frames, size_t *made, int end_of_input, const char **why);

#endif
