/*
 * test_rt_safety.c - nothing inside the audio callback allocates, locks,
 * sleeps or does file I/O.
 *
 * rt_interposer.c replaces those calls for the whole process and counts the
 * ones made while the calling thread is flagged as "inside the callback".
 *   1. The proof: deliberate malloc, free, mutex lock, write and fopen
 *      inside the flag are each caught, on this thread and on lull_player's
 *      real audio thread.
 *   2. Pull mode: a host thread processes blocks of every size from 1 to
 *      4096 frames inside the flag while another thread posts every kind of
 *      command and reads status and notices.
 *   3. Live: lull_player on the JACK fixture, flagged by its own callback
 *      hooks, through pause, seek, section steps, volume, loop and stop.
 * Each must end with zero violations.
 *
 * MIT licence; see LICENSE.
 */
#include "lull.h"
#include "rt_interposer.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Every kind of work the callback does: tones, noise, glides, fades,
 * sections and a narration clip (its loader thread reads the file; the
 * callback only takes decoded audio from a ring). */
static const char *SCRIPT = "title \"rt\"\n"
                            "voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\n"
                            "voice bed   noise color=pink gain=-26dB\n"
                            "voice words clip\n"
                            "0:00   master fade-in 0.2s\n"
                            "0:00.1 words play \"" LULL_SOURCE_DIR
                            "/scripts/breathing/narration/start.ogg\"\n"
                            "0:00.1 drone beat=5Hz over 1s\n"
                            "0:00.5 section \"B\"\n"
                            "0:01   section \"C\"\n"
                            "+0.2s  bed gain=-30dB over 0.3s\n"
                            "0:02   end\n";

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

/* ------------------------------------------------------------------ proof */

static void test_caught_here(void)
{
    static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    const char *names[] = { "malloc", "free", "pthread_mutex_lock", "write", "fopen" };
    for (int i = 0; i < 5; i++) {
        rt_reset();
        rt_enter();
        switch (i) {
        case 0: {
            void *volatile p = malloc(32);
            rt_leave();
            free(p);
            break;
        }
        case 1: {
            rt_leave();
            void *volatile p = malloc(32);
            rt_enter();
            free(p);
            rt_leave();
            break;
        }
        case 2:
            pthread_mutex_lock(&m);
            rt_leave();
            pthread_mutex_unlock(&m);
            break;
        case 3: {
            ssize_t w = write(STDOUT_FILENO, "", 0);
            rt_leave();
            (void)w;
            break;
        }
        case 4: {
            FILE *f = fopen("/dev/null", "r");
            rt_leave();
            if (f)
                fclose(f);
            break;
        }
        }
        CHECK(rt_violations() >= 1 && !strcmp(rt_first_violation(), names[i]),
              "a deliberate %s inside the callback was not caught (%ld, first %s)", names[i],
              rt_violations(), rt_first_violation());
    }
    /* The same calls outside the flag are fine. */
    rt_reset();
    void *volatile p = malloc(32);
    free(p);
    CHECK(rt_violations() == 0, "calls outside the callback counted");
}

/* -------------------------------------------------------------- pull mode */

typedef struct pull {
    lull_engine *engine;
    atomic_int stop;
    long blocks;
} pull;

static void *audio_thread(void *arg)
{
    pull *h = arg;
    static float buf[2 * LULL_MAX_BLOCK_FRAMES];
    int size = 1;
    while (!atomic_load(&h->stop)) {
        rt_enter();
        lull_engine_process(h->engine, buf, size);
        rt_leave();
        h->blocks++;
        /* Every size from 1 to 4096 in turn. */
        size = size % LULL_MAX_BLOCK_FRAMES + 1;
        if (h->blocks % 64 == 0)
            sched_yield();
    }
    return NULL;
}

static void test_pull_mode(const lull_script *s)
{
    lull_engine *e = NULL;
    if (lull_engine_create(s, NULL, &e) != LULL_OK) {
        CHECK(0, "engine");
        return;
    }
    lull_command loop = { LULL_CMD_LOOP, 1, 0, 0 };
    lull_engine_post(e, &loop);
    lull_engine_prepare(e);
    pull h = { e, 0, 0 };
    rt_reset();
    pthread_t t;
    pthread_create(&t, NULL, audio_thread, &h);
    const lull_command script[] = {
        { LULL_CMD_PAUSE, 0, 0, 0 },         { LULL_CMD_VOLUME, 0, 0, -6 },
        { LULL_CMD_RESUME, 0, 0, 0 },        { LULL_CMD_SECTION, 1, 0, 0 },
        { LULL_CMD_SECTION_STEP, 1, 0, 0 },  { LULL_CMD_SECTION_STEP, -1, 0, 0 },
        { LULL_CMD_SEEK, 0, 12345, 0 },      { LULL_CMD_TOGGLE_PAUSE, 0, 0, 0 },
        { LULL_CMD_TOGGLE_PAUSE, 0, 0, 0 },  { LULL_CMD_VOLUME, 0, 0, 3 },
    };
    const int n = (int)(sizeof script / sizeof script[0]);
    lull_notice note;
    int notices = 0;
    for (int round = 0; round < 200; round++) {
        lull_engine_post(e, &script[round % n]);
        lull_status st;
        lull_engine_status(e, &st);
        while (lull_engine_poll_notice(e, &note))
            notices++;
        sleep_ms(2);
    }
    lull_command stop = { LULL_CMD_STOP, 0, 0, 0.05 };
    lull_engine_post(e, &stop);
    sleep_ms(50);
    atomic_store(&h.stop, 1);
    pthread_join(t, NULL);
    printf("pull mode: %ld blocks of 1..4096 frames, %d notices, %ld violations (first: %s)\n",
           h.blocks, notices, rt_violations(), rt_first_violation());
    CHECK(h.blocks > 1000, "the audio thread ran only %ld blocks", h.blocks);
    CHECK(notices > 10, "only %d notices", notices);
    CHECK(rt_violations() == 0, "pull mode: %ld forbidden calls inside the callback, first %s",
          rt_violations(), rt_first_violation());
    lull_engine_destroy(&e);
}

/* ------------------------------------------------------------------- live */

static void test_player(const lull_script *s)
{
    lull_player_config cfg = lull_player_config_init();
    cfg.host_api = "jack";
    cfg.loop = 1;
    cfg.stop_after_sec = 2.5; /* exercises the sleep timer inside the callback */
    cfg.stop_fade_sec = 0.5;
    lull_player *p = NULL;
    if (lull_player_open(s, &cfg, &p) != LULL_OK) {
        CHECK(0, "open the JACK output: %s", lull_last_error());
        return;
    }
    rt_reset();
    const long before = rt_player_callbacks();
    CHECK(lull_player_start(p) == LULL_OK, "start");
    sleep_ms(200);
    lull_player_pause(p, 1);
    sleep_ms(150);
    lull_player_seek_section(p, 1);
    lull_player_pause(p, 0);
    sleep_ms(150);
    lull_player_step_section(p, 1);
    lull_player_set_volume_db(p, -10);
    sleep_ms(150);
    lull_player_step_section(p, -1);
    lull_player_set_volume_db(p, 0);
    CHECK(lull_player_wait(p, 30.0) == 1, "the sleep timer did not end playback");
    lull_player_stats st;
    lull_player_get_stats(p, &st);
    lull_player_close(&p);
    const long callbacks = rt_player_callbacks() - before;
    printf("player: %ld callbacks watched, %ld violations (first: %s)\n", callbacks,
           rt_violations(), rt_first_violation());
    CHECK(callbacks > 100, "only %ld callbacks were watched", callbacks);
    CHECK(st.finished, "not finished");
    CHECK(rt_violations() == 0, "player: %ld forbidden calls inside the callback, first %s",
          rt_violations(), rt_first_violation());

    /* The proof on the real audio thread: one deliberate allocation in the
     * callback is caught. */
    cfg.stop_after_sec = 0.3;
    if (lull_player_open(s, &cfg, &p) != LULL_OK) {
        CHECK(0, "reopen: %s", lull_last_error());
        return;
    }
    rt_reset();
    rt_player_misbehave_once();
    lull_player_start(p);
    lull_player_wait(p, 30.0);
    lull_player_close(&p);
    CHECK(rt_violations() >= 1 && !strcmp(rt_first_violation(), "malloc"),
          "an allocation in the player's callback was not caught (%ld, %s)", rt_violations(),
          rt_first_violation());
}

int main(void)
{
    lull_script *s = NULL;
    if (lull_script_load_string(SCRIPT, strlen(SCRIPT), "rt.lull", NULL, &s) != LULL_OK) {
        printf("script failed to load\n");
        return 1;
    }
    test_caught_here();
    test_pull_mode(s);
    test_player(s);
    lull_script_free(&s);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
