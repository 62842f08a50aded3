/*
 * test_player_jack.c - lull_player for real, on a JACK server running the
 * dummy driver (started by the jack_server fixture; JACK_DEFAULT_SERVER names
 * it).  The dummy driver is paced by a clock like a sound card, 64 frames
 * per period at 48 kHz.
 *
 * Measured: frames delivered against the time that passed; that pause,
 * section jumps and stop take effect on a callback boundary (the position
 * they leave is a whole number of 64-frame blocks plus the fade); that a
 * paused engine holds its position while the device keeps running; that
 * the volume trim moves the output level by what was asked; that notices
 * arrive on the player's own thread, neither the caller's nor the audio
 * thread.
 *
 * MIT licence; see LICENSE.
 */
#include "lull.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BLOCK 64

static int failures;

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
            failures++;                                 \
        }                                               \
    } while (0)

/* A steady tone (no noise) so the level meter reads a stable peak. */
static const char *SCRIPT = "title \"jack\"\n"
                            "voice tone binaural carrier=300Hz beat=6Hz gain=-12dB\n"
                            "0:00 section \"A\"\n"
                            "0:03 section \"B\"\n"
                            "0:06 section \"C\"\n"
                            "0:09 section \"D\"\n"
                            "0:30 end\n";

/* Notices, with the thread they arrived on. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static lull_notice notices[64];
static int n_notices;
static pthread_t notice_thread;
static int notice_threads_differ;

/* The audio thread identifies itself through the player's test hooks. */
static pthread_t audio_thread;
static atomic_int audio_thread_known;
void lull_rt_callback_enter(void);
void lull_rt_callback_leave(void);
void lull_rt_callback_enter(void)
{
    if (!atomic_load_explicit(&audio_thread_known, memory_order_relaxed)) {
        audio_thread = pthread_self();
        atomic_store_explicit(&audio_thread_known, 1, memory_order_release);
    }
}
void lull_rt_callback_leave(void) {}

static void on_notice(void *user, const lull_notice *n)
{
    (void)user;
    pthread_mutex_lock(&lock);
    if (n_notices == 0)
        notice_thread = pthread_self();
    else if (!pthread_equal(notice_thread, pthread_self()))
        notice_threads_differ = 1;
    if (n_notices < 64)
        notices[n_notices++] = *n;
    pthread_mutex_unlock(&lock);
}

static int count_notices(lull_notice_kind kind, int section)
{
    int c = 0;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n_notices; i++)
        c += notices[i].kind == kind && (section < 0 || notices[i].section == section);
    pthread_mutex_unlock(&lock);
    return c;
}

static double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void sleep_sec(double s)
{
    struct timespec ts = { (time_t)s, (long)((s - floor(s)) * 1e9) };
    nanosleep(&ts, NULL);
}

static lull_player_stats stats(lull_player *p)
{
    lull_player_stats st;
    lull_player_get_stats(p, &st);
    return st;
}

/* Wait (bounded) until the engine's published state satisfies a check. */
static lull_player_stats wait_for(lull_player *p, int (*ok)(const lull_player_stats *))
{
    lull_player_stats st = stats(p);
    for (int i = 0; i < 400 && !ok(&st); i++) {
        sleep_sec(0.01);
        st = stats(p);
    }
    return st;
}
static int is_paused_silent(const lull_player_stats *s) { return s->engine.paused && s->engine.peak_left < 1e-3f; }
static int in_section_3(const lull_player_stats *s) { return s->engine.section == 3; }
static int is_finished(const lull_player_stats *s) { return s->finished; }

int main(void)
{
    lull_script *s = NULL;
    if (lull_script_load_string(SCRIPT, strlen(SCRIPT), "jack.lull", NULL, &s) != LULL_OK) {
        printf("script failed to load\n");
        return 1;
    }
    lull_player_config cfg = lull_player_config_init();
    cfg.host_api = "jack";
    cfg.block_frames = BLOCK;
    cfg.on_notice = on_notice;
    lull_player *p = NULL;
    int r = lull_player_open(s, &cfg, &p);
    if (r != LULL_OK) {
        printf("FAIL: cannot open the JACK output: %s\n", lull_last_error());
        return 1;
    }
    printf("device %s\n", lull_player_device_name(p));
    const int rate = stats(p).rate_hz;
    CHECK(rate == 48000, "the engine runs at the device's rate, got %d", rate);
    /* Commands are heard the limiter's look-ahead after the block boundary
     * (the same at this rate for any engine). */
    int64_t ahead = 0;
    {
        lull_engine_config ec = lull_engine_config_init();
        ec.rate_hz = rate;
        lull_engine *probe = NULL;
        CHECK(lull_engine_create(s, &ec, &probe) == LULL_OK, "probe engine");
        ahead = lull_engine_lookahead_frames(probe);
        lull_engine_destroy(&probe);
    }

    /* 1. Frames delivered match the time played. */
    const double t0 = now_sec();
    CHECK(lull_player_start(p) == LULL_OK, "start: %s", lull_last_error());
    sleep_sec(2.0);
    lull_player_stats st = stats(p);
    double elapsed = now_sec() - t0;
    double played = (double)st.frames_out / rate;
    printf("played %.3f s of audio in %.3f s (%.4fx), %lld callbacks, %lld xruns\n", played,
           elapsed, played / elapsed, (long long)st.callbacks, (long long)st.xruns);
    CHECK(fabs(played - elapsed) < 0.05 * elapsed + 0.05,
          "frames delivered (%.3f s) do not match the time played (%.3f s)", played, elapsed);
    CHECK(st.frames_out == st.callbacks * BLOCK, "%lld frames in %lld callbacks of %d",
          (long long)st.frames_out, (long long)st.callbacks, BLOCK);
    CHECK(llabs(st.engine.position_frames - st.frames_out) <= BLOCK,
          "position %lld vs frames out %lld", (long long)st.engine.position_frames,
          (long long)st.frames_out);
    const float level_full = st.engine.peak_left;
    CHECK(level_full > 0.2f && level_full < 0.3f, "level %g, expected -12 dB (0.25)", level_full);
    CHECK(count_notices(LULL_NOTICE_SECTION, 0) == 1, "section A notice");

    /* 2. Volume: -12 dB on the meter. */
    CHECK(lull_player_set_volume_db(p, -12.0) == LULL_OK, "volume");
    /* The meter falls 20 dB/s: after 1.2 s the old level has fallen 24 dB,
     * so what it shows is the new level alone. */
    sleep_sec(1.2);
    st = stats(p);
    double change_db = 20.0 * log10(st.engine.peak_left / level_full);
    CHECK(fabs(change_db + 12.0) < 0.5, "volume -12 dB changed the level by %.2f dB", change_db);
    CHECK(st.engine.volume_db == -12.0, "published volume %g", st.engine.volume_db);
    lull_player_set_volume_db(p, 0.0);

    /* 3. Pause: the position stops on a block boundary plus the fade, the
     * device keeps taking (silent) frames. */
    CHECK(lull_player_pause(p, 1) == LULL_OK, "pause");
    st = wait_for(p, is_paused_silent);
    const int64_t pause_fade = (int64_t)llround(LULL_PAUSE_FADE_SEC * rate);
    const int64_t held = st.engine.position_frames;
    const int64_t out_then = st.frames_out;
    sleep_sec(0.5);
    st = stats(p);
    CHECK(st.engine.position_frames == held, "paused position moved %lld -> %lld", (long long)held,
          (long long)st.engine.position_frames);
    CHECK(st.frames_out - out_then > rate / 4, "the device stopped taking frames while paused");
    CHECK((held - pause_fade - ahead) % BLOCK == 0,
          "pause did not start on a block boundary: %lld - %lld fade", (long long)held,
          (long long)pause_fade);
    CHECK(st.engine.peak_left < 1e-3f, "paused output not silent (%g)", st.engine.peak_left);
    CHECK(count_notices(LULL_NOTICE_PAUSED, -1) == 1, "no PAUSED notice");

    /* 4. Jump to section D while paused: lands exactly on it, still paused. */
    CHECK(lull_player_seek_section(p, 3) == LULL_OK, "seek");
    st = wait_for(p, in_section_3);
    const int64_t d_start = 9 * (int64_t)rate;
    CHECK(st.engine.section == 3 && st.engine.position_frames == d_start,
          "seek while paused: section %d at %lld", st.engine.section,
          (long long)st.engine.position_frames);
    /* Resume: the position runs again from D in whole blocks. */
    lull_player_pause(p, 0);
    sleep_sec(0.3);
    st = stats(p);
    CHECK(st.engine.position_frames > d_start && (st.engine.position_frames - d_start + ahead) % BLOCK == 0,
          "after resume position %lld", (long long)st.engine.position_frames);
    CHECK(count_notices(LULL_NOTICE_RESUMED, -1) == 1, "no RESUMED notice");

    /* 5. Previous section while playing (under 2 s into D): back to C, the
     * jump after a block boundary plus the seek fade. */
    lull_player_step_section(p, -1);
    sleep_sec(0.3);
    st = stats(p);
    const int64_t c_start = 6 * (int64_t)rate;
    const int64_t seek_fade = (int64_t)llround(LULL_SEEK_FADE_SEC * rate);
    int64_t since = st.engine.position_frames - c_start;
    CHECK(st.engine.section == 2 && since > 0 && (since + seek_fade + ahead) % BLOCK == 0,
          "previous: section %d, %lld frames into C", st.engine.section, (long long)since);
    CHECK(count_notices(LULL_NOTICE_SECTION, 2) == 1, "no notice for section C");

    /* 6. Stop with a 0.5 s fade: finished, position = boundary + fade. */
    lull_player_stop(p, 0.5);
    CHECK(lull_player_wait(p, 10.0) == 1, "stop did not finish playback");
    st = wait_for(p, is_finished);
    CHECK(st.finished && !st.device_lost, "finished %d lost %d", st.finished, st.device_lost);
    CHECK((st.engine.position_frames - c_start + seek_fade - rate / 2) % BLOCK == 0, "stop at %lld",
          (long long)st.engine.position_frames);
    CHECK(count_notices(LULL_NOTICE_STOPPED, -1) == 1, "no STOPPED notice");

    /* Notices came on one thread, not ours and not the audio thread. */
    pthread_mutex_lock(&lock);
    CHECK(n_notices > 0 && !notice_threads_differ, "notices on more than one thread");
    CHECK(!pthread_equal(notice_thread, pthread_self()), "notices on the caller's thread");
    CHECK(atomic_load(&audio_thread_known) && !pthread_equal(notice_thread, audio_thread),
          "notices on the audio thread");
    pthread_mutex_unlock(&lock);

    lull_player_close(&p);
    CHECK(p == NULL, "close sets the pointer to NULL");
    lull_script_free(&s);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
