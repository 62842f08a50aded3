/*
 * test_render.c - the file a render writes holds exactly the samples the
 * engine produces when pulled directly (32-bit float WAV, compared bit for
 * bit), whatever the render's internal threading and chunking (two cores,
 * engine/split.c, and one with LULL_RENDER_THREADS=1); and two renders with
 * the same seed are identical files.
 */
#include "analysis.h"
#include "lull.h"


#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *script_text =
    "title \"render test\"\n"
    "voice a binaural carrier=210Hz beat=7Hz gain=-12dB\n"
    "voice n noise color=pink gain=-20dB\n"
    /* Enough voices that both mix groups hold several (engine/split.c). */
    "voice b binaural carrier=150Hz beat=5Hz gain=-18dB\n"
    "voice t tone freq=330Hz gain=-24dB\n"
    "voice w noise color=brown gain=-30dB\n"
    "voice m monaural carrier=250Hz beat=6Hz gain=-26dB\n"
    "0:00 master fade-in 2s\n"
    "0:01 a beat=4Hz over 3s\n"
    "0:02.5 n gain=-30dB\n"
    "0:05 master fade-out 1.5s\n"
    "0:07 end\n";

static int fail(const char *msg)
{
    fprintf(stderr, "FAIL: %s\n", msg);
    return 1;
}

int main(void)
{
    lull_script *s = NULL;
    if (lull_script_load_string(script_text, strlen(script_text), "render-test", NULL, &s) != LULL_OK)
        return fail("script did not load");
    char dir[] = "/tmp/lull-test-render-XXXXXX";
    if (!mkdtemp(dir))
        return fail("mkdtemp");
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/a.wav", dir);
    snprintf(b, sizeof b, "%s/b.wav", dir);
    lull_render_config rc = lull_render_config_init();
    rc.samples = LULL_SAMPLES_FLOAT32;
    if (lull_render_file(s, a, &rc) != LULL_OK || lull_render_file(s, b, &rc) != LULL_OK)
        return fail(lull_last_error());
    char c[256];
    snprintf(c, sizeof c, "%s/c.wav", dir);
    setenv("LULL_RENDER_THREADS", "1", 1);
    if (lull_render_file(s, c, &rc) != LULL_OK)
        return fail(lull_last_error());
    unsetenv("LULL_RENDER_THREADS");
    int64_t fc = 0;
    float *xc = an_read_stereo_interleaved(c, &fc);

    int64_t fa = 0, fb = 0;
    float *xa = an_read_stereo_interleaved(a, &fa), *xb = an_read_stereo_interleaved(b, &fb);
    if (!xa || !xb)
        return fail("cannot read the renders back");

    /* Pull the engine directly with an odd block size. */
    lull_engine *e = NULL;
    if (lull_engine_create(s, NULL, &e) != LULL_OK)
        return fail("engine");
    int64_t total = lull_engine_length_frames(e);
    float *ref = calloc((size_t)total * 2 + 2 * 333, sizeof(float));
    for (int64_t done = 0; done < total; done += 333)
        lull_engine_process(e, ref + 2 * done, 333);
    printf("render: %lld frames in the file, engine length %lld\n", (long long)fa, (long long)total);
    if (fa != total || fb != total)
        return fail("the file's length is not the session's length");
    if (memcmp(xa, xb, sizeof(float) * 2 * (size_t)fa) != 0)
        return fail("two renders with the same seed differ");
    if (!xc || fc != fa || memcmp(xa, xc, sizeof(float) * 2 * (size_t)fa) != 0)
        return fail("a one-thread render differs from a two-thread one");
    printf("render: two threads and one give the same file\n");
    int64_t first_diff = -1;
    for (int64_t i = 0; i < 2 * total; i++)
        if (memcmp(&xa[i], &ref[i], sizeof(float)) != 0) {
            first_diff = i / 2;
            break;
        }
    if (first_diff >= 0) {
        fprintf(stderr, "first difference at frame %lld\n", (long long)first_diff);
        return fail("the rendered file differs from the engine's own output");
    }
    double rms = an_rms(xa, 0, (size_t)(2 * total));
    printf("render: bit-identical to the engine pulled in 333-frame blocks; rms %.4f\n", rms);
    if (rms < 0.01)
        return fail("the render is silent");
    unlink(a);
    unlink(b);
    unlink(c);
    rmdir(dir);
    free(xc);
    free(xa);
    free(xb);
    free(ref);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return 0;
}
