/*
 * check.h - the few lines every plain-C test program shares: CHECK(cond,
 * fmt, ...) prints the file and line of a failed check and counts it, so a
 * test reports every failure of a run rather than only the first;
 * check_buf() allocates zeroed samples or ends the run; check_done() prints
 * the summary and gives main() its exit status.
 *
 * Header-only: each test program is one translation unit that includes it.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_TEST_CHECK_H
#define LULL_TEST_CHECK_H

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
