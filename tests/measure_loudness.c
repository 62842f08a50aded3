/*
 * measure_loudness.c - an independent loudness meter for the tests: reads
 * an audio file (or a WAV stream on standard input, '-') with libsndfile
 * and measures it with its own libebur128 pass, sharing no code with
 * liblull.  Prints "integrated_lufs range_lu true_peak_dbtp sample_peak_dbfs
 * frames rate".
 */
#include <ebur128.h>
#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: measure_loudness FILE\n");
        return 2;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = strcmp(argv[1], "-") ? sf_open(argv[1], SFM_READ, &info) : sf_open_fd(0, SFM_READ, &info, 0);
    if (!sf) {
        fprintf(stderr, "measure_loudness: %s: %s\n", argv[1], sf_strerror(NULL));
        return 1;
    }
    ebur128_state *st = ebur128_init((unsigned)info.channels, (unsigned long)info.samplerate,
                                     EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK |
                                         EBUR128_MODE_SAMPLE_PEAK);
    enum { BLOCK = 8192 };
    double *buf = malloc(sizeof(double) * BLOCK * (size_t)info.channels);
    if (!st || !buf)
        return 1;
    long long frames = 0;
    sf_count_t n;
    while ((n = sf_readf_double(sf, buf, BLOCK)) > 0) {
        if (ebur128_add_frames_double(st, buf, (size_t)n) != EBUR128_SUCCESS)
            return 1;
        frames += n;
    }
    double lufs, lra, tp = 0.0, sp = 0.0;
    ebur128_loudness_global(st, &lufs);
    ebur128_loudness_range(st, &lra);
    for (unsigned c = 0; c < (unsigned)info.channels; c++) {
        double x;
        ebur128_true_peak(st, c, &x);
        tp = x > tp ? x : tp;
        ebur128_sample_peak(st, c, &x);
        sp = x > sp ? x : sp;
    }
    printf("%.4f %.4f %.4f %.4f %lld %d\n", lufs, lra, 20.0 * log10(tp), 20.0 * log10(sp), frames,
           info.samplerate);
    ebur128_destroy(&st);
    sf_close(sf);
    free(buf);
    return 0;
}
