/*
 * test_render_clips.c - a render of a session with clips and ducking holds
 * exactly the samples of the single-threaded engine, whatever the render's
 * threading: with two cores the clip voices, their loader and the master bus
 * stay in the main engine while a helper engine runs the other voices, which
 * must be ducked by the narration exactly as the main engine would duck them
 * (engine/split.c).  Compared bit for bit (32-bit float WAV): the two-thread
 * render (LULL_RENDER_THREADS=2: these voices are light, and lull left to
 * itself renders such a session on one mixing thread, which is also
 * checked), a LULL_RENDER_THREADS=1 render, lull's own choice, the engine
 * pulled in 333-frame blocks, and the split driven directly in render-sized
 * chunks (which proves the split is really taken on this machine).
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "clip_util.h"
#include "render_internal.h"

#include <unistd.h>

/* Four non-clip voices of three kinds (some go to the helper, some may
 * stay), two clip voices: narration with ducking whose depth changes, and a
 * looping bed (the loop cache); plays cut by crossfades, a stop, fades. */
static const char *script_text =
    "title \"split render with clips\"\n"
    "voice guide clip gain=-3dB duck=-12dB attack=50ms release=300ms\n"
    "voice drone binaural carrier=200Hz beat=6Hz gain=-18dB\n"
    "voice bed clip gain=-14dB\n"
    "voice hiss noise color=pink gain=-26dB\n"
    "voice hum tone freq=330Hz gain=-24dB\n"
    "voice low binaural carrier=110Hz beat=4Hz gain=-22dB\n"
    "0:00 master fade-in 1s\n"
    "0:00 bed play \"bed.ogg\" loop fade=0.5s\n"
    "0:00.5 drone beat=4Hz over 6s\n"
    "0:01 guide play \"speech.wav\"\n"
    "0:02.5 hiss gain=-20dB over 1s\n"
    "0:03 guide play \"speech2.wav\"\n"
    "0:04 guide stop over 0.2s\n"
    "0:05 guide duck=-20dB\n"
    "0:06 guide play \"speech.wav\" fade=0.2s\n"
    "0:08 bed stop over 1s\n"
    "0:10 master fade-out 1.5s\n"
    "0:12 end\n";

/* First frame where two renders differ, or -1. */
static long first_diff(const float *a, const float *b, long frames)
{
    for (long i = 0; i < 2 * frames; i++)
        if (memcmp(&a[i], &b[i], sizeof(float)) != 0)
            return i / 2;
    return -1;
}

/* threads: "1", "2" (LULL_RENDER_THREADS) or NULL (lull's choice). */
static int render_to(const lull_script *s, const char *file, const char *threads, float **out, int64_t *frames)
{
    lull_render_config rc = lull_render_config_init();
    rc.samples = LULL_SAMPLES_FLOAT32;
    if (threads)
        setenv("LULL_RENDER_THREADS", threads, 1);
    int r = lull_render_file(s, cu_path(file), &rc);
    unsetenv("LULL_RENDER_THREADS");
    if (r != LULL_OK) {
        printf("render failed: %s\n", lull_last_error());
        return -1;
    }
    *out = an_read_stereo_interleaved(cu_path(file), frames);
    unlink(cu_path(file));
    return *out ? 0 : -1;
}

int main(void)
{
    cu_make_dir("render_clips");
    /* Narration at 22.05 and 16 kHz mono, the bed 44.1 kHz stereo Vorbis
     * (1 s: a whole number of 48 kHz frames, so the loop cache replays it). */
    if (cu_write("speech.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050 * 3, CU_SINE, 440.0, 0.5) ||
        cu_write("speech2.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 16000, 1, 16000 * 2, CU_NOISE, 0.0, 0.3) ||
        cu_write("bed.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, 2, 44100, CU_NOISE, 0.0, 0.3)) {
        printf("FAIL: cannot write the clips\n");
        return 1;
    }
    lull_script *s = cu_load(script_text);
    if (!s) {
        printf("FAIL: the script does not load\n");
        return 1;
    }

    float *two = NULL, *one = NULL, *own = NULL;
    int64_t f2 = 0, f1 = 0, fo = 0;
    CHECK(render_to(s, "two.wav", "2", &two, &f2) == 0, "two-thread render");
    CHECK(render_to(s, "one.wav", "1", &one, &f1) == 0, "one-thread render");
    CHECK(render_to(s, "own.wav", NULL, &own, &fo) == 0, "render, lull's choice of threads");
    if (!two || !one || !own)
        return 1;

    /* The engine itself, pulled in odd blocks. */
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = 1;
    lull_engine *e = NULL;
    CHECK(lull_engine_create(s, &ec, &e) == LULL_OK, "engine");
    const long total = (long)lull_engine_length_frames(e);
    float *ref = calloc((size_t)total * 2 + 2 * 333, sizeof(float));
    for (long done = 0; done < total; done += 333)
        lull_engine_process(e, ref + 2 * done, 333);
    lull_engine_destroy(&e);

    /* The split driven directly, as render.c drives it.  Left to itself,
     * lull does not split a clip session whose other voices are this light
     * (engine/split.c, SPLIT_MIN_REMOTE_NS); forced, it must. */
    const int chunk = 4096;
    const long nproc = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK(lull_engine_create(s, &ec, &e) == LULL_OK, "engine");
    lull_split *sp = lull_split_start(e, s, &ec, chunk);
    printf("split on %ld CPUs, lull's choice: %s\n", nproc, sp ? "taken" : "not taken");
    CHECK(sp == NULL, "a clip session with light voices is split: one mixing thread is faster");
    lull_split_stop(&sp, e);
    lull_engine_destroy(&e);
    CHECK(lull_engine_create(s, &ec, &e) == LULL_OK, "engine");
    setenv("LULL_RENDER_THREADS", "2", 1);
    sp = lull_split_start(e, s, &ec, chunk);
    unsetenv("LULL_RENDER_THREADS");
    printf("split on %ld CPUs, forced: %s\n", nproc, sp ? "taken" : "not taken");
    if (nproc >= 2)
        CHECK(sp != NULL, "a clip session with non-clip voices is not split on %ld CPUs when forced", nproc);
    float *direct = calloc((size_t)total * 2, sizeof(float));
    for (long done = 0; done < total; done += chunk)
        lull_split_process(sp, e, direct + 2 * done, total - done < chunk ? (int)(total - done) : chunk);
    lull_clip_stats cs;
    lull_engine_clip_stats(e, &cs);
    lull_split_stop(&sp, e);
    lull_engine_destroy(&e);

    printf("frames: two threads %lld, one thread %lld, lull's choice %lld, engine %ld\n", (long long)f2,
           (long long)f1, (long long)fo, total);
    CHECK(f2 == total && f1 == total && fo == total, "the renders are not the session's length");
    if (f2 == total && f1 == total && fo == total) {
        long d;
        CHECK((d = first_diff(two, one, total)) < 0, "two-thread and one-thread renders differ from frame %ld", d);
        CHECK((d = first_diff(own, one, total)) < 0, "lull's choice and one-thread renders differ from frame %ld", d);
        CHECK((d = first_diff(two, ref, total)) < 0, "the two-thread render differs from the engine from frame %ld",
              d);
        CHECK((d = first_diff(direct, ref, total)) < 0, "the split driven directly differs from frame %ld", d);
    }
    CHECK(cs.underruns == 0 && cs.decode_errors == 0, "clip underruns %lld, decode errors %lld",
          (long long)cs.underruns, (long long)cs.decode_errors);

    /* The session is not trivially the same everywhere: it sounds, and the
     * ducking moves the bed and the other voices (the narration at 1-4 s
     * and 6-9 s lowers them by 12 and 20 dB). */
    const double rms = an_rms(ref, 0, (size_t)(2 * total));
    printf("rms %.4f\n", rms);
    CHECK(rms > 0.01, "the render is silent");

    free(two);
    free(one);
    free(own);
    free(ref);
    free(direct);
    lull_script_free(&s);
    if (failures)
        printf("%d check(s) failed\n", failures);
    else
        printf("render with clips: two threads, one thread, the engine and the split are bit-identical\n");
    return failures ? 1 : 0;
}
