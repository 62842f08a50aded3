/*
 * process.c - the real-time path: sequencer (events onto exact frames),
 * control segments, mixing and the master bus.
 *
 * Everything here runs on the audio thread in a live host: no allocation, no
 * locks, no I/O, and work bounded by the block size, the number of voices and
 * the events due in the block.
 *
 * Processing is split into control segments.  A segment ends at the next
 * point of the grid, at the next event, where a ramp ends, or at the session
 * end, whichever comes first.  Parameter values are exact at segment ends
 * and ramp linearly inside.  The grid is absolute: every LULL_CONTROL_FRAMES
 * (128) frames, and every LULL_CONTROL_FINE (32) while a ramp shorter than
 * LULL_FINE_RAMP_FRAMES moves, unless it is a straight line in amplitude
 * (a de-click), or ducking moves (see below).  Because segment boundaries
 * depend only on the session and never on the caller's block size, the
 * output is the same whatever block sizes the host asks for.
 *
 * Why two grids.  Between control points a gain in dB, a fade's raised
 * cosine or a voice's own mapping of a parameter is followed by a straight
 * line; for a smooth curve over a ramp of L frames the error is about
 * (h / L)^2 / 8 of its curvature scale, h the grid.  A ramp of 2^18 frames
 * or more (5.5 s at 48 kHz) on the 128-frame grid is within 2e-8 of a
 * raised cosine and within 4e-6 of amplitude on a glide across the whole
 * 120 dB range (1.6e-7 across 24 dB): far below hearing.  Shorter ramps
 * keep the 32-frame grid they always had (16 times closer).  Every
 * segment costs a control() call per moving voice, a master evaluation and
 * the loops' start-up; with the two grids a 60-minute binaural and pink
 * noise render took about a fifth less CPU time than with 32 frames
 * everywhere (user time 1.24-1.35 s against 1.50-1.59 s, alternated runs of
 * tests/bench/tones60.lull), and its samples moved by at most 1 LSB of
 * 24-bit.
 *
 * The public lull_engine_process (live.c) wraps the core below: it applies
 * queued commands, cuts blocks at the ends of live fades and hands the core
 * the live gain ramp, which is exactly 1 when no live control is used.
 */
#include "engine_internal.h"
#include "../voices/hot.h"
#include "../voices/ramp.h"

#include <math.h>
#include <string.h>

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define LULL_HAVE_MXCSR 1
#endif

/* The master fade multiplier is a 0..1 position shaped by a raised cosine,
 * so fades start and end with zero slope (no corner to hear). */
static double fade_shape(double x)
{
    if (x <= 0.0)
        return 0.0;
    if (x >= 1.0)
        return 1.0;
    return 0.5 - 0.5 * cos(3.14159265358979323846 * x);
}

static double master_at(const lull_engine *e, int64_t frame)
{
    return e->master_trim * lull_track_gain(&e->master_gain, frame) *
           fade_shape(lull_track_at(&e->master_fade, frame));
}

/* Ramps shorter than this (frames) keep the fine grid while they move. */
#define LULL_FINE_RAMP_FRAMES ((int64_t)1 << 18)

/* A track was just set: its end is a segment boundary, and a short curve
 * asks for the fine grid until then. */
static void note_ramp(lull_engine *e, const lull_track *t)
{
    if (t->len <= 0)
        return;
    const int64_t end = t->start + t->len;
    if (end < e->ramp_end_next)
        e->ramp_end_next = end;
    if (!t->amp_linear && t->len < LULL_FINE_RAMP_FRAMES && end > e->fine_until)
        e->fine_until = end;
}

/* The first frame after pos where a track's ramp ends (INT64_MAX: none).
 * A bounded loop over every track; runs once per ramp end, not per segment. */
static int64_t next_ramp_end(const lull_engine *e, int64_t pos)
{
    int64_t best = INT64_MAX;
    const lull_track *m[2] = { &e->master_gain, &e->master_fade };
    for (int k = 0; k < 2; k++)
        if (m[k]->len > 0 && m[k]->start + m[k]->len > pos && m[k]->start + m[k]->len < best)
            best = m[k]->start + m[k]->len;
    for (int i = 0; i < e->n_voices; i++) {
        const lull_eng_voice *v = &e->voices[i];
        for (int p = 0; p < v->vc->n_params; p++) {
            const lull_track *t = &v->tracks[p];
            if (t->len > 0 && t->start + t->len > pos && t->start + t->len < best)
                best = t->start + t->len;
        }
    }
    return best;
}

static double voice_value(const lull_eng_voice *v, int p, int64_t frame)
{
    return v->gain_param[p] ? lull_track_gain(&v->tracks[p], frame) : lull_track_at(&v->tracks[p], frame);
}

static void apply_event(lull_engine *e, const lull_eng_event *ev, int64_t at)
{
    lull_track *t = NULL;
    switch (ev->kind) {
    case LULL_EV_SET:
        t = ev->voice < 0 ? &e->master_gain : &e->voices[ev->voice].tracks[ev->param];
        break;
    case LULL_EV_FADE_IN:
        t = &e->master_fade;
        /* From where the fade is (0 at the start of a session that opens
         * with a fade-in, or after a fade-out), never a drop to silence. */
        *t = (lull_track){ lull_track_at(t, at), 1.0, at, ev->dur_frames, 0 };
        note_ramp(e, t);
        return;
    case LULL_EV_FADE_OUT:
        t = &e->master_fade;
        *t = (lull_track){ lull_track_at(t, at), 0.0, at, ev->dur_frames, 0 };
        note_ramp(e, t);
        return;
    case LULL_EV_SECTION:
        e->current_section = ev->index;
        return;
    case LULL_EV_END:
    case LULL_EV_MARK:
        return;
    case LULL_EV_PLAY:
    case LULL_EV_STOP:
        lull_clips_event(e, ev);
        return;
    }
    double now = lull_track_at(t, at);
    /* A gain step, and a gain glide asked for `linear`, ramp linearly in
     * amplitude (see lull_track). */
    const int is_gain = ev->voice < 0 || e->voices[ev->voice].gain_param[ev->param];
    *t = (lull_track){ now, ev->value, at, ev->dur_frames, (ev->declick || ev->amp_linear) && is_gain };
    note_ramp(e, t);
    if (ev->voice >= 0 && ev->dur_frames > 0 && at + ev->dur_frames > e->voices[ev->voice].rest_from)
        e->voices[ev->voice].rest_from = at + ev->dur_frames;
}

/* Whether this engine runs the voice (see lull_split_role). */
static int runs_here(const lull_engine *e, const lull_eng_voice *v)
{
    switch (e->split_role) {
    case LULL_SPLIT_GROUP0: return v->group == 0;
    case LULL_SPLIT_GROUP1: return v->group == 1;
    case LULL_SPLIT_VOICES_HELPER: return v->remote;
    case LULL_SPLIT_VOICES_MAIN: return !v->remote;
    default: return 1;
    }
}

/* Voice kinds whose process(), after a control(x, x, n) segment it has
 * finished, goes on producing exactly what further control(x, x, m) calls
 * would make it produce when no control() comes (voices/binaural.c,
 * voices/clip.c and voices/noise.c keep their held values and say so;
 * test_control_skip renders with and without the skip and compares bit for
 * bit).  For them the mixer skips control() while nothing moves. */
static int holds_at_rest(const lull_voice_class *vc)
{
    return vc == &lull_voice_binaural || vc == &lull_voice_clip || vc == &lull_voice_noise;
}

/* Link the voices this engine follows and mixes into lists, in index
 * order, so segments do not test every voice's role.  Rebuilt whenever the
 * split role changes (split.c sets the remote flags along with the role).
 * A bounded loop over the voices, like a segment's. */
static void plan(lull_engine *e)
{
    int *ctl = &e->ctl_head, *mix[2] = { &e->mix_head[0], &e->mix_head[1] };
    for (int i = 0; i < e->n_voices; i++) {
        lull_eng_voice *v = &e->voices[i];
        v->next_ctl = v->next_mix = -1;
        v->holds = holds_at_rest(v->vc);
        v->held = 0;
        if (runs_here(e, v)) {
            *ctl = i;
            ctl = &v->next_ctl;
        }
        if (v->group == 0 || v->group == 1) {
            *mix[v->group] = i;
            mix[v->group] = &v->next_mix;
        }
    }
    *ctl = *mix[0] = *mix[1] = -1;
    e->plan_role = (int)e->split_role + 1;
}

/* Start a control segment at e->pos. */
static void begin_segment(lull_engine *e)
{
    const int64_t pos = e->pos;
    const int first_event = e->next_event;
    e->segments++;
    while (e->next_event < e->n_events && e->events[e->next_event].frame <= pos)
        apply_event(e, &e->events[e->next_event++], pos);

    /* Ducking's levels move along smooth curves too: the fine grid while
     * they may move (lull_clips_duck decides that below, in the same way on
     * a split render's twin). */
    const int fine = pos < e->fine_until || (e->clips && lull_clips_duck_may_move(e, pos));
    const int64_t grid = fine ? LULL_CONTROL_FINE : LULL_CONTROL_FRAMES;
    int64_t end = (pos / grid + 1) * grid;
    if (e->next_event < e->n_events && e->events[e->next_event].frame < end)
        end = e->events[e->next_event].frame;
    if (pos >= e->ramp_end_next)
        e->ramp_end_next = next_ramp_end(e, pos);
    if (e->ramp_end_next < end)
        end = e->ramp_end_next;
    if (e->length_frames > pos && e->length_frames < end)
        end = e->length_frames;
    e->seg_end = end;
    const int len = (int)(end - pos);
    /* Ducking scales each voice's gain at both ends of the segment. */
    const double *duck_from = NULL, *duck_to = NULL;
    const int ducking = e->clips && lull_clips_duck(e, pos, end, &duck_from, &duck_to);

    /* Any event now (a play, a stop, a parameter) and every voice gets its
     * control() call. */
    const int may_hold = !e->need_from && e->next_event == first_event && !e->hold_off;
    for (int i = e->ctl_head; i >= 0; i = e->voices[i].next_ctl) {
        lull_eng_voice *v = &e->voices[i];
        const int np = v->vc->n_params;
        const int g = v->gain_index;
        const int ducked = ducking && g >= 0 && (duck_from[i] != 1.0 || duck_to[i] != 1.0);
        double from_buf[LULL_MAX_PARAMS], to_buf[LULL_MAX_PARAMS];
        /* A segment starts where the last one ended: an event at this frame
         * re-anchors its track at the current value, so the previous end
         * value is still exact.  Only a seek needs a fresh evaluation.  A
         * voice whose tracks all rest (most segments of a session) ends
         * where it starts: from and to are the last end values, and a voice
         * that holds them already needs no call at all. */
        const double *from = v->to, *to = v->to;
        if (!e->need_from && pos >= v->rest_from && !ducked) {
            if (v->held && may_hold) {
                e->held_segments++;
                continue;
            }
            v->vc->control(v->state, from, to, len);
            v->held = v->holds;
            continue;
        }
        v->held = 0;
        if (e->need_from) {
            int64_t rest = 0;
            for (int p = 0; p < np; p++) {
                const lull_track *t = &v->tracks[p];
                from_buf[p] = voice_value(v, p, pos);
                /* Skip the dB conversion when the track is at rest. */
                v->to[p] = t->len <= 0 || pos >= t->start + t->len ? from_buf[p] : voice_value(v, p, end);
                if (t->len > 0 && t->start + t->len > rest)
                    rest = t->start + t->len;
            }
            v->rest_from = rest;
            from = from_buf;
        } else if (pos < v->rest_from) {
            for (int p = 0; p < np; p++) {
                const lull_track *t = &v->tracks[p];
                from_buf[p] = v->to[p];
                if (t->len > 0 && pos < t->start + t->len)
                    v->to[p] = voice_value(v, p, end);
            }
            from = from_buf;
        }
        if (ducked) {
            memcpy(to_buf, to, sizeof(double) * (size_t)np);
            if (from != from_buf)
                memcpy(from_buf, from, sizeof(double) * (size_t)np);
            from_buf[g] *= duck_from[i];
            to_buf[g] *= duck_to[i];
            from = from_buf;
            to = to_buf;
        }
        v->vc->control(v->state, from, to, len);
    }

    e->seg_start = pos;
    if (e->split_role == LULL_SPLIT_VOICES_HELPER || e->split_role == LULL_SPLIT_GROUP1) {
        e->need_from = 0; /* a split helper has no master bus */
        return;
    }
    double mfrom = e->need_from ? master_at(e, pos) : e->master_to;
    /* At rest (no glide, no fade under way, no event now) the master value
     * does not depend on the frame: the last segment's end value holds. */
    const int master_rest = !e->need_from && e->next_event == first_event &&
                            (e->master_gain.len <= 0 || pos >= e->master_gain.start + e->master_gain.len) &&
                            (e->master_fade.len <= 0 || pos >= e->master_fade.start + e->master_fade.len);
    if (!master_rest)
        e->master_to = master_at(e, end);
    e->master_cur = mfrom;
    e->master_inc = lull_ramp_slope(e->master_to - mfrom, len);
    e->need_from = 0;
}

/* The master bus for n frames of the mix: the gain ramp (the true-peak
 * limiter, limiter.c, comes after the live stage).  Plain loops the compiler vectorises;
 * the ramp is evaluated from its start each time (not accumulated) so
 * rounding cannot drift within a segment. */
LULL_HOT_CLONES static void master_block(lull_engine *e, float *o, int n, float g0, float gstep)
{
    const float m0 = (float)e->master_cur, dm = (float)e->master_inc;
    /* Position inside the segment, so a segment split across calls ramps
     * exactly as an unsplit one. */
    const float k0 = (float)(e->pos - e->seg_start);
    float *l = e->mix_left, *r = e->mix_right;
    if (g0 == 1.0f && gstep == 0.0f) {
        /* No live gain (a render, most of live play): x * m * 1 is x * m. */
        if (n == LULL_CONTROL_FRAMES) {
            /* A whole segment in one call (k0 is 0), the usual case: one
             * pass with a fixed count, unrolled.  0 + k is k. */
            for (int k = 0; k < LULL_CONTROL_FRAMES; k++) {
                const float m = m0 + dm * (float)k;
                o[2 * k] = l[k] * m;
                o[2 * k + 1] = r[k] * m;
            }
            return;
        }
        for (int k = 0; k < n; k++) {
            const float m = m0 + dm * (k0 + (float)k);
            l[k] = l[k] * m;
            r[k] = r[k] * m;
        }
    } else {
        for (int k = 0; k < n; k++) {
            const float m = m0 + dm * (k0 + (float)k);
            const float g = g0 + gstep * (float)k;
            l[k] = (l[k] * m) * g;
            r[k] = (r[k] * m) * g;
        }
    }
    for (int k = 0; k < n; k++) {
        o[2 * k] = l[k];
        o[2 * k + 1] = r[k];
    }
}

/* l += xl, r += xr over n frames (separate buffers: the loops vectorise;
 * built twice, voices/hot.h).  A whole segment, the usual case, with a
 * fixed count: unrolled, no remainder loops. */
LULL_HOT_CLONES static void add_planes(float *restrict l, float *restrict r, const float *restrict xl,
                                       const float *restrict xr, int n)
{
    if (n == LULL_CONTROL_FRAMES) {
        for (int k = 0; k < LULL_CONTROL_FRAMES; k++)
            l[k] += xl[k];
        for (int k = 0; k < LULL_CONTROL_FRAMES; k++)
            r[k] += xr[k];
        return;
    }
    for (int k = 0; k < n; k++)
        l[k] += xl[k];
    for (int k = 0; k < n; k++)
        r[k] += xr[k];
}

/* Zero a plane's n frames: a few vector stores for a whole segment, a call
 * otherwise.  In 64-byte pieces: GCC expands a constant memset of 128 bytes
 * or more as `rep stos` (slow to start: a tenth of a clip render's CPU time
 * went to it when segments grew to 128 frames), a 64-byte one as four or
 * eight plain stores. */
static inline void zero_frames(float *x, int n)
{
    if (n == LULL_CONTROL_FRAMES) {
        for (int k = 0; k < LULL_CONTROL_FRAMES; k += 16)
            memset(x + k, 0, sizeof(float) * 16);
    } else {
        memset(x, 0, sizeof(float) * (size_t)n);
    }
}

/* Sum one group's voices into l, r in index order.  A voice the split
 * helper ran is added from its planes: every voice adds its frame to l and
 * r once, and the helper's planes start from zero, so the sum is the same
 * float operation (the running sum starts at +0 and is never -0). */
static inline __attribute__((always_inline)) void mix_group(lull_engine *e, int group, float *l, float *r, int n)
{
    const int from_planes = e->split_role == LULL_SPLIT_VOICES_MAIN;
    for (int i = e->mix_head[group]; i >= 0; i = e->voices[i].next_mix) {
        const lull_eng_voice *v = &e->voices[i];
        if (from_planes && v->remote) {
            const float *xl = e->ext_mix + (size_t)(2 * v->remote_index) * (size_t)e->ext_stride +
                              (e->pos - e->ext_start);
            add_planes(l, r, xl, xl + e->ext_stride, n);
        } else {
            v->vc->process(v->state, l, r, n);
        }
    }
}

/* mix = group 0 + group 1, group 1 computed here or handed in. */
static void add_group1(lull_engine *e, int n)
{
    float *l = e->mix_left, *r = e->mix_right;
    if (e->split_role == LULL_SPLIT_GROUP0) {
        const float *xl = e->ext_mix + (e->pos - e->ext_start);
        add_planes(l, r, xl, xl + e->ext_stride, n);
        return;
    }
    float *l1 = e->mix1_left, *r1 = e->mix1_right;
    /* The whole buffers (n <= LULL_CONTROL_FRAMES): a few stores, no call. */
    zero_frames(l1, LULL_CONTROL_FRAMES);
    zero_frames(r1, LULL_CONTROL_FRAMES);
    mix_group(e, 1, l1, r1, n);
    add_planes(l, r, l1, r1, n);
}

int lull_engine_process_core(lull_engine *e, float *out, int frames, double gain_from,
                             double gain_step)
{
    if (!e || !out || frames <= 0)
        return 0;
#ifdef LULL_HAVE_MXCSR
    /* Flush denormals to zero while we work; restore the host's mode. */
    const unsigned int saved_csr = _mm_getcsr();
    _mm_setcsr(saved_csr | 0x8040u);
#endif
    if (e->plan_role != (int)e->split_role + 1)
        plan(e);
    int done = 0;
    int live = 0;
    while (done < frames) {
        if (e->pos >= e->length_frames) {
            /* A helper's planes: nobody reads past the end. */
            const int planes = e->split_role == LULL_SPLIT_VOICES_HELPER || e->split_role == LULL_SPLIT_GROUP1;
            if (!planes)
                memset(out + 2 * done, 0, sizeof(float) * 2 * (size_t)(frames - done));
            break;
        }
        if (e->pos >= e->seg_end)
            begin_segment(e);
        int n = frames - done;
        if ((int64_t)n > e->seg_end - e->pos)
            n = (int)(e->seg_end - e->pos);
        if (e->offline && e->clips && e->pos + n > e->clip_ready) {
            /* Offline: wait for the loader (NOT real-time safe, by request). */
            int64_t want = e->length_frames - e->pos < 8192 ? e->length_frames - e->pos : 8192;
            e->clip_ready = lull_clips_wait(e, (int)want);
            if ((int64_t)n > e->clip_ready - e->pos)
                n = (int)(e->clip_ready - e->pos);
        }

        if (e->split_role == LULL_SPLIT_VOICES_HELPER) {
            /* An offline helper of a clip session: each remote voice into
             * its own planes (from zero), no master bus. */
            for (int i = e->ctl_head; i >= 0; i = e->voices[i].next_ctl) {
                lull_eng_voice *v = &e->voices[i];
                float *l = out + (size_t)(2 * v->remote_index) * (size_t)e->ext_stride + done;
                float *r = l + e->ext_stride;
                zero_frames(l, n);
                zero_frames(r, n);
                v->vc->process(v->state, l, r, n);
            }
            e->pos += n;
            done += n;
            live += n;
            continue;
        }
        if (e->split_role == LULL_SPLIT_GROUP1) {
            /* An offline helper: group 1's raw mix into two planes (from
             * zero, as mix1 would be), no master bus. */
            float *l = out + done, *r = out + e->ext_stride + done;
            zero_frames(l, n);
            zero_frames(r, n);
            mix_group(e, 1, l, r, n);
            e->pos += n;
            done += n;
            live += n;
            continue;
        }
        zero_frames(e->mix_left, LULL_CONTROL_FRAMES);
        zero_frames(e->mix_right, LULL_CONTROL_FRAMES);
        mix_group(e, 0, e->mix_left, e->mix_right, n);
        if (e->n_group1)
            add_group1(e, n);

        /* live gain (1 when unused, which leaves the samples untouched) */
        master_block(e, out + 2 * done, n, (float)(gain_from + gain_step * (double)done), (float)gain_step);
        e->pos += n;
        done += n;
        live += n;
    }
    lull_clips_publish(e);
#ifdef LULL_HAVE_MXCSR
    _mm_setcsr(saved_csr);
#endif
    return live;
}

int lull_engine_seek_core(lull_engine *e, int64_t frame)
{
    if (!e)
        return LULL_ERR_ARG;
    if (frame < 0)
        frame = 0;
    if (frame > e->length_frames)
        frame = e->length_frames;
    for (int i = 0; i < e->n_voices; i++) {
        lull_eng_voice *v = &e->voices[i];
        for (int p = 0; p < v->vc->n_params; p++)
            v->tracks[p] = (lull_track){ v->init[p], v->init[p], 0, 0, 0 };
    }
    e->master_gain = (lull_track){ 0.0, 0.0, 0, 0, 0 };
    e->master_fade = (lull_track){ e->fade_initial, e->fade_initial, 0, 0, 0 };
    e->current_section = -1;
    e->next_event = 0;
    e->ramp_end_next = 0;
    e->fine_until = 0;
    /* Replay every event before the target at its own frame: tracks end up
     * exactly as if the session had played to here. */
    while (e->next_event < e->n_events && e->events[e->next_event].frame < frame) {
        const lull_eng_event *ev = &e->events[e->next_event++];
        if (ev->kind != LULL_EV_PLAY && ev->kind != LULL_EV_STOP)
            apply_event(e, ev, ev->frame);
    }
    e->pos = frame;
    e->seg_end = frame;
    e->need_from = 1;
    lull_clips_seek(e, frame);
    return LULL_OK;
}

double lull_engine_master_at(const lull_engine *e, int64_t frame) { return master_at(e, frame); }
