/*
 * player.c - live playback through PortAudio (lull_player_*, lull_list_devices).
 *
 * Three threads meet here:
 *   - the audio thread runs pa_callback: apply queued commands, pull the block
 *     from the engine, count frames.  [RT] - nothing else;
 *   - the player's monitor thread [NRT] forwards the engine's notices to the
 *     host's callback and watches that the stream is still alive;
 *   - the host's threads [NRT] open, control (through the engine's lock-free
 *     command queue), read statistics (atomics) and close.
 * The audio thread shares only atomics and the two lock-free queues with the
 * others.  The post_lock mutex serialises controlling threads among
 * themselves (the command queue has a single producer); the audio thread
 * never touches it.
 */
#include "engine_internal.h"

#include <alsa/asoundlib.h>
#include <jack/jack.h>
#include <portaudio.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Test hooks: a test program may define these to learn when the audio
 * thread is inside lull's callback (tests/rt_interposer.c uses them to catch
 * allocation, locking and I/O there).  Weak references: without a
 * definition they are NULL and cost one predictable branch per callback. */
extern void lull_rt_callback_enter(void) __attribute__((weak, visibility("default")));
extern void lull_rt_callback_leave(void) __attribute__((weak, visibility("default")));

/* How often the monitor thread looks, and how long the callback may stay
 * away before the device counts as lost. */
#define MONITOR_PERIOD_SEC 0.01
#define STALL_MIN_SEC 2.0

struct lull_player {
    lull_engine *engine;
    PaStream *stream;
    int rate_hz;
    double latency_sec;
    char device_name[256];
    lull_notice_fn on_notice;
    void *user;

    /* Written only by the audio thread. */
    int64_t rt_frames_out;
    int64_t stop_after_frames;         /* 0: no sleep timer */
    int64_t stop_fade_frames;
    int stop_sent;

    /* Audio thread -> anyone. */
    lull_atomic_i64 frames_out;
    lull_atomic_i64 callbacks;
    lull_atomic_i64 xruns;
    lull_atomic_i64 late_callbacks;
    lull_atomic_i64 max_callback_ns;   /* the slowest callback's own time */
    int64_t rt_max_callback_ns;        /* written only by the audio thread */
    lull_atomic_i64 max_callback_frames; /* that callback's block size */
    lull_atomic_i64 engine_done;       /* the callback returned paComplete */

    /* Controlling threads among themselves (never the audio thread). */
    pthread_mutex_t post_lock;

    /* Monitor thread <-> lull_player_wait / close. */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    pthread_t monitor;
    int monitor_started;
    int quit;                          /* under lock: close asks the monitor to end */
    int over;                          /* under lock: finished or lost */
    lull_atomic_i64 finished;
    lull_atomic_i64 device_lost;
};

/* ------------------------------------------------------ backend chatter */

static void quiet_alsa(const char *file, int line, const char *function, int err, const char *fmt,
                       ...)
{
    (void)file, (void)line, (void)function, (void)err, (void)fmt;
}

static void quiet_jack(const char *msg) { (void)msg; }

/* Pa_Initialize with the backends told to keep quiet: with no sound card,
 * alsa-lib and libjack print dozens of lines that would bury lull's one-line
 * message.  Their own hooks silence most of it; PortAudio's ALSA layer prints
 * failed probes straight to stderr with no hook exported, so stderr points at
 * /dev/null for the duration of the scan (a few milliseconds; anything
 * another thread prints then is lost - LULL_AUDIO_DEBUG=1 keeps it all). */
static PaError pa_init(void)
{
    const char *debug = getenv("LULL_AUDIO_DEBUG");
    if (debug && *debug && strcmp(debug, "0") != 0)
        return Pa_Initialize();
    snd_lib_error_set_handler(quiet_alsa);
    jack_set_error_function(quiet_jack);
    jack_set_info_function(quiet_jack);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    int null_fd = saved >= 0 ? open("/dev/null", O_WRONLY | O_CLOEXEC) : -1;
    if (null_fd >= 0)
        dup2(null_fd, STDERR_FILENO);
    PaError err = Pa_Initialize();
    if (null_fd >= 0) {
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(null_fd);
    }
    if (saved >= 0)
        close(saved);
    return err;
}

static const char *api_name(PaHostApiIndex i)
{
    const PaHostApiInfo *h = Pa_GetHostApiInfo(i);
    return h && h->name ? h->name : "?";
}

static int contains_nocase(const char *hay, const char *needle)
{
    const size_t n = strlen(needle);
    for (; *hay; hay++) {
        size_t k = 0;
        while (k < n && hay[k] &&
               tolower((unsigned char)hay[k]) == tolower((unsigned char)needle[k]))
            k++;
        if (k == n)
            return 1;
    }
    return n == 0;
}

static int is_output(const PaDeviceInfo *d) { return d && d->maxOutputChannels > 0; }

/* "ALSA, OSS, no JACK server" - the host APIs PortAudio tried.  PortAudio
 * leaves JACK out of its list when no server answers, so say so. */
static void list_apis(char *buf, size_t n)
{
    buf[0] = '\0';
    int jack = 0;
    for (PaHostApiIndex i = 0; i < Pa_GetHostApiCount(); i++) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, "%s%s", i ? ", " : "", api_name(i));
        jack |= Pa_GetHostApiInfo(i)->type == paJACK;
    }
    if (!jack) {
        size_t l = strlen(buf);
        const char *server = getenv("JACK_DEFAULT_SERVER");
        snprintf(buf + l, n - l, "%sno JACK server%s%s running", l ? ", " : "",
                 server ? " named " : "", server ? server : "");
    }
}

int lull_list_devices(lull_device_fn fn, void *user)
{
    PaError err = pa_init();
    if (err != paNoError) {
        lull_set_error("audio system failed to start: %s", Pa_GetErrorText(err));
        return LULL_ERR_DEVICE;
    }
    const PaDeviceIndex def = Pa_GetDefaultOutputDevice();
    int count = 0;
    for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); i++) {
        const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
        if (!is_output(d))
            continue;
        lull_device_info info = { (int)i,
                                  d->name,
                                  api_name(d->hostApi),
                                  d->maxOutputChannels,
                                  d->defaultSampleRate,
                                  d->defaultLowOutputLatency,
                                  i == def };
        if (fn)
            fn(user, &info);
        count++;
    }
    Pa_Terminate();
    return count;
}

/* Find the output device the config asks for, or set the error. */
static PaDeviceIndex pick_device(const lull_player_config *cfg)
{
    const char *want = cfg->device;
    const char *api = cfg->host_api;
    char apis[256];
    list_apis(apis, sizeof apis);
    PaHostApiIndex api_index = -1;
    if (api && *api) {
        for (PaHostApiIndex i = 0; i < Pa_GetHostApiCount(); i++)
            if (contains_nocase(api_name(i), api)) {
                api_index = i;
                break;
            }
        if (api_index < 0) {
            lull_set_error("no audio system called '%s' (this build has: %s)", api, apis);
            return paNoDevice;
        }
    }
    if (!want || !*want) {
        PaDeviceIndex d = api_index >= 0 ? Pa_GetHostApiInfo(api_index)->defaultOutputDevice
                                         : Pa_GetDefaultOutputDevice();
        if (d < 0 || !is_output(Pa_GetDeviceInfo(d))) {
            /* No default: the first output at all, if there is one. */
            for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); i++) {
                const PaDeviceInfo *di = Pa_GetDeviceInfo(i);
                if (is_output(di) && (api_index < 0 || di->hostApi == api_index))
                    return i;
            }
            lull_set_error("no audio output device found (tried %s): start a sound server or "
                           "connect a device, or render to a file with 'lull render'",
                           api_index >= 0 ? api_name(api_index) : apis);
            return paNoDevice;
        }
        return d;
    }
    char *end;
    long idx = strtol(want, &end, 10);
    if (*want && !*end) {
        if (idx < 0 || idx >= Pa_GetDeviceCount() || !is_output(Pa_GetDeviceInfo((int)idx))) {
            lull_set_error("there is no output device %ld: see 'lull devices' for the list", idx);
            return paNoDevice;
        }
        return (PaDeviceIndex)idx;
    }
    /* A name: an exact match first, then the first that contains it. */
    for (int pass = 0; pass < 2; pass++)
        for (PaDeviceIndex i = 0; i < Pa_GetDeviceCount(); i++) {
            const PaDeviceInfo *d = Pa_GetDeviceInfo(i);
            if (!is_output(d) || (api_index >= 0 && d->hostApi != api_index))
                continue;
            if (pass == 0 ? !strcmp(d->name, want) : contains_nocase(d->name, want))
                return i;
        }
    lull_set_error("no output device matches '%s' (tried %s): see 'lull devices' for the list",
                   want, api_index >= 0 ? api_name(api_index) : apis);
    return paNoDevice;
}

/* ------------------------------------------------------------ callback */

static int pa_callback(const void *input, void *output, unsigned long frames,
                       const PaStreamCallbackTimeInfo *time_info, PaStreamCallbackFlags flags,
                       void *user)
{
    (void)input, (void)time_info;
    lull_player *p = user;
    /* The callback times itself (clock_gettime on CLOCK_MONOTONIC is a vDSO
     * read: no system call, no lock), test hooks included: a test makes the
     * callback slow through them. */
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (lull_rt_callback_enter)
        lull_rt_callback_enter();
    if (flags & (paOutputUnderflow | paOutputOverflow))
        lull_i64_store(&p->xruns, lull_i64_load(&p->xruns) + 1);

    /* The sleep timer: start the fade so that it ends on the frame asked. */
    if (p->stop_after_frames > 0 && !p->stop_sent &&
        p->rt_frames_out + (int64_t)frames >= p->stop_after_frames - p->stop_fade_frames) {
        int64_t left = p->stop_after_frames - p->rt_frames_out;
        lull_command stop = { LULL_CMD_STOP, 0, 0, (double)(left > 0 ? left : 0) / p->rate_hz };
        lull_engine_command(p->engine, &stop);
        p->stop_sent = 1;
    }

    float *out = output;
    for (unsigned long done = 0; done < frames;) {
        unsigned long n = frames - done;
        if (n > LULL_MAX_BLOCK_FRAMES)
            n = LULL_MAX_BLOCK_FRAMES;
        lull_engine_process(p->engine, out + 2 * done, (int)n);
        done += n;
    }
    p->rt_frames_out += (int64_t)frames;
    lull_i64_store(&p->frames_out, p->rt_frames_out);
    lull_i64_store(&p->callbacks, lull_i64_load(&p->callbacks) + 1);
    const int finished = lull_engine_finished(p->engine);
    if (finished)
        lull_i64_store(&p->engine_done, 1);
    if (lull_rt_callback_leave)
        lull_rt_callback_leave();
    /* Late: the block took longer to make than it takes to play.  Counted
     * here, by the player, so lateness is shown even where the backend
     * reports no xrun (a deep buffer still had reserve, or the backend does
     * not tell). */
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    const int64_t took_ns =
        (int64_t)(t1.tv_sec - t0.tv_sec) * 1000000000LL + (int64_t)(t1.tv_nsec - t0.tv_nsec);
    const int64_t budget_ns = (int64_t)frames * 1000000000LL / p->rate_hz;
    if (took_ns > budget_ns)
        lull_i64_store(&p->late_callbacks, lull_i64_load(&p->late_callbacks) + 1);
    /* The worst load as a ratio needs both numbers: compare took/frames
     * across callbacks by cross-multiplying. */
    if (took_ns * lull_i64_load(&p->max_callback_frames) >= p->rt_max_callback_ns * (int64_t)frames) {
        p->rt_max_callback_ns = took_ns;
        lull_i64_store(&p->max_callback_frames, (int64_t)frames);
        lull_i64_store(&p->max_callback_ns, took_ns);
    }
    return finished ? paComplete : paContinue;
}

/* ------------------------------------------------------------- monitor */

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void deliver_notices(lull_player *p)
{
    lull_notice n;
    while (lull_engine_poll_notice(p->engine, &n))
        if (p->on_notice)
            p->on_notice(p->user, &n);
}

static void *monitor_main(void *arg)
{
    lull_player *p = arg;
    int64_t last_callbacks = -1;
    double last_progress = now_sec();
    double done_since = -1.0;
    const double stall_sec = STALL_MIN_SEC + 4.0 * p->latency_sec;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += (long)(MONITOR_PERIOD_SEC * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        if (!p->quit)
            pthread_cond_timedwait(&p->changed, &p->lock, &until);
        const int quit = p->quit;
        pthread_mutex_unlock(&p->lock);

        deliver_notices(p);
        if (quit)
            break;

        const double t = now_sec();
        const int64_t cb = lull_i64_load(&p->callbacks);
        if (cb != last_callbacks) {
            last_callbacks = cb;
            last_progress = t;
        }
        int over = 0;
        if (lull_i64_load(&p->engine_done)) {
            /* The engine is done; the stream goes inactive once its buffers
             * have played out.  Give it the latency and a margin. */
            if (done_since < 0)
                done_since = t;
            if (Pa_IsStreamActive(p->stream) != 1 || t - done_since > p->latency_sec + 1.0) {
                lull_i64_store(&p->finished, 1);
                over = 1;
            }
        } else if (Pa_IsStreamActive(p->stream) != 1 || t - last_progress > stall_sec) {
            /* The stream stopped on its own, or the callback stopped coming:
             * the device or the sound server went away. */
            lull_i64_store(&p->device_lost, 1);
            lull_status st;
            lull_engine_status(p->engine, &st);
            lull_notice n = { LULL_NOTICE_DEVICE_LOST, st.section, st.position_frames };
            if (p->on_notice)
                p->on_notice(p->user, &n);
            over = 1;
        }
        if (over) {
            deliver_notices(p);
            pthread_mutex_lock(&p->lock);
            p->over = 1;
            pthread_cond_broadcast(&p->changed);
            pthread_mutex_unlock(&p->lock);
            break;
        }
    }
    return NULL;
}

/* ----------------------------------------------------------------- API */

lull_player_config lull_player_config_init(void)
{
    lull_player_config c;
    memset(&c, 0, sizeof c);
    c.seed = LULL_DEFAULT_SEED;
    c.stop_fade_sec = 60.0;
    c.true_peak_dbtp = LULL_TRUE_PEAK_DEFAULT_DBTP;
    return c;
}

/* Turn a failed Pa_OpenStream into a message that says what to do. */
static void open_error(PaError err, const char *device, int rate)
{
    const PaHostErrorInfo *h = Pa_GetLastHostErrorInfo();
    const int busy = (h && h->errorCode == -EBUSY) ||
                     (h && h->errorText && strstr(h->errorText, "busy"));
    if (err == paDeviceUnavailable || busy)
        lull_set_error("the output device %s is busy (another program is using it): close that "
                       "program or choose another device with --device (see 'lull devices')",
                       device);
    else if (err == paInvalidSampleRate)
        lull_set_error("the output device %s cannot play at %d Hz: leave out --rate to use its "
                       "own rate, or choose another rate or device",
                       device, rate);
    else if (err == paUnanticipatedHostError && h && h->errorText && *h->errorText)
        lull_set_error("cannot open the output device %s: %s", device, h->errorText);
    else
        lull_set_error("cannot open the output device %s: %s", device, Pa_GetErrorText(err));
}

int lull_player_open(const lull_script *script, const lull_player_config *cfg_in,
                     lull_player **out)
{
    if (!out || !script)
        return LULL_ERR_ARG;
    *out = NULL;
    const lull_player_config cfg = cfg_in ? *cfg_in : lull_player_config_init();
    if (cfg.rate_hz < 0 || cfg.latency_sec < 0 || cfg.block_frames < 0 ||
        cfg.block_frames > LULL_MAX_BLOCK_FRAMES) {
        lull_set_error("invalid player settings (rate, latency or block size)");
        return LULL_ERR_ARG;
    }

    lull_player *p = calloc(1, sizeof *p);
    if (!p)
        return LULL_ERR_NOMEM;
    pthread_mutex_init(&p->post_lock, NULL);
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->changed, NULL);
    p->on_notice = cfg.on_notice;
    p->user = cfg.user;

    PaError err = pa_init();
    if (err != paNoError) {
        lull_set_error("the audio system failed to start: %s", Pa_GetErrorText(err));
        free(p);
        return LULL_ERR_DEVICE;
    }
    int r = LULL_ERR_DEVICE;
    const PaDeviceIndex dev = pick_device(&cfg);
    if (dev == paNoDevice)
        goto fail;
    const PaDeviceInfo *di = Pa_GetDeviceInfo(dev);
    snprintf(p->device_name, sizeof p->device_name, "'%s' (%s)", di->name, api_name(di->hostApi));
    if (di->maxOutputChannels < 2) {
        lull_set_error("the output device %s is mono; lull plays stereo (binaural beats need two "
                       "ears): choose another device with --device",
                       p->device_name);
        goto fail;
    }
    p->rate_hz = cfg.rate_hz > 0 ? cfg.rate_hz : (int)lround(di->defaultSampleRate);

    PaStreamParameters op;
    memset(&op, 0, sizeof op);
    op.device = dev;
    op.channelCount = 2;
    op.sampleFormat = paFloat32;
    op.suggestedLatency = cfg.latency_sec > 0 ? cfg.latency_sec : di->defaultLowOutputLatency;
    err = Pa_IsFormatSupported(NULL, &op, p->rate_hz);
    if (err != paFormatIsSupported) {
        open_error(err, p->device_name, p->rate_hz);
        goto fail;
    }

    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = p->rate_hz;
    ec.seed = cfg.seed;
    ec.resampler = cfg.resampler;
    ec.true_peak_dbtp = cfg.true_peak_dbtp;
    r = lull_engine_create(script, &ec, &p->engine);
    if (r != LULL_OK)
        goto fail;
    if (cfg.loop) {
        lull_command loop = { LULL_CMD_LOOP, 1, 0, 0 };
        lull_engine_command(p->engine, &loop);
    }
    if (cfg.stop_after_sec > 0) {
        p->stop_after_frames = (int64_t)llround(cfg.stop_after_sec * p->rate_hz);
        double fade = cfg.stop_fade_sec > 0 ? cfg.stop_fade_sec : 60.0;
        p->stop_fade_frames = (int64_t)llround(fade * p->rate_hz);
        if (p->stop_fade_frames > p->stop_after_frames)
            p->stop_fade_frames = p->stop_after_frames;
    }

    /* The master bus never exceeds full scale, so PortAudio's clipping is
     * only wasted work. */
    err = Pa_OpenStream(&p->stream, NULL, &op, p->rate_hz,
                        cfg.block_frames > 0 ? (unsigned long)cfg.block_frames
                                             : paFramesPerBufferUnspecified,
                        paClipOff, pa_callback, p);
    if (err != paNoError) {
        p->stream = NULL;
        open_error(err, p->device_name, p->rate_hz);
        r = LULL_ERR_DEVICE;
        goto fail;
    }
    const PaStreamInfo *si = Pa_GetStreamInfo(p->stream);
    p->latency_sec = si ? si->outputLatency : op.suggestedLatency;
    *out = p;
    return LULL_OK;

fail:
    lull_engine_destroy(&p->engine);
    Pa_Terminate();
    pthread_mutex_destroy(&p->post_lock);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free(p);
    return r;
}

int lull_player_start(lull_player *p)
{
    if (!p || !p->stream)
        return LULL_ERR_ARG;
    if (p->monitor_started)
        return LULL_ERR_STATE;
    /* Narration clips due at the start are decoded before the first
     * callback, so they do not begin in an underrun. */
    int r = lull_engine_prepare(p->engine);
    if (r != LULL_OK)
        return r;
    PaError err = Pa_StartStream(p->stream);
    if (err != paNoError) {
        open_error(err, p->device_name, p->rate_hz);
        return LULL_ERR_DEVICE;
    }
    if (pthread_create(&p->monitor, NULL, monitor_main, p) != 0) {
        Pa_AbortStream(p->stream);
        lull_set_error("cannot start the player's thread");
        return LULL_ERR_NOMEM;
    }
    p->monitor_started = 1;
    return LULL_OK;
}

int lull_player_post(lull_player *p, const lull_command *cmd)
{
    if (!p)
        return LULL_ERR_ARG;
    pthread_mutex_lock(&p->post_lock);
    int r = lull_engine_post(p->engine, cmd);
    pthread_mutex_unlock(&p->post_lock);
    return r;
}

static int post_simple(lull_player *p, lull_command_kind kind, int index, double value)
{
    lull_command c = { kind, index, 0, value };
    return lull_player_post(p, &c);
}

int lull_player_pause(lull_player *p, int paused)
{
    return post_simple(p, paused ? LULL_CMD_PAUSE : LULL_CMD_RESUME, 0, 0.0);
}
int lull_player_seek_section(lull_player *p, int index)
{
    return post_simple(p, LULL_CMD_SECTION, index, 0.0);
}
int lull_player_step_section(lull_player *p, int delta)
{
    return post_simple(p, LULL_CMD_SECTION_STEP, delta, 0.0);
}
int lull_player_set_volume_db(lull_player *p, double db)
{
    return post_simple(p, LULL_CMD_VOLUME, 0, db);
}
int lull_player_stop(lull_player *p, double fade_sec)
{
    return post_simple(p, LULL_CMD_STOP, 0, fade_sec);
}

void lull_player_get_stats(const lull_player *p, lull_player_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!p)
        return;
    lull_engine_status(p->engine, &out->engine);
    out->rate_hz = p->rate_hz;
    out->latency_sec = p->latency_sec;
    out->frames_out = lull_i64_load(&p->frames_out);
    out->callbacks = lull_i64_load(&p->callbacks);
    out->xruns = lull_i64_load(&p->xruns);
    out->late_callbacks = lull_i64_load(&p->late_callbacks);
    /* Two atomics written one after the other: a snapshot taken between the
     * two stores pairs a new time with an old size for one poll; harmless
     * for a display, and the next poll is right. */
    const int64_t worst_ns = lull_i64_load(&p->max_callback_ns);
    const int64_t worst_frames = lull_i64_load(&p->max_callback_frames);
    out->max_callback_load = worst_frames > 0 && p->rate_hz > 0
                                 ? (double)worst_ns * 1e-9 * p->rate_hz / (double)worst_frames
                                 : 0.0;
    out->finished = lull_i64_load(&p->finished) != 0;
    out->device_lost = lull_i64_load(&p->device_lost) != 0;
    lull_engine_clip_stats(p->engine, &out->clips);
}

const char *lull_player_device_name(const lull_player *p) { return p ? p->device_name : ""; }

int lull_player_wait(lull_player *p, double timeout_sec)
{
    if (!p || !p->monitor_started)
        return 1;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_sec >= 0) {
        double whole = floor(timeout_sec);
        until.tv_sec += (time_t)whole;
        until.tv_nsec += (long)((timeout_sec - whole) * 1e9);
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&p->lock);
    while (!p->over) {
        int rc = timeout_sec < 0 ? pthread_cond_wait(&p->changed, &p->lock)
                                 : pthread_cond_timedwait(&p->changed, &p->lock, &until);
        if (rc == ETIMEDOUT)
            break;
    }
    const int over = p->over;
    pthread_mutex_unlock(&p->lock);
    return over;
}

/* Abort and close the stream; when the device was lost, only wait so long.
 * PortAudio's JACK layer waits up to ten minutes for a server that has gone
 * away, so a lost stream is closed on a helper thread, and if that does not
 * come back the player is abandoned (a small leak) rather than the caller
 * blocked.  Returns 1 when the stream was closed. */
typedef struct closer {
    PaStream *stream;
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    int done;
    int abandoned;
} closer;

static void *close_main(void *arg)
{
    closer *c = arg;
    Pa_AbortStream(c->stream);
    Pa_CloseStream(c->stream);
    pthread_mutex_lock(&c->lock);
    c->done = 1;
    const int abandoned = c->abandoned;
    pthread_cond_signal(&c->done_cond);
    pthread_mutex_unlock(&c->lock);
    if (abandoned)
        free(c); /* nobody waits for it any more */
    return NULL;
}

static int close_stream(lull_player *p)
{
    if (!lull_i64_load(&p->device_lost)) {
        /* Abort rather than stop: stopping plays out queued buffers. */
        if (Pa_IsStreamStopped(p->stream) == 0)
            Pa_AbortStream(p->stream);
        Pa_CloseStream(p->stream);
        return 1;
    }
    closer *c = calloc(1, sizeof *c);
    pthread_t t;
    if (!c)
        return 0;
    c->stream = p->stream;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->done_cond, NULL);
    if (pthread_create(&t, NULL, close_main, c) != 0) {
        free(c);
        return 0;
    }
    pthread_detach(t);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 2;
    pthread_mutex_lock(&c->lock);
    while (!c->done && pthread_cond_timedwait(&c->done_cond, &c->lock, &until) != ETIMEDOUT)
        ;
    const int closed = c->done;
    if (!closed)
        c->abandoned = 1;
    pthread_mutex_unlock(&c->lock);
    if (closed)
        free(c);
    return closed;
}

void lull_player_close(lull_player **pp)
{
    if (!pp || !*pp)
        return;
    lull_player *p = *pp;
    *pp = NULL;
    if (p->monitor_started) {
        pthread_mutex_lock(&p->lock);
        p->quit = 1;
        pthread_cond_broadcast(&p->changed);
        pthread_mutex_unlock(&p->lock);
        pthread_join(p->monitor, NULL);
    }
    if (p->stream && !close_stream(p))
        return; /* the backend is stuck: leave PortAudio and this player be */
    Pa_Terminate();
    lull_engine_destroy(&p->engine);
    pthread_mutex_destroy(&p->post_lock);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->changed);
    free(p);
}
