/*
 * test_cpu_paths.c - the CPU-specific builds of the hot loops give the
 * samples of the portable build, bit for bit.
 *
 * lull builds its hot loops several times (voices/hot.h): target clones
 * for AVX-512, AVX2 and the baseline, picked when the library loads, and
 * AVX-512 paths a voice picks at init (the noise voice's pipeline).  Each
 * is meant to do the very same float operations.  Here every voice kind and
 * the true-peak limiter run twice on the same input: as the library built
 * them for this CPU, and as built again for this test with LULL_NO_CLONES
 * (the plain C of the same files, tests/CMakeLists: cpu_paths_base_*.c),
 * and the outputs must be equal bit for bit.  Glides on every parameter,
 * random process splits, several sample rates.  A wrong lane, order or
 * constant shows at once; a difference in the last bit of a double state
 * (a fused multiply-add, say) reaches the float output only now and then,
 * so it may pass here (test_noise compares the noise paths longer).
 *
 * MIT licence; see LICENSE.
 */
#include "check.h"
#include "hot.h"
#include "limiter.h"
#include "voice_harness.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The same classes and limiter, compiled without CPU-specific code. */
extern const lull_voice_class lull_base_voice_binaural, lull_base_voice_monaural, lull_base_voice_isochronic,
    lull_base_voice_pacer, lull_base_voice_tone, lull_base_voice_bell, lull_base_voice_spin,
    lull_base_voice_noise;
void lull_base_limiter_init(lull_limiter *lim, int rate_hz, double ceiling_dbtp, int align_frames);
void lull_base_limiter_reset(lull_limiter *lim, int64_t tag);
void lull_base_limiter_process(lull_limiter *lim, float *io, const int64_t *tags, int n);

static uint32_t rng = 12345u;
static uint32_t next_rand(void) { return check_rand(&rng); }
static double uniform(void) { return check_uniform(&rng); }

/* A schedule that glides every numeric parameter somewhere in its range
 * and back; enums take value `enum_value` (clamped to the choices). */
static vh_sched schedule(const lull_voice_class *vc, long n, int enum_value)
{
    vh_sched s = vh_defaults(vc);
    for (int p = 0; p < vc->n_params; p++) {
        const lull_param_desc *d = &vc->params[p];
        if (d->unit == LULL_UNIT_ENUM) {
            int count = 0;
            while (d->choices && d->choices[count])
                count++;
            vh_set(&s, p, (double)(enum_value < count ? enum_value : count - 1));
            continue;
        }
        double lo = d->min, hi = d->max;
        if (d->unit == LULL_UNIT_GAIN) {
            lo = -40.0;
            hi = 0.0;
        }
        const double a = lo + (hi - lo) * uniform(), b = lo + (hi - lo) * uniform();
        const double va = d->unit == LULL_UNIT_GAIN ? vh_db(a) : a;
        const double vb = d->unit == LULL_UNIT_GAIN ? vh_db(b) : b;
        vh_set(&s, p, va);
        vh_glide(&s, p, vb, n / 5, n / 3);
        vh_glide(&s, p, va, 3 * n / 5, 7);
    }
    return s;
}

/* Both builds of one voice over the same schedule; the first differing
 * frame, or -1. */
static long compare_voice(const lull_voice_class *vc, const lull_voice_class *base, double rate_hz, int enum_value)
{
    const long n = (long)rate_hz * 60;
    const vh_sched s = schedule(vc, n, enum_value);
    float *l[2], *r[2];
    for (int k = 0; k < 2; k++) {
        l[k] = calloc((size_t)n, sizeof(float));
        r[k] = calloc((size_t)n, sizeof(float));
        void *st = vh_new(k ? base : vc, rate_hz, 99, &s);
        vh_render(k ? base : vc, st, &s, 0, n, l[k], r[k], VH_SPLIT_RANDOM);
        free(st);
    }
    long first = -1;
    for (long i = 0; i < n && first < 0; i++)
        if (memcmp(&l[0][i], &l[1][i], sizeof(float)) || memcmp(&r[0][i], &r[1][i], sizeof(float)))
            first = i;
    for (int k = 0; k < 2; k++) {
        free(l[k]);
        free(r[k]);
    }
    return first;
}

static void test_voices(void)
{
    static const struct {
        const lull_voice_class *vc, *base;
        int enums; /* values of the enum parameter to try (noise colours) */
    } kinds[] = {
        { &lull_voice_binaural, &lull_base_voice_binaural, 1 },
        { &lull_voice_monaural, &lull_base_voice_monaural, 1 },
        { &lull_voice_isochronic, &lull_base_voice_isochronic, 1 },
        { &lull_voice_pacer, &lull_base_voice_pacer, 1 },
        { &lull_voice_tone, &lull_base_voice_tone, 1 },
        { &lull_voice_bell, &lull_base_voice_bell, 1 },
        { &lull_voice_spin, &lull_base_voice_spin, 1 },
        { &lull_voice_noise, &lull_base_voice_noise, 3 },
    };
    const double rates[] = { 44100.0, 48000.0, 96000.0 };
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (int e = 0; e < kinds[k].enums; e++)
            for (size_t q = 0; q < sizeof rates / sizeof rates[0]; q++) {
                const long first = compare_voice(kinds[k].vc, kinds[k].base, rates[q], e);
                if (first >= 0)
                    printf("%-10s %d at %6.0f Hz: DIFFERS from frame %ld\n", kinds[k].vc->kind, e, rates[q],
                           first);
                CHECK(first < 0, "%s (%d) at %.0f Hz: this CPU's build differs from the portable one",
                      kinds[k].vc->kind, e, rates[q]);
            }
    printf("voices: 8 kinds (noise in 3 colours) x 3 rates, 60 s each, glides, random splits: %s\n",
           failures ? "DIFFER" : "bit-identical to the portable build");
}

/* The limiter over tones swept across its threshold, clicks and noise. */
static void test_limiter(void)
{
    enum { RATE = 48000, FRAMES = RATE * 4 };
    static lull_limiter fast, base;
    static float x[2 * FRAMES], a[2 * FRAMES], b[2 * FRAMES];
    static int64_t tags[512];
    lull_limiter_init(&fast, RATE, -1.0, 32);
    lull_base_limiter_init(&base, RATE, -1.0, 32);
    for (long i = 0; i < FRAMES; i++) {
        const double level = 0.2 + 1.4 * (double)i / FRAMES; /* quiet .. over the ceiling */
        const double t = (double)i / RATE;
        x[2 * i] = (float)(level * sin(2.0 * 3.14159265358979 * 997.0 * t) + (i % 9001 == 0 ? 0.9 : 0.0));
        x[2 * i + 1] = (float)(level * (uniform() * 2.0 - 1.0));
    }
    memcpy(a, x, sizeof a);
    memcpy(b, x, sizeof b);
    for (int at = 0; at < FRAMES;) {
        int n = 1 + (int)(next_rand() % 512u);
        n = n > FRAMES - at ? FRAMES - at : n;
        lull_limiter_process(&fast, a + 2 * at, tags, n);
        lull_base_limiter_process(&base, b + 2 * at, tags, n);
        at += n;
    }
    long diff = 0;
    for (long i = 0; i < 2 * FRAMES; i++)
        diff += memcmp(&a[i], &b[i], sizeof(float)) != 0;
    printf("limiter: 4 s over the ceiling and back, random blocks: %ld samples differ, min gain %.3f\n", diff,
           (double)fast.min_gain);
    CHECK(diff == 0, "the limiter's build for this CPU differs from the portable one");
    CHECK(fast.min_gain < 0.9f, "the signal did not make the limiter work");
}

int main(void)
{
    printf("this CPU: %s\n", lull_use_avx512() ? "AVX-512 (clones and the noise pipeline)"
                             : __builtin_cpu_supports("avx2") ? "AVX2 clones"
                                                                : "the baseline only");
    test_voices();
    test_limiter();
    return check_done("test_cpu_paths");
}
