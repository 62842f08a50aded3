/*
 * test_control_skip.c - the mixer leaves out control() calls for voices
 * that hold (engine/process.c holds_at_rest: binaural, clip, noise) while none of
 * their parameters moves, and that must not change a sample.  The same
 * sessions are pulled through lull_engine_process twice, in the same random
 * block sizes, once with the skip and once with control() every segment
 * (the engine's hold_off switch), and compared bit for bit.  The sessions
 * rest and move in turn: glides that end, steps, plays, crossfades, a stop,
 * ducking (the bed's gain moves while the narration speaks), master fades,
 * a seek into the middle of a segment and a live pause and resume.  The
 * test also fails if the skip never happens, or happens with hold_off.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "clip_util.h"
#include "engine_internal.h"

static const char *script_text =
    "title \"control skip\"\n"
    "voice drone binaural carrier=200Hz beat=6Hz gain=-18dB\n"
    "voice guide clip gain=-3dB duck=-12dB attack=50ms release=300ms\n"
    "voice bed clip gain=-14dB\n"
    "voice hiss noise color=pink gain=-30dB\n"
    "voice low binaural carrier=110Hz beat=4Hz gain=-22dB\n"
    "0:00 master fade-in 0.5s\n"
    "0:00 bed play \"bed.wav\" loop fade=0.3s\n"
    "0:00.7 drone beat=4Hz carrier=190Hz over 1.3s\n"
    "0:01 guide play \"speech.wav\"\n"
    "0:02.5 low gain=-16dB\n"
    "0:03 bed gain=-10dB over 0.5s\n"
    "0:04 guide play \"speech.wav\" fade=0.1s\n"
    "0:04.5 guide stop over 0.2s\n"
    "0:05.2 drone gain=-24dB over 0.4s\n"
    "0:05.5 hiss gain=-22dB over 0.4s\n"
    "0:06 guide play \"speech.wav\"\n"
    "0:07 hiss gain=-28dB\n"
    "0:09 master fade-out 1s\n"
    "0:10 end\n";

typedef struct run {
    float *lr;
    long frames;
    int64_t held;
} run;

/* The session through the engine in random blocks (1..4096 frames), with a
 * seek to a frame inside a control segment and a pause and resume on the
 * way, both at the same output frames whatever hold_off says. */
static run render(const lull_script *s, int hold_off)
{
    run out = { NULL, 0, 0 };
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = 1;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK)
        return out;
    e->hold_off = hold_off;
    const long total = (long)lull_engine_length_frames(e) + 48000; /* the seek replays a second */
    out.lr = calloc((size_t)total * 2, sizeof(float));
    uint32_t rng = 1234;
    int seeked = 0, paused = 0, resumed = 0;
    long done = 0;
    while (done < total && !lull_engine_finished(e)) {
        if (!seeked && done >= 3 * 48000) {
            lull_engine_seek(e, 2 * 48000 + 17); /* mid-segment: need_from, a snapped voice */
            seeked = 1;
        }
        if (!paused && done >= 5 * 48000) {
            lull_command c = { 0 };
            c.kind = LULL_CMD_PAUSE;
            lull_engine_post(e, &c);
            paused = 1;
        }
        if (!resumed && done >= 5 * 48000 + 12000) {
            lull_command c = { 0 };
            c.kind = LULL_CMD_RESUME;
            lull_engine_post(e, &c);
            resumed = 1;
        }
        rng = rng * 1664525u + 1013904223u;
        int n = 1 + (int)((rng >> 12) % 4096u);
        if (n > total - done)
            n = (int)(total - done);
        lull_engine_process(e, out.lr + 2 * done, n);
        done += n;
    }
    out.frames = done;
    out.held = e->held_segments;
    lull_engine_destroy(&e);
    return out;
}

int main(void)
{
    cu_make_dir("control_skip");
    if (cu_write("speech.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050 * 2, CU_NOISE, 0.0, 0.4) ||
        cu_write("bed.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 44100, CU_SINE, 330.0, 0.3)) {
        printf("FAIL: cannot write the clips\n");
        return 1;
    }
    lull_script *s = cu_load(script_text);
    if (!s) {
        printf("FAIL: the script does not load\n");
        return 1;
    }
    run skip = render(s, 0), every = render(s, 1);
    CHECK(skip.lr && every.lr, "engine");
    if (!skip.lr || !every.lr)
        return 1;
    printf("frames %ld / %ld; segments held without control(): %lld with the skip, %lld without\n", skip.frames,
           every.frames, (long long)skip.held, (long long)every.held);
    CHECK(skip.frames == every.frames, "the runs have different lengths");
    /* Four voices that hold, about 15000 segments in the session: most of
     * them rest most of the time. */
    CHECK(skip.held > 20000, "the skip is (nearly) never taken: %lld", (long long)skip.held);
    CHECK(every.held == 0, "hold_off still skips");
    long diff = -1;
    for (long i = 0; i < 2 * skip.frames && i < 2 * every.frames && diff < 0; i++)
        if (memcmp(&skip.lr[i], &every.lr[i], sizeof(float)) != 0)
            diff = i / 2;
    CHECK(diff < 0, "the skip changes the output from frame %ld", diff);
    const double rms = an_rms(skip.lr, 0, (size_t)(2 * skip.frames));
    printf("rms %.4f\n", rms);
    CHECK(rms > 0.01, "the render is silent");

    free(skip.lr);
    free(every.lr);
    lull_script_free(&s);
    if (failures)
        printf("%d check(s) failed\n", failures);
    else
        printf("control skip: the same samples with and without it\n");
    return failures ? 1 : 0;
}
