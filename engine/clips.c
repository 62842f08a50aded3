/*
 * clips.c - the engine's side of clips: turning `play`/`stop` lines into
 * plays with exact frames and lengths, driving clip voices from the
 * timeline, ducking, and the link to the loader thread (loader.c).
 *
 * Every play's length is worked out here, once, from the script: the file's
 * own length at the engine's rate, cut by a `stop` (after its fade), by the
 * next play on the voice (after the crossfade) or by the session's end.  The
 * clip voice applies the same rules as it plays, and the loader decodes
 * exactly that many frames, so the three always agree on when a ring slot
 * is free again without talking to each other.
 *
 * Ducking.  A clip voice with duck < 0 dB lowers every other voice's gain
 * while it speaks (from a play's first frame until its clip ends or a stop
 * begins).  Its duck level L moves linearly between 0 and 1 at 1/attack or
 * 1/release per second, and the gain applied is duck_db * smoothstep(L) in
 * dB: an S-curve in dB, so the bed eases down and back up with no corner.
 * L is advanced at control points only, from values fixed by the session,
 * so ducking is sample-identical for any host block size; MARK events put
 * a control point on every speaking edge.
 */
#include "engine_internal.h"
#include "loader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct play_info {
    double gain;          /* linear */
    double pan;
    int64_t fade_frames;  /* fade-in */
    int64_t stop_frame;   /* a stop that fades this play out, or INT64_MAX */
} play_info;

typedef struct duck {
    int voice;
    int p_duck, p_attack, p_release;
    int64_t *iv;          /* speaking intervals [iv[2i], iv[2i+1]), merged, sorted */
    int n_iv;
    int cur;              /* first interval not yet over (processing thread) */
    double level;         /* 0..1 at the start of the coming segment */
    double end_gain;      /* the gain at the last segment's end ... */
    int64_t end_frame;    /* ... which is this frame (-1: none), so the next
                           * segment starts from it without computing it again */
} duck;

struct lull_clips {
    lull_clip_play *plays;
    play_info *info;
    int n_plays;
    lull_loader *loader;
    uint32_t epoch;       /* seek epoch (processing thread) */
    duck *ducks;
    int n_ducks;
    double *mul_from, *mul_to; /* per voice, this segment */
    int64_t quiet_until;  /* nobody speaks and every level rests at 0 before this
                           * frame (processing thread) */
    int64_t declick_frames;
};

static int cmp_event(const void *a, const void *b)
{
    const lull_eng_event *x = a, *y = b;
    if (x->frame != y->frame)
        return x->frame < y->frame ? -1 : 1;
    /* Stable: MARKs were appended after the script's events and carry their
     * original position in `index`; script events keep file order. */
    return x->index < y->index ? -1 : x->index > y->index;
}

int lull_clips_create(lull_engine *e, const lull_script *s)
{
    if (s->n_clips == 0)
        return LULL_OK;
    lull_clips *c = calloc(1, sizeof *c);
    if (!c)
        return LULL_ERR_NOMEM;
    e->clips = c;
    c->n_plays = s->n_clips;
    c->plays = calloc((size_t)c->n_plays, sizeof *c->plays);
    c->info = calloc((size_t)c->n_plays, sizeof *c->info);
    c->mul_from = calloc((size_t)e->n_voices, sizeof(double));
    c->mul_to = calloc((size_t)e->n_voices, sizeof(double));
    c->ducks = calloc((size_t)e->n_voices, sizeof *c->ducks);
    int *group = malloc(sizeof(int) * (size_t)e->n_voices);
    int *ordinal = calloc((size_t)e->n_voices, sizeof(int));
    if (!c->plays || !c->info || !c->mul_from || !c->mul_to || !c->ducks || !group || !ordinal) {
        free(group);
        free(ordinal);
        return LULL_ERR_NOMEM;
    }
    c->declick_frames = lull_ns_to_frames(LULL_DECLICK_NS, e->rate_hz);
    const int64_t xfade = lull_ns_to_frames(LULL_CLIP_XFADE_NS, e->rate_hz);
    int n_groups = 0;
    for (int i = 0; i < e->n_voices; i++)
        group[i] = e->voices[i].vc == &lull_voice_clip ? n_groups++ : -1;

    /* Lengths: the file's own, cut by a stop, the next play or the end. */
    for (int i = 0; i < e->n_events; i++) {
        const lull_eng_event *ev = &e->events[i];
        if (ev->kind != LULL_EV_PLAY)
            continue;
        const lull_clip_ref *ref = &s->clips[ev->play];
        lull_clip_play *p = &c->plays[ev->play];
        play_info *pi = &c->info[ev->play];
        p->clip = ev->play;
        p->voice = ev->voice;
        p->slot = group[ev->voice] * LULL_CLIP_SLOTS + ordinal[ev->voice]++ % LULL_CLIP_SLOTS;
        p->start_frame = ev->frame;
        p->loop = ref->loop;
        pi->gain = lull_db_to_gain(ev->value);
        pi->pan = ref->pan;
        pi->fade_frames = ev->dur_frames;
        pi->stop_frame = INT64_MAX;
        int64_t natural = INT64_MAX / 4;
        if (!ref->loop)
            natural = (ref->src_frames * e->rate_hz + ref->src_rate_hz - 1) / ref->src_rate_hz;
        int64_t end = p->start_frame + natural;
        int64_t speak = end;
        int plays_after = 0;
        for (int j = i + 1; j < e->n_events && plays_after < 2; j++) {
            const lull_eng_event *nx = &e->events[j];
            if (nx->voice != ev->voice)
                continue;
            if (nx->kind == LULL_EV_STOP && plays_after == 0 && pi->stop_frame == INT64_MAX) {
                pi->stop_frame = nx->frame;
                int64_t fade = nx->dur_frames > 0 ? nx->dur_frames : c->declick_frames;
                if (fade < 1)
                    fade = 1;
                if (nx->frame < end) {
                    if (nx->frame + fade < end)
                        end = nx->frame + fade;
                    if (nx->frame < speak)
                        speak = nx->frame;
                }
            } else if (nx->kind == LULL_EV_PLAY) {
                int64_t cut = plays_after == 0 ? nx->frame + (xfade > 0 ? xfade : 1) : nx->frame;
                if (cut < end)
                    end = cut;
                plays_after++;
            }
        }
        if (end > e->length_frames)
            end = e->length_frames;
        if (speak > end)
            speak = end;
        p->length_frames = end > p->start_frame ? end - p->start_frame : 0;
        p->speak_end = speak;
    }

    /* Ducking voices and their speaking intervals. */
    int n_marks = 0;
    for (int v = 0; v < e->n_voices; v++) {
        const lull_voice_class *vc = e->voices[v].vc;
        int pd = lull_voice_param_index(vc, "duck");
        if (pd < 0)
            continue;
        int used = e->voices[v].init[pd] < 0.0;
        for (int i = 0; i < e->n_events && !used; i++)
            used = e->events[i].kind == LULL_EV_SET && e->events[i].voice == v && e->events[i].param == pd;
        if (!used)
            continue;
        duck *d = &c->ducks[c->n_ducks++];
        d->voice = v;
        d->end_frame = -1;
        d->p_duck = pd;
        d->p_attack = lull_voice_param_index(vc, "attack");
        d->p_release = lull_voice_param_index(vc, "release");
        d->iv = malloc(sizeof(int64_t) * 2 * (size_t)(ordinal[v] ? ordinal[v] : 1));
        if (!d->iv) {
            free(group);
            free(ordinal);
            return LULL_ERR_NOMEM;
        }
        for (int k = 0; k < c->n_plays; k++) {
            const lull_clip_play *p = &c->plays[k];
            if (p->voice != v || p->speak_end <= p->start_frame)
                continue;
            if (d->n_iv && p->start_frame <= d->iv[2 * d->n_iv - 1]) {
                if (p->speak_end > d->iv[2 * d->n_iv - 1])
                    d->iv[2 * d->n_iv - 1] = p->speak_end;
            } else {
                d->iv[2 * d->n_iv] = p->start_frame;
                d->iv[2 * d->n_iv + 1] = p->speak_end;
                d->n_iv++;
            }
        }
        /* A control point where each speaking stretch ends (starts are plays). */
        for (int k = 0; k < d->n_iv; k++) {
            lull_eng_event *m = &e->events[e->n_events + n_marks++];
            memset(m, 0, sizeof *m);
            m->frame = d->iv[2 * k + 1];
            m->kind = LULL_EV_MARK;
            m->voice = v;
        }
    }
    free(group);
    free(ordinal);
    if (n_marks) {
        /* Merge the marks in, keeping file order among the script's events. */
        int *sec = malloc(sizeof(int) * (size_t)(e->n_events + n_marks));
        if (!sec)
            return LULL_ERR_NOMEM;
        for (int i = 0; i < e->n_events + n_marks; i++) {
            sec[i] = e->events[i].index;
            e->events[i].index = i;
        }
        /* index now orders ties; put section numbers back after sorting. */
        lull_eng_event *tmp = e->events;
        qsort(tmp, (size_t)(e->n_events + n_marks), sizeof *tmp, cmp_event);
        for (int i = 0; i < e->n_events + n_marks; i++)
            tmp[i].index = sec[tmp[i].index];
        free(sec);
        e->n_events += n_marks;
    }
    if (e->twin)
        return LULL_OK; /* a split helper: ducking only, its clip voices never play */
    return lull_loader_create(s, c->plays, c->n_plays, n_groups * LULL_CLIP_SLOTS, e->rate_hz, e->resampler,
                              e->offline ? LULL_CLIP_OFFLINE_LOOKAHEAD_MS : LULL_CLIP_LOOKAHEAD_MS, &c->loader);
}

void lull_clips_destroy(lull_clips **pc)
{
    if (!pc || !*pc)
        return;
    lull_clips *c = *pc;
    lull_loader_destroy(&c->loader);
    for (int i = 0; i < c->n_ducks; i++)
        free(c->ducks[i].iv);
    free(c->ducks);
    free(c->plays);
    free(c->info);
    free(c->mul_from);
    free(c->mul_to);
    free(c);
    *pc = NULL;
}

static void start_play(lull_engine *e, int k, int64_t offset, int64_t fade)
{
    lull_clips *c = e->clips;
    const lull_clip_play *p = &c->plays[k];
    lull_eng_voice *v = &e->voices[p->voice];
    if (!v->vc->event)
        return;
    lull_voice_event ve;
    memset(&ve, 0, sizeof ve);
    ve.kind = LULL_VOICE_EV_PLAY;
    ve.stream = lull_loader_stream(c->loader, p->slot);
    ve.tag = lull_clip_tag(c->epoch, k);
    ve.offset_frames = offset;
    ve.length_frames = p->length_frames;
    ve.fade_frames = fade;
    ve.gain = c->info[k].gain;
    ve.pan = c->info[k].pan;
    v->vc->event(v->state, &ve);
}

void lull_clips_event(lull_engine *e, const lull_eng_event *ev)
{
    lull_clips *c = e->clips;
    if (!c || !c->loader || ev->voice < 0 || ev->voice >= e->n_voices)
        return;
    if (ev->kind == LULL_EV_PLAY) {
        start_play(e, ev->play, 0, c->info[ev->play].fade_frames);
    } else if (ev->kind == LULL_EV_STOP) {
        lull_eng_voice *v = &e->voices[ev->voice];
        if (!v->vc->event)
            return;
        lull_voice_event ve;
        memset(&ve, 0, sizeof ve);
        ve.kind = LULL_VOICE_EV_STOP;
        ve.fade_frames = ev->dur_frames > 0 ? ev->dur_frames : c->declick_frames;
        v->vc->event(v->state, &ve);
    }
}

/* Duck level after `frames` frames from `level`, speaking or not. */
static double duck_step(const lull_engine *e, const duck *d, double level, int speaking, int64_t frames,
                        int64_t at)
{
    const lull_eng_voice *v = &e->voices[d->voice];
    int p = speaking ? d->p_attack : d->p_release;
    double sec = p >= 0 ? lull_track_at(&v->tracks[p], at) : 0.1;
    double per_frame = 1.0 / ((sec > 0.0005 ? sec : 0.0005) * (double)e->rate_hz);
    level += (speaking ? per_frame : -per_frame) * (double)frames;
    return level < 0.0 ? 0.0 : level > 1.0 ? 1.0 : level;
}

static double duck_gain(const lull_engine *e, const duck *d, double level, int64_t at)
{
    if (level <= 0.0)
        return 1.0;
    double depth_db = lull_track_at(&e->voices[d->voice].tracks[d->p_duck], at);
    double sm = level * level * (3.0 - 2.0 * level);
    return depth_db <= LULL_GAIN_FLOOR_DB && sm >= 1.0 ? 0.0 : pow(10.0, depth_db * sm / 20.0);
}

static int speaking_at(duck *d, int64_t pos)
{
    while (d->cur < d->n_iv && d->iv[2 * d->cur + 1] <= pos)
        d->cur++;
    return d->cur < d->n_iv && d->iv[2 * d->cur] <= pos;
}

int lull_clips_duck_may_move(const lull_engine *e, int64_t pos)
{
    const lull_clips *c = e->clips;
    return c && c->n_ducks > 0 && pos >= c->quiet_until;
}

int lull_clips_duck(lull_engine *e, int64_t pos, int64_t end, const double **from, const double **to)
{
    lull_clips *c = e->clips;
    if (!c || c->n_ducks == 0 || pos < c->quiet_until)
        return 0;
    /* Most of a session nobody speaks and every level rests at 0: the
     * multipliers would all be 1, which is the same as no ducking.  That
     * lasts until the next speaking stretch starts (levels only move while
     * somebody speaks or after), so later segments before it skip the test. */
    int quiet = 1;
    int64_t next = INT64_MAX;
    for (int k = 0; k < c->n_ducks; k++) {
        duck *d = &c->ducks[k];
        if (speaking_at(d, pos) || d->level > 0.0)
            quiet = 0;
        else if (d->cur < d->n_iv && d->iv[2 * d->cur] < next)
            next = d->iv[2 * d->cur];
    }
    if (quiet) {
        for (int k = 0; k < c->n_ducks; k++)
            c->ducks[k].end_frame = -1;
        c->quiet_until = next;
        return 0;
    }
    for (int i = 0; i < e->n_voices; i++)
        c->mul_from[i] = c->mul_to[i] = 1.0;
    for (int k = 0; k < c->n_ducks; k++) {
        duck *d = &c->ducks[k];
        int speaking = speaking_at(d, pos);
        double l0 = d->level;
        double l1 = duck_step(e, d, l0, speaking, end - pos, pos);
        d->level = l1;
        /* The gain at pos is the one the last segment ended on (same level,
         * same frame, same depth track: events re-anchor tracks at their
         * current value). */
        double g0 = d->end_frame == pos ? d->end_gain : duck_gain(e, d, l0, pos);
        /* A level that holds (fully down while the voice speaks) under a
         * depth that rests gives the same gain at both ends: no pow. */
        const lull_track *depth = &e->voices[d->voice].tracks[d->p_duck];
        const int depth_rests = depth->len <= 0 || pos >= depth->start + depth->len;
        double g1 = l1 == l0 && depth_rests ? g0 : duck_gain(e, d, l1, end);
        d->end_gain = g1;
        d->end_frame = end;
        for (int i = 0; i < e->n_voices; i++) {
            if (i == d->voice)
                continue;
            c->mul_from[i] *= g0;
            c->mul_to[i] *= g1;
        }
    }
    *from = c->mul_from;
    *to = c->mul_to;
    return 1;
}

void lull_clips_seek(lull_engine *e, int64_t frame)
{
    lull_clips *c = e->clips;
    if (!c)
        return;
    c->epoch++;
    c->quiet_until = INT64_MIN;
    if (c->loader)
        lull_loader_seek(c->loader, c->epoch, frame);
    e->clip_ready = 0;
    for (int i = 0; i < e->n_voices && c->loader; i++) {
        if (!e->voices[i].vc->event)
            continue;
        lull_voice_event ve;
        memset(&ve, 0, sizeof ve);
        ve.kind = LULL_VOICE_EV_CUT;
        e->voices[i].vc->event(e->voices[i].state, &ve);
        /* The play sounding at `frame`, if any, resumes there with a de-click. */
        int last = -1;
        for (int k = 0; k < c->n_plays; k++)
            if (c->plays[k].voice == i && c->plays[k].start_frame < frame)
                last = k;
        if (last >= 0) {
            const lull_clip_play *p = &c->plays[last];
            if (p->start_frame + p->length_frames > frame && c->info[last].stop_frame >= frame)
                start_play(e, last, frame - p->start_frame, c->declick_frames);
        }
    }
    /* Duck levels as the session leaves them at `frame`. */
    for (int k = 0; k < c->n_ducks; k++) {
        duck *d = &c->ducks[k];
        double level = 0.0;
        int64_t t = 0;
        d->cur = 0;
        for (int j = 0; j < d->n_iv && d->iv[2 * j] < frame; j++) {
            level = duck_step(e, d, level, 0, d->iv[2 * j] - t, t);
            int64_t stop = d->iv[2 * j + 1] < frame ? d->iv[2 * j + 1] : frame;
            level = duck_step(e, d, level, 1, stop - d->iv[2 * j], d->iv[2 * j]);
            t = stop;
        }
        d->level = duck_step(e, d, level, 0, frame - t, t);
        d->end_frame = -1;
    }
}

void lull_clips_publish(lull_engine *e)
{
    if (e->clips && e->clips->loader)
        lull_loader_publish(e->clips->loader, e->pos);
}

int64_t lull_clips_wait(lull_engine *e, int want)
{
    lull_clips *c = e->clips;
    return lull_loader_wait(c->loader, c->epoch, e->pos, want);
}

void lull_engine_clip_stats(const lull_engine *e, lull_clip_stats *out)
{
    if (!out)
        return;
    memset(out, 0, sizeof *out);
    if (e && e->clips)
        lull_loader_stats(e->clips->loader, out);
}

int lull_engine_prepare(lull_engine *e)
{
    if (!e)
        return LULL_ERR_ARG;
    if (!e->clips)
        return LULL_OK;
    int64_t want = (int64_t)e->rate_hz * LULL_CLIP_LOOKAHEAD_MS / 1000;
    if (want > e->length_frames - e->pos)
        want = e->length_frames - e->pos;
    if (want > 0)
        e->clip_ready = lull_clips_wait(e, (int)want);
    return LULL_OK;
}

const char *lull_engine_clip_error(const lull_engine *e)
{
    return e && e->clips ? lull_loader_error(e->clips->loader) : "";
}

int lull_resampler_from_name(const char *name)
{
    static const char *const names[] = { "best", "medium", "fastest", "linear" };
    for (int i = 0; name && i < 4; i++)
        if (!strcmp(name, names[i]))
            return LULL_RESAMPLER_BEST + i;
    return -1;
}

const char *lull_resampler_name(int r)
{
    switch (r) {
    case LULL_RESAMPLER_MEDIUM: return "medium";
    case LULL_RESAMPLER_FASTEST: return "fastest";
    case LULL_RESAMPLER_LINEAR: return "linear";
    default: return "best";
    }
}
