/*
 * engine.c - creating and destroying engines, errors and version: the
 * non-real-time side of the engine core.  The processing path is process.c.
 */
#include "engine_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef LULL_VERSION_STRING
#define LULL_VERSION_STRING "0.0.0"
#endif

static _Thread_local char last_error[512];

void lull_set_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
}

const char *lull_last_error(void) { return last_error; }

const char *lull_strerror(int err)
{
    switch (err) {
    case LULL_OK: return "no error";
    case LULL_ERR_NOMEM: return "out of memory";
    case LULL_ERR_ARG: return "invalid argument";
    case LULL_ERR_IO: return "input/output error";
    case LULL_ERR_SCRIPT: return "the script has errors";
    case LULL_ERR_FORMAT: return "unsupported or unreadable audio format";
    case LULL_ERR_CANCELLED: return "cancelled";
    case LULL_ERR_DEVICE: return "audio device error";
    case LULL_ERR_STATE: return "not valid in the current state";
    case LULL_ERR_FULL: return "queue full";
    default: return "unknown error";
    }
}

const char *lull_version(void) { return LULL_VERSION_STRING; }
int lull_version_number(void) { return LULL_VERSION_NUMBER; }

double lull_db_to_gain(double db)
{
    if (!(db > LULL_GAIN_FLOOR_DB))
        return 0.0;
    return pow(10.0, db / 20.0);
}

lull_engine_config lull_engine_config_init(void)
{
    lull_engine_config c;
    memset(&c, 0, sizeof c);
    c.rate_hz = 48000;
    c.seed = LULL_DEFAULT_SEED;
    c.true_peak_dbtp = LULL_TRUE_PEAK_DEFAULT_DBTP;
    return c;
}

/* splitmix64: spreads the session seed into independent per-voice seeds. */
static uint64_t mix_seed(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static double to_voice_units(const lull_param_desc *d, double v)
{
    return d->unit == LULL_UNIT_GAIN ? lull_db_to_gain(v) : v;
}

static int engine_create(const lull_script *s, const lull_engine_config *cfg_in, int twin,
                         lull_engine **out)
{
    if (!out)
        return LULL_ERR_ARG;
    *out = NULL;
    lull_engine_config cfg = cfg_in ? *cfg_in : lull_engine_config_init();
    if (!s || cfg.rate_hz < 8000 || cfg.rate_hz > 384000) {
        lull_set_error("sample rate %d Hz is outside 8000..384000", cfg.rate_hz);
        return LULL_ERR_ARG;
    }

    lull_engine *e = calloc(1, sizeof *e);
    if (!e)
        return LULL_ERR_NOMEM;
    e->rate_hz = cfg.rate_hz;
    e->seed = cfg.seed;
    e->offline = cfg.offline && !twin;
    e->twin = twin;
    e->resampler = cfg.resampler;
    if (!(cfg.master_trim_db >= -60.0 && cfg.master_trim_db <= 40.0)) {
        lull_set_error("master trim %g dB is outside -60..+40", cfg.master_trim_db);
        free(e);
        return LULL_ERR_ARG;
    }
    e->master_trim = lull_db_to_gain(cfg.master_trim_db);
    if (!(cfg.true_peak_dbtp >= -30.0 && cfg.true_peak_dbtp <= 0.0)) {
        lull_set_error("true-peak ceiling %g dBTP is outside -30..0", cfg.true_peak_dbtp);
        free(e);
        return LULL_ERR_ARG;
    }
    e->n_voices = s->n_voices;
    e->n_sections = s->n_sections;

    /* One block for every voice's state, each 64-byte aligned. */
    size_t total = 0;
    for (int i = 0; i < s->n_voices; i++)
        total += (s->voices[i].vc->state_size + 63) & ~(size_t)63;
    const size_t n_vo = s->n_voices > 0 ? (size_t)s->n_voices : 1;
    e->voices = calloc(n_vo, sizeof *e->voices);
    e->state_mem = aligned_alloc(64, total ? total : 64);
    /* The implicit end de-click adds one event; clips up to two marks each. */
    const size_t n_ev = (size_t)(s->n_events > 0 ? s->n_events : 0) + 1 + 2 * (size_t)s->n_clips;
    e->events = calloc(n_ev, sizeof *e->events);
    e->section_frames = calloc((size_t)(s->n_sections ? s->n_sections : 1),
                               sizeof *e->section_frames);
    if (!e->voices || !e->state_mem || !e->events || !e->section_frames) {
        lull_engine_destroy(&e);
        return LULL_ERR_NOMEM;
    }
    memset(e->state_mem, 0, total ? total : 64);

    size_t off = 0;
    for (int i = 0; i < s->n_voices; i++) {
        lull_eng_voice *v = &e->voices[i];
        const lull_voice_decl *d = &s->voices[i];
        v->vc = d->vc;
        v->state = e->state_mem + off;
        off += (d->vc->state_size + 63) & ~(size_t)63;
        v->gain_index = lull_voice_param_index(d->vc, "gain");
        for (int p = 0; p < d->vc->n_params; p++) {
            v->init[p] = d->values[p];
            v->gain_param[p] = d->vc->params[p].unit == LULL_UNIT_GAIN;
        }
    }

    e->length_frames = lull_ns_to_frames(s->end_ns, e->rate_hz);
    int64_t declick = lull_ns_to_frames(LULL_DECLICK_NS, e->rate_hz);
    int n = 0;
    int end_added = 0;
    for (int i = 0; i <= s->n_events; i++) {
        /* An implicit short fade to silence ends every session, so a script
         * that stops without fading out still does not click.  It goes
         * before any event at the same frame, so an explicit fade wins. */
        int64_t end_fade = e->length_frames - declick;
        if (end_fade < 0)
            end_fade = 0;
        if (!end_added &&
            (i == s->n_events || lull_ns_to_frames(s->events[i].time_ns, e->rate_hz) > end_fade)) {
            lull_eng_event *x = &e->events[n++];
            x->frame = end_fade;
            x->dur_frames = e->length_frames - end_fade;
            x->kind = LULL_EV_FADE_OUT;
            x->voice = -1;
            end_added = 1;
        }
        if (i == s->n_events)
            break;
        const lull_event *ev = &s->events[i];
        lull_eng_event *x = &e->events[n++];
        x->frame = lull_ns_to_frames(ev->time_ns, e->rate_hz);
        x->dur_frames = ev->dur_ns > 0 ? lull_ns_to_frames(ev->dur_ns, e->rate_hz) : 0;
        if (x->dur_frames <= 0 && ev->kind == LULL_EV_SET) {
            x->dur_frames = declick;
            x->declick = 1;
        }
        x->kind = ev->kind;
        x->voice = ev->voice;
        x->param = ev->param;
        x->index = ev->index;
        x->value = ev->value;
        x->amp_linear = ev->amp_linear;
        x->play = ev->clip;
        if (ev->kind == LULL_EV_SECTION && ev->index >= 0 && ev->index < e->n_sections)
            e->section_frames[ev->index] = x->frame;
    }
    e->n_events = n;
    e->fade_initial = s->has_fade_in_first ? 0.0 : 1.0;

    int r = lull_clips_create(e, s);
    if (r != LULL_OK) {
        lull_engine_destroy(&e);
        return r;
    }
    lull_engine_group_voices(e);
    lull_limiter_init(&e->limiter, e->rate_hz, cfg.true_peak_dbtp, LULL_CONTROL_FRAMES);
    lull_live_init(e);
    lull_engine_rewind(e);
    *out = e;
    return LULL_OK;
}

int lull_engine_create(const lull_script *s, const lull_engine_config *cfg, lull_engine **out)
{
    return engine_create(s, cfg, 0, out);
}

int lull_engine_create_twin(const lull_script *s, const lull_engine_config *cfg, lull_engine **out)
{
    return engine_create(s, cfg, 1, out);
}

/* Typical cost of a voice kind in ns per frame (lull-bench, mixer rows;
 * binaural and noise re-measured alone, best of 3000 short runs; noise as
 * its AVX-512 pipeline runs, 5.8 without it: the table stays the same on
 * every CPU, so the grouping, and with it the order of the mix's sums,
 * does too). */
double lull_voice_cost(const lull_voice_class *vc)
{
    static const struct { const char *name; double ns; } costs[] = {
        { "binaural", 2.0 }, { "monaural", 8.6 }, { "isochronic", 9.2 }, { "pacer", 17.7 },
        { "tone", 4.8 },     { "bell", 3.4 },     { "noise", 4.3 },      { "spin", 68.0 },
    };
    for (size_t k = 0; k < sizeof costs / sizeof costs[0]; k++)
        if (!strcmp(vc->kind, costs[k].name))
            return costs[k].ns;
    return 4.0;
}

/* What the engine that runs group 0 does besides its voices when a render
 * splits the work (split.c), beyond what the helper engine does besides
 * its own: master bus, live stage, the true-peak limiter; in the units of
 * lull_voice_cost.  Measured on the tones60 render (thread CPU, three runs
 * each): with the two binaurals on the main thread and the pink noise
 * alone on the helper, main 6.4 ns/frame (2 x 2.0 + 2.4), helper 5.5
 * (4.3 + 1.2). */
#define GROUP0_EXTRA_NS 1.0
/* Up to this many voices every split is tried; more, a greedy one. */
#define GROUP_EXACT_MAX 16

/* Split the voices into two groups for the two threads of a render: group
 * 0 runs with the engine's own work (GROUP0_EXTRA_NS), group 1 in the
 * helper.  The split with the smaller larger side wins (ties: the more even
 * one, then the first found); with many voices, the dearest first into the
 * cheaper side so far.  It depends only on the script, so every engine of
 * a script mixes in the same order (mix = group 0 + group 1, each in voice
 * order; see process.c).  With one or two voices the sum is the plain one:
 * float addition of two terms commutes. */
void lull_engine_group_voices(lull_engine *e)
{
    const int n = e->n_voices;
    e->n_group1 = 0;
    for (int i = 0; i < n; i++)
        e->voices[i].group = 0;
    if (n < 1)
        return;
    if (n <= GROUP_EXACT_MAX) {
        double cost[GROUP_EXACT_MAX], total = 0.0;
        for (int i = 0; i < n; i++)
            total += cost[i] = lull_voice_cost(e->voices[i].vc);
        uint32_t best_mask = 0; /* bit i: voice i in group 1 */
        double best_max = HUGE_VAL, best_gap = HUGE_VAL;
        for (uint32_t mask = 0; mask < (1u << n); mask++) {
            double g1 = 0.0;
            for (int i = 0; i < n; i++)
                if (mask >> i & 1u)
                    g1 += cost[i];
            const double g0 = GROUP0_EXTRA_NS + total - g1;
            const double mx = g0 > g1 ? g0 : g1, gap = fabs(g0 - g1);
            if (mx < best_max - 1e-9 || (mx < best_max + 1e-9 && gap < best_gap - 1e-9)) {
                best_max = mx;
                best_gap = gap;
                best_mask = mask;
            }
        }
        for (int i = 0; i < n; i++) {
            e->voices[i].group = (int)(best_mask >> i & 1u);
            e->n_group1 += e->voices[i].group;
        }
        return;
    }
    double load[2] = { GROUP0_EXTRA_NS, 0.0 };
    for (int i = 0; i < n; i++)
        e->voices[i].group = -1;
    for (int done = 0; done < n; done++) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if (e->voices[i].group < 0 &&
                (best < 0 || lull_voice_cost(e->voices[i].vc) > lull_voice_cost(e->voices[best].vc)))
                best = i;
        const int g = load[1] < load[0];
        e->voices[best].group = g;
        load[g] += lull_voice_cost(e->voices[best].vc);
        e->n_group1 += g;
    }
}

void lull_engine_rewind(lull_engine *e)
{
    for (int i = 0; i < e->n_voices; i++) {
        lull_eng_voice *v = &e->voices[i];
        double vals[LULL_MAX_PARAMS];
        for (int p = 0; p < v->vc->n_params; p++) {
            v->tracks[p] = (lull_track){ v->init[p], v->init[p], 0, 0, 0 };
            vals[p] = to_voice_units(&v->vc->params[p], v->init[p]);
            v->to[p] = vals[p];
        }
        lull_voice_ctx ctx = { (double)e->rate_hz, mix_seed(e->seed ^ mix_seed((uint64_t)i + 1)) };
        v->vc->init(v->state, &ctx, vals);
    }
    e->master_gain = (lull_track){ 0.0, 0.0, 0, 0, 0 };
    e->master_fade = (lull_track){ e->fade_initial, e->fade_initial, 0, 0, 0 };
    e->next_event = 0;
    e->pos = 0;
    e->seg_end = 0;
    e->ramp_end_next = 0;
    e->fine_until = 0;
    e->current_section = -1;
    e->need_from = 1;
    e->live.prime_pending = 1;
    lull_clips_seek(e, 0);
}

void lull_engine_destroy(lull_engine **pe)
{
    if (!pe || !*pe)
        return;
    lull_engine *e = *pe;
    lull_clips_destroy(&e->clips);
    free(e->voices);
    free(e->state_mem);
    free(e->events);
    free(e->section_frames);
    free(e);
    *pe = NULL;
}

int64_t lull_engine_length_frames(const lull_engine *e) { return e ? e->length_frames : 0; }
int lull_engine_rate(const lull_engine *e) { return e ? e->rate_hz : 0; }
int lull_engine_lookahead_frames(const lull_engine *e) { return e ? e->limiter.delay_frames : 0; }
int64_t lull_engine_position_frames(const lull_engine *e) { return e ? lull_live_position(e) : 0; }
int lull_engine_finished(const lull_engine *e)
{
    if (!e)
        return 1;
    const int mixer_done = (e->pos >= e->length_frames && !e->live.loop) || lull_live_done(e);
    /* ... and the limiter's look-ahead has played out. */
    return mixer_done && (e->live.prime_pending || e->live.out_frames >= e->live.in_live_frames);
}

int64_t lull_engine_section_frame(const lull_engine *e, int i)
{
    if (!e || i < 0 || i >= e->n_sections)
        return -1;
    return e->section_frames[i];
}
