/*
 * test_script.c - the session script parser: every error the language
 * defines, each at its exact line and column with a message that says what
 * went wrong, and every accepted time and value form with the exact times
 * and values it must produce.
 *
 * Diagnostics are captured through lull_load_config.on_diag.  The compiled
 * events are inspected through lull_internal.h (white-box, but the only way
 * to see a nanosecond stamp before an engine rounds it to frames).
 *
 * MIT licence; see LICENSE.
 */
#include "lull.h"
#include "lull_internal.h"
#include "lull_voice.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            failures++;                                                      \
            fprintf(stderr, "%s:%d: FAILED: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                    \
            fputc('\n', stderr);                                             \
        }                                                                    \
    } while (0)

/* ------------------------------------------------------------ capturing */

#define MAX_DIAGS 32

typedef struct captured {
    int n, n_errors, n_warnings;
    struct {
        lull_severity sev;
        int line, col;
        char file[64];
        char msg[512];
        char src[128];
    } d[MAX_DIAGS];
} captured;

static void on_diag(void *user, const lull_diag *d)
{
    captured *c = user;
    if (d->severity == LULL_SEVERITY_ERROR)
        c->n_errors++;
    else
        c->n_warnings++;
    if (c->n == MAX_DIAGS)
        return;
    c->d[c->n].sev = d->severity;
    c->d[c->n].line = d->line;
    c->d[c->n].col = d->column;
    snprintf(c->d[c->n].file, sizeof c->d[c->n].file, "%s", d->file);
    snprintf(c->d[c->n].msg, sizeof c->d[c->n].msg, "%s", d->message);
    snprintf(c->d[c->n].src, sizeof c->d[c->n].src, "%s", d->source_line ? d->source_line : "");
    c->n++;
}

static int load(const char *text, size_t len, captured *c, lull_script **out)
{
    memset(c, 0, sizeof *c);
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = on_diag;
    lc.user = c;
    return lull_script_load_string(text, len, "t.lull", &lc, out);
}

/* The script must fail, and its FIRST error must be at line:col with a
 * message containing each of the '|'-separated pieces of `want`. */
static void expect_error_n(int src_line, const char *text, size_t len, int line, int col,
                           const char *want)
{
    captured c;
    lull_script *s = NULL;
    int r = load(text, len, &c, &s);
    if (r != LULL_ERR_SCRIPT || s != NULL || c.n_errors == 0) {
        failures++;
        fprintf(stderr, "test_script.c:%d: FAILED: expected an error, got r=%d (%d errors) for:\n%.300s\n",
                src_line, r, c.n_errors, text);
        lull_script_free(&s);
        return;
    }
    int k = 0;
    while (k < c.n && c.d[k].sev != LULL_SEVERITY_ERROR)
        k++;
    if (c.d[k].line != line || c.d[k].col != col) {
        failures++;
        fprintf(stderr, "test_script.c:%d: FAILED: error at %d:%d, expected %d:%d (%s) for:\n%.300s\n",
                src_line, c.d[k].line, c.d[k].col, line, col, c.d[k].msg, text);
    }
    if (strcmp(c.d[k].file, "t.lull") != 0) {
        failures++;
        fprintf(stderr, "test_script.c:%d: FAILED: diagnostic names file '%s'\n", src_line, c.d[k].file);
    }
    char pieces[256];
    snprintf(pieces, sizeof pieces, "%s", want);
    for (char *w = strtok(pieces, "|"); w; w = strtok(NULL, "|")) {
        if (!strstr(c.d[k].msg, w)) {
            failures++;
            fprintf(stderr, "test_script.c:%d: FAILED: message '%s' lacks '%s'\n", src_line, c.d[k].msg, w);
        }
    }
    /* lull_last_error() carries the first error as file:line:col. */
    char head[64];
    snprintf(head, sizeof head, "t.lull:%d:%d: ", line, col);
    if (strncmp(lull_last_error(), head, strlen(head)) != 0) {
        failures++;
        fprintf(stderr, "test_script.c:%d: FAILED: lull_last_error() is '%s', expected it to start '%s'\n",
                src_line, lull_last_error(), head);
    }
}

#define EXPECT_ERROR(text, line, col, want) \
    expect_error_n(__LINE__, (text), strlen(text), (line), (col), (want))

static lull_script *expect_ok_n(int src_line, const char *text)
{
    captured c;
    lull_script *s = NULL;
    int r = load(text, strlen(text), &c, &s);
    if (r != LULL_OK || !s) {
        failures++;
        fprintf(stderr, "test_script.c:%d: FAILED: script rejected (r=%d): %s at %d:%d\n%s\n", src_line, r,
                c.n ? c.d[0].msg : "?", c.n ? c.d[0].line : 0, c.n ? c.d[0].col : 0, text);
        return NULL;
    }
    if (c.n_errors) {
        failures++;
        fprintf(stderr, "test_script.c:%d: FAILED: accepted but reported errors\n", src_line);
    }
    return s;
}

#define EXPECT_OK(text) expect_ok_n(__LINE__, (text))

#define V "voice d binaural carrier=200Hz beat=10Hz gain=-14dB\n"
#define SEC 1000000000LL

/* ---------------------------------------------------------------- errors */

static void test_errors(void)
{
    /* unknown voice: at the voice name, naming the declared ones */
    EXPECT_ERROR(V "0:01 drnoe gain=-3dB\n", 2, 6, "unknown voice 'drnoe'|d");
    EXPECT_ERROR("0:01 drone gain=-3dB\n", 1, 6, "unknown voice 'drone'");
    /* unknown parameter: at the key, listing the real ones */
    EXPECT_ERROR(V "0:01 d freq=300Hz\n", 2, 8, "no parameter 'freq'|carrier|beat|gain");
    EXPECT_ERROR("voice d binaural color=pink\n", 1, 18, "no parameter 'color'|carrier");
    EXPECT_ERROR("voice n noise carrier=200\n", 1, 15, "no parameter 'carrier'|color|gain");
    EXPECT_ERROR(V "0:01 master volume=-3dB\n", 2, 13, "master has no parameter 'volume'");
    /* bad unit: at the unit, saying which are allowed */
    EXPECT_ERROR("voice d binaural carrier=200dB\n", 1, 29, "bad unit 'dB'|carrier|Hz");
    EXPECT_ERROR(V "0:01 d beat=4Hz gain=-6Hz\n", 2, 24, "bad unit 'Hz'|gain|dB");
    EXPECT_ERROR(V "0:01 master gain=-6k\n", 2, 20, "bad unit 'k'|dB");
    EXPECT_ERROR(V "0:01 d carrier=abc\n", 2, 16, "carrier|expected a number");
    /* numbers are decimal: strtod's hexadecimal, inf and nan are refused, at
     * the value (exponents are decimal and stay allowed) */
    EXPECT_ERROR("voice d binaural carrier=0x100\n", 1, 26, "carrier|decimal|0x100");
    EXPECT_ERROR("voice d binaural carrier=0X1p8Hz\n", 1, 26, "carrier|decimal");
    EXPECT_ERROR(V "0:01 d gain=-0x6dB\n", 2, 13, "gain|decimal");
    EXPECT_ERROR(V "0:01 d beat=+0x4\n", 2, 13, "beat|decimal");
    EXPECT_ERROR(V "0:01 d carrier=inf\n", 2, 16, "carrier|expected a number");
    EXPECT_ERROR(V "0:01 d carrier=-nan\n", 2, 16, "carrier|expected a number");
    EXPECT_ERROR(V "0:01 d carrier=infinity\n", 2, 16, "carrier|expected a number");
    EXPECT_ERROR("voice p pacer rate=0x6/min\n", 1, 20, "rate|6/min");
    EXPECT_ERROR("voice p pacer rate=inf/min\n", 1, 20, "rate|6/min");
    /* time going backwards: at the time, naming both times */
    EXPECT_ERROR(V "0:10 d gain=-3dB\n0:05 d gain=-6dB\n", 3, 1, "0:05|0:10|backwards");
    EXPECT_ERROR(V "1:00 d gain=-3dB\n59s d gain=-6dB\n", 3, 1, "backwards");
    EXPECT_ERROR(V "0:10 section \"a\"\n0:09.999 end\n", 3, 1, "backwards");
    /* values out of their sane range, just past each limit */
    EXPECT_ERROR("voice d binaural carrier=19.9Hz\n", 1, 26, "carrier 19.9 Hz|out of range|20 Hz|1500 Hz");
    EXPECT_ERROR("voice d binaural carrier=1501\n", 1, 26, "carrier|out of range");
    EXPECT_ERROR("voice d binaural carrier=1.6kHz\n", 1, 26, "carrier 1600 Hz|out of range");
    EXPECT_ERROR(V "0:01 d carrier=2kHz over 5s\n", 2, 16, "carrier 2000 Hz|out of range");
    EXPECT_ERROR("voice d binaural beat=40.5Hz\n", 1, 23, "beat 40.5 Hz|out of range|0 Hz|40 Hz");
    EXPECT_ERROR("voice d binaural beat=-1Hz\n", 1, 23, "beat -1 Hz|out of range");
    EXPECT_ERROR("voice d binaural gain=+6.5dB\n", 1, 23, "gain +6.5 dB|too loud|+6 dB");
    EXPECT_ERROR("voice n noise gain=7\n", 1, 20, "too loud");
    EXPECT_ERROR(V "0:01 master gain=+7dB\n", 2, 18, "too loud|+6 dB");
    EXPECT_ERROR("voice n noise color=purple\n", 1, 21, "color|white, pink, brown|purple");
    /* unterminated strings: at the opening quote */
    EXPECT_ERROR("title \"Unwinding the lower back\n", 1, 7, "unterminated string");
    EXPECT_ERROR(V "1:30 section \"Feet\n", 2, 14, "unterminated string");
    /* unknown voice kind: at the kind, listing the known ones */
    EXPECT_ERROR("voice d sine carrier=200\n", 1, 9, "unknown voice kind 'sine'|binaural|noise");
    /* duplicate voice: at the second declaration's name */
    EXPECT_ERROR(V "voice  d noise\n", 2, 8, "voice 'd' is already declared");
    EXPECT_ERROR("voice master noise\n", 1, 7, "reserved");
    /* `over` without its duration: where the duration should be */
    EXPECT_ERROR(V "0:20 d beat=6Hz over\n", 2, 22, "expected a duration after 'over'");
    EXPECT_ERROR(V "0:20 d beat=6Hz over 4\n", 2, 22, "needs a unit");
    EXPECT_ERROR(V "0:20 d beat=6Hz over soon\n", 2, 22, "expected a time");
    EXPECT_ERROR(V "0:20 d over 4m\n", 2, 8, "key=value before 'over'");
    EXPECT_ERROR(V "0:20 d beat=6Hz over 4m slowly\n", 2, 25, "unexpected 'slowly'");
    EXPECT_ERROR(V "0:00 master fade-in\n", 2, 21, "expected a duration|fade-in");
    EXPECT_ERROR(V "0:00 master fade-out 1:5\n", 2, 22, "two digits");
    /* bad time formats: at the time */
    EXPECT_ERROR(V "1:5 end\n", 2, 1, "two digits");
    EXPECT_ERROR(V "1:60 end\n", 2, 1, "seconds must be below 60");
    EXPECT_ERROR(V "1:60:00 end\n", 2, 1, "minutes must be below 60");
    EXPECT_ERROR(V "90 end\n", 2, 1, "needs a unit");
    EXPECT_ERROR(V "5x end\n", 2, 1, "unknown time unit");
    EXPECT_ERROR(V "1::00 end\n", 2, 1, "expected a time");
    EXPECT_ERROR(V "1:00:00:00 end\n", 2, 1, "expected a time");
    EXPECT_ERROR(V "1.5:00 end\n", 2, 1, "expected a time");
    EXPECT_ERROR(V "0:10 d gain=-3dB\n+x end\n", 3, 2, "expected a time");
    EXPECT_ERROR(V "0:10\n", 2, 6, "expected a voice name, master, section or end");
    /* times past 24 hours */
    EXPECT_ERROR(V "24:00:01 end\n", 2, 1, "past 24 hours");
    EXPECT_ERROR(V "25:00:00 end\n", 2, 1, "past 24 hours");
    EXPECT_ERROR(V "1440:01 end\n", 2, 1, "past 24 hours");
    EXPECT_ERROR(V "86401s end\n", 2, 1, "past 24 hours");
    EXPECT_ERROR(V "25h end\n", 2, 1, "past 24 hours");
    EXPECT_ERROR(V "23:59:59 d gain=-3dB\n+2s end\n", 3, 1, "past 24 hours");
    EXPECT_ERROR(V "99999999999999999999s end\n", 2, 1, "too large");
    /* NUL bytes: at the byte */
    {
        static const char nul[] = V "0:0\0 end\n";
        expect_error_n(__LINE__, nul, sizeof nul - 1, 2, 4, "NUL");
    }
    /* over-long lines: at the first byte past the limit */
    {
        size_t n = 5000;
        char *t = malloc(n + 128);
        int k = snprintf(t, 64, "%s", V "# ");
        memset(t + k, 'x', n);
        strcpy(t + k + n, "\n1:00 end\n");
        expect_error_n(__LINE__, t, strlen(t), 2, 4097, "too long|4096");
        free(t);
    }
    /* other statements */
    EXPECT_ERROR(V "0:01 end\n0:02 d gain=-3dB\n", 3, 1, "nothing may follow 'end'");
    EXPECT_ERROR(V "0:00 end\n", 2, 1, "cannot end at 0:00");
    EXPECT_ERROR(V "0:01 end now\n", 2, 10, "unexpected 'now'");
    EXPECT_ERROR(V "0:01 section Feet\n", 2, 14, "quoted name");
    EXPECT_ERROR(V "0:01 section \"a\" \"b\"\n", 2, 18, "unexpected");
    EXPECT_ERROR(V "0:01 d\n", 2, 8, "expected key=value");
    EXPECT_ERROR(V "0:01 d gain\n", 2, 8, "expected key=value");
    EXPECT_ERROR("voice d binaural carrier\n", 1, 18, "expected key=value");
    EXPECT_ERROR("voice d\n", 1, 9, "voice NAME KIND");
    EXPECT_ERROR("voice 9d binaural\n", 1, 7, "not a valid voice name");
    EXPECT_ERROR("tempo 60\n", 1, 1, "expected a statement|tempo");
    EXPECT_ERROR("title Unwinding\n", 1, 7, "title \"TEXT\"");
    EXPECT_ERROR("title \"a\"\ntitle \"b\"\n", 2, 1, "already set");
    EXPECT_ERROR("title \"a\"x\n", 1, 10, "space after the closing");
    EXPECT_ERROR("lull 2\n" V "0:01 end\n", 1, 6, "version 2");
    EXPECT_ERROR(V "0:01 d color=pink\n", 2, 8, "no parameter 'color'");
    EXPECT_ERROR("voice n noise\n0:01 n color=white\n", 2, 8, "declared");
    EXPECT_ERROR(V, 1, 1, "no length");
    EXPECT_ERROR("", 1, 1, "no length");

    /* Errors do not stop the parse: later lines are still checked, up to
     * max_errors. */
    {
        const char *t = V "0:01 x gain=1\n0:02 d beat=99\n0:03 d gain=1dB over\n0:04 end\n";
        captured c;
        lull_script *s = NULL;
        int r = load(t, strlen(t), &c, &s);
        CHECK(r == LULL_ERR_SCRIPT && !s, "r=%d", r);
        CHECK(c.n_errors == 3, "%d errors", c.n_errors);
        CHECK(c.n == 3 && c.d[0].line == 2 && c.d[1].line == 3 && c.d[2].line == 4, "lines");
        CHECK(!strcmp(c.d[1].src, "0:02 d beat=99"), "source line '%s'", c.d[1].src);
        lull_load_config lc = lull_load_config_init();
        lc.on_diag = on_diag;
        lc.user = &c;
        lc.max_errors = 2;
        memset(&c, 0, sizeof c);
        r = lull_script_load_string(t, strlen(t), "t.lull", &lc, &s);
        CHECK(r == LULL_ERR_SCRIPT && c.n_errors == 2, "max_errors=2 gave %d errors", c.n_errors);
    }
    /* A file that does not exist is an I/O error, not a script error. */
    {
        lull_script *s = NULL;
        int r = lull_script_load_file("/nonexistent/x.lull", NULL, &s);
        CHECK(r == LULL_ERR_IO && !s, "r=%d", r);
        CHECK(strstr(lull_last_error(), "/nonexistent/x.lull") != NULL, "%s", lull_last_error());
    }
}

/* ------------------------------------------------------------- accepted */

/* Time of the section named by the script "T section \"x\"". */
static int64_t time_of(const char *t)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s section \"x\"\n24:00:00 end\n", t);
    lull_script *s = expect_ok_n(__LINE__, buf);
    if (!s)
        return -1;
    int64_t ns = s->n_sections == 1 ? s->sections[0].time_ns : -2;
    lull_script_free(&s);
    return ns;
}

static void test_times(void)
{
    static const struct {
        const char *text;
        int64_t ns;
    } cases[] = {
        { "0:00", 0 },
        { "0:01", SEC },
        { "1:30", 90 * SEC },
        { "19:30", 1170 * SEC },
        { "90:00", 5400 * SEC },
        { "1:02:03", 3723 * SEC },
        { "0:01.250", SEC + 250000000 },
        { "0:01.5", SEC + 500000000 },
        { "1:00:00.000001", 3600 * SEC + 1000 },
        { "0:00.123456789", 123456789 },
        { "90s", 90 * SEC },
        { "5m", 300 * SEC },
        { "2min", 120 * SEC },
        { "250ms", 250000000 },
        { "1.5h", 5400 * SEC },
        { "1m30s", 90 * SEC },
        { "0.5s", 500000000 },
        { "24:00:00", 86400 * SEC },
        { "1440:00", 86400 * SEC },
        { "86400s", 86400 * SEC },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t ns = time_of(cases[i].text);
        CHECK(ns == cases[i].ns, "'%s' gave %lld ns, expected %lld", cases[i].text, (long long)ns,
              (long long)cases[i].ns);
    }

    /* +DUR is relative to the previous timeline line, whatever it was. */
    lull_script *s = EXPECT_OK(V "+5s section \"a\"\n"
                                 "0:10 d gain=-20dB over 30s\n"
                                 "+30s section \"b\"\n"
                                 "+250ms section \"c\"\n"
                                 "+0s section \"d\"\n"
                                 "+1:00 end\n");
    if (s) {
        CHECK(s->n_sections == 4, "%d sections", s->n_sections);
        CHECK(s->sections[0].time_ns == 5 * SEC, "a at %lld", (long long)s->sections[0].time_ns);
        CHECK(s->sections[1].time_ns == 40 * SEC, "b at %lld (+30s counts from the line, not the glide end)",
              (long long)s->sections[1].time_ns);
        CHECK(s->sections[2].time_ns == 40 * SEC + 250000000, "c");
        CHECK(s->sections[3].time_ns == 40 * SEC + 250000000, "d");
        CHECK(s->end_ns == 100 * SEC + 250000000, "end at %lld", (long long)s->end_ns);
        CHECK(fabs(lull_script_duration_sec(s) - 100.25) < 1e-12, "duration %g", lull_script_duration_sec(s));
        CHECK(!strcmp(lull_script_section_name(s, 1), "b"), "name");
        CHECK(fabs(lull_script_section_start_sec(s, 2) - 40.25) < 1e-12, "section start");
        CHECK(lull_script_section_name(s, 4) == NULL && lull_script_section_start_sec(s, -1) < 0, "bounds");
    }
    lull_script_free(&s);
}

static void test_values_and_events(void)
{
    /* Units are optional; kHz, off and quieter-than-floor gains work; the
     * limits themselves are allowed. */
    lull_script *s = EXPECT_OK("voice a binaural carrier=1.5kHz beat=40 gain=+6dB\n"
                               "voice b binaural carrier=20Hz beat=0Hz gain=off\n"
                               "voice c binaural carrier=1500 beat=0.5 gain=-200dB\n"
                               "voice n noise color=brown gain=-26\n"
                               "voice w noise\n"
                               "1s end\n");
    if (s) {
        CHECK(s->n_voices == 5, "%d voices", s->n_voices);
        CHECK(s->voices[0].values[0] == 1500.0 && s->voices[0].values[1] == 40.0 &&
                  s->voices[0].values[2] == 6.0, "a");
        CHECK(s->voices[1].values[0] == 20.0 && s->voices[1].values[1] == 0.0 &&
                  s->voices[1].values[2] == LULL_GAIN_FLOOR_DB, "b");
        CHECK(s->voices[2].values[1] == 0.5 && s->voices[2].values[2] == LULL_GAIN_FLOOR_DB, "c");
        CHECK(s->voices[3].values[0] == 2.0 && s->voices[3].values[1] == -26.0, "n: brown is choice 2");
        /* defaults: pink at -20 dB */
        CHECK(s->voices[4].values[0] == 1.0 && s->voices[4].values[1] == -20.0, "w defaults");
        CHECK(!strcmp(lull_script_voice_name(s, 3), "n") && !strcmp(lull_script_voice_kind(s, 3), "noise"),
              "inspection");
        CHECK(lull_script_voice_name(s, 5) == NULL, "bounds");
    }
    lull_script_free(&s);

    /* Decimal exponents are still numbers: 2.5e2 Hz, 1E1 Hz, -3e0 dB. */
    s = EXPECT_OK("voice d binaural carrier=2.5e2Hz beat=1E1 gain=-3e0dB\n1s end\n");
    if (s)
        CHECK(s->voices[0].values[0] == 250.0 && s->voices[0].values[1] == 10.0 &&
                  s->voices[0].values[2] == -3.0, "exponents");
    lull_script_free(&s);

    /* Binaural defaults: 200 Hz, 10 Hz, -12 dB. */
    s = EXPECT_OK("voice d binaural\n1s end\n");
    if (s)
        CHECK(s->voices[0].values[0] == 200.0 && s->voices[0].values[1] == 10.0 &&
                  s->voices[0].values[2] == -12.0, "binaural defaults");
    lull_script_free(&s);

    /* The issue's example, with comments, blank lines, tabs and CRLF. */
    s = EXPECT_OK("# a comment\r\n"
                  "title \"Unwinding the \\\"lower\\\" back\"   # trailing comment\r\n"
                  "voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\r\n"
                  "voice bed\tnoise color=pink gain=-26dB\n"
                  "\n"
                  "   \t\n"
                  "0:00   master fade-in 15s\n"
                  "0:20   drone  beat=6Hz over 4m\n"
                  "+30s   bed    gain=-30dB over 20s\n"
                  "1:30   section \"Feet\"\n"
                  "19:30  master fade-out 30s\n"
                  "20:00  end\n");
    if (s) {
        CHECK(!strcmp(lull_script_title(s), "Unwinding the \"lower\" back"), "title '%s'", lull_script_title(s));
        CHECK(lull_script_duration_sec(s) == 1200.0, "duration %g", lull_script_duration_sec(s));
        CHECK(lull_script_section_count(s) == 1 && lull_script_section_start_sec(s, 0) == 90.0, "section");
        CHECK(lull_script_event_count(s) == 6, "%d events", lull_script_event_count(s));
        CHECK(s->has_fade_in_first == 1, "opens with a fade-in");
        const lull_event *e = s->events;
        CHECK(e[0].kind == LULL_EV_FADE_IN && e[0].time_ns == 0 && e[0].dur_ns == 15 * SEC, "fade-in");
        CHECK(e[1].kind == LULL_EV_SET && e[1].voice == 0 && e[1].param == 1 && e[1].value == 6.0 &&
                  e[1].time_ns == 20 * SEC && e[1].dur_ns == 240 * SEC, "glide");
        CHECK(e[2].voice == 1 && e[2].param == 1 && e[2].value == -30.0 && e[2].time_ns == 50 * SEC &&
                  e[2].dur_ns == 20 * SEC, "bed");
        CHECK(e[3].kind == LULL_EV_SECTION && e[3].time_ns == 90 * SEC, "section event");
        CHECK(e[4].kind == LULL_EV_FADE_OUT && e[4].time_ns == 1170 * SEC && e[4].dur_ns == 30 * SEC, "fade-out");
        CHECK(e[5].kind == LULL_EV_END && e[5].time_ns == 1200 * SEC, "end");
        CHECK(e[1].line == 8 && e[5].line == 12, "event lines %d %d", e[1].line, e[5].line);
    }
    lull_script_free(&s);

    /* Same-time events keep file order; several parameters on one line are
     * one event each, in the order written. */
    s = EXPECT_OK(V "0:05 d gain=-6dB\n0:05 d gain=-20dB\n0:05 d carrier=300 beat=4 over 2s\n0:10 end\n");
    if (s) {
        CHECK(s->n_events == 5, "%d events", s->n_events);
        CHECK(s->events[0].value == -6.0 && s->events[1].value == -20.0, "file order");
        CHECK(s->events[2].param == 0 && s->events[2].value == 300.0 && s->events[2].dur_ns == 2 * SEC, "carrier");
        CHECK(s->events[3].param == 1 && s->events[3].value == 4.0 && s->events[3].dur_ns == 2 * SEC, "beat");
        CHECK(s->events[0].dur_ns == 0, "a step has no duration (the engine de-clicks it)");
    }
    lull_script_free(&s);

    /* Master: gain with and without over, fades. */
    s = EXPECT_OK(V "0:01 master gain=-6dB\n0:02 master gain=-12 over 3s\n0:03 master fade-out 2s\n"
                    "0:04 master gain=off\n");
    if (s) {
        CHECK(s->events[0].kind == LULL_EV_SET && s->events[0].voice == -1 && s->events[0].value == -6.0, "m1");
        CHECK(s->events[1].voice == -1 && s->events[1].value == -12.0 && s->events[1].dur_ns == 3 * SEC, "m2");
        CHECK(s->events[2].kind == LULL_EV_FADE_OUT && s->events[2].dur_ns == 2 * SEC, "m3");
        CHECK(s->events[3].value == LULL_GAIN_FLOOR_DB, "off");
        CHECK(s->has_fade_in_first == 0, "first fade is a fade-out");
        /* implicit end: the latest event end (0:02 + 3 s, 0:03 + 2 s) */
        CHECK(s->end_ns == 5 * SEC, "implicit end at %lld", (long long)s->end_ns);
    }
    lull_script_free(&s);

    /* Implicit end at the last event when nothing runs longer. */
    s = EXPECT_OK(V "0:01 d gain=-6dB\n2:00 section \"last\"\n");
    if (s)
        CHECK(s->end_ns == 120 * SEC, "implicit end %lld", (long long)s->end_ns);
    lull_script_free(&s);
    /* An explicit end wins, earlier or later than the last glide; a glide
     * running past it is a warning, not an error. */
    {
        const char *t = V "0:01 d beat=4 over 1m\n0:30 end\n";
        captured c;
        s = NULL;
        int r = load(t, strlen(t), &c, &s);
        CHECK(r == LULL_OK && s && s->end_ns == 30 * SEC, "explicit end");
        CHECK(c.n_warnings == 1 && c.n_errors == 0 && strstr(c.d[0].msg, "past the session's end"),
              "warning: %s", c.n ? c.d[0].msg : "none");
        lull_script_free(&s);
    }
    s = EXPECT_OK(V "0:01 d beat=4 over 1m\n5:00 end\n");
    if (s)
        CHECK(s->end_ns == 300 * SEC, "explicit end after the glide");
    lull_script_free(&s);
    /* A fade-in first (even not at 0:00) makes the session start silent. */
    s = EXPECT_OK(V "0:10 master fade-in 5s\n0:20 master fade-out 5s\n");
    if (s)
        CHECK(s->has_fade_in_first == 1 && s->end_ns == 25 * SEC, "fade-in first");
    lull_script_free(&s);
    /* Language version line; a line of exactly the limit is fine. */
    s = EXPECT_OK("lull 1\n" V "1s end\n");
    lull_script_free(&s);
    {
        char *t = malloc(4096 + 128);
        int k = snprintf(t, 64, "%s", V "#");
        memset(t + k, 'x', 4095);
        strcpy(t + k + 4095, "\n1s end");
        s = expect_ok_n(__LINE__, t);
        lull_script_free(&s);
        free(t);
    }
    /* Loading from a file names the file in diagnostics. */
    {
        char path[] = "/tmp/lull-test-script-XXXXXX";
        int fd = mkstemp(path);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        CHECK(f != NULL, "temp file");
        if (f) {
            fputs(V "0:01 d beat=50\n", f);
            fclose(f);
            captured c;
            memset(&c, 0, sizeof c);
            lull_load_config lc = lull_load_config_init();
            lc.on_diag = on_diag;
            lc.user = &c;
            s = NULL;
            int r = lull_script_load_file(path, &lc, &s);
            CHECK(r == LULL_ERR_SCRIPT && c.n_errors == 1 && !strcmp(c.d[0].file, path) && c.d[0].line == 2 &&
                      c.d[0].col == 13, "file diag %s:%d:%d", c.d[0].file, c.d[0].line, c.d[0].col);
            remove(path);
        }
    }
    /* NULL-safe free, argument checks. */
    lull_script_free(NULL);
    s = NULL;
    lull_script_free(&s);
    CHECK(lull_script_load_string(NULL, 3, "x", NULL, &s) == LULL_ERR_ARG, "NULL text");
}

/* ------------------------------------------------------ repeat, include */

static int64_t event_time(const lull_script *s, int i) { return s->events[i].time_ns; }

static void test_repeat(void)
{
    /* Three repetitions, 20 s apart, starting at 1:00; inner absolute times
     * are offsets from each repetition's start, +DUR from the line before. */
    lull_script *s = EXPECT_OK(V "voice b bell freq=440Hz gain=-20dB\n"
                                 "0:10 d beat=8Hz\n"
                                 "1:00 repeat 3 every 20s {\n"
                                 "  0:00 b strike=1\n"
                                 "  +5s  b strike=2\n"
                                 "}\n"
                                 "1:05 d beat=6Hz\n"
                                 "3:00 end\n");
    if (s) {
        /* events: beat@10, strike@60, 65, 80, 85, 100, 105, beat@65, end@180:
         * sorted by time, file order kept at 1:05 (strike before beat). */
        const int64_t want[] = { 10, 60, 65, 65, 80, 85, 100, 105, 180 };
        CHECK(s->n_events == 9, "repeat makes %d events, expected 9", s->n_events);
        for (int i = 0; i < s->n_events && i < 9; i++)
            CHECK(event_time(s, i) == want[i] * SEC, "event %d at %lld ns, expected %lld s", i,
                  (long long)event_time(s, i), (long long)want[i]);
        if (s->n_events == 9) {
            CHECK(s->events[2].voice == 1 && s->events[3].voice == 0,
                  "at 1:05 the repeat's strike (earlier in the file) applies before the beat change");
        }
        lull_script_free(&s);
    }
    /* nested repeats */
    s = EXPECT_OK(V "0:00 repeat 2 every 1m {\n"
                    "  0:00 repeat 3 every 10s {\n"
                    "    0:00 d gain=-20dB\n"
                    "  }\n"
                    "}\n"
                    "5:00 end\n");
    if (s) {
        CHECK(s->n_events == 7, "nested repeats make %d events, expected 7", s->n_events);
        if (s->n_events == 7)
            CHECK(event_time(s, 4) == 70 * SEC, "second outer pass, second inner at 1:10");
        lull_script_free(&s);
    }
    EXPECT_ERROR(V "0:00 repeat 3 every 10s {\n  0:00 d beat=5Hz\n", 2, 1, "never closed");
    EXPECT_ERROR(V "0:00 repeat 0 every 10s {\n}\n1:00 end\n", 2, 13, "repeat count");
    EXPECT_ERROR(V "0:00 repeat 3 every 0s {\n}\n1:00 end\n", 2, 21, "longer than 0");
    EXPECT_ERROR(V "0:00 repeat 3 10s {\n}\n1:00 end\n", 2, 6, "repeat COUNT every");
    EXPECT_ERROR(V "0:00 repeat 2 every 10s {\n  voice x noise\n}\n1:00 end\n", 3, 3, "only timeline lines");
    EXPECT_ERROR(V "0:00 repeat 2 every 10s {\n  0:01 end\n}\n", 3, 8, "cannot be inside a repeat");
    EXPECT_ERROR(V "}\n", 2, 1, "without a repeat");
    EXPECT_ERROR(V "0:00 repeat 2 every 10s {\n  0:01 dd beat=5Hz\n}\n1:00 end\n", 3, 8, "unknown voice");
    /* an error that only shows in a later pass names the pass */
    EXPECT_ERROR(V "0:00 repeat 3 every 13h {\n  0:00 d beat=5Hz\n}\n", 2, 13, "past 24 hours");
    EXPECT_ERROR(V "0:00 repeat 2 every 12h {\n  12:30:00 d beat=5Hz\n}\n", 3, 3, "past 24 hours|repetition 2");
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        failures++;
        fprintf(stderr, "cannot write %s\n", path);
        return;
    }
    fputs(text, f);
    fclose(f);
}

static void test_include(void)
{
    char dir[] = "/tmp/lull-test-include-XXXXXX";
    if (!mkdtemp(dir)) {
        failures++;
        return;
    }
    char a[256], b[256], c[256], sub[256], d[256], e[256];
    snprintf(sub, sizeof sub, "%s/shared", dir);
    mkdir(sub, 0777);
    snprintf(a, sizeof a, "%s/main.lull", dir);
    snprintf(b, sizeof b, "%s/shared/voices.lull", dir);
    snprintf(c, sizeof c, "%s/shared/more.lull", dir);
    snprintf(d, sizeof d, "%s/cycle1.lull", dir);
    snprintf(e, sizeof e, "%s/cycle2.lull", dir);
    /* Paths are relative to the including file's folder. */
    write_file(a, "title \"with includes\"\ninclude \"shared/voices.lull\"\n0:00 drone beat=6Hz over 1m\n2:00 end\n");
    write_file(b, "voice drone binaural carrier=200Hz beat=10Hz gain=-14dB\ninclude \"more.lull\"\n");
    write_file(c, "voice bed noise color=pink gain=-26dB\n");
    captured cap;
    memset(&cap, 0, sizeof cap);
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = on_diag;
    lc.user = &cap;
    lull_script *s = NULL;
    int r = lull_script_load_file(a, &lc, &s);
    CHECK(r == LULL_OK && s && s->n_voices == 2, "include loads both voices (r=%d)", r);
    lull_script_free(&s);

    /* An error inside an included file names that file and its line. */
    write_file(c, "voice bed noise color=purple\n");
    memset(&cap, 0, sizeof cap);
    r = lull_script_load_file(a, &lc, &s);
    CHECK(r == LULL_ERR_SCRIPT && cap.n >= 1 && strstr(cap.d[0].file, "shared/more.lull") &&
              cap.d[0].line == 1 && cap.d[0].col == 23,
          "error in an included file at its own file:line:col (got %s:%d:%d)", cap.n ? cap.d[0].file : "-",
          cap.n ? cap.d[0].line : 0, cap.n ? cap.d[0].col : 0);

    /* Cycles and missing files. */
    write_file(d, "include \"cycle2.lull\"\n");
    write_file(e, "\ninclude \"cycle1.lull\"\n");
    memset(&cap, 0, sizeof cap);
    r = lull_script_load_file(d, &lc, &s);
    CHECK(r == LULL_ERR_SCRIPT && cap.n >= 1 && strstr(cap.d[0].msg, "cycle") && cap.d[0].line == 2,
          "include cycle reported (%s)", cap.n ? cap.d[0].msg : "-");
    write_file(d, "include \"nope.lull\"\n");
    memset(&cap, 0, sizeof cap);
    r = lull_script_load_file(d, &lc, &s);
    CHECK(r == LULL_ERR_SCRIPT && cap.n >= 1 && strstr(cap.d[0].msg, "nope.lull") && cap.d[0].col == 9,
          "missing include reported at the file name (%s)", cap.n ? cap.d[0].msg : "-");
    /* a folder is not a script */
    write_file(d, "include \"shared\"\n");
    memset(&cap, 0, sizeof cap);
    r = lull_script_load_file(d, &lc, &s);
    CHECK(r == LULL_ERR_SCRIPT && cap.n >= 1 && strstr(cap.d[0].msg, "not a regular file"),
          "including a folder is an error (%s)", cap.n ? cap.d[0].msg : "-");
    EXPECT_ERROR("include\n", 1, 9, "include \"FILE\"");
    unlink(a);
    unlink(b);
    unlink(c);
    unlink(d);
    unlink(e);
    rmdir(sub);
    rmdir(dir);
}

/* lull_voice_kind_list() (in every "unknown voice kind" message) is built
 * on its first call; threads that make that first call at the same moment
 * must all get the whole list (under TSan, make check-all, any race in
 * building it is reported). */
#define KIND_THREADS 8
static pthread_barrier_t kind_barrier;

static void *kind_list_thread(void *arg)
{
    pthread_barrier_wait(&kind_barrier);
    *(const char **)arg = lull_voice_kind_list();
    return NULL;
}

static void test_kind_list_threads(void)
{
    char want[256] = "";
    for (int i = 0; i < lull_voice_kind_count(); i++) {
        if (i)
            strcat(want, ", ");
        strcat(want, lull_voice_kind_at(i)->kind);
    }
    pthread_t t[KIND_THREADS];
    const char *got[KIND_THREADS] = { 0 };
    pthread_barrier_init(&kind_barrier, NULL, KIND_THREADS);
    for (int i = 0; i < KIND_THREADS; i++)
        pthread_create(&t[i], NULL, kind_list_thread, &got[i]);
    for (int i = 0; i < KIND_THREADS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&kind_barrier);
    for (int i = 0; i < KIND_THREADS; i++)
        CHECK(got[i] && !strcmp(got[i], want), "thread %d got '%s', want '%s'", i,
              got[i] ? got[i] : "(null)", want);
}

int main(void)
{
    /* First, before any script is parsed, so the list is not built yet. */
    test_kind_list_threads();
    test_errors();
    test_times();
    test_values_and_events();
    test_repeat();
    test_include();
    if (failures) {
        fprintf(stderr, "test_script: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_script: ok\n");
    return 0;
}
