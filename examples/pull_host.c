/*
 * pull_host.c - a host that owns its PortAudio stream and pulls lull's
 * blocks from its own audio callback (pull mode).
 *
 *     pull_host SESSION.lull [SECONDS] [HOST-API]
 *
 * lull_engine_process is real-time safe: no allocation, no locks, no I/O,
 * any block size.  The host keeps its stream, its device choice and its
 * callback; lull is just the thing it calls for samples.  Controls go
 * through lull_engine_post from any one other thread, and status comes back
 * through lull_engine_status without ever blocking the callback.
 *
 * Build: cc pull_host.c -llull -lportaudio
 */
#include <lull.h>
#include <portaudio.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct host {
    lull_engine *engine;
    atomic_llong frames_pulled; /* written by the callback, read by main */
} host;

/* The host's audio callback: all lull needs is one call. */
static int callback(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags flags,
                    void *user)
{
    (void)input, (void)time_info, (void)flags;
    host *h = user;
    lull_engine_process(h->engine, output, (int)frames);
    atomic_fetch_add_explicit(&h->frames_pulled, (long long)frames, memory_order_relaxed);
    return lull_engine_finished(h->engine) ? paComplete : paContinue;
}

static PaDeviceIndex pick_output(const char *api)
{
    if (!api)
        return Pa_GetDefaultOutputDevice();
    for (PaHostApiIndex i = 0; i < Pa_GetHostApiCount(); i++) {
        const PaHostApiInfo *info = Pa_GetHostApiInfo(i);
        if (strstr(info->name, api))
            return info->defaultOutputDevice;
    }
    return paNoDevice;
}

static void sleep_sec(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: pull_host SESSION.lull [SECONDS] [HOST-API]\n");
        return 2;
    }
    const double seconds = argc > 2 ? atof(argv[2]) : 5.0;
    lull_script *s = NULL;
    if (lull_script_load_file(argv[1], NULL, &s) != LULL_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], lull_last_error());
        return 2;
    }
    if (Pa_Initialize() != paNoError)
        return 1;
    PaDeviceIndex dev = pick_output(argc > 3 ? argv[3] : NULL);
    if (dev == paNoDevice) {
        fprintf(stderr, "no output device\n");
        Pa_Terminate();
        return 1;
    }
    const PaDeviceInfo *info = Pa_GetDeviceInfo(dev);

    /* The engine runs at the device's rate. */
    lull_engine_config cfg = lull_engine_config_init();
    cfg.rate_hz = (int)info->defaultSampleRate;
    host h = { NULL, 0 };
    if (lull_engine_create(s, &cfg, &h.engine) != LULL_OK) {
        fprintf(stderr, "engine: %s\n", lull_last_error());
        return 1;
    }

    /* Decode any narration due at the start before the stream runs. */
    lull_engine_prepare(h.engine);

    PaStreamParameters out = { dev, 2, paFloat32, info->defaultLowOutputLatency, NULL };
    PaStream *stream = NULL;
    PaError err = Pa_OpenStream(&stream, NULL, &out, cfg.rate_hz, paFramesPerBufferUnspecified,
                                paClipOff, callback, &h);
    if (err != paNoError || Pa_StartStream(stream) != paNoError) {
        fprintf(stderr, "cannot play on %s: %s\n", info->name, Pa_GetErrorText(err));
        return 1;
    }
    printf("pulling '%s' from %s at %d Hz\n", lull_script_title(s), info->name, cfg.rate_hz);

    /* The host's own thread: watch, then fade out after `seconds`. */
    for (double t = 0; t < seconds; t += 0.5) {
        sleep_sec(0.5);
        lull_status st;
        lull_engine_status(h.engine, &st);
        printf("  %5.2f s  section %d  level %.3f\n", (double)st.position_frames / cfg.rate_hz,
               st.section, st.peak_left);
    }
    lull_command stop = { LULL_CMD_STOP, 0, 0, 0.3 };
    lull_engine_post(h.engine, &stop);
    while (Pa_IsStreamActive(stream) == 1)
        sleep_sec(0.05);
    Pa_CloseStream(stream);
    Pa_Terminate();

    const long long pulled = atomic_load(&h.frames_pulled);
    printf("pulled %lld frames (%.2f s)\n", pulled, (double)pulled / cfg.rate_hz);
    lull_engine_destroy(&h.engine);
    lull_script_free(&s);
    return pulled > 0 ? 0 : 1;
}
