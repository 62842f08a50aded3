/*
 * test_safety.c - nothing dangerous reaches the ears (issue 7).
 *
 * For every voice kind in the registry (lull_voice_kind_at), random
 * parameter sequences are written as scripts: declared values and timeline
 * values anywhere in each parameter's range, a third of them at its very
 * ends, steps and glides of random length (1 ms .. 3 s), several changes in
 * one line, changes on the same frame, master gain moves, and the live trim
 * pushed to its loudest (+12 dB) and sent NaN and infinity.  Each is played
 * through the engine in random block sizes and the output must:
 *   1. be finite everywhere (no NaN, no Inf);
 *   2. stay under full scale in every sample, and under the true-peak
 *      limiter's ceiling (-1 dBTP, the default) between the samples too,
 *      for every kind and level: true peak 4x oversampled (an_true_peak,
 *      tested in test_analysis; test_true_peak measures finer, with
 *      libebur128 too).  Half the sequences stay at ordinary levels (gains
 *      up to -6 dB); the other half go up to +6 dB with a master trim of up
 *      to +34 dB (+40 dB in all) and drive the limiter hard;
 *   3. have every parameter change de-clicked: the largest sample-to-sample
 *      jump around each change (from the change to the end of its 10 ms
 *      de-click ramp) is no larger than what the signal does on its own just
 *      before and just after (JUMP_RATIO times the larger of the two, plus
 *      a floor of JUMP_FLOOR).  A gain step applied at once fails this; a
 *      glide or a ramped step passes.  Judged for steps and glides of up to
 *      10 ms with no other change within 100 ms on either side (so the
 *      reference windows hold only this voice's own sound).  The bell's
 *      `strike` is an intended onset (a 2 ms attack, measured by test_bell),
 *      not a parameter jump, so a line that strikes is not judged.
 * Values beyond each range must not get that far: a script naming one is
 * refused (LULL_ERR_SCRIPT) - checked for both ends of every parameter.
 *
 * Seeded: the same sequences every run (LULL_SAFETY_SEED overrides).
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "check.h"
#include "lull.h"
#include "lull_voice.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define SEQS_PER_KIND 8
#define EVENTS_PER_SEQ 40
/* The limiter's default ceiling, -1 dBTP, plus what the 4x meter may read
 * over it (the limiter is measured to hold it within 0.05 dB: limiter.c). */
#define TRUE_PEAK_CEILING (0.891251 * 1.0058)
/* Under this sample peak the limiter has nothing to do (reported apart). */
#define LIMIT_KNEE 0.84
#define JUMP_RATIO 1.5
#define JUMP_FLOOR 0.002
#define DECLICK_FRAMES 480 /* LULL_DECLICK_NS at 48 kHz */
/* Signal before and after, for reference: 100 ms, longer than any pulse
 * period that could hide a whole pulse inside the 10 ms under test. */
#define WINDOW_FRAMES 4800


static uint64_t rng = 0x5afe5afe12345ULL;
static uint64_t next_u64(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}
static double urand(void) { return (double)(next_u64() >> 11) / 9007199254740992.0; }
static int irand(int n) { return (int)(next_u64() % (uint64_t)n); }

/* A growing script text. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void add(text *t, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + 256 + (size_t)(n > 0 ? n : 0);
        t->s = realloc(t->s, t->cap);
        if (!t->s)
            abort();
    }
}

/* A value for parameter d, written in script units. */
static void add_value(text *t, const lull_param_desc *d, double v)
{
    switch (d->unit) {
    case LULL_UNIT_HZ: add(t, "%s=%.4fHz", d->name, v); break;
    case LULL_UNIT_GAIN: add(t, "%s=%.3fdB", d->name, v); break;
    case LULL_UNIT_SEC: add(t, "%s=%.4fs", d->name, v); break;
    case LULL_UNIT_RATIO: add(t, "%s=%.4f", d->name, v); break;
    case LULL_UNIT_ENUM: add(t, "%s=%s", d->name, d->choices[(int)v]); break;
    }
}

/* A random value across d's range, a third of the time at one of its ends.
 * Gains: from -60 dB (quieter is silence to the ear and to the checks) to
 * the top. */
static double pick(const lull_param_desc *d, int hot)
{
    double lo = d->min, hi = d->max;
    if (d->unit == LULL_UNIT_GAIN && lo < -60.0)
        lo = -60.0;
    if (d->unit == LULL_UNIT_GAIN && !hot && hi > -6.0)
        hi = -6.0;
    if (d->unit == LULL_UNIT_ENUM) {
        int n = 0;
        while (d->choices[n])
            n++;
        return (double)irand(n);
    }
    const int r = irand(6);
    if (r == 0)
        return lo;
    if (r == 1)
        return hi;
    return lo + (hi - lo) * urand();
}

/* Render `script` and check all three properties.  strike_param: the
 * parameter whose changes are onsets (-1: none). */
typedef struct ev_mark {
    int64_t frame;
    int64_t busy_end; /* last frame the change moves anything */
    int judged;       /* 0: a strike or a long glide, not judged by the jump rule */
} ev_mark;

typedef struct tally {
    double worst_tp_idle;  /* worst true peak where the limiter was idle */
    double worst_tp_hot;   /* ... and where it worked */
    double worst_sample;
    int judged;            /* changes judged by the jump rule */
} tally;

/* A change is judged only with nothing else moving around it. */
static int isolated(const ev_mark *marks, int n_marks, int m)
{
    const int64_t lo = marks[m].frame - WINDOW_FRAMES - 2;
    const int64_t hi = marks[m].frame + DECLICK_FRAMES + WINDOW_FRAMES + 2;
    for (int j = 0; j < n_marks; j++)
        if (j != m && marks[j].frame <= hi && marks[j].busy_end >= lo)
            return 0;
    return 1;
}

static void render_and_check(const char *label, const char *script, const ev_mark *marks, int n_marks,
                             double trim_db, tally *tl)
{
    lull_load_config lc = lull_load_config_init();
    lull_script *s = NULL;
    int r = lull_script_load_string(script, strlen(script), label, &lc, &s);
    CHECK(r == LULL_OK, "%s: the script was refused (%s): %s\n%s", label, lull_strerror(r), lull_last_error(),
          script);
    if (r != LULL_OK)
        return;
    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = RATE;
    ec.seed = next_u64();
    ec.master_trim_db = trim_db;
    lull_engine *e = NULL;
    CHECK(lull_engine_create(s, &ec, &e) == LULL_OK, "%s: no engine", label);
    const size_t n = (size_t)lull_engine_length_frames(e);
    float *l = malloc(sizeof(float) * n), *rr = malloc(sizeof(float) * n);
    float *blk = malloc(sizeof(float) * 2 * LULL_MAX_BLOCK_FRAMES);
    size_t done = 0;
    while (done < n) {
        int b = 1 + irand(irand(4) == 0 ? 16 : LULL_MAX_BLOCK_FRAMES);
        if ((size_t)b > n - done)
            b = (int)(n - done);
        lull_engine_process(e, blk, b);
        for (int k = 0; k < b; k++) {
            l[done + (size_t)k] = blk[2 * k];
            rr[done + (size_t)k] = blk[2 * k + 1];
        }
        done += (size_t)b;
    }
    float *ch[2] = { l, rr };
    for (int c = 0; c < 2; c++) {
        const float *x = ch[c];
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; i++)
            if (!isfinite(x[i]))
                bad = i;
        CHECK(bad == n, "%s: channel %d: sample %zu is not finite", label, c, bad);
        double sp = 0.0;
        for (size_t i = 0; i < n; i++)
            sp = fabs((double)x[i]) > sp ? fabs((double)x[i]) : sp;
        CHECK(sp < 1.0, "%s: channel %d: sample peak %.6f at full scale or over", label, c, sp);
        if (sp > tl->worst_sample)
            tl->worst_sample = sp;
        const double tp = an_true_peak(x, n);
        CHECK(tp <= TRUE_PEAK_CEILING, "%s: channel %d: true peak %.5f (%.2f dBTP) over the ceiling", label, c, tp,
              20.0 * log10(tp));
        if (sp <= LIMIT_KNEE) {
            if (tp > tl->worst_tp_idle)
                tl->worst_tp_idle = tp;
        } else if (tp > tl->worst_tp_hot) {
            tl->worst_tp_hot = tp;
        }
        for (int m = 0; m < n_marks; m++) {
            const int64_t t = marks[m].frame;
            if (!marks[m].judged || !isolated(marks, n_marks, m) || t < WINDOW_FRAMES + 1 ||
                t + DECLICK_FRAMES + WINDOW_FRAMES + 2 >= (int64_t)n)
                continue;
            tl->judged++;
            const double at = an_max_jump(x + t - 1, DECLICK_FRAMES + 3, NULL);
            const double before = an_max_jump(x + t - 1 - WINDOW_FRAMES, WINDOW_FRAMES + 1, NULL);
            const double after = an_max_jump(x + t + DECLICK_FRAMES + 1, WINDOW_FRAMES, NULL);
            const double ref = before > after ? before : after;
            CHECK(at <= JUMP_RATIO * ref + JUMP_FLOOR,
                  "%s: channel %d: a jump of %.5f at the change on frame %lld (%.5f before, %.5f after)", label,
                  c, at, (long long)t, before, after);
        }
    }
    free(l);
    free(rr);
    free(blk);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

/* Random parameter sequences through one voice kind.  The bed (odd
 * sequences) keeps its level, so the tonal kinds' true peak stays theirs. */
static void random_sequences(const lull_voice_class *vc)
{
    tally tl = { 0.0, 0.0, 0.0, 0 };
    const int strike = strcmp(vc->kind, "bell") == 0 ? lull_voice_param_index(vc, "strike") : -1;
    /* Broadband noise reaches past 0 dBTP between samples even below the
     * knee (measured, reported): the ceiling is judged for tonal kinds. */
    const int gain = lull_voice_param_index(vc, "gain");
    for (int seq = 0; seq < SEQS_PER_KIND; seq++) {
        const int hot = seq >= SEQS_PER_KIND / 2;
        text t = { NULL, 0, 0 };
        ev_mark marks[EVENTS_PER_SEQ];
        int n_marks = 0;
        add(&t, "voice v %s", vc->kind);
        for (int p = 0; p < vc->n_params; p++) {
            add(&t, " ");
            add_value(&t, &vc->params[p], pick(&vc->params[p], hot));
        }
        add(&t, "\n");
        /* a second, plain voice under it, so the limiter works on a mix */
        if (seq % 2)
            add(&t, "voice bed noise color=%s gain=%.1fdB\n", irand(2) ? "white" : "brown",
                hot ? -30.0 + 36.0 * urand() : -50.0 + 20.0 * urand());
        int64_t ms = 50 + irand(200);
        for (int k = 0; k < EVENTS_PER_SEQ; k++) {
            /* gaps of 0 (same frame) to 600 ms; times on whole ms */
            ms += irand(4) == 0 ? 0 : 1 + irand(600);
            const int master = irand(8) == 0;
            add(&t, "%lld:%02lld.%03lld ", (long long)(ms / 60000), (long long)(ms / 1000 % 60),
                (long long)(ms % 1000));
            int judged = 1;
            if (master) {
                add(&t, "master gain=%.2fdB", hot ? -30.0 + 36.0 * urand() : -30.0 + 30.0 * urand());
            } else {
                add(&t, "v");
                const int changes = 1 + irand(3);
                int used[LULL_MAX_PARAMS] = { 0 };
                int n_set = 0;
                for (int c = 0; c < changes; c++) {
                    /* gain half the time: its steps are the ones that click */
                    const int p = irand(2) ? gain : irand(vc->n_params);
                    if (used[p] || vc->params[p].unit == LULL_UNIT_ENUM)
                        continue;
                    used[p] = 1;
                    n_set++;
                    if (p == strike)
                        judged = 0;
                    add(&t, " ");
                    add_value(&t, &vc->params[p], pick(&vc->params[p], hot));
                }
                if (t.s[t.len - 1] == 'v') { /* only enums drawn: set gain */
                    add(&t, " gain=%.2fdB", hot ? -40.0 + 46.0 * urand() : -40.0 + 34.0 * urand());
                    n_set = 1;
                }
                /* Two parameters ramping at once (a tone's gain down while
                 * its frequency goes up) may peak in between; judge single
                 * changes. */
                if (n_set != 1)
                    judged = 0;
            }
            int dur_ms = 0;
            if (irand(2)) {
                /* short glides often, so the jump rule judges glides too */
                dur_ms = irand(3) == 0 ? 1 + irand(10) : 1 + irand(3000);
                add(&t, " over %dms", dur_ms);
            }
            add(&t, "\n");
            marks[n_marks].frame = ms * RATE / 1000;
            marks[n_marks].busy_end = marks[n_marks].frame + (dur_ms > 10 ? dur_ms : 10) * RATE / 1000;
            marks[n_marks].judged = judged && dur_ms <= 10;
            n_marks++;
        }
        add(&t, "+2s end\n");
        char label[64];
        snprintf(label, sizeof label, "%s #%d", vc->kind, seq + 1);
        if (getenv("LULL_SAFETY_PRINT") && strstr(label, getenv("LULL_SAFETY_PRINT")))
            printf("%s\n", t.s);
        render_and_check(label, t.s, marks, n_marks, hot ? 34.0 * urand() : 0.0, &tl);
        free(t.s);
    }
    printf("%-11s %d sequences: %3d changes judged for clicks; sample peak %.5f; true peak %.4f "
           "(%+.2f dBTP) under -1.5 dBFS sample peak, %.4f (%+.2f dBTP) driven into the limiter\n",
           vc->kind, SEQS_PER_KIND, tl.judged, tl.worst_sample, tl.worst_tp_idle,
           20.0 * log10(tl.worst_tp_idle > 0 ? tl.worst_tp_idle : 1e-12), tl.worst_tp_hot,
           20.0 * log10(tl.worst_tp_hot > 0 ? tl.worst_tp_hot : 1e-12));
    CHECK(tl.judged >= 8, "%s: only %d changes could be judged for clicks", vc->kind, tl.judged);
}

/* Every parameter's values just beyond its range are refused. */
static void beyond_ranges(const lull_voice_class *vc)
{
    for (int p = 0; p < vc->n_params; p++) {
        const lull_param_desc *d = &vc->params[p];
        if (d->unit == LULL_UNIT_ENUM)
            continue;
        const double span = d->max - d->min;
        const double out[2] = { d->min - 0.01 * span - 0.5, d->max + 0.01 * span + 0.5 };
        for (int side = 0; side < 2; side++) {
            /* gains below the floor are silence, not an error */
            if (d->unit == LULL_UNIT_GAIN && side == 0)
                continue;
            text t = { NULL, 0, 0 };
            add(&t, "voice v %s ", vc->kind);
            add_value(&t, d, out[side]);
            add(&t, "\n0:01 v ");
            add_value(&t, d, out[side]);
            add(&t, "\n0:02 end\n");
            lull_script *s = NULL;
            int r = lull_script_load_string(t.s, t.len, "beyond", NULL, &s);
            CHECK(r == LULL_ERR_SCRIPT && !s, "%s: %s beyond its range accepted:\n%s", vc->kind, d->name, t.s);
            lull_script_free(&s);
            free(t.s);
        }
    }
}

/* The live trim: pushed to +12 dB over the loudest mix, and sent NaN and
 * infinities, the output stays finite and under the ceiling. */
static void live_trim(void)
{
    const char *script = "voice a tone freq=997Hz gain=6dB\n"
                         "voice b noise color=white gain=6dB\n"
                         "voice c binaural carrier=1500Hz beat=40Hz gain=6dB\n"
                         "0:02 end\n";
    lull_script *s = NULL;
    CHECK(lull_script_load_string(script, strlen(script), "trim", NULL, &s) == LULL_OK, "trim script");
    lull_engine *e = NULL;
    lull_engine_config ec = lull_engine_config_init();
    CHECK(s && lull_engine_create(s, &ec, &e) == LULL_OK, "trim engine");
    if (!e) {
        lull_script_free(&s);
        return;
    }
    const size_t n = (size_t)lull_engine_length_frames(e);
    float *l = malloc(sizeof(float) * n);
    float blk[2 * 256];
    const double values[] = { 12.0, NAN, INFINITY, -INFINITY, 1e300, 12.0 };
    size_t done = 0;
    int v = 0;
    while (done < n) {
        if (done % 9600 == 0 && v < 6) {
            lull_command c = { LULL_CMD_VOLUME, 0, 0, values[v++] };
            lull_engine_post(e, &c);
        }
        int b = n - done < 256 ? (int)(n - done) : 256;
        lull_engine_process(e, blk, b);
        for (int k = 0; k < b; k++)
            l[done + (size_t)k] = blk[2 * k];
        done += (size_t)b;
    }
    size_t bad = n;
    for (size_t i = 0; i < n && bad == n; i++)
        if (!isfinite(l[i]))
            bad = i;
    CHECK(bad == n, "live trim: sample %zu is not finite", bad);
    double sp = 0.0;
    for (size_t i = 0; i < n; i++)
        sp = fabs((double)l[i]) > sp ? fabs((double)l[i]) : sp;
    CHECK(sp < 1.0, "live trim: sample peak %.6f", sp);
    const double tp = an_true_peak(l, n);
    CHECK(tp <= TRUE_PEAK_CEILING, "live trim: true peak %.5f (%.2f dBTP)", tp, 20.0 * log10(tp));
    printf("live trim +12 dB, NaN, +-inf, 1e300 over three voices at +6 dB: sample peak %.5f, "
           "true peak %.4f (%+.2f dBTP)\n", sp, tp, 20.0 * log10(tp));
    free(l);
    lull_engine_destroy(&e);
    lull_script_free(&s);
}

int main(void)
{
    const char *seed = getenv("LULL_SAFETY_SEED");
    if (seed && *seed)
        rng = strtoull(seed, NULL, 0) | 1u;
    for (int i = 0; i < lull_voice_kind_count(); i++) {
        const lull_voice_class *vc = lull_voice_kind_at(i);
        beyond_ranges(vc);
        random_sequences(vc);
    }
    live_trim();
    return check_done("test_safety");
}
