/*
 * test_live_control.c - live control in pull mode: commands posted from the
 * host's side reach the engine at the next block boundary, and what they do
 * to the audio is measured against an engine that was sent nothing.
 *
 * Pause, resume, volume and stop are checked sample by sample against the
 * reference times the expected gain curve; seek and section steps by the
 * exact position after the jump and by the absence of a click; loop by the
 * position after the end and the absence of a gap.
 *
 * The mixer runs the true-peak limiter's look-ahead (`ahead` frames,
 * lull_engine_lookahead_frames) before the output, so a command is heard
 * that many frames after the block boundary it was applied at.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "lull.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define BLOCK 256

static int failures;

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
            failures++;                                 \
        }                                               \
    } while (0)

static const char *SCRIPT = "title \"live\"\n"
                            "voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\n"
                            "voice bed   noise color=pink gain=-26dB\n"
                            "0:00 section \"One\"\n"
                            "0:02 section \"Two\"\n"
                            "0:03 drone beat=4Hz over 2s\n"
                            "0:04 section \"Three\"\n"
                            "0:06.013 end\n";

static lull_script *script;
static int64_t ahead; /* lull_engine_lookahead_frames */

static lull_engine *make_engine(void)
{
    lull_engine_config cfg = lull_engine_config_init();
    cfg.rate_hz = RATE;
    lull_engine *e = NULL;
    if (lull_engine_create(script, &cfg, &e) != LULL_OK) {
        printf("engine: %s\n", lull_last_error());
        exit(1);
    }
    return e;
}

/* The whole session (plus `extra` frames of tail) from an engine nobody
 * steers, in one call per BLOCK. */
static float *reference(int64_t frames)
{
    lull_engine *e = make_engine();
    float *buf = calloc((size_t)frames * 2, sizeof *buf);
    for (int64_t at = 0; at < frames; at += BLOCK)
        lull_engine_process(e, buf + 2 * at, (int)(frames - at < BLOCK ? frames - at : BLOCK));
    lull_engine_destroy(&e);
    return buf;
}

static double smooth(double x) { return x * x * (3.0 - 2.0 * x); }

static int post(lull_engine *e, lull_command_kind kind, int index, int64_t frames, double value)
{
    lull_command c = { kind, index, frames, value };
    return lull_engine_post(e, &c);
}

/* Next notice of `kind`, skipping others; 1 if found. */
static int find_notice(lull_engine *e, lull_notice_kind kind, lull_notice *out)
{
    lull_notice n;
    while (lull_engine_poll_notice(e, &n))
        if (n.kind == kind) {
            if (out)
                *out = n;
            return 1;
        }
    return 0;
}

/* Without commands, any block split gives the same samples as one call per
 * 4096 frames: the live layer leaves the core alone. */
static void test_untouched_is_identical(const float *ref, int64_t len)
{
    lull_engine *e = make_engine();
    float *buf = calloc((size_t)len * 2, sizeof *buf);
    uint32_t rng = 12345;
    int64_t at = 0;
    while (at < len) {
        rng = rng * 1664525u + 1013904223u;
        int n = 1 + (int)((rng >> 8) % 4096u);
        if (n > len - at)
            n = (int)(len - at);
        lull_engine_process(e, buf + 2 * at, n);
        at += n;
    }
    CHECK(memcmp(buf, ref, sizeof(float) * 2 * (size_t)len) == 0,
          "random block sizes changed the output");
    lull_engine_destroy(&e);
    free(buf);
}

/* Process blocks [from, to) of BLOCK frames into buf at their session place
 * (the buffer is indexed by output frame, not session frame). */
static void run_blocks(lull_engine *e, float *buf, int from, int to)
{
    for (int b = from; b < to; b++)
        lull_engine_process(e, buf + 2 * (size_t)b * BLOCK, BLOCK);
}

static double max_err_scaled(const float *out, const float *ref, int64_t n,
                             double (*gain)(int64_t k, void *u), void *u)
{
    double worst = 0.0;
    for (int64_t k = 0; k < n; k++) {
        double g = gain(k, u);
        for (int c = 0; c < 2; c++) {
            double d = fabs((double)out[2 * k + c] - g * (double)ref[2 * k + c]);
            worst = d > worst ? d : worst;
        }
    }
    return worst;
}

typedef struct fade_u {
    double len;
    int down;
} fade_u;

static double fade_gain(int64_t k, void *u)
{
    const fade_u *f = u;
    double x = (double)k / f->len;
    if (x > 1.0)
        x = 1.0;
    return smooth(f->down ? 1.0 - x : x);
}

static void test_pause_resume(const float *ref)
{
    lull_engine *e = make_engine();
    const int nb = 200;
    float *out = calloc((size_t)nb * BLOCK * 2, sizeof *out);
    const int pb = 40, rb = 80; /* pause before block 40, resume before 80 */
    const int64_t fade = (int64_t)llround(LULL_PAUSE_FADE_SEC * RATE);

    run_blocks(e, out, 0, pb);
    CHECK(post(e, LULL_CMD_PAUSE, 0, 0, 0) == LULL_OK, "post pause");
    /* Posting alone changes nothing: the command waits for the next block. */
    lull_status st;
    lull_engine_status(e, &st);
    CHECK(st.position_frames == (int64_t)pb * BLOCK && !st.paused, "status before the block");
    run_blocks(e, out, pb, rb);
    /* heard from p0: the block boundary plus the look-ahead */
    const int64_t p0 = (int64_t)pb * BLOCK + ahead;
    CHECK(memcmp(out, ref, sizeof(float) * 2 * (size_t)p0) == 0, "output changed before the pause");
    fade_u down = { (double)fade, 1 };
    double err = max_err_scaled(out + 2 * p0, ref + 2 * p0, fade, fade_gain, &down);
    CHECK(err < 2e-4, "pause fade deviates from the smooth curve by %g", err);
    CHECK(out[2 * p0] == ref[2 * p0], "the pause must start exactly at the block boundary + look-ahead");
    double after = an_rms(out, (size_t)(2 * (p0 + fade)), (size_t)(2 * rb * BLOCK));
    CHECK(after == 0.0, "paused output is not silent (rms %g)", after);
    lull_engine_status(e, &st);
    CHECK(st.position_frames == p0 + fade, "paused position %lld, expected %lld",
          (long long)st.position_frames, (long long)(p0 + fade));
    CHECK(st.paused == 1 && st.finished == 0, "status while paused");
    CHECK(find_notice(e, LULL_NOTICE_PAUSED, NULL), "no PAUSED notice");

    CHECK(post(e, LULL_CMD_RESUME, 0, 0, 0) == LULL_OK, "post resume");
    run_blocks(e, out, rb, nb);
    /* Resumed output continues the session where it stopped, fading in. */
    const int64_t r0 = (int64_t)rb * BLOCK + ahead;
    CHECK(an_rms(out, (size_t)(2 * rb * BLOCK), (size_t)(2 * r0)) == 0.0, "resumed before the look-ahead");
    fade_u up = { (double)fade, 0 };
    err = max_err_scaled(out + 2 * r0, ref + 2 * (p0 + fade), fade, fade_gain, &up);
    CHECK(err < 2e-4, "resume fade deviates by %g", err);
    CHECK(memcmp(out + 2 * (r0 + fade), ref + 2 * (p0 + fade + fade),
                 sizeof(float) * 2 * (size_t)((int64_t)nb * BLOCK - r0 - fade)) == 0,
          "after the resume fade the output is not the session");
    CHECK(find_notice(e, LULL_NOTICE_RESUMED, NULL), "no RESUMED notice");
    lull_engine_status(e, &st);
    CHECK(st.position_frames == (int64_t)nb * BLOCK - (r0 - p0 - fade), "position after resume %lld",
          (long long)st.position_frames);

    /* A pause and a resume inside the same block's queue cancel out. */
    lull_engine *f = make_engine();
    float *o2 = calloc((size_t)nb * BLOCK * 2, sizeof *o2);
    run_blocks(f, o2, 0, 10);
    post(f, LULL_CMD_TOGGLE_PAUSE, 0, 0, 0);
    post(f, LULL_CMD_TOGGLE_PAUSE, 0, 0, 0);
    run_blocks(f, o2, 10, 20);
    CHECK(memcmp(o2, ref, sizeof(float) * 2 * 20 * BLOCK) == 0, "pause+resume in one block");
    lull_engine_destroy(&f);
    free(o2);
    lull_engine_destroy(&e);
    free(out);
}

static void test_volume(const float *ref)
{
    lull_engine *e = make_engine();
    const int nb = 60, vb = 20;
    float *out = calloc((size_t)nb * BLOCK * 2, sizeof *out);
    run_blocks(e, out, 0, vb);
    post(e, LULL_CMD_VOLUME, 0, 0, -6.0);
    run_blocks(e, out, vb, nb);
    const int64_t v0 = (int64_t)vb * BLOCK + ahead, ramp = (int64_t)llround(0.02 * RATE);
    CHECK(memcmp(out, ref, sizeof(float) * 2 * (size_t)v0) == 0, "output changed before the volume");
    CHECK(out[2 * v0] == ref[2 * v0], "volume must start changing at the block boundary");
    const double g = pow(10.0, -6.0 / 20.0);
    double worst = 0.0;
    for (int64_t k = v0 + ramp; k < (int64_t)nb * BLOCK; k++)
        for (int c = 0; c < 2; c++) {
            double d = fabs(out[2 * k + c] - g * ref[2 * k + c]);
            worst = d > worst ? d : worst;
        }
    CHECK(worst < 1e-6, "after the ramp the output is not -6 dB of the session (err %g)", worst);
    /* The ramp is monotonic between the two gains: no overshoot, no click. */
    double jump = an_max_jump(out, (size_t)nb * BLOCK * 2, NULL);
    double ref_jump = an_max_jump(ref, (size_t)nb * BLOCK * 2, NULL);
    CHECK(jump <= ref_jump * 1.01, "volume change made a jump %g > %g", jump, ref_jump);
    lull_status st;
    lull_engine_status(e, &st);
    CHECK(fabs(st.volume_db + 6.0) < 1e-12, "status volume %g", st.volume_db);
    CHECK(st.position_frames == (int64_t)nb * BLOCK, "volume must not move the position");
    lull_engine_destroy(&e);
    free(out);
}

/* Largest sample-to-sample step on either channel of interleaved audio. */
static double max_step(const float *x, int64_t frames)
{
    double worst = 0.0;
    for (int64_t k = 1; k < frames; k++)
        for (int c = 0; c < 2; c++) {
            double d = fabs((double)x[2 * k + c] - (double)x[2 * k - 2 + c]);
            worst = d > worst ? d : worst;
        }
    return worst;
}

static void test_seek(const float *ref, int64_t len)
{
    lull_engine *e = make_engine();
    const int nb = 40, sb = 12;
    float *out = calloc((size_t)nb * BLOCK * 2, sizeof *out);
    const int64_t fade = (int64_t)llround(LULL_SEEK_FADE_SEC * RATE);
    run_blocks(e, out, 0, sb);
    lull_notice n;
    CHECK(find_notice(e, LULL_NOTICE_SECTION, &n) && n.section == 0, "section One notice");
    CHECK(post(e, LULL_CMD_SECTION, 2, 0, 0) == LULL_OK, "post section");
    run_blocks(e, out, sb, nb);
    const int64_t s0 = (int64_t)sb * BLOCK + ahead;
    const int64_t three = lull_engine_section_frame(e, 2);
    CHECK(three == 4 * RATE, "section Three at %lld", (long long)three);
    lull_status st;
    lull_engine_status(e, &st);
    const int64_t expect = three + (int64_t)nb * BLOCK - (s0 + fade);
    CHECK(st.position_frames == expect, "after the jump position %lld, expected %lld",
          (long long)st.position_frames, (long long)expect);
    CHECK(st.section == 2, "section after the jump %d", st.section);
    CHECK(find_notice(e, LULL_NOTICE_SECTION, &n) && n.section == 2 && n.frame == three,
          "section Three notice");
    /* Fade out from the block boundary, silent at the jump, fade in after. */
    fade_u down = { (double)fade, 1 };
    double err = max_err_scaled(out + 2 * s0, ref + 2 * s0, fade, fade_gain, &down);
    CHECK(err < 3e-4, "seek fade-out deviates by %g", err);
    CHECK(fabs(out[2 * (s0 + fade)]) < 1e-3, "not silent at the jump");
    double step = max_step(out, (int64_t)nb * BLOCK);
    double ref_step = max_step(ref, len);
    CHECK(step <= ref_step * 1.01, "the jump clicks: step %g > %g", step, ref_step);
    /* After the fade back in, the level is the session's at section Three. */
    double rms_out = an_rms(out, (size_t)(2 * (s0 + 2 * fade)), (size_t)(2 * nb * BLOCK));
    int64_t at3 = three + fade;
    double rms_ref = an_rms(ref, (size_t)(2 * at3), (size_t)(2 * (at3 + nb * BLOCK - s0 - 2 * fade)));
    CHECK(fabs(20 * log10(rms_out / rms_ref)) < 0.5, "level after the jump %g vs %g", rms_out,
          rms_ref);

    /* Section steps: previous within 2 s of Three's start goes to Two;
     * previous again more than 2 s into Two restarts Two. */
    post(e, LULL_CMD_SECTION_STEP, -1, 0, 0);
    run_blocks(e, out, 0, 4);
    lull_engine_status(e, &st);
    const int64_t two = lull_engine_section_frame(e, 1);
    CHECK(st.section == 1 && st.position_frames == two + 4 * BLOCK - fade - ahead,
          "previous: section %d at %lld", st.section, (long long)st.position_frames);
    /* Two commands in one block: next, next lands two sections on (clamped
     * to the last section: Two -> Three, then nothing further). */
    post(e, LULL_CMD_SECTION_STEP, 1, 0, 0);
    post(e, LULL_CMD_SECTION_STEP, 1, 0, 0);
    run_blocks(e, out, 0, 4);
    lull_engine_status(e, &st);
    CHECK(st.section == 2 && st.position_frames == three + 4 * BLOCK - fade - ahead,
          "next,next: section %d at %lld", st.section, (long long)st.position_frames);
    /* Plain seek to a frame. */
    post(e, LULL_CMD_SEEK, 0, RATE / 2, 0);
    run_blocks(e, out, 0, 4);
    lull_engine_status(e, &st);
    CHECK(st.section == 0 && st.position_frames == RATE / 2 + 4 * BLOCK - fade - ahead,
          "seek frame: section %d at %lld", st.section, (long long)st.position_frames);
    CHECK(post(e, LULL_CMD_SECTION, 7, 0, 0) == LULL_OK, "post accepts; the engine rejects");
    run_blocks(e, out, 0, 1);
    lull_engine_status(e, &st);
    CHECK(st.position_frames == RATE / 2 + 5 * BLOCK - fade - ahead, "bad section must be ignored");
    lull_engine_destroy(&e);
    free(out);
}

static void test_stop(const float *ref)
{
    lull_engine *e = make_engine();
    const int sb = 8;
    const int nb = sb + RATE / BLOCK + 20;
    float *out = calloc((size_t)nb * BLOCK * 2, sizeof *out);
    run_blocks(e, out, 0, sb);
    post(e, LULL_CMD_STOP, 0, 0, 1.0);
    int produced_last = -1;
    for (int b = sb; b < nb; b++)
        produced_last = lull_engine_process(e, out + 2 * (size_t)b * BLOCK, BLOCK);
    const int64_t s0 = (int64_t)sb * BLOCK + ahead;
    fade_u down = { (double)RATE, 1 };
    double err = max_err_scaled(out + 2 * s0, ref + 2 * s0, RATE, fade_gain, &down);
    CHECK(err < 2e-4, "stop fade deviates by %g", err);
    CHECK(an_rms(out, (size_t)(2 * (s0 + RATE)), (size_t)(2 * nb * BLOCK)) == 0.0,
          "not silent after the stop fade");
    CHECK(produced_last == 0, "a stopped engine still reports frames");
    CHECK(lull_engine_finished(e), "not finished after stop");
    lull_status st;
    lull_engine_status(e, &st);
    CHECK(st.finished && st.position_frames == s0 + RATE, "stopped at %lld",
          (long long)st.position_frames);
    CHECK(find_notice(e, LULL_NOTICE_STOPPED, NULL), "no STOPPED notice");
    lull_command c = { LULL_CMD_RESUME, 0, 0, 0 };
    CHECK(lull_engine_command(e, &c) == LULL_ERR_STATE, "commands after stop must be refused");

    /* Stop while paused: immediate. */
    lull_engine *f = make_engine();
    run_blocks(f, out, 0, 20);
    post(f, LULL_CMD_PAUSE, 0, 0, 0);
    run_blocks(f, out, 0, 20);
    post(f, LULL_CMD_STOP, 0, 0, 5.0);
    CHECK(lull_engine_process(f, out, BLOCK) == 0 && lull_engine_finished(f),
          "stop while paused must finish at once");
    lull_engine_destroy(&f);
    lull_engine_destroy(&e);
    free(out);
}

static void test_loop(const float *ref, int64_t len)
{
    lull_engine *e = make_engine();
    post(e, LULL_CMD_LOOP, 1, 0, 0);
    const int64_t total = len + RATE;
    float *out = calloc((size_t)total * 2, sizeof *out);
    int64_t at = 0;
    while (at < total) {
        int n = (int)(total - at < 1000 ? total - at : 1000);
        CHECK(lull_engine_process(e, out + 2 * at, n) == n, "a looping engine fills every frame");
        at += n;
    }
    lull_status st;
    lull_engine_status(e, &st);
    CHECK(st.position_frames == RATE && !st.finished, "after one loop position %lld",
          (long long)st.position_frames);
    CHECK(find_notice(e, LULL_NOTICE_LOOPED, NULL), "no LOOPED notice");
    /* No gap: the 50 ms straddling the join are not silent (only the
     * script's own 10 ms end de-click dips). */
    double rms = an_rms(out, (size_t)(2 * (len - RATE / 40)), (size_t)(2 * (len + RATE / 40)));
    CHECK(rms > 0.02, "gap at the loop join (rms %g)", rms);
    double step = max_step(out + 2 * (len - RATE / 40), RATE / 20);
    double ref_step = max_step(ref, len);
    CHECK(step <= ref_step, "click at the loop join (step %g > %g)", step, ref_step);
    lull_engine_destroy(&e);

    /* A stop whose fade runs across the loop join still finishes on time. */
    e = make_engine();
    post(e, LULL_CMD_LOOP, 1, 0, 0);
    const int64_t before_end = len - RATE / 2;
    for (int64_t t = 0; t < before_end;) {
        int n = (int)(before_end - t < 1000 ? before_end - t : 1000);
        lull_engine_process(e, out, n);
        t += n;
    }
    post(e, LULL_CMD_STOP, 0, 0, 1.0);
    int64_t produced = 0;
    for (int i = 0; i < 2 * RATE / 1000 && !lull_engine_finished(e); i++)
        produced += lull_engine_process(e, out, 1000);
    CHECK(lull_engine_finished(e) && produced == RATE + ahead,
          "stop across the loop join: finished %d after %lld frames", lull_engine_finished(e),
          (long long)produced);
    CHECK(find_notice(e, LULL_NOTICE_LOOPED, NULL) && find_notice(e, LULL_NOTICE_STOPPED, NULL),
          "notices across the join");
    lull_engine_destroy(&e);
    free(out);
}

static void test_queue_full(void)
{
    lull_engine *e = make_engine();
    int ok = 0, full = 0;
    for (int i = 0; i < LULL_ENGINE_COMMANDS + 10; i++) {
        int r = post(e, LULL_CMD_VOLUME, 0, 0, -1.0 * (i % 10));
        ok += r == LULL_OK;
        full += r == LULL_ERR_FULL;
    }
    CHECK(ok == LULL_ENGINE_COMMANDS && full == 10, "queue: %d accepted, %d full", ok, full);
    lull_command bad = { (lull_command_kind)99, 0, 0, 0 };
    CHECK(lull_engine_post(e, &bad) == LULL_ERR_ARG, "unknown command accepted");
    float buf[2 * 64];
    lull_engine_process(e, buf, 64);
    CHECK(post(e, LULL_CMD_PAUSE, 0, 0, 0) == LULL_OK, "the queue drains in one block");
    lull_engine_destroy(&e);
}

int main(void)
{
    if (lull_script_load_string(SCRIPT, strlen(SCRIPT), "live.lull", NULL, &script) != LULL_OK) {
        printf("script failed to load\n");
        return 1;
    }
    lull_engine *e = make_engine();
    const int64_t len = lull_engine_length_frames(e);
    ahead = lull_engine_lookahead_frames(e);
    CHECK(ahead > 0 && ahead < RATE / 200, "look-ahead %lld frames", (long long)ahead);
    lull_engine_destroy(&e);
    float *ref = reference(len);

    test_untouched_is_identical(ref, len);
    test_pause_resume(ref);
    test_volume(ref);
    test_seek(ref, len);
    test_stop(ref);
    test_loop(ref, len);
    test_queue_full();

    free(ref);
    lull_script_free(&script);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
