/*
 * live_params.c - change a running session from the host's own thread.
 *
 * An audio thread pulls 256-frame blocks on a real-time clock (standing in
 * for a sound card: no device is needed to run this).  Meanwhile the main
 * thread - a UI, a network handler, a game loop - turns the volume down
 * step by step, pauses and resumes, and jumps to the next section, each
 * with one lull_engine_post call.  Every command lands at the start of the
 * audio thread's next block; the main thread reads what happened with
 * lull_engine_status and lull_engine_poll_notice.  Neither side ever waits
 * for the other.
 *
 * Build: cc live_params.c -llull -lpthread
 */
#include <lull.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define BLOCK 256
#define RATE 48000

static const char *SESSION = "title \"Live\"\n"
                             "voice drone binaural carrier=220Hz beat=6Hz gain=-14dB\n"
                             "0:00 section \"Arrive\"\n"
                             "0:30 section \"Settle\"\n"
                             "1:00 end\n";

static atomic_int running = 1;

/* The "device": one block every BLOCK/RATE seconds, on an absolute clock. */
static void *audio_thread(void *arg)
{
    lull_engine *e = arg;
    float block[2 * BLOCK];
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    while (atomic_load(&running)) {
        lull_engine_process(e, block, BLOCK); /* [RT]: applies queued commands first */
        next.tv_nsec += (long)BLOCK * 1000000000L / RATE;
        if (next.tv_nsec >= 1000000000L) {
            next.tv_sec++;
            next.tv_nsec -= 1000000000L;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    return NULL;
}

static void post(lull_engine *e, lull_command_kind kind, int index, double value)
{
    lull_command c = { kind, index, 0, value };
    if (lull_engine_post(e, &c) != LULL_OK)
        fprintf(stderr, "queue full\n");
}

static void show(lull_engine *e, const char *what)
{
    lull_status st;
    lull_engine_status(e, &st);
    printf("%-22s position %6.3f s  section %d  volume %+5.1f dB  level %.3f%s\n", what,
           (double)st.position_frames / RATE, st.section, st.volume_db, st.peak_left,
           st.paused ? "  (paused)" : "");
}

static void wait_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

int main(void)
{
    lull_script *s = NULL;
    lull_engine *e = NULL;
    lull_engine_config cfg = lull_engine_config_init();
    cfg.rate_hz = RATE;
    if (lull_script_load_string(SESSION, strlen(SESSION), "live", NULL, &s) != LULL_OK ||
        lull_engine_create(s, &cfg, &e) != LULL_OK) {
        fprintf(stderr, "%s\n", lull_last_error());
        return 1;
    }
    pthread_t t;
    pthread_create(&t, NULL, audio_thread, e);

    wait_ms(300);
    show(e, "playing");
    for (int db = -1; db >= -6; db--) { /* a gentle fade by hand */
        post(e, LULL_CMD_VOLUME, 0, db);
        wait_ms(50);
    }
    show(e, "volume down");

    post(e, LULL_CMD_PAUSE, 0, 0);
    wait_ms(200);
    lull_status a, b;
    lull_engine_status(e, &a);
    wait_ms(200);
    lull_engine_status(e, &b);
    show(e, "paused");
    const int held = a.position_frames == b.position_frames;

    post(e, LULL_CMD_RESUME, 0, 0);
    post(e, LULL_CMD_SECTION_STEP, 1, 0); /* next section */
    wait_ms(200);
    show(e, "resumed, next section");

    atomic_store(&running, 0);
    pthread_join(t, NULL);

    lull_notice n;
    while (lull_engine_poll_notice(e, &n))
        if (n.kind == LULL_NOTICE_SECTION)
            printf("notice: section '%s' at %.3f s\n", lull_script_section_name(s, n.section),
                   (double)n.frame / RATE);

    lull_status st;
    lull_engine_status(e, &st);
    const int ok = held && st.section == 1 && st.volume_db == -6.0 && !st.paused;
    lull_engine_destroy(&e);
    lull_script_free(&s);
    printf("%s\n", ok ? "every change arrived" : "something did not arrive");
    return ok ? 0 : 1;
}
