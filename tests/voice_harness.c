/*
 * voice_harness.c - see voice_harness.h.
 *
 * MIT licence; see LICENSE.
 */
#include "voice_harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double vh_db(double db)
{
    return db <= -120.0 ? 0.0 : pow(10.0, db / 20.0);
}

static double voice_units(const lull_param_desc *d, double v)
{
    return d->unit == LULL_UNIT_GAIN ? vh_db(v) : v;
}

vh_sched vh_defaults(const lull_voice_class *vc)
{
    vh_sched s;
    memset(&s, 0, sizeof s);
    s.n = vc->n_params;
    for (int p = 0; p < vc->n_params; p++) {
        const double v = voice_units(&vc->params[p], vc->params[p].def);
        s.t[p] = (vh_track){ v, v, 0, 0 };
    }
    return s;
}

double vh_at(const vh_sched *s, int p, long frame)
{
    const vh_track *t = &s->t[p];
    const long k = frame - t->start;
    if (t->len <= 0 || k >= t->len)
        return t->v1;
    if (k <= 0)
        return t->v0;
    return t->v0 + (t->v1 - t->v0) * ((double)k / (double)t->len);
}

void vh_set(vh_sched *s, int p, double v)
{
    s->t[p] = (vh_track){ v, v, 0, 0 };
}

void vh_glide(vh_sched *s, int p, double v, long at, long len)
{
    const double now = vh_at(s, p, at);
    s->t[p] = (vh_track){ now, v, at, len };
}

void *vh_new(const lull_voice_class *vc, double rate_hz, uint64_t seed, const vh_sched *s)
{
    void *st = malloc(vc->state_size);
    if (!st) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    memset(st, 0xA5, vc->state_size); /* init must not rely on zeroed memory */
    double v[LULL_MAX_PARAMS];
    for (int p = 0; p < s->n; p++)
        v[p] = vh_at(s, p, 0);
    lull_voice_ctx ctx = { rate_hz, seed };
    vc->init(st, &ctx, v);
    return st;
}

static uint32_t split_rng = 12345u;

static int random_chunk(int left)
{
    split_rng = split_rng * 1664525u + 1013904223u;
    return 1 + (int)((split_rng >> 16) % (uint32_t)left);
}

void vh_render(const lull_voice_class *vc, void *st, const vh_sched *s, long t0, long n,
               float *L, float *R, int split)
{
    long t = t0;
    while (t < t0 + n) {
        long seg_end = (t / LULL_CONTROL_FRAMES + 1) * LULL_CONTROL_FRAMES;
        if (seg_end > t0 + n)
            seg_end = t0 + n;
        const int frames = (int)(seg_end - t);
        double from[LULL_MAX_PARAMS], to[LULL_MAX_PARAMS];
        for (int p = 0; p < s->n; p++) {
            from[p] = vh_at(s, p, t);
            to[p] = vh_at(s, p, seg_end);
        }
        vc->control(st, from, to, frames);
        int done = 0;
        while (done < frames) {
            int k = frames - done;
            if (split == VH_SPLIT_RANDOM)
                k = random_chunk(k);
            else if (split == VH_SPLIT_FRAME)
                k = 1;
            vc->process(st, L + (t - t0) + done, R + (t - t0) + done, k);
            done += k;
        }
        t = seg_end;
    }
}

int vh_split_invariant(const lull_voice_class *vc, double rate_hz, const vh_sched *s, long n)
{
    float *L[3], *R[3];
    for (int k = 0; k < 3; k++) {
        L[k] = calloc((size_t)n, sizeof(float));
        R[k] = calloc((size_t)n, sizeof(float));
        if (!L[k] || !R[k]) {
            fprintf(stderr, "out of memory\n");
            exit(1);
        }
        void *st = vh_new(vc, rate_hz, 7, s);
        vh_render(vc, st, s, 0, n, L[k], R[k], k);
        free(st);
    }
    const size_t bytes = (size_t)n * sizeof(float);
    const int same1 = !memcmp(L[0], L[1], bytes) && !memcmp(R[0], R[1], bytes);
    const int same2 = !memcmp(L[0], L[2], bytes) && !memcmp(R[0], R[2], bytes);
    printf("%s split invariance over %ld frames: random splits %s, one-frame calls %s\n",
           vc->kind, n, same1 ? "bit-identical" : "DIFFER", same2 ? "bit-identical" : "DIFFER");
    for (int k = 0; k < 3; k++) {
        free(L[k]);
        free(R[k]);
    }
    return same1 && same2;
}

/* xorshift64*: the fuzzer's own dice. */
static uint64_t fz_state;
static double fz_uniform(void)
{
    fz_state ^= fz_state >> 12;
    fz_state ^= fz_state << 25;
    fz_state ^= fz_state >> 27;
    return (double)((fz_state * 2685821657736338717ull) >> 11) * 0x1p-53;
}

static double fz_value(const lull_param_desc *d)
{
    const double u = fz_uniform();
    if (u < 0.01)
        return NAN;
    if (u < 0.02)
        return u < 0.015 ? INFINITY : -INFINITY;
    if (u < 0.12)
        return voice_units(d, fz_uniform() < 0.5 ? d->min : d->max); /* the edges */
    double v = d->min + (d->max - d->min) * fz_uniform();
    if (d->unit == LULL_UNIT_GAIN && v < -60.0)
        v = -60.0 + 66.0 * fz_uniform();
    return voice_units(d, v);
}

long vh_fuzz(const lull_voice_class *vc, double rate_hz, uint64_t seed, double seconds,
             double bound, double *peak)
{
    fz_state = seed * 0x9E3779B97F4A7C15ull + 1;
    vh_sched s = vh_defaults(vc);
    for (int p = 0; p < vc->n_params; p++) {
        const lull_param_desc *d = &vc->params[p];
        double v;
        if (d->unit == LULL_UNIT_ENUM)
            v = floor(d->min + (d->max - d->min + 1.0) * fz_uniform());
        else {
            do
                v = fz_value(d);
            while (!isfinite(v));
        }
        vh_set(&s, p, v);
    }
    void *st = vh_new(vc, rate_hz, seed, &s);
    const long total = (long)(seconds * rate_hz);
    float *L = malloc(sizeof(float) * 65536), *R = malloc(sizeof(float) * 65536);
    if (!L || !R) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    long bad = 0;
    double pk = 0.0;
    long t = 0;
    while (t < total) {
        /* One event: a parameter (not an enum) steps or glides somewhere. */
        const int p = (int)(fz_uniform() * vc->n_params);
        const lull_param_desc *d = &vc->params[p];
        if (d->unit != LULL_UNIT_ENUM) {
            const double u = fz_uniform();
            const long len = u < 0.3 ? 0 : u < 0.6 ? 480 : (long)(fz_uniform() * 5.0 * rate_hz);
            vh_glide(&s, p, fz_value(d), t, len);
        }
        long n = 1 + (long)(fz_uniform() * (fz_uniform() < 0.5 ? 64.0 : 65535.0));
        if (n > total - t)
            n = total - t;
        memset(L, 0, sizeof(float) * (size_t)n);
        memset(R, 0, sizeof(float) * (size_t)n);
        vh_render(vc, st, &s, t, n, L, R, VH_SPLIT_RANDOM);
        for (long i = 0; i < n; i++) {
            const double a = fabs((double)L[i]), b = fabs((double)R[i]);
            if (!isfinite(a) || !isfinite(b) || a > bound || b > bound)
                bad++;
            else
                pk = fmax(pk, fmax(a, b));
        }
        t += n;
    }
    free(L);
    free(R);
    free(st);
    *peak = pk;
    return bad;
}

int vh_check_class(const lull_voice_class *vc, const char *kind, const char *const *names, int n)
{
    int bad = 0;
    if (strcmp(vc->kind, kind) != 0) {
        printf("FAIL class: kind is \"%s\", want \"%s\"\n", vc->kind, kind);
        bad++;
    }
    if (lull_voice_find(kind) != vc) {
        printf("FAIL class: \"%s\" is not registered as this class\n", kind);
        bad++;
    }
    if (vc->n_params != n) {
        printf("FAIL class: %d parameters, want %d\n", vc->n_params, n);
        bad++;
    }
    for (int p = 0; p < n; p++)
        if (lull_voice_param_index(vc, names[p]) != p) {
            printf("FAIL class: parameter \"%s\" is not number %d\n", names[p], p);
            bad++;
        }
    for (int p = 0; p < vc->n_params; p++) {
        const lull_param_desc *d = &vc->params[p];
        if (!d->help || !(d->min <= d->def && d->def <= d->max)) {
            printf("FAIL class: parameter %s is not described (help, min <= default <= max)\n", d->name);
            bad++;
        }
    }
    return bad;
}

int vh_fuzz_check(const lull_voice_class *vc, double rate_hz, int seeds, double seconds, double bound)
{
    int bad_runs = 0;
    for (uint64_t seed = 1; seed <= (uint64_t)seeds; seed++) {
        double peak;
        const long bad = vh_fuzz(vc, rate_hz, seed, seconds, bound, &peak);
        printf("fuzz seed %llu: %ld bad samples, peak %.4f (bound %.1f)\n", (unsigned long long)seed, bad,
               peak, bound);
        if (bad != 0) {
            printf("FAIL fuzz seed %llu: NaN/Inf or output beyond %.1f\n", (unsigned long long)seed, bound);
            bad_runs++;
        }
    }
    return bad_runs;
}
