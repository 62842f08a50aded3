/*
 * check.h - the few lines every plain-C test program shares: CHECK(cond,
 * fmt, ...) prints the file and line of a failed check and counts it, so a
 * test reports every failure of a run rather than only the first;
 * check_buf() allocates zeroed samples or ends the run; check_rand() and
 * check_uniform() make reproducible test inputs; check_done() prints the
 * summary and gives main() its exit status.
 *
 * Header-only: each test program is one translation unit that includes it.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_TEST_CHECK_H
#define LULL_TEST_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

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

/* n zeroed floats; a test that cannot get its buffers stops at once. */
static inline float *check_buf(long n)
{
    float *p = calloc((size_t)(n > 0 ? n : 1), sizeof(float));
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    return p;
}

/* A small deterministic generator for test inputs (xorshift32; the state
 * must not be 0), and a uniform number in [0, 1) from its top 24 bits. */
static inline uint32_t check_rand(uint32_t *state)
{
    uint32_t x = *state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *state = x;
}

static inline double check_uniform(uint32_t *state) { return (double)(check_rand(state) >> 8) / 16777216.0; }

/* The exit status of a test program called `name`. */
static inline int check_done(const char *name)
{
    if (failures) {
        printf("%s: %d failure(s)\n", name, failures);
        return 1;
    }
    printf("%s: all passed\n", name);
    return 0;
}

#endif
