/*
 * test_control_grid.c - where the mixer puts its control points
 * (engine/process.c): every 128 frames while nothing moves or only long
 * ramps move, every 32 while a ramp shorter than 2^18 frames moves, and
 * exactly where every ramp ends, on or off either grid.
 *
 * - Segment counts (the engine's `segments` counter) for a session that
 *   rests or glides for minutes, for one with a 2-second dB glide, and for
 *   one with a 2-second glide that is linear in amplitude (no fine grid).
 * - A gain ramp to `off` that ends off both grids, a long one (coarse grid)
 *   and a de-click (10 ms), gives exact silence from the ramp's last frame
 *   on, and sound just before it.  Without the ramp ends as control points
 *   the last segment would still be ramping down there.
 * - The same session in random block sizes gives the same samples (the
 *   grid depends on the session, never on the blocks).
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "clip_util.h"
#include "engine_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct pulled {
    float *lr;
    long frames;
    int64_t segments;
} pulled;

/* The whole session in blocks of `block` frames (0: random 1..4096). */
static pulled pull(const char *text, int block, unsigned seed)
{
    pulled out = { NULL, 0, 0 };
    lull_script *s = cu_load(text);
    if (!s)
        return out;
    lull_engine_config ec = lull_engine_config_init();
    ec.offline = 1;
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK) {
        lull_script_free(&s);
        return out;
    }
    const long total = (long)lull_engine_length_frames(e);
    out.lr = calloc((size_t)total * 2 + 2, sizeof(float));
    long done = 0;
    while (out.lr && done < total) {
        int n = block > 0 ? block : 1 + (int)(rand_r(&seed) % 4096u);
        if (n > total - done)
            n = (int)(total - done);
        lull_engine_process(e, out.lr + 2 * done, n);
        done += n;
    }
    out.frames = done;
    out.segments = e->segments;
    lull_engine_destroy(&e);
    lull_script_free(&s);
    return out;
}

/* Largest |sample| of either ear over frames [a, b). */
static double peak(const pulled *p, long a, long b)
{
    double m = 0.0;
    for (long i = 2 * a; i < 2 * b && i < 2 * p->frames; i++)
        if (fabs(p->lr[i]) > m)
            m = fabs(p->lr[i]);
    return m;
}

/* Every session ends with an implicit 10 ms fade (engine.c), a short ramp:
 * from frame 2,879,520 (not on the coarse grid) to the end at 2,880,000 it
 * takes one coarse segment cut at its start and 15 fine ones, 16 where the
 * coarse grid alone would have 4.  60 s is 22,500 coarse segments. */
#define END_FADE_EXTRA 12
#define COARSE_60S 22500

/* The session's segment count, pulled in 4096-frame blocks. */
static void expect_segments(const char *what, const char *text, int want)
{
    pulled p = pull(text, 4096, 1);
    CHECK(p.lr != NULL, "%s: the session does not run", what);
    printf("%s: %lld segments (want %d)\n", what, (long long)p.segments, want);
    CHECK(p.segments == want, "%s: %lld segments, want %d", what, (long long)p.segments, want);
    free(p.lr);
}

static void test_counts(void)
{
    /* The glide (50 s) and the fades (6 s each) are long ramps.  Events at
     * 0, 4 and 54 s lie on the coarse grid, and so do the ramp ends. */
    expect_segments("long ramps",
                    "voice a binaural carrier=200Hz beat=6Hz gain=-20dB\n"
                    "voice n noise color=pink gain=-30dB\n"
                    "0:00 master fade-in 6s\n"
                    "0:04 a beat=4Hz carrier=180Hz over 50s\n"
                    "0:54 master fade-out 6s\n"
                    "1:00 end\n",
                    COARSE_60S + END_FADE_EXTRA);
    /* A 2 s glide in dB (96,000 frames < 2^18) from 4 s: 3000 fine segments
     * instead of 750 coarse ones. */
    expect_segments("a 2 s dB glide",
                    "voice a binaural carrier=200Hz beat=6Hz gain=-20dB\n"
                    "0:04 a gain=-30dB over 2s\n"
                    "1:00 end\n",
                    COARSE_60S - 750 + 3000 + END_FADE_EXTRA);
    /* The same glide straight in amplitude: the straight lines are exact,
     * the coarse grid stays. */
    expect_segments("a 2 s glide linear in amplitude",
                    "voice a binaural carrier=200Hz beat=6Hz gain=-20dB\n"
                    "0:04 a gain=-30dB over 2s linear\n"
                    "1:00 end\n",
                    COARSE_60S + END_FADE_EXTRA);
}

/* One voice's gain ramps to `off`, ending at frame `end`: sound in the
 * `look` frames before it, exact silence from it on; the same in random
 * block sizes. */
static void ramp_to_off(const char *what, const char *text, long end, long look, double min_before)
{
    pulled p = pull(text, 4096, 1);
    CHECK(p.lr != NULL, "%s: the session does not run", what);
    if (!p.lr)
        return;
    const double before = peak(&p, end - look, end), after = peak(&p, end, p.frames);
    printf("%s: peak %.3g in the %ld frames before its end, %.3g after (%lld segments)\n", what, before, look,
           after, (long long)p.segments);
    CHECK(before > min_before, "%s: silent already before its end (%g)", what, before);
    CHECK(after == 0.0, "%s: not silent from its end at frame %ld: %g", what, end, after);
    pulled q = pull(text, 0, 7);
    CHECK(q.lr && q.frames == p.frames && !memcmp(q.lr, p.lr, sizeof(float) * 2 * (size_t)p.frames),
          "%s: random blocks change the samples", what);
    CHECK(q.segments == p.segments, "%s: random blocks change the segments: %lld against %lld", what,
          (long long)q.segments, (long long)p.segments);
    free(q.lr);
    free(p.lr);
}

static void test_ramp_ends(void)
{
    /* 0:01.0003 is frame 48014 (not a multiple of 32); its 10 ms de-click
     * ends at 48494. */
    ramp_to_off("de-click to off", "voice a binaural carrier=200Hz beat=6Hz gain=-6dB\n"
                                    "0:01.0003 a gain=off\n"
                                    "0:03 end\n",
                48494, 64, 1e-3);
    /* From 0:02 over 7.0001 s (coarse grid): ends at frame 96000 + 336005 =
     * 432005, off both grids.  Near its end a dB ramp to off is far below a
     * 24-bit step, but the straight line from the last control point must
     * not reach past the end. */
    ramp_to_off("long ramp to off", "voice b binaural carrier=300Hz beat=5Hz gain=-6dB\n"
                                    "0:02 b gain=off over 7.0001s\n"
                                    "0:10 end\n",
                432005, 4096, 0.0);
}

int main(void)
{
    cu_make_dir("control_grid");
    test_counts();
    test_ramp_ends();
    if (failures) {
        printf("test_control_grid: %d failure(s)\n", failures);
        return 1;
    }
    printf("control grid: coarse at rest and on long ramps, fine on short ones, exact at ramp ends\n");
    return 0;
}
