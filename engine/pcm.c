/*
 * pcm.c - float to integer samples for file output, as libsndfile writes
 * them (see pcm.h for the exact rules and where they come from).
 *
 * The rounding is lrintf's (to nearest, ties to even, in the default
 * floating-point environment).  On x86 the SSE2 conversion instruction does
 * exactly that four samples at a time; elsewhere lrintf itself is called.
 * The clamps are applied before the conversion, in float, and give the same
 * integers as libsndfile's comparisons after it (the largest float below
 * 2^31 is 2^31 - 128, whose top 24 and 16 bits are the positive limits).
 */
#include "pcm.h"

#include <math.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif
/* 24-bit packing with one byte shuffle per four samples where the CPU has
 * SSSE3 (checked at run time; the portable path below gives the same
 * bytes, and test_pcm compares whichever runs with libsndfile). */
#if defined(__x86_64__) && defined(__GNUC__) && defined(__SSE2__)
#include <tmmintrin.h>
#define LULL_PCM_SSSE3 1
#endif

/* Convert n floats, each scaled by `scale`, clamped to [lo, hi] and rounded
 * to the nearest integer, into out. */
static void scaled_round(const float *in, int32_t *out, int n, float scale, float lo, float hi)
{
    int i = 0;
#if defined(__SSE2__)
    const __m128 vs = _mm_set1_ps(scale), vlo = _mm_set1_ps(lo), vhi = _mm_set1_ps(hi);
    for (; i + 4 <= n; i += 4) {
        __m128 x = _mm_mul_ps(_mm_loadu_ps(in + i), vs);
        x = _mm_max_ps(_mm_min_ps(x, vhi), vlo);
        _mm_storeu_si128((__m128i *)(void *)(out + i), _mm_cvtps_epi32(x));
    }
#endif
    for (; i < n; i++) {
        float x = in[i] * scale;
        x = x < hi ? x : hi;
        x = x > lo ? x : lo;
        out[i] = (int32_t)lrintf(x);
    }
}

#define PCM_BATCH 256

/* Top `bits` bits of lrintf(x * 2^31), as libsndfile's WAV writer. */
static void wav_pack(const float *in, unsigned char *out, int n, int bytes)
{
    int32_t v[PCM_BATCH + 1];
    const int shift = 32 - 8 * bytes;
    while (n > 0) {
        const int m = n < PCM_BATCH ? n : PCM_BATCH;
        scaled_round(in, v, m, 2147483648.0f, -2147483648.0f, 2147483520.0f);
        if (bytes == 3) {
            /* Four samples make three little-endian 32-bit words (on a
             * little-endian machine; bytewise elsewhere and for the tail). */
            int i = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
            for (; i + 4 <= m; i += 4) {
                const uint32_t a = (uint32_t)(v[i] >> 8) & 0xFFFFFFu, b = (uint32_t)(v[i + 1] >> 8) & 0xFFFFFFu,
                               c = (uint32_t)(v[i + 2] >> 8) & 0xFFFFFFu, d = (uint32_t)(v[i + 3] >> 8);
                const uint32_t w[3] = { a | b << 24, b >> 8 | c << 16, c >> 16 | d << 8 };
                memcpy(out + 3 * i, w, 12);
            }
#endif
            for (; i < m; i++) {
                const uint32_t u = (uint32_t)(v[i] >> shift);
                out[3 * i] = (unsigned char)u;
                out[3 * i + 1] = (unsigned char)(u >> 8);
                out[3 * i + 2] = (unsigned char)(u >> 16);
            }
        } else {
            for (int i = 0; i < m; i++) {
                const uint32_t u = (uint32_t)(v[i] >> shift);
                out[2 * i] = (unsigned char)u;
                out[2 * i + 1] = (unsigned char)(u >> 8);
            }
        }
        in += m;
        out += (size_t)bytes * (size_t)m;
        n -= m;
    }
}

#ifdef LULL_PCM_SSSE3
__attribute__((target("ssse3"))) static void wav24_ssse3(const float *in, unsigned char *out, int n)
{
    const __m128 vs = _mm_set1_ps(2147483648.0f), vlo = _mm_set1_ps(-2147483648.0f),
                 vhi = _mm_set1_ps(2147483520.0f);
    /* The top three bytes of each rounded 32-bit value, i.e. value >> 8. */
    const __m128i pick = _mm_setr_epi8(1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, -1, -1, -1, -1);
    int i = 0;
    /* Each store writes 16 bytes for 12; stop while 4 spare bytes remain. */
    for (; i + 8 <= n; i += 4) {
        __m128 x = _mm_mul_ps(_mm_loadu_ps(in + i), vs);
        x = _mm_max_ps(_mm_min_ps(x, vhi), vlo);
        const __m128i v = _mm_shuffle_epi8(_mm_cvtps_epi32(x), pick);
        _mm_storeu_si128((__m128i *)(void *)(out + 3 * i), v);
    }
    wav_pack(in + i, out + 3 * i, n - i, 3);
}
#endif

void lull_pcm_wav24(const float *in, unsigned char *out, int n)
{
#ifdef LULL_PCM_SSSE3
    if (__builtin_cpu_supports("ssse3")) {
        wav24_ssse3(in, out, n);
        return;
    }
#endif
    wav_pack(in, out, n, 3);
}

void lull_pcm_wav16(const float *in, unsigned char *out, int n) { wav_pack(in, out, n, 2); }

void lull_pcm_flac_int(const float *in, int32_t *out, int n, int bits)
{
    const float full = bits == 16 ? 32768.0f : 8388608.0f;
    scaled_round(in, out, n, full, -full, full - 1.0f);
    const int shift = 32 - bits;
    for (int i = 0; i < n; i++)
        out[i] = (int32_t)((uint32_t)out[i] << shift);
}
