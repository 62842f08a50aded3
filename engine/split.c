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
 * Not used for sessions that play clips: the clip loader and ducking belong
 * to one engine.
 */
#include "engine_internal.h"
#include "render_internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPLIT_NBUF 2

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

lull_split *lull_split_start(lull_engine *e, const lull_script *s, const lull_engine_config *ec,
                             int chunk_frames)
{
    if (!e || e->n_group1 == 0 || e->clips || e->pos != 0 || sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return NULL;
    const char *env = getenv("LULL_RENDER_THREADS");
    if (env && atoi(env) == 1)
        return NULL;
    lull_split *sp = calloc(1, sizeof *sp);
    const int extra = lull_engine_lookahead_frames(e);
    float *mem = malloc(sizeof(float) * 2 * (size_t)(chunk_frames + extra) * SPLIT_NBUF);
    if (!sp || !mem || lull_engine_create(s, ec, &sp->helper) != LULL_OK) {
        free(sp);
        free(mem);
        return NULL;
    }
    sp->helper->split_role = LULL_SPLIT_GROUP1;
    sp->chunk_frames = chunk_frames;
    sp->first_extra = extra;
    for (int i = 0; i < SPLIT_NBUF; i++)
        sp->buf[i] = mem + (size_t)i * 2 * (size_t)(chunk_frames + extra);
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
    e->split_role = LULL_SPLIT_GROUP0;
    return sp;
}

int lull_split_process(lull_split *sp, lull_engine *e, float *out, int frames)
{
    if (!sp)
        return lull_engine_process(e, out, frames);
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
    const int r = lull_engine_process(e, out, frames);
    e->ext_mix = NULL;
    pthread_mutex_lock(&sp->mu);
    sp->tail = (slot + 1) % SPLIT_NBUF;
    sp->count--;
    pthread_cond_broadcast(&sp->cv);
    pthread_mutex_unlock(&sp->mu);
    return r;
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
    if (e)
        e->split_role = LULL_SPLIT_NONE;
    *psp = NULL;
}
