/*
 * test_render.c - the file a render writes holds exactly the samples the
 * engine produces when pulled directly (32-bit float WAV, compared bit for
 * bit), whatever the render's internal threading and chunking (two cores,
 * engine/split.c, and one with LULL_RENDER_THREADS=1; the true-peak limiter
 * on the writer thread, or with the loudness summary on the mixer's), also
 * for a session the limiter has to hold down; and two renders with the
 * same seed are identical files.
 */
#include "analysis.h"
#include "lull.h"


#include <math.h>
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

/* Past the -1 dBTP ceiling: the limiter works on most frames. */
static const char *hot_text =
    "title \"render test, limited\"\n"
    "voice a binaural carrier=180Hz beat=7Hz gain=0dB\n"
    "voice n noise color=white gain=-2dB\n"
    "voice b binaural carrier=95Hz beat=3Hz gain=-3dB\n"
    "voice t tone freq=3100Hz gain=-6dB\n"
    "0:00 n gain=-30dB over 2s\n"
    "0:03 n gain=0dB\n"
    "0:05 end\n";

static int fail(const char *msg)
{
    fprintf(stderr, "FAIL: %s\n", msg);
    return 1;
}

/* Render `text` four ways (twice alike, one thread, with the loudness
 * summary, which keeps the limiter on the mixer's thread) and compare each
 * with the engine pulled directly.  Returns 0 when all agree. */
static int check_script(const char *text, const char *name, int limited)
{
    lull_script *s = NULL;
    if (lull_script_load_string(text, strlen(text), name, NULL, &s) != LULL_OK)
        return fail("script did not load");
    char dir[] = "/tmp/lull-test-render-XXXXXX";
    if (!mkdtemp(dir))
        return fail("mkdtemp");
    char a[256], b[256], c[256], d[256];
    snprintf(a, sizeof a, "%s/a.wav", dir);
    snprintf(b, sizeof b, "%s/b.wav", dir);
    snprintf(c, sizeof c, "%s/c.wav", dir);
    snprintf(d, sizeof d, "%s/d.wav", dir);
    lull_render_config rc = lull_render_config_init();
    rc.samples = LULL_SAMPLES_FLOAT32;
    if (lull_render_file(s, a, &rc) != LULL_OK || lull_render_file(s, b, &rc) != LULL_OK)
        return fail(lull_last_error());
    setenv("LULL_RENDER_THREADS", "1", 1);
    if (lull_render_file(s, c, &rc) != LULL_OK)
        return fail(lull_last_error());
    unsetenv("LULL_RENDER_THREADS");
    lull_loudness loud;
    rc.loudness = &loud;
    if (lull_render_file(s, d, &rc) != LULL_OK)
        return fail(lull_last_error());

    int64_t fa = 0, fb = 0, fc = 0, fd = 0;
    float *xa = an_read_stereo_interleaved(a, &fa), *xb = an_read_stereo_interleaved(b, &fb);
    float *xc = an_read_stereo_interleaved(c, &fc), *xd = an_read_stereo_interleaved(d, &fd);
    if (!xa || !xb || !xc || !xd)
        return fail("cannot read the renders back");

    /* Pull the engine directly with an odd block size. */
    lull_engine *e = NULL;
    if (lull_engine_create(s, NULL, &e) != LULL_OK)
        return fail("engine");
    int64_t total = lull_engine_length_frames(e);
    float *ref = calloc((size_t)total * 2 + 2 * 333, sizeof(float));
    for (int64_t done = 0; done < total; done += 333)
        lull_engine_process(e, ref + 2 * done, 333);
    printf("%s: %lld frames in the file, engine length %lld\n", name, (long long)fa, (long long)total);
    if (fa != total || fb != total)
        return fail("the file's length is not the session's length");
    if (memcmp(xa, xb, sizeof(float) * 2 * (size_t)fa) != 0)
        return fail("two renders with the same seed differ");
    if (fc != fa || memcmp(xa, xc, sizeof(float) * 2 * (size_t)fa) != 0)
        return fail("a one-thread render differs from a two-thread one");
    if (fd != fa || memcmp(xa, xd, sizeof(float) * 2 * (size_t)fa) != 0)
        return fail("a render with the loudness summary (limiter on the mixer's thread) differs");
    printf("%s: two threads and one, with and without the summary, give the same file\n", name);
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
    float peak = 0.0f;
    for (int64_t i = 0; i < 2 * total; i++)
        peak = fabsf(xa[i]) > peak ? fabsf(xa[i]) : peak;
    printf("%s: bit-identical to the engine pulled in 333-frame blocks; rms %.4f, peak %.4f\n", name, rms, peak);
    if (rms < 0.01)
        return fail("the render is silent");
    /* Limited: the peaks sit just under the -1 dBTP ceiling (0.891), which
     * the voices' sum overshoots by far. */
    if (limited && !(peak > 0.8f && peak <= 0.8913f))
        return fail("the hot session's peak is not at the limiter's ceiling");
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(d);
    rmdir(dir);
    free(xc);
    free(xa);
    free(xb);
    free(xd);
    free(ref);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return 0;
}

int main(void)
{
    if (check_script(script_text, "render", 0))
        return 1;
    /* The limiter at work, run by the writer thread (a WAV without the
     * summary) or by the mixer's thread: the same samples. */
    return check_script(hot_text, "render, limited", 1);
}
