/*
 * pcm.h - float to integer sample conversion for file output (not
 * installed).  [ANY]: plain functions on caller-owned buffers.
 *
 * A render converts on the synthesis thread and hands libsndfile integers
 * or packed bytes, so the writer thread does little more than copy into the
 * page cache (WAV) or encode (FLAC).  The values are exactly those that
 * libsndfile 1.x writes from floats with SFC_SET_CLIPPING on, which is what
 * a render asked of it before; tests/test_pcm.c checks this against the
 * installed libsndfile, value for value, including the clipping edges:
 *
 *   WAV (pcm.c f2let/f2les_clip_array): v = lrintf(x * 2^31), clamped to
 *   int32, then its top 24 (or 16) bits: an arithmetic shift, so the result
 *   is floor(x * 2^23) for ordinary samples, not the nearest integer.
 *
 *   FLAC (flac.c f2flac24/f2flac16_clip_array): lrintf(x * 2^23) (or 2^15),
 *   clamped to the format's range: the nearest integer.
 *
 * Inputs are finite (the master bus turns anything else into 0).
 */
#ifndef LULL_PCM_H
#define LULL_PCM_H

#include <stdint.h>

/* n floats to n little-endian 24-bit WAV samples (3 * n bytes). */
void lull_pcm_wav24(const float *in, unsigned char *out, int n);

/* n floats to n little-endian 16-bit WAV samples (2 * n bytes). */
void lull_pcm_wav16(const float *in, unsigned char *out, int n);

/* n floats to n ints for sf_write_int on a FLAC file of `bits` (16 or 24)
 * bits: the rounded sample, shifted to the top of the int as libsndfile's
 * int path expects (it shifts it back down exactly). */
void lull_pcm_flac_int(const float *in, int32_t *out, int n, int bits);

#endif
