/*
 * render_memory.c - render a whole session into memory, no device, no file.
 *
 * The engine is pulled exactly as an audio callback would pull it, only as
 * fast as the CPU allows.  Here the script comes from a string; the result
 * is one interleaved stereo float buffer, ready for any further use (the
 * program prints its length and level per section).
 *
 * Build: cc render_memory.c -llull -lm
 */
#include <lull.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *SESSION = "title \"Three breaths\"\n"
                             "voice drone binaural carrier=180Hz beat=8Hz gain=-16dB\n"
                             "voice bed   noise color=brown gain=-30dB\n"
                             "0:00 master fade-in 1s\n"
                             "0:00 section \"In\"\n"
                             "0:02 section \"Hold\"\n"
                             "0:02 drone beat=5Hz over 2s\n"
                             "0:04 section \"Out\"\n"
                             "0:05 master fade-out 1s\n"
                             "0:06 end\n";

/* RMS of interleaved stereo frames [from, to). */
static double rms(const float *x, int64_t from, int64_t to)
{
    double sum = 0.0;
    for (int64_t i = 2 * from; i < 2 * to; i++)
        sum += (double)x[i] * x[i];
    return to > from ? sqrt(sum / (double)(2 * (to - from))) : 0.0;
}

int main(void)
{
    lull_script *s = NULL;
    if (lull_script_load_string(SESSION, strlen(SESSION), "breaths", NULL, &s) != LULL_OK) {
        fprintf(stderr, "script: %s\n", lull_last_error());
        return 1;
    }
    lull_engine_config cfg = lull_engine_config_init(); /* 48 kHz, fixed seed */
    lull_engine *e = NULL;
    if (lull_engine_create(s, &cfg, &e) != LULL_OK) {
        fprintf(stderr, "engine: %s\n", lull_last_error());
        return 1;
    }

    const int64_t frames = lull_engine_length_frames(e);
    float *audio = malloc(sizeof(float) * 2 * (size_t)frames);
    if (!audio)
        return 1;
    /* Any block size gives the same samples; 512 is as good as any. */
    for (int64_t done = 0; done < frames;) {
        int n = frames - done < 512 ? (int)(frames - done) : 512;
        lull_engine_process(e, audio + 2 * done, n);
        done += n;
    }
    printf("'%s': %lld frames (%.1f s) at %d Hz in memory\n", lull_script_title(s),
           (long long)frames, (double)frames / lull_engine_rate(e), lull_engine_rate(e));

    int ok = 1;
    for (int i = 0; i < lull_script_section_count(s); i++) {
        int64_t a = lull_engine_section_frame(e, i);
        int64_t b = i + 1 < lull_script_section_count(s) ? lull_engine_section_frame(e, i + 1)
                                                         : frames;
        double level = rms(audio, a, b);
        printf("  %-5s %5.2f s  rms %6.1f dBFS\n", lull_script_section_name(s, i),
               (double)a / lull_engine_rate(e), level > 0 ? 20 * log10(level) : -INFINITY);
        ok &= level > 0.001; /* every section is audible */
    }
    free(audio);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return ok ? 0 : 1;
}
