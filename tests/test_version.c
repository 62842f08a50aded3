/*
 * test_version.c - one version, everywhere: the header's macros, what
 * lull_version() reports and the CMake project version (which the build
 * reads from lull.h) agree; the script language version is stated and
 * enforced.
 *
 * MIT licence; see LICENSE.
 */
#include "lull.h"

#include <stdio.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                                       \
    do {                                                                       \
        if (!(cond)) {                                                         \
            failures++;                                                        \
            fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond);  \
            fprintf(stderr, __VA_ARGS__);                                      \
            fputc('\n', stderr);                                               \
        }                                                                      \
    } while (0)

static char last_message[512];
static int last_line, last_col;

static void on_diag(void *user, const lull_diag *d)
{
    (void)user;
    snprintf(last_message, sizeof last_message, "%s", d->message);
    last_line = d->line;
    last_col = d->column;
}

static int load(const char *text, lull_script **s)
{
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = on_diag;
    last_message[0] = '\0';
    return lull_script_load_string(text, strlen(text), "v.lull", &lc, s);
}

int main(void)
{
    char macro[32];
    snprintf(macro, sizeof macro, "%d.%d.%d", LULL_VERSION_MAJOR, LULL_VERSION_MINOR, LULL_VERSION_PATCH);
    CHECK(!strcmp(lull_version(), macro), "lull_version() %s, header %s", lull_version(), macro);
    CHECK(!strcmp(LULL_PROJECT_VERSION, macro), "CMake project %s, header %s", LULL_PROJECT_VERSION, macro);
    CHECK(lull_version_number() == LULL_VERSION_NUMBER, "%d vs %d", lull_version_number(), LULL_VERSION_NUMBER);
    CHECK(LULL_VERSION_NUMBER == LULL_VERSION_MAJOR * 10000 + LULL_VERSION_MINOR * 100 + LULL_VERSION_PATCH,
          "number encoding");

    lull_script *s = NULL;
    CHECK(load("voice a binaural\n0:01 end\n", &s) == LULL_OK, "plain script");
    CHECK(lull_script_language_version(s) == 0, "no `lull` line: version not stated (%d)",
          lull_script_language_version(s));
    lull_script_free(&s);

    char text[128];
    snprintf(text, sizeof text, "lull %d\nvoice a binaural\n0:01 end\n", LULL_LANGUAGE_VERSION);
    CHECK(load(text, &s) == LULL_OK, "lull %d accepted", LULL_LANGUAGE_VERSION);
    CHECK(lull_script_language_version(s) == LULL_LANGUAGE_VERSION, "stated version %d",
          lull_script_language_version(s));
    lull_script_free(&s);

    snprintf(text, sizeof text, "# newer\nlull %d\nvoice a binaural\n0:01 end\n", LULL_LANGUAGE_VERSION + 1);
    CHECK(load(text, &s) == LULL_ERR_SCRIPT && !s, "a newer language version is refused");
    CHECK(strstr(last_message, "version") != NULL, "message names the version: %s", last_message);
    CHECK(last_line == 2 && last_col == 6, "at 2:6, got %d:%d", last_line, last_col);
    lull_script_free(&s);

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
