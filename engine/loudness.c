/*
 * loudness.c - EBU R 128 measurement (libebur128) of what the engine makes:
 * the meter a render feeds as it writes, the memory-less analysis pass
 * behind `--loudness`, and the trim that normalises a session.
 * Non-real-time: libebur128 allocates while it measures.
 */
#include "render_internal.h"
#include "lull_internal.h"

#include "true_peak.h"

#include <ebur128.h>

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define ANALYSIS_BLOCK_FRAMES 4096
/* A trim limited by the true-peak ceiling stays this far under it, so the
 * written file (quantised to 16 or 24 bits) still measures under it. */
#define CEILING_MARGIN_DB 0.01
/* The meter's own ring of copies (the copy costs about a nanosecond a
 * frame; measuring, 20 to 30), in slots as large as a render's chunks so
 * the thread is woken as seldom (render.c). */
#define METER_SLOT_FRAMES 65536
#define METER_SLOTS 4

/* The meter runs on a thread of its own, so a render's or an analysis's
 * synthesis thread only copies each block into a free slot of a small ring
 * and goes on.  libebur128 measures integrated loudness and loudness range
 * (its true-peak mode, a 4x resampler, cost three times the rest: it is
 * replaced by true_peak.c, which also takes the sample peak).  The result
 * does not depend on how the frames are split into calls or slots. */
struct lull_meter {
    ebur128_state *st;
    lull_true_peak *tp;
    float *slot[METER_SLOTS];
    int frames[METER_SLOTS];
    int fill;              /* frames in slot[head], not yet handed over; caller only */
    int have_slot;         /* slot[head] is the caller's to fill; caller only */
    pthread_t thread;
    int threaded;          /* the thread runs; else the caller measures */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int head, tail, count; /* ring of filled slots; guarded by mu */
    int closing;           /* guarded by mu */
    int failed;            /* libebur128 ran out of memory; guarded by mu */
    int finished;          /* the thread has been joined; caller only */
};

static int measure(lull_meter *m, const float *frames, int n)
{
    lull_true_peak_add(m->tp, frames, n);
    return ebur128_add_frames_float(m->st, frames, (size_t)n) == EBUR128_SUCCESS ? 0 : -1;
}

static void *meter_main(void *arg)
{
    lull_meter *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        while (m->count == 0 && !m->closing)
            pthread_cond_wait(&m->cv, &m->mu);
        if (m->count == 0)
            break;
        const int t = m->tail;
        const int failed = m->failed;
        pthread_mutex_unlock(&m->mu);
        const int bad = !failed && measure(m, m->slot[t], m->frames[t]) != 0;
        pthread_mutex_lock(&m->mu);
        m->failed |= bad;
        m->tail = (t + 1) % METER_SLOTS;
        m->count--;
        pthread_cond_broadcast(&m->cv);
    }
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

lull_meter *lull_meter_create(int rate_hz)
{
    lull_meter *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->st = ebur128_init(2, (unsigned long)rate_hz, EBUR128_MODE_I | EBUR128_MODE_LRA);
    m->tp = lull_true_peak_create();
    float *mem = malloc(sizeof(float) * 2 * METER_SLOT_FRAMES * METER_SLOTS);
    if (!m->st || !m->tp || !mem) {
        free(mem);
        ebur128_destroy(&m->st);
        lull_true_peak_free(&m->tp);
        free(m);
        return NULL;
    }
    for (int i = 0; i < METER_SLOTS; i++)
        m->slot[i] = mem + (size_t)i * 2 * METER_SLOT_FRAMES;
    pthread_mutex_init(&m->mu, NULL);
    pthread_cond_init(&m->cv, NULL);
    /* Without a thread the caller measures each block itself. */
    m->threaded = pthread_create(&m->thread, NULL, meter_main, m) == 0;
    return m;
}

/* Hand the filled part of slot[head] to the thread. */
static void hand_over(lull_meter *m)
{
    if (!m->have_slot || m->fill == 0)
        return;
    pthread_mutex_lock(&m->mu);
    m->frames[m->head] = m->fill;
    m->head = (m->head + 1) % METER_SLOTS;
    m->count++;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    m->have_slot = 0;
    m->fill = 0;
}

int lull_meter_add(lull_meter *m, const float *frames, int n)
{
    if (n <= 0)
        return LULL_OK;
    if (!m->threaded)
        return measure(m, frames, n) == 0 ? LULL_OK : LULL_ERR_NOMEM;
    while (n > 0) {
        if (!m->have_slot) {
            /* slot[head] is free once fewer than all slots are queued. */
            pthread_mutex_lock(&m->mu);
            while (m->count == METER_SLOTS && !m->failed)
                pthread_cond_wait(&m->cv, &m->mu);
            const int failed = m->failed;
            pthread_mutex_unlock(&m->mu);
            if (failed)
                return LULL_ERR_NOMEM;
            m->have_slot = 1;
        }
        int take = METER_SLOT_FRAMES - m->fill;
        take = take < n ? take : n;
        memcpy(m->slot[m->head] + 2 * m->fill, frames, sizeof(float) * 2 * (size_t)take);
        m->fill += take;
        frames += 2 * take;
        n -= take;
        if (m->fill == METER_SLOT_FRAMES)
            hand_over(m);
    }
    return LULL_OK;
}

/* Let the thread measure what is queued and stop. */
static void finish(lull_meter *m)
{
    if (!m->threaded || m->finished)
        return;
    hand_over(m);
    pthread_mutex_lock(&m->mu);
    m->closing = 1;
    pthread_cond_broadcast(&m->cv);
    pthread_mutex_unlock(&m->mu);
    pthread_join(m->thread, NULL);
    m->finished = 1;
}

static double to_db(double linear)
{
    return linear > 0.0 ? 20.0 * log10(linear) : -HUGE_VAL;
}

int lull_meter_result(lull_meter *m, lull_loudness *out)
{
    finish(m);
    double lufs, lra, tp, sp;
    if (m->failed || ebur128_loudness_global(m->st, &lufs) != EBUR128_SUCCESS ||
        ebur128_loudness_range(m->st, &lra) != EBUR128_SUCCESS) {
        lull_set_error("loudness measurement failed");
        return LULL_ERR_NOMEM;
    }
    lull_true_peak_result(m->tp, &tp, &sp);
    /* libebur128 reports silence (everything gated away) as -HUGE_VAL. */
    out->integrated_lufs = isfinite(lufs) ? lufs : -HUGE_VAL;
    out->range_lu = isfinite(lra) ? lra : 0.0;
    out->true_peak_dbtp = to_db(tp);
    out->sample_peak_dbfs = to_db(sp);
    return LULL_OK;
}

void lull_meter_free(lull_meter **pm)
{
    if (!pm || !*pm)
        return;
    lull_meter *m = *pm;
    finish(m);
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->cv);
    free(m->slot[0]);
    ebur128_destroy(&m->st);
    lull_true_peak_free(&m->tp);
    free(m);
    *pm = NULL;
}

int lull_analyze_loudness(const lull_script *script, const lull_engine_config *cfg,
                          lull_progress_fn progress, void *user, lull_loudness *out)
{
    if (!script || !out)
        return LULL_ERR_ARG;
    /* Offline: wait for clips to be decoded, so the measurement hears
     * every clip whole, as a render does. */
    lull_engine_config ec = cfg ? *cfg : lull_engine_config_init();
    ec.offline = 1;
    lull_engine *e = NULL;
    int r = lull_engine_create(script, &ec, &e);
    if (r != LULL_OK)
        return r;
    lull_meter *m = lull_meter_create(lull_engine_rate(e));
    float *buf = malloc(sizeof(float) * 2 * ANALYSIS_BLOCK_FRAMES);
    if (!m || !buf) {
        r = LULL_ERR_NOMEM;
        goto done;
    }
    const int64_t total = lull_engine_length_frames(e);
    int64_t pos = 0;
    int tick = 0;
    while (pos < total) {
        int n = total - pos > ANALYSIS_BLOCK_FRAMES ? ANALYSIS_BLOCK_FRAMES : (int)(total - pos);
        lull_engine_process(e, buf, n);
        if ((r = lull_meter_add(m, buf, n)) != LULL_OK)
            goto done;
        pos += n;
        if (progress && (++tick % 16 == 0 || pos == total) && progress(user, pos, total)) {
            lull_set_error("loudness analysis cancelled");
            r = LULL_ERR_CANCELLED;
            goto done;
        }
    }
    r = lull_meter_result(m, out);
done:
    free(buf);
    lull_meter_free(&m);
    lull_engine_destroy(&e);
    return r;
}

double lull_loudness_trim_db(const lull_loudness *m, double target_lufs, double ceiling_dbtp,
                             int *limited)
{
    if (limited)
        *limited = 0;
    if (!m || !isfinite(m->integrated_lufs) || !isfinite(target_lufs))
        return 0.0;
    double trim = target_lufs - m->integrated_lufs;
    /* Gain staging is linear up to the limiter's knee, so the true peak
     * moves by exactly the trim. */
    if (isfinite(m->true_peak_dbtp) && isfinite(ceiling_dbtp) &&
        m->true_peak_dbtp + trim > ceiling_dbtp - CEILING_MARGIN_DB) {
        trim = ceiling_dbtp - CEILING_MARGIN_DB - m->true_peak_dbtp;
        if (limited)
            *limited = 1;
    }
    return trim;
}
