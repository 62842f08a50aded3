/* util.c - diagnostics, colour and small helpers for the lull command. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int cli_quiet;
int cli_verbose;
const char *cli_prog = "lull";
int cli_script_format = LULL_SCRIPT_AUTO;

int cli_parse_script_format(const char *cmd, const char *arg)
{
    if (!strcmp(arg, "lull"))
        cli_script_format = LULL_SCRIPT_LULL;
    else if (!strcmp(arg, "sbg"))
        cli_script_format = LULL_SCRIPT_SBG;
    else {
        cli_error("%s: --format expects lull or sbg (the script's language), got '%s'", cmd, arg);
        return -1;
    }
    return 0;
}

int cli_color(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb"))
        return 0;
    return isatty(fileno(f));
}

static void vmsg(const char *kind, const char *color, const char *fmt, va_list ap)
{
    int c = cli_color(stderr);
    fprintf(stderr, "%s: %s%s%s", cli_prog, c ? color : "", kind, c ? "\033[0m" : "");
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("error: ", "\033[1;31m", fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    if (cli_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning: ", "\033[1;35m", fmt, ap);
    va_end(ap);
}

/* Compiler-style: file:line:col: error: message, the line, a caret. */
void cli_print_diag(void *user, const lull_diag *d)
{
    (void)user;
    if (d->severity == LULL_SEVERITY_WARNING && cli_quiet)
        return;
    int c = cli_color(stderr);
    const char *kind = d->severity == LULL_SEVERITY_ERROR ? "error" : "warning";
    const char *col = d->severity == LULL_SEVERITY_ERROR ? "\033[1;31m" : "\033[1;35m";
    fprintf(stderr, "%s%s:%d:%d:%s %s%s:%s %s\n", c ? "\033[1m" : "", d->file, d->line, d->column,
            c ? "\033[0m" : "", c ? col : "", kind, c ? "\033[0m" : "", d->message);
    if (d->source_line && *d->source_line) {
        fprintf(stderr, "  %s\n  ", d->source_line);
        /* Keep tabs so the caret lines up under the same column. */
        int n = (int)strlen(d->source_line);
        for (int i = 0; i < d->column - 1 && i < n; i++)
            fputc(d->source_line[i] == '\t' ? '\t' : ' ', stderr);
        fprintf(stderr, "%s^%s\n", c ? "\033[1;32m" : "", c ? "\033[0m" : "");
    }
}

lull_script *cli_load_script(const char *path, int *exit_code)
{
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = cli_print_diag;
    lc.format = (lull_script_format)cli_script_format;
    lull_script *s = NULL;
    int r = lull_script_load_file(path, &lc, &s);
    if (r == LULL_OK) {
        *exit_code = EXIT_OK;
        return s;
    }
    if (r == LULL_ERR_SCRIPT) {
        *exit_code = EXIT_USAGE;
    } else if (r == LULL_ERR_IO) {
        cli_error("cannot read the script %s", lull_last_error());
        *exit_code = EXIT_USAGE;
    } else {
        cli_error("%s: %s", path, lull_strerror(r));
        *exit_code = EXIT_RUNTIME;
    }
    return NULL;
}

void cli_format_time(double sec, char *buf, size_t n, int show_ms)
{
    if (sec < 0)
        sec = 0;
    long long ms = (long long)(sec * 1000.0 + 0.5);
    long long s = ms / 1000;
    if (s >= 3600)
        snprintf(buf, n, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, n, "%lld:%02lld", s / 60, s % 60);
    if (show_ms && ms % 1000) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, ".%03lld", ms % 1000);
    }
}

int cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) {
        cli_error("%s expects a whole number from %ld to %ld, got '%s'", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

double cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void cli_catch_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

double cli_strtod_decimal(const char *s, const char **end)
{
    /* [+-]digits[.digits] or [+-].digits: what the script language
     * accepts; strtod alone would also take hex, inf, nan and exponents. */
    const char *p = s;
    if (*p == '+' || *p == '-')
        p++;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        p++;
        digits++;
    }
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            p++;
            digits++;
        }
    }
    if (!digits || p - s > 64) {
        *end = s;
        return 0.0;
    }
    char buf[80];
    memcpy(buf, s, (size_t)(p - s));
    buf[p - s] = '\0';
    *end = p;
    return strtod(buf, NULL);
}

int cli_parse_u64(const char *opt, const char *s, unsigned long long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (!(*s >= '0' && *s <= '9') || errno || *end) {
        cli_error("%s expects a whole number from 0 to %llu, got '%s'", opt, ULLONG_MAX, s);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out)
{
    const char *end;
    double v = cli_strtod_decimal(s, &end);
    if (end == s || *end || !(v >= lo && v <= hi)) {
        cli_error("%s expects a number from %g to %g, got '%s'", opt, lo, hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

void cli_format_db(double db, char *buf, size_t n)
{
    if (isfinite(db))
        snprintf(buf, n, "%.1f", db);
    else
        snprintf(buf, n, "-inf");
}
