/*
 * split.c - offline synthesis on two cores.  Non-real-time: used by render
 * only; a live engine never starts a thread.
 *
 * The engine mixes its voices in two fixed groups (process.c, grouped by
 * lull_engine_group_voices): mix = group 0 + group 1, each group summed in
 * voice order.  Here a second engine built from the same script and
 * configuration runs only group 1 in a helper thread, one chunk ahead, and
 * hands its raw mix to the main engine, which runs group 0, adds the
 * helper's mix where it would have added its own and does everything else
 * (events, master bus).  Every voice runs in exactly one engine with the
 * same seed and the same control segments, and every float operation is the
 * one the single-threaded engine does, so the output is bit-identical to a
 * live or single-threaded run (test_render compares them).
 *
 * Sessions that play clips split differently: the clip voices and their
 * loader stay in the main engine, and the helper (a twin without a loader,
 * whose clips only drive ducking, so it ducks its voices exactly as the main
 * engine would) runs some of the other voices, chosen by cost, each into
 * planes of its own.  The main engine adds each of those where it would
 * have run the voice, so the mix groups and their order are untouched and
 * the output is again bit-identical (test_render_clips).
 */
#include "engine_internal.h"
#include "render_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Chunks the helper may run ahead: enough that the main engine seldom
 * waits for it while the helper waits for a core or the main engine waits
 * for the clip loader (a clip-heavy render: the main thread's waits for the
 * helper went from about 0.2 s to under 0.1 s with 4 instead of 2). */
#define SPLIT_NBUF 4

struct lull_split {
    lull_engine *helper;
    int chunk_frames;
    int first_extra;            /* the main engine's mixer runs this far ahead of
                                 * its output (the limiter's look-ahead): the
                                 * first chunk is that much longer */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    float *buf[SPLIT_NBUF];
    int64_t start[SPLIT_NBUF];  /* first frame of each filled slot */
    int head, tail, count;      /* guarded by mu: ring of filled slots */
    int stopping;               /* guarded by mu */
};

static void *helper_main(void *arg)
{
    lull_split *sp = arg;
    lull_engine *h = sp->helper;
    for (;;) {
        pthread_mutex_lock(&sp->mu);
        while (sp->count == SPLIT_NBUF && !sp->stopping)
            pthread_cond_wait(&sp->cv, &sp->mu);
        const int stop = sp->stopping;
        const int slot = sp->head;
        pthread_mutex_unlock(&sp->mu);
        if (stop || h->pos >= h->length_frames)
            break;
        /* The slot is ours until it is published below. */
        sp->start[slot] = h->pos;
        lull_engine_process_core(h, sp->buf[slot], sp->chunk_frames + (h->pos == 0 ? sp->first_extra : 0), 1.0,
                                 0.0);
        pthread_mutex_lock(&sp->mu);
        sp->head = (slot + 1) % SPLIT_NBUF;
        sp->count++;
        pthread_cond_broadcast(&sp->cv);
        pthread_mutex_unlock(&sp->mu);
    }
    return NULL;
}

/* Main-engine work that is not a voice (events, ducking, master bus, the
 * true-peak limiter, live stage), in the units of lull_voice_cost. */
#define MAIN_OVERHEAD_NS 6.0

/* A clip session is split only when the voices the helper would run cost
 * at least this much (units of lull_voice_cost).  Its threads are already
 * three (the mixer, the clip loader, the writer), and each voice the helper
 * runs is written to and read back from planes of its own, which costs
 * memory traffic on both sides.  Measured with LULL_RENDER_THREADS=1
 * against the split (60-minute renders, alternated, wall time):
 *   the clip benchmark, two binaural voices (4 units): 0.84-1.01 s
 *     unsplit, 1.06-1.20 s split;
 *   the same with pink noise (8.3): 1.35-1.58 s against 1.50-1.85 s;
 *   with pink noise, a tone and an isochronic voice too (22.3): 3.37-5.12
 *     s against 3.26-4.50 s, about even;
 *   with a spin voice (68): 12.3-14.0 s against 11.3-11.4 s.
 * Sessions without clips split into two mix groups instead, one pair of
 * planes in all, which pays for itself (tones60: 0.74-0.86 s split against
 * 0.83-1.00 s unsplit). */
#define SPLIT_MIN_REMOTE_NS 24.0

/* A clip session: which voices the helper runs.  Clip voices stay (the
 * loader feeds this engine); the others go, dearest first, to whichever
 * side carries less so far.  Only speed depends on this choice, never the
 * samples.  Returns how many go; *load: what they cost. */
static int pick_remote(lull_engine *e, double *load)
{
    double load_main = MAIN_OVERHEAD_NS, load_helper = 0.0;
    int n = 0;
    for (int i = 0; i < e->n_voices; i++) {
        e->voices[i].remote = 0;
        e->voices[i].remote_index = -1;
        if (e->voices[i].vc->event) /* plays clips */
            load_main += lull_voice_cost(e->voices[i].vc);
    }
    for (;;) {
        int best = -1;
        for (int i = 0; i < e->n_voices; i++)
            if (!e->voices[i].vc->event && e->voices[i].remote_index == -1 &&
                (best < 0 || lull_voice_cost(e->voices[i].vc) > lull_voice_cost(e->voices[best].vc)))
                best = i;
        if (best < 0)
            break;
        const double c = lull_voice_cost(e->voices[best].vc);
        if (load_helper < load_main) {
            e->voices[best].remote = 1;
            e->voices[best].remote_index = n++;
            load_helper += c;
        } else {
            e->voices[best].remote_index = -2; /* stays */
            load_main += c;
        }
    }
    for (int i = 0; i < e->n_voices; i++)
        if (!e->voices[i].remote)
            e->voices[i].remote_index = -1;
    *load = load_helper;
    return n;
}

static void unpick_remote(lull_engine *e)
{
    for (int i = 0; i < e->n_voices; i++) {
        e->voices[i].remote = 0;
        e->voices[i].remote_index = -1;
    }
}

lull_split *lull_split_start(lull_engine *e, const lull_script *s, const lull_engine_config *ec,
                             int chunk_frames)
{
    if (!e || e->pos != 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return NULL;
    /* 1: never split; 2: split whenever there is something to split (tests
     * of the split itself, comparisons). */
    const char *env = getenv("LULL_RENDER_THREADS");
    if (env && atoi(env) == 1)
        return NULL;
    const int force = env && atoi(env) == 2;
    const int by_voice = e->clips != NULL;
    double remote_load = 0.0;
    const int n_remote = by_voice ? pick_remote(e, &remote_load) : 0;
    if (by_voice ? n_remote == 0 : e->n_group1 == 0)
        return NULL;
    if (by_voice && !force && remote_load < SPLIT_MIN_REMOTE_NS) {
        unpick_remote(e);
        return NULL;
    }
    lull_split *sp = calloc(1, sizeof *sp);
    const int extra = lull_engine_lookahead_frames(e);
    /* Two planes: group 1's mix, or each remote voice's. */
    const size_t slot_floats = 2 * (size_t)(chunk_frames + extra) * (size_t)(by_voice ? n_remote : 1);
    float *mem = malloc(sizeof(float) * slot_floats * SPLIT_NBUF);
    const int made = sp && mem &&
                     (by_voice ? lull_engine_create_twin(s, ec, &sp->helper) : lull_engine_create(s, ec, &sp->helper)) ==
                         LULL_OK;
    if (!made) {
        free(sp);
        free(mem);
        if (by_voice)
            unpick_remote(e);
        return NULL;
    }
    if (by_voice) {
        for (int i = 0; i < e->n_voices; i++) {
            sp->helper->voices[i].remote = e->voices[i].remote;
            sp->helper->voices[i].remote_index = e->voices[i].remote_index;
        }
    }
    e->ext_stride = sp->helper->ext_stride = chunk_frames + extra;
    sp->helper->split_role = by_voice ? LULL_SPLIT_VOICES_HELPER : LULL_SPLIT_GROUP1;
    sp->chunk_frames = chunk_frames;
    sp->first_extra = extra;
    for (int i = 0; i < SPLIT_NBUF; i++)
        sp->buf[i] = mem + (size_t)i * slot_floats;
    pthread_mutex_init(&sp->mu, NULL);
    pthread_cond_init(&sp->cv, NULL);
    if (pthread_create(&sp->thread, NULL, helper_main, sp) != 0) {
        pthread_mutex_destroy(&sp->mu);
        pthread_cond_destroy(&sp->cv);
        lull_engine_destroy(&sp->helper);
        free(mem);
        free(sp);
        return NULL;
    }
    e->split_role = by_voice ? LULL_SPLIT_VOICES_MAIN : LULL_SPLIT_GROUP0;
    return sp;
}

/* The main engine's block (whole, or its mix half when prime_out is not
 * NULL), with the helper's slot for it in place. */
static int split_run(lull_split *sp, lull_engine *e, float *out, int frames, float *prime_out, int *prime_frames)
{
    if (!sp)
        return prime_out ? lull_engine_mix(e, out, frames, prime_out, prime_frames)
                         : lull_engine_process(e, out, frames);
    pthread_mutex_lock(&sp->mu);
    while (sp->count == 0)
        pthread_cond_wait(&sp->cv, &sp->mu);
    const int slot = sp->tail;
    pthread_mutex_unlock(&sp->mu);
    /* The helper's chunks line up with the main engine's mixer: same
     * length, same start (the first one includes the look-ahead the main
     * engine's first call fills). */
    e->ext_mix = sp->buf[slot];
    e->ext_start = sp->start[slot];
    const int r = prime_out ? lull_engine_mix(e, out, frames, prime_out, prime_frames)
                            : lull_engine_process(e, out, frames);
    e->ext_mix = NULL;
    pthread_mutex_lock(&sp->mu);
    sp->tail = (slot + 1) % SPLIT_NBUF;
    sp->count--;
    pthread_cond_broadcast(&sp->cv);
    pthread_mutex_unlock(&sp->mu);
    return r;
}

int lull_split_process(lull_split *sp, lull_engine *e, float *out, int frames)
{
    return split_run(sp, e, out, frames, NULL, NULL);
}

int lull_split_mix(lull_split *sp, lull_engine *e, float *out, int frames, float *prime_out, int *prime_frames)
{
    return split_run(sp, e, out, frames, prime_out, prime_frames);
}

void lull_split_stop(lull_split **psp, lull_engine *e)
{
    if (!psp || !*psp)
        return;
    lull_split *sp = *psp;
    pthread_mutex_lock(&sp->mu);
    sp->stopping = 1;
    pthread_cond_broadcast(&sp->cv);
    pthread_mutex_unlock(&sp->mu);
    pthread_join(sp->thread, NULL);
    pthread_mutex_destroy(&sp->mu);
    pthread_cond_destroy(&sp->cv);
    lull_engine_destroy(&sp->helper);
    free(sp->buf[0]);
    free(sp);
    if (e) {
        e->split_role = LULL_SPLIT_NONE;
        for (int i = 0; i < e->n_voices; i++)
            e->voices[i].remote = 0;
    }
    *psp = NULL;
}
