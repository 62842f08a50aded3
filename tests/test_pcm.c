/*
 * test_pcm.c - lull's own float-to-integer conversion (engine/pcm.c) gives
 * exactly the samples libsndfile writes from floats with clipping on, for
 * 24- and 16-bit WAV and FLAC.  Each case writes the same floats twice, once
 * through sf_writef_float and once converted by lull (sf_write_raw for WAV,
 * sf_write_int for FLAC), and compares what the two files hold: every byte
 * of the WAV files, every decoded sample of the FLAC ones.
 *
 * The floats cover ordinary signal levels, values a hair either side of
 * every rounding and truncation boundary near zero, exact halves at both
 * scales (ties), full scale and beyond, and both signed zeros.
 */
#include "pcm.h"

#include <sndfile.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 200000

static float samples[N];

static uint32_t rng_state = 12345u;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static void fill(void)
{
    int k = 0;
    static const float edges[] = { 0.0f,       -0.0f,        1.0f,         -1.0f,       0.99999f,   -0.99999f,
                                   1.5f,       -1.5f,        1e9f,         -1e9f,       0.5f,       -0.5f,
                                   0x1p-23f,   -0x1p-23f,    0x1p-24f,     -0x1p-24f,   0x1p-31f,   -0x1p-31f,
                                   0x1p-32f,   -0x1p-32f,    0x3p-32f,     -0x3p-32f,   0x1p-15f,   -0x1p-15f,
                                   0x1p-16f,   -0x1p-16f,    0x3p-17f,     -0x3p-17f,   1.0f - 0x1p-24f,
                                   -1.0f + 0x1p-24f, 0x1.fffffep-1f, 8388607.5f / 8388608.0f,
                                   32767.5f / 32768.0f, -32767.5f / 32768.0f, 1e-30f, -1e-30f };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++)
        samples[k++] = edges[i];
    /* Boundaries: j/2^23 and (j+0.5)/2^23 and j/2^15 ... with neighbours. */
    for (int j = -300; j <= 300; j++) {
        const float scales[] = { 0x1p-23f, 0x1p-15f, 0x1p-31f };
        for (int s = 0; s < 3; s++) {
            const float b = (float)j * scales[s], h = ((float)j + 0.5f) * scales[s];
            samples[k++] = b;
            samples[k++] = nextafterf(b, 2.0f);
            samples[k++] = nextafterf(b, -2.0f);
            samples[k++] = h;
            samples[k++] = nextafterf(h, 2.0f);
            samples[k++] = nextafterf(h, -2.0f);
        }
    }
    /* Random levels from -200 dB to +6 dB, and random bit patterns in +-2. */
    while (k < N) {
        const double db = -200.0 + 206.0 * (double)(rnd() >> 8) / 16777216.0;
        const float v = (float)pow(10.0, db / 20.0) * ((rnd() & 1) ? 1.0f : -1.0f);
        samples[k++] = v;
        if (k < N) {
            uint32_t bits = rnd();
            float f;
            memcpy(&f, &bits, 4);
            if (isfinite(f) && fabsf(f) < 2.0f)
                samples[k++] = f;
        }
    }
}

static SNDFILE *open_out(const char *path, int format)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = 48000;
    info.channels = 2;
    info.format = format;
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) {
        fprintf(stderr, "test_pcm: %s: %s\n", path, sf_strerror(NULL));
        exit(1);
    }
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    return sf;
}

static unsigned char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*len);
    if (!b || fread(b, 1, (size_t)*len, f) != (size_t)*len) {
        fclose(f);
        free(b);
        return NULL;
    }
    fclose(f);
    return b;
}

static int check_wav(int bits, const char *dir)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/test_pcm_lib%d.wav", dir, bits);
    snprintf(b, sizeof b, "%s/test_pcm_own%d.wav", dir, bits);
    const int sub = bits == 24 ? SF_FORMAT_PCM_24 : SF_FORMAT_PCM_16;
    SNDFILE *sa = open_out(a, SF_FORMAT_WAV | sub);
    SNDFILE *sb = open_out(b, SF_FORMAT_WAV | sub);
    const int bytes = bits / 8;
    unsigned char *packed = malloc((size_t)N * (size_t)bytes);
    /* In uneven pieces, so the batch and tail paths all run. */
    for (int done = 0, piece = 1; done < N; piece = (piece * 3 + 1) % 5003) {
        int n = piece % 5003;
        if (n > N - done)
            n = N - done;
        n &= ~1; /* whole stereo frames */
        if (n == 0)
            n = 2;
        sf_writef_float(sa, samples + done, n / 2);
        if (bits == 24)
            lull_pcm_wav24(samples + done, packed, n);
        else
            lull_pcm_wav16(samples + done, packed, n);
        if (sf_write_raw(sb, packed, (sf_count_t)n * bytes) != (sf_count_t)n * bytes) {
            fprintf(stderr, "test_pcm: sf_write_raw came up short\n");
            return 1;
        }
        done += n;
    }
    sf_close(sa);
    sf_close(sb);
    free(packed);
    long la = 0, lb = 0;
    unsigned char *fa = slurp(a, &la), *fb = slurp(b, &lb);
    int fail = !fa || !fb || la != lb;
    if (fail)
        fprintf(stderr, "test_pcm: WAV %d: sizes %ld vs %ld\n", bits, la, lb);
    long first = -1;
    for (long i = 0; !fail && i < la; i++)
        if (fa[i] != fb[i]) {
            first = i;
            fail = 1;
        }
    if (first >= 0)
        fprintf(stderr, "test_pcm: WAV %d: files differ from byte %ld\n", bits, first);
    else if (!fail)
        printf("WAV %d-bit: %ld bytes identical to libsndfile's\n", bits, la);
    free(fa);
    free(fb);
    unlink(a);
    unlink(b);
    return fail;
}

static int check_flac(int bits, const char *dir)
{
    char a[512], b[512];
    snprintf(a, sizeof a, "%s/test_pcm_lib%d.flac", dir, bits);
    snprintf(b, sizeof b, "%s/test_pcm_own%d.flac", dir, bits);
    const int sub = bits == 24 ? SF_FORMAT_PCM_24 : SF_FORMAT_PCM_16;
    SNDFILE *sa = open_out(a, SF_FORMAT_FLAC | sub);
    SNDFILE *sb = open_out(b, SF_FORMAT_FLAC | sub);
    int32_t *ints = malloc(sizeof(int32_t) * N);
    sf_writef_float(sa, samples, N / 2);
    lull_pcm_flac_int(samples, ints, N, bits);
    sf_writef_int(sb, ints, N / 2);
    sf_close(sa);
    sf_close(sb);
    int fail = 0;
    SF_INFO ia, ib;
    memset(&ia, 0, sizeof ia);
    memset(&ib, 0, sizeof ib);
    SNDFILE *ra = sf_open(a, SFM_READ, &ia), *rb = sf_open(b, SFM_READ, &ib);
    int32_t *da = malloc(sizeof(int32_t) * N), *db = malloc(sizeof(int32_t) * N);
    if (!ra || !rb || sf_readf_int(ra, da, N / 2) != N / 2 || sf_readf_int(rb, db, N / 2) != N / 2) {
        fprintf(stderr, "test_pcm: FLAC %d: cannot read the files back\n", bits);
        fail = 1;
    }
    for (int i = 0; !fail && i < N; i++)
        if (da[i] != db[i]) {
            fprintf(stderr, "test_pcm: FLAC %d: sample %d (%.9g): libsndfile %d, lull %d\n", bits, i,
                    (double)samples[i], da[i], db[i]);
            fail = 1;
        }
    if (!fail)
        printf("FLAC %d-bit: %d samples identical to libsndfile's\n", bits, N);
    if (ra)
        sf_close(ra);
    if (rb)
        sf_close(rb);
    free(ints);
    free(da);
    free(db);
    unlink(a);
    unlink(b);
    return fail;
}

int main(void)
{
    fill();
    const char *dir = LULL_BINARY_DIR;
    int fail = 0;
    fail |= check_wav(24, dir);
    fail |= check_wav(16, dir);
    fail |= check_flac(24, dir);
    fail |= check_flac(16, dir);
    return fail;
}
