/*
 * live.c - live control of a running engine: lull_engine_process itself
 * (commands in, fades, loop, status out) around the mixer core in process.c.
 *
 * Real-time path.  A block goes like this:
 *   1. apply every queued command (at most LULL_ENGINE_COMMANDS: bounded);
 *   2. produce the block in chunks: while a fade or the volume trim is
 *      moving, chunks are at most LIVE_CHUNK frames and the core gets the live
 *      gain as a linear ramp between exact values at chunk ends (a piecewise
 *      linear curve, the same idea as the mixer's control segments); a chunk
 *      also ends exactly where a fade reaches silence or the session ends,
 *      so the jump, pause or stop that follows lands on that frame;
 *   3. publish position, section, flags and the level meter through atomics,
 *      and post notices for what changed.
 * With no command ever sent the live gain is exactly 1, no chunk is cut,
 * and the output is bit-identical to an offline render.
 */
#include "engine_internal.h"
#include "../voices/hot.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* Chunk length while a live gain ramp moves. */
#define LIVE_CHUNK 16
/* The live volume glides to a new setting over this long. */
#define LIVE_TRIM_RAMP_SEC 0.02
#define LIVE_TRIM_MIN_DB (-60.0)
#define LIVE_TRIM_MAX_DB 12.0
/* `previous section` restarts the current one when this far into it. */
#define LIVE_RESTART_SEC 2.0
/* The level meter falls 20 dB per second. */
#define LIVE_METER_FALL_DB_PER_SEC 20.0

enum { LIVE_ENDED = 1, LIVE_STOPPED = 2 };
enum { LIVE_PUB_PAUSED = 1, LIVE_PUB_FINISHED = 2 };

/* ------------------------------------------------------------------ ramps */

static double ramp_value(const lull_ramp *r)
{
    if (r->done >= r->len)
        return r->to;
    return r->from + (r->to - r->from) * ((double)r->done / (double)r->len);
}

static int64_t ramp_left(const lull_ramp *r) { return r->len > r->done ? r->len - r->done : 0; }

static void ramp_advance(lull_ramp *r, int64_t frames)
{
    r->done = frames >= ramp_left(r) ? r->len : r->done + frames;
}

/* Head for `to` from wherever the ramp is now.  A full 0..1 travel takes
 * full_frames; a shorter one proportionally less (at least one frame). */
static void ramp_retarget(lull_ramp *r, double to, int64_t full_frames)
{
    const double now = ramp_value(r);
    if (to == r->to && ramp_left(r) == 0 && now == to)
        return;
    double dist = fabs(to - now);
    if (dist > 1.0)
        dist = 1.0;
    int64_t len = (int64_t)ceil(dist * (double)full_frames);
    *r = (lull_ramp){ now, to, len > 0 ? len : 1, 0 };
}

/* Fades follow smoothstep of their linear position: zero slope at both ends,
 * so even a one-minute fade has no corner to hear where it starts or ends. */
static double fade_gain(double x) { return x * x * (3.0 - 2.0 * x); }

static double live_gain(const lull_live *l)
{
    return fade_gain(ramp_value(&l->fade)) * ramp_value(&l->trim) * ramp_value(&l->join);
}

/* ----------------------------------------------------------------- notices */

static void notify(lull_engine *e, lull_notice_kind kind, int section, int64_t frame)
{
    lull_notice n = { kind, section, frame };
    if (lull_spsc_write(&e->live.notices, &n, 1) != 1)
        lull_i64_store(&e->live.dropped_notices, lull_i64_load(&e->live.dropped_notices) + 1);
}

/* ------------------------------------------------------------------- setup */

void lull_live_init(lull_engine *e)
{
    lull_live *l = &e->live;
    lull_spsc_init(&l->commands, sizeof l->command_mem[0], LULL_ENGINE_COMMANDS, l->command_mem);
    lull_spsc_init(&l->notices, sizeof l->notice_mem[0], LULL_LIVE_NOTICES, l->notice_mem);
    const double rate = (double)e->rate_hz;
    l->pause_fade_frames = (int64_t)llround(LULL_PAUSE_FADE_SEC * rate);
    l->seek_fade_frames = (int64_t)llround(LULL_SEEK_FADE_SEC * rate);
    l->trim_ramp_frames = (int64_t)llround(LIVE_TRIM_RAMP_SEC * rate);
    l->fade_in_frames = l->pause_fade_frames;
    l->fade = (lull_ramp){ 1.0, 1.0, 0, 0 };
    l->trim = (lull_ramp){ 1.0, 1.0, 0, 0 };
    l->join = (lull_ramp){ 1.0, 1.0, 0, 0 };
    l->trim_db = 0.0;
    l->noticed_section = -1;
    l->prime_pending = 1;
    l->meter_fall_per_frame = -LIVE_METER_FALL_DB_PER_SEC / 20.0 * log(10.0) / rate;
    lull_i64_store(&l->pub_position, 0);
    lull_i64_store(&l->pub_section, -1);
    lull_i64_store(&l->pub_flags, 0);
    lull_f64_store(&l->pub_volume_db, 0.0);
    lull_f32_store(&l->pub_peak_left, 0.0f);
    lull_f32_store(&l->pub_peak_right, 0.0f);
    lull_i64_store(&l->dropped_notices, 0);
}

int lull_live_done(const lull_engine *e) { return e->live.done != 0; }

/* ---------------------------------------------------------------- commands */

static int valid_command(const lull_command *c)
{
    return c && c->kind >= LULL_CMD_PAUSE && c->kind <= LULL_CMD_LOOP;
}

int lull_engine_post(lull_engine *e, const lull_command *cmd)
{
    if (!e || !valid_command(cmd))
        return LULL_ERR_ARG;
    return lull_spsc_write(&e->live.commands, cmd, 1) == 1 ? LULL_OK : LULL_ERR_FULL;
}

/* Where the fade should be heading now, and how fast (frames for 0..1). */
static void steer_fade(lull_live *l)
{
    if (l->stopping)
        ramp_retarget(&l->fade, 0.0, l->stop_fade_frames);
    else if (l->seek_pending)
        ramp_retarget(&l->fade, 0.0, l->seek_fade_frames);
    else if (l->want_pause)
        ramp_retarget(&l->fade, 0.0, l->pause_fade_frames);
    else if (ramp_value(&l->fade) < 1.0 || l->fade.to != 1.0)
        ramp_retarget(&l->fade, 1.0, l->fade_in_frames);
}

static int fade_silent(const lull_live *l)
{
    return ramp_left(&l->fade) == 0 && ramp_value(&l->fade) == 0.0;
}

/* The section that contains `frame` (-1 before the first). */
static int section_at(const lull_engine *e, int64_t frame)
{
    int s = -1;
    for (int i = 0; i < e->n_sections; i++)
        if (e->section_frames[i] <= frame)
            s = i;
    return s;
}

/* Once the fade is silent: stop, jump or hold, as asked. */
static void settle(lull_engine *e)
{
    lull_live *l = &e->live;
    if (!fade_silent(l) || l->done)
        return;
    if (l->stopping) {
        l->done = LIVE_STOPPED;
        notify(e, LULL_NOTICE_STOPPED, e->current_section, e->pos);
        return;
    }
    if (l->seek_pending) {
        lull_engine_seek_core(e, l->seek_to);
        /* A section that starts exactly here is current at once (the seek
         * leaves events at the target frame for the next segment, which a
         * paused engine would not reach until resumed). */
        e->current_section = section_at(e, l->seek_to);
        l->seek_pending = 0;
        l->fade_in_frames = l->seek_fade_frames;
    }
    if (l->want_pause && !l->paused_noticed) {
        l->paused_noticed = 1;
        notify(e, LULL_NOTICE_PAUSED, e->current_section, e->pos);
    }
    steer_fade(l);
}

static void seek_to(lull_engine *e, int64_t frame, int section)
{
    lull_live *l = &e->live;
    if (frame < 0)
        frame = 0;
    if (frame > e->length_frames)
        frame = e->length_frames;
    l->seek_pending = 1;
    l->seek_to = frame;
    l->seek_section = section;
}

static void step_section(lull_engine *e, int delta)
{
    lull_live *l = &e->live;
    const int cur = l->seek_pending ? l->seek_section : e->current_section;
    const int64_t at = l->seek_pending ? l->seek_to : e->pos;
    int target;
    if (delta > 0) {
        target = cur + 1;
        if (target >= e->n_sections)
            return; /* already in the last section: nothing further to jump to */
    } else {
        const int64_t restart = (int64_t)(LIVE_RESTART_SEC * (double)e->rate_hz);
        target = cur >= 0 && at - e->section_frames[cur] > restart ? cur : cur - 1;
    }
    if (target < 0)
        seek_to(e, 0, -1);
    else
        seek_to(e, e->section_frames[target], target);
}

int lull_engine_command(lull_engine *e, const lull_command *c)
{
    if (!e || !valid_command(c))
        return LULL_ERR_ARG;
    lull_live *l = &e->live;
    if (l->done)
        return LULL_ERR_STATE;
    switch (c->kind) {
    case LULL_CMD_PAUSE:
        l->want_pause = 1;
        break;
    case LULL_CMD_RESUME:
        if (l->want_pause && l->paused_noticed)
            notify(e, LULL_NOTICE_RESUMED, e->current_section, e->pos);
        l->want_pause = 0;
        l->paused_noticed = 0;
        l->fade_in_frames = l->pause_fade_frames;
        break;
    case LULL_CMD_TOGGLE_PAUSE: {
        lull_command t = *c;
        t.kind = l->want_pause ? LULL_CMD_RESUME : LULL_CMD_PAUSE;
        return lull_engine_command(e, &t);
    }
    case LULL_CMD_SEEK:
        seek_to(e, c->frames, section_at(e, c->frames));
        break;
    case LULL_CMD_SECTION:
        if (c->index < 0 || c->index >= e->n_sections)
            return LULL_ERR_ARG;
        seek_to(e, e->section_frames[c->index], c->index);
        break;
    case LULL_CMD_SECTION_STEP:
        if (c->index != 0)
            step_section(e, c->index);
        break;
    case LULL_CMD_VOLUME: {
        double db = c->value;
        if (!(db >= LIVE_TRIM_MIN_DB))
            db = LIVE_TRIM_MIN_DB;
        if (db > LIVE_TRIM_MAX_DB)
            db = LIVE_TRIM_MAX_DB;
        l->trim_db = db;
        const double from = ramp_value(&l->trim);
        l->trim = (lull_ramp){ from, pow(10.0, db / 20.0), l->trim_ramp_frames, 0 };
        break;
    }
    case LULL_CMD_STOP: {
        /* The fade itself is started by steer_fade below. */
        const double frames = c->value * (double)e->rate_hz;
        l->stopping = 1;
        l->stop_fade_frames = frames > (double)l->seek_fade_frames ? (int64_t)llround(frames)
                                                                     : l->seek_fade_frames;
        break;
    }
    case LULL_CMD_LOOP:
        l->loop = c->index != 0;
        break;
    }
    steer_fade(l);
    settle(e);
    return LULL_OK;
}

/* ----------------------------------------------------------------- process */

static void end_of_session(lull_engine *e)
{
    lull_live *l = &e->live;
    if (l->loop && e->length_frames > 0) {
        /* The session's own end fade has just reached silence; the start
         * comes in over a de-click fade, since the oscillators keep their
         * phase across the join. */
        lull_engine_seek_core(e, 0);
        l->join = (lull_ramp){ 0.0, 1.0, l->seek_fade_frames, 0 };
        notify(e, LULL_NOTICE_LOOPED, -1, 0);
        return;
    }
    l->done = LIVE_ENDED;
    notify(e, LULL_NOTICE_END, e->current_section, e->pos);
}

/* Peaks as integer maxima of the magnitudes' bit patterns (for finite
 * non-negative floats the integer order is the float order, and the output
 * is always finite): a loop the compiler vectorises, unlike a float max,
 * which it may not reorder.  Built twice (voices/hot.h): baseline SSE2 has
 * no unsigned 32-bit max, AVX2 has. */
LULL_HOT_CLONES static void block_peaks(const float *out, int frames, uint32_t *pl, uint32_t *pr)
{
    uint32_t ml = 0, mr = 0;
    for (int k = 0; k < frames; k++) {
        const uint32_t a = lull_abs_bits(out[2 * k]), b = lull_abs_bits(out[2 * k + 1]);
        ml = a > ml ? a : ml;
        mr = b > mr ? b : mr;
    }
    *pl = ml;
    *pr = mr;
}

static void publish(lull_engine *e, const float *out, int frames)
{
    lull_live *l = &e->live;
    uint32_t ml, mr;
    block_peaks(out, frames, &ml, &mr);
    float pl, pr;
    memcpy(&pl, &ml, sizeof pl);
    memcpy(&pr, &mr, sizeof pr);
    const double fall = exp(l->meter_fall_per_frame * (double)frames);
    l->meter_left = (double)pl > l->meter_left * fall ? (double)pl : l->meter_left * fall;
    l->meter_right = (double)pr > l->meter_right * fall ? (double)pr : l->meter_right * fall;

    if (e->current_section != l->noticed_section) {
        l->noticed_section = e->current_section;
        if (e->current_section >= 0)
            notify(e, LULL_NOTICE_SECTION, e->current_section,
                   e->section_frames[e->current_section]);
    }
    lull_i64_store(&l->pub_position, lull_live_position(e));
    lull_i64_store(&l->pub_section, e->current_section);
    lull_i64_store(&l->pub_flags, (l->want_pause ? LIVE_PUB_PAUSED : 0) |
                                      (lull_engine_finished(e) ? LIVE_PUB_FINISHED : 0));
    lull_f64_store(&l->pub_volume_db, l->trim_db);
    lull_f32_store(&l->pub_peak_left, (float)l->meter_left);
    lull_f32_store(&l->pub_peak_right, (float)l->meter_right);
}

/* tags[k] = p0 + k: the session frames the mixer just made, for the
 * limiter.  Built twice (voices/hot.h): AVX2 adds four 64-bit lanes at a
 * time, baseline SSE2 two. */
LULL_HOT_CLONES static void fill_tags(int64_t *restrict tags, int64_t p0, int n)
{
    for (int k = 0; k < n; k++)
        tags[k] = p0 + k;
}

/* The mixer and the live stage for `frames` frames, and the session frame
 * of each into tags (unless NULL): what the limiter takes in, delay_frames
 * ahead of the output. */
static int run(lull_engine *e, float *out, int frames, int64_t *tags)
{
    lull_live *l = &e->live;
    int done = 0, live = 0;
    while (done < frames) {
        if (!l->done && e->pos >= e->length_frames)
            end_of_session(e);
        const int rest = frames - done;
        if (l->done || fade_silent(l)) {
            /* Ended, stopped or paused: silence, the position holds. */
            memset(out + 2 * done, 0, sizeof(float) * 2 * (size_t)rest);
            for (int k = 0; tags && k < rest; k++)
                tags[done + k] = e->pos;
            if (!l->done)
                live += rest;
            break;
        }
        int64_t n = rest;
        if (e->length_frames - e->pos < n)
            n = e->length_frames - e->pos;
        /* While a ramp moves: short chunks, each ending where a ramp ends. */
        lull_ramp *ramps[3] = { &l->fade, &l->trim, &l->join };
        for (int i = 0; i < 3; i++) {
            const int64_t left = ramp_left(ramps[i]);
            if (left > 0 && n > LIVE_CHUNK)
                n = LIVE_CHUNK;
            if (left > 0 && left < n)
                n = left;
        }
        const double g0 = live_gain(l);
        for (int i = 0; i < 3; i++)
            ramp_advance(ramps[i], n);
        const double g1 = live_gain(l);
        const int64_t p0 = e->pos;
        live += lull_engine_process_core(e, out + 2 * done, (int)n, g0, (g1 - g0) / (double)n);
        if (tags)
            fill_tags(tags + done, p0, (int)n);
        done += (int)n;
        settle(e);
    }
    return live;
}

/* Fill the look-ahead (after creation or a seek): the mixer runs
 * delay_frames ahead, so output frame k is still session frame k.  With
 * keep NULL the limiter takes the frames at once; otherwise they go to keep
 * (at most LULL_LIM_RING frames) for the caller to limit first
 * (lull_engine_mix).  Returns how many frames that is. */
static int prime(lull_engine *e, float *keep)
{
    lull_live *l = &e->live;
    lull_limiter *lim = &e->limiter;
    float buf[2 * LULL_LIVE_STAGE];
    lull_limiter_reset(lim, e->pos);
    l->prime_pending = 0;
    l->out_frames = 0;
    l->in_live_frames = 0;
    l->done_seen = 0;
    int n = 0;
    for (int left = lim->delay_frames; left > 0;) {
        const int c = left < LULL_LIVE_STAGE ? left : LULL_LIVE_STAGE;
        if (keep) {
            l->in_live_frames += run(e, keep + 2 * n, c, NULL);
        } else {
            l->in_live_frames += run(e, buf, c, l->stage_tag);
            lull_limiter_process(lim, buf, l->stage_tag, c);
        }
        n += c;
        left -= c;
    }
    return n;
}

/* When the mixer has ended or stopped and what is left in the look-ahead
 * is silence (a stop while paused), the output ends at once too;
 * otherwise it plays out first. */
static void check_done(lull_engine *e)
{
    lull_live *l = &e->live;
    if (!l->done || l->done_seen)
        return;
    l->done_seen = 1;
    const int64_t pending = l->in_live_frames - l->out_frames;
    if (pending > 0 && lull_limiter_pending_silent(&e->limiter, pending))
        l->in_live_frames = l->out_frames;
}

int64_t lull_live_position(const lull_engine *e)
{
    return e->live.prime_pending ? e->pos : lull_limiter_next_tag(&e->limiter);
}

int lull_engine_process(lull_engine *e, float *out, int frames)
{
    if (!e || !out || frames <= 0)
        return 0;
    lull_live *l = &e->live;
    if (l->prime_pending)
        prime(e, NULL);

    /* 1. Commands: a bounded drain, applied before the first frame. */
    lull_command cmd;
    for (int i = 0; i < LULL_ENGINE_COMMANDS && lull_spsc_read(&l->commands, &cmd, 1) == 1; i++)
        lull_engine_command(e, &cmd);
    check_done(e);

    /* 2. The block: mixer and live stage (run), then the limiter, in
     * stages.  The limiter's output is delay_frames behind its input. */
    const int64_t out0 = l->out_frames;
    for (int done = 0; done < frames;) {
        const int c = frames - done < LULL_LIVE_STAGE ? frames - done : LULL_LIVE_STAGE;
        l->in_live_frames += run(e, out + 2 * done, c, l->stage_tag);
        lull_limiter_process(&e->limiter, out + 2 * done, l->stage_tag, c);
        l->out_frames += c;
        done += c;
        check_done(e);
    }
    /* Live frames are a prefix of the stream: all until the end or stop. */
    int64_t live = l->in_live_frames - out0;
    live = live < 0 ? 0 : (live > frames ? frames : live);

    /* 3. Publish. */
    publish(e, out, frames);
    return (int)live;
}

/* The two halves of lull_engine_process (engine_internal.h): the same
 * run() and limiter calls on the same stages, the limiter's left to the
 * caller.  The positions the limiter carries (tags) only serve the status
 * this mode does not publish, so neither half makes them. */
int lull_engine_mix(lull_engine *e, float *out, int frames, float *prime_out, int *prime_frames)
{
    lull_live *l = &e->live;
    *prime_frames = l->prime_pending ? prime(e, prime_out) : 0;
    int live = 0;
    for (int done = 0; done < frames;) {
        const int c = frames - done < LULL_LIVE_STAGE ? frames - done : LULL_LIVE_STAGE;
        live += run(e, out + 2 * done, c, NULL);
        done += c;
    }
    return live;
}

void lull_engine_limit(lull_engine *e, float *io, int frames)
{
    /* The limiter's output does not depend on how its input is split into
     * calls (limiter.h), so one call takes the whole chunk. */
    lull_limiter_process(&e->limiter, io, NULL, frames);
}

int lull_engine_seek(lull_engine *e, int64_t frame)
{
    const int r = lull_engine_seek_core(e, frame);
    if (r == LULL_OK)
        e->live.prime_pending = 1;
    return r;
}

/* ------------------------------------------------------------------ status */

void lull_engine_status(const lull_engine *e, lull_status *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (!e)
        return;
    const lull_live *l = &e->live;
    const int64_t flags = lull_i64_load(&l->pub_flags);
    out->position_frames = lull_i64_load(&l->pub_position);
    out->length_frames = e->length_frames;
    out->section = (int)lull_i64_load(&l->pub_section);
    out->paused = (flags & LIVE_PUB_PAUSED) != 0;
    out->finished = (flags & LIVE_PUB_FINISHED) != 0;
    out->volume_db = lull_f64_load(&l->pub_volume_db);
    out->peak_left = lull_f32_load(&l->pub_peak_left);
    out->peak_right = lull_f32_load(&l->pub_peak_right);
}

int lull_engine_poll_notice(lull_engine *e, lull_notice *out)
{
    if (!e || !out)
        return 0;
    return lull_spsc_read(&e->live.notices, out, 1) == 1;
}
