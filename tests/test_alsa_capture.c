/*
 * test_alsa_capture.c - what lull_player plays is exactly the offline render.
 *
 * ALSA's file plugin (configured for this test only through
 * ALSA_CONFIG_PATH; nothing global is touched) writes every byte the
 * PortAudio callback hands to the device into a raw file, in front of a null
 * sink.  The session is played through lull_player on that device with two
 * different callback sizes, and the capture is compared bit for bit with
 * lull_render_file's 32-bit float WAV of the same script and seed.
 * PortAudio writes some silent frames before the first callback, so the
 * session is searched for at the start of the capture rather than assumed
 * at byte 0.  The plugin is not paced (it runs as fast as the CPU), so this
 * test is about content; timing is test_player_jack's.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "check.h"
#include "lull.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Glides, a fade, a section and noise: everything the mixer does. */
static const char *SCRIPT = "title \"capture\"\n"
                            "voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\n"
                            "voice bed   noise color=pink gain=-26dB\n"
                            "0:00   master fade-in 0.3s\n"
                            "0:00.2 drone beat=4Hz over 1s\n"
                            "0:01   section \"Two\"\n"
                            "+0.1s  bed gain=-20dB over 0.5s\n"
                            "0:01.7 master fade-out 0.3s\n"
                            "0:02   end\n";

static void play_and_compare(const lull_script *s, const char *dir, const an_audio *ref,
                             int block)
{
    char capture[512];
    snprintf(capture, sizeof capture, "%s/capture.raw", dir);
    unlink(capture);

    lull_player_config cfg = lull_player_config_init();
    cfg.host_api = "alsa";
    cfg.device = "default";
    cfg.rate_hz = 48000;
    cfg.block_frames = block;
    lull_player *p = NULL;
    int r = lull_player_open(s, &cfg, &p);
    CHECK(r == LULL_OK, "open the ALSA file device: %s", lull_last_error());
    if (r != LULL_OK)
        return;
    CHECK(lull_player_start(p) == LULL_OK, "start: %s", lull_last_error());
    CHECK(lull_player_wait(p, 60.0) == 1, "playback did not finish");
    lull_player_stats st;
    lull_player_get_stats(p, &st);
    CHECK(st.finished && !st.device_lost, "finished %d, lost %d", st.finished, st.device_lost);
    lull_player_close(&p);

    size_t n = 0;
    float *cap = an_read_raw_stereo(capture, &n);
    CHECK(cap && n > ref->frames, "capture has %zu frames, the session %zu", n, ref->frames);
    if (!cap || n <= ref->frames) {
        free(cap);
        return;
    }
    /* Find the session's first 256 frames in the capture. */
    const size_t probe = 256;
    long start = -1;
    for (size_t i = 0; i + probe <= n && i < 16384 && start < 0; i++) {
        size_t k = 0;
        while (k < probe && cap[2 * (i + k)] == ref->channel[0][k] &&
               cap[2 * (i + k) + 1] == ref->channel[1][k])
            k++;
        if (k == probe)
            start = (long)i;
    }
    CHECK(start >= 0, "block %d: the session's start is not in the capture", block);
    if (start >= 0) {
        size_t diff = 0, first = 0;
        for (size_t k = 0; k < ref->frames && (size_t)start + k < n; k++)
            if (cap[2 * (start + k)] != ref->channel[0][k] ||
                cap[2 * (start + k) + 1] != ref->channel[1][k]) {
                if (!diff)
                    first = k;
                diff++;
            }
        CHECK(diff == 0, "block %d: %zu of %zu frames differ from the render (first at %zu)",
              block, diff, ref->frames, first);
        CHECK((size_t)start + ref->frames <= n, "block %d: the capture is cut short", block);
        size_t nonzero = 0;
        for (long k = 0; k < start; k++)
            nonzero += cap[2 * k] != 0.0f || cap[2 * k + 1] != 0.0f;
        CHECK(nonzero == 0, "block %d: %zu non-silent frames before the session", block, nonzero);
        printf("block %d: %zu frames identical to the render after %ld frames of prefill\n",
               block, ref->frames, start);
    }
    free(cap);
}

int main(void)
{
    char dir[] = "/tmp/lull-capture-XXXXXX";
    if (!mkdtemp(dir)) {
        printf("mkdtemp failed\n");
        return 1;
    }
    char conf[512], wav[512], capture[512];
    snprintf(conf, sizeof conf, "%s/asound.conf", dir);
    snprintf(wav, sizeof wav, "%s/render.wav", dir);
    snprintf(capture, sizeof capture, "%s/capture.raw", dir);
    FILE *f = fopen(conf, "w");
    fprintf(f,
            "pcm.!default { type file slave.pcm { type null } file \"%s\" format \"raw\" }\n",
            capture);
    fclose(f);
    /* Only this process sees the file device; JACK stays out of it. */
    setenv("ALSA_CONFIG_PATH", conf, 1);
    setenv("JACK_DEFAULT_SERVER", "lull-capture-no-jack", 1);

    lull_script *s = NULL;
    if (lull_script_load_string(SCRIPT, strlen(SCRIPT), "capture.lull", NULL, &s) != LULL_OK) {
        printf("script failed to load\n");
        return 1;
    }
    lull_render_config rc = lull_render_config_init();
    rc.rate_hz = 48000;
    rc.samples = LULL_SAMPLES_FLOAT32;
    int r = lull_render_file(s, wav, &rc);
    an_audio ref;
    if (r != LULL_OK || an_read_audio(wav, &ref) != 0 || ref.channels != 2) {
        printf("FAIL: offline render: %s\n", lull_last_error());
        return 1;
    }
    CHECK(ref.frames == 96000, "render has %zu frames", ref.frames);

    play_and_compare(s, dir, &ref, 64);
    play_and_compare(s, dir, &ref, 1000);

    an_audio_free(&ref);
    lull_script_free(&s);
    unlink(conf);
    unlink(wav);
    unlink(capture);
    rmdir(dir);
    return check_done("test_alsa_capture");
}
