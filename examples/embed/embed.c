/*
 * embed.c - the smallest program that embeds liblull: load a session from a
 * string, pull a few seconds of audio from the engine, and report what it
 * made.  Built against an installed lull both with CMake
 * (find_package(lull CONFIG), target lull::lull) and with pkg-config, by the
 * install test.  Exits 0 when the library works and agrees with its header.
 */
#include <lull.h>

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char session[] =
    "lull 1\n"
    "title \"Embedded\"\n"
    "voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\n"
    "0:00 master fade-in 1s\n"
    "0:03 end\n";

int main(void)
{
    /* The header this program was compiled against and the library it runs
     * with must be the same release. */
    if (lull_version_number() != LULL_VERSION_NUMBER) {
        fprintf(stderr, "embed: header %d but library %s\n", LULL_VERSION_NUMBER, lull_version());
        return 1;
    }
    lull_script *s = NULL;
    int r = lull_script_load_string(session, strlen(session), "embedded", NULL, &s);
    if (r != LULL_OK) {
        fprintf(stderr, "embed: %s\n", lull_strerror(r));
        return 1;
    }
    lull_engine_config cfg = lull_engine_config_init();
    lull_engine *e = NULL;
    r = lull_engine_create(s, &cfg, &e);
    if (r != LULL_OK) {
        fprintf(stderr, "embed: %s\n", lull_strerror(r));
        lull_script_free(&s);
        return 1;
    }
    float block[2 * 256];
    double sum_sq = 0.0;
    long frames = 0;
    while (!lull_engine_finished(e)) {
        int n = lull_engine_process(e, block, 256);
        for (int i = 0; i < 2 * n; i++)
            sum_sq += (double)block[i] * block[i];
        frames += n;
    }
    double rms_db = 10.0 * log10(sum_sq / (2.0 * (double)(frames > 0 ? frames : 1)) + 1e-30);
    printf("lull %s: \"%s\", %ld frames at %d Hz, RMS %.1f dBFS\n", lull_version(),
           lull_script_title(s), frames, lull_engine_rate(e), rms_db);
    int ok = frames == 3 * 48000 && rms_db > -40.0 && rms_db < -10.0;
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return ok ? 0 : 1;
}
