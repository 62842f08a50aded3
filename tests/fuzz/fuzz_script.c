/*
 * fuzz_script.c - the libFuzzer target over the script parser and the
 * engine (issue 7).
 *
 * Whatever bytes come in, lull_script_load_string must either refuse them
 * with LULL_ERR_SCRIPT or return a script; and whatever it accepts must
 * compile into an engine that plays, seeks and jumps between sections
 * without touching memory it does not own (AddressSanitizer and
 * UndefinedBehaviorSanitizer watch in the fuzz build) and without ever
 * producing a sample that is not finite or is beyond full scale (checked
 * here, so a plain build replaying the regressions checks it too).
 *
 * Built two ways (tests/fuzz/fuzz.cmake):
 *   fuzz_script      clang -fsanitize=fuzzer,address,undefined, run by
 *                    `make fuzz` / `make check-all` for a bounded time;
 *   test_fuzz_replay this file plus replay.c: every file in
 *                    tests/fuzz/regressions/ and every shipped script is fed
 *                    through the same function by an ordinary ctest.
 *
 * The text is handed over exactly as it came (not NUL-terminated), so a
 * parser that reads past `len` is caught.  Includes resolve relative to the
 * current folder (the name is "fuzz.lull").
 *
 * MIT licence; see LICENSE.
 */
#include "lull.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 2 x the largest block: room for any block size we ask for. */
static float out_buf[2 * LULL_MAX_BLOCK_FRAMES];

static void check_block(const float *b, int frames, const char *where)
{
    for (int i = 0; i < 2 * frames; i++) {
        /* NaN fails the comparison too. */
        if (!(fabsf(b[i]) <= 1.0f)) {
            fprintf(stderr, "fuzz_script: sample %d of a block (%s) is %g: not finite or beyond full scale\n",
                    i, where, (double)b[i]);
            abort();
        }
    }
}

static void play(lull_engine *e, const int *sizes, int n, const char *where)
{
    for (int i = 0; i < n; i++) {
        int got = lull_engine_process(e, out_buf, sizes[i]);
        if (got < 0 || got > sizes[i]) {
            fprintf(stderr, "fuzz_script: process returned %d for %d frames\n", got, sizes[i]);
            abort();
        }
        check_block(out_buf, sizes[i], where);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The text itself, in a buffer of exactly its size. */
    char *text = malloc(size ? size : 1);
    if (!text)
        return 0;
    if (size)
        memcpy(text, data, size);
    lull_load_config lc = lull_load_config_init();
    lull_script *s = NULL;
    int r = lull_script_load_string(text, size, "fuzz.lull", &lc, &s);
    free(text);
    if (r != LULL_OK) {
        if (s) {
            fprintf(stderr, "fuzz_script: a failed load returned a script\n");
            abort();
        }
        return 0;
    }

    /* The inspection API over everything it reports. */
    (void)strlen(lull_script_title(s));
    for (int i = 0; i < lull_script_section_count(s); i++)
        (void)strlen(lull_script_section_name(s, i));
    for (int i = 0; i < lull_script_voice_count(s); i++) {
        (void)strlen(lull_script_voice_name(s, i));
        (void)strlen(lull_script_voice_kind(s, i));
    }

    /* A rate that depends on the input, so all of them get exercised. */
    static const int rates[] = { 48000, 44100, 8000, 96000, 22050, 192000 };
    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = rates[(size * 31u + (size ? data[0] : 0u)) % (sizeof rates / sizeof rates[0])];
    lull_engine *e = NULL;
    if (lull_engine_create(s, &ec, &e) != LULL_OK) {
        lull_script_free(&s);
        return 0;
    }

    /* The start, in awkward block sizes. */
    static const int start_sizes[] = { 1, 31, 64, 4096, 333 };
    play(e, start_sizes, 5, "start");
    /* The middle, then the last frames and past the end. */
    const int64_t len = lull_engine_length_frames(e);
    static const int two[] = { 2048, 17 };
    lull_engine_seek(e, len / 2);
    play(e, two, 2, "middle");
    lull_engine_seek(e, len > 3000 ? len - 3000 : 0);
    static const int tail[] = { 4096, 4096 };
    play(e, tail, 2, "end");
    /* Every section, through the live command path (de-clicked jumps). */
    const int n_sec = lull_script_section_count(s);
    for (int i = 0; i < n_sec && i < 64; i++) {
        lull_command c = { LULL_CMD_SECTION, i, 0, 0.0 };
        lull_engine_command(e, &c);
        static const int one[] = { 1024 };
        play(e, one, 1, "section");
    }
    /* Seeks out of range are clamped, never trusted. */
    lull_engine_seek(e, -5);
    lull_engine_seek(e, INT64_MAX);
    static const int last[] = { 64 };
    play(e, last, 1, "after the end");

    lull_engine_destroy(&e);
    lull_script_free(&s);
    return 0;
}
