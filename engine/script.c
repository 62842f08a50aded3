/*
 * script.c - the session script parser: text -> validated lull_script.
 * Non-real-time.  The language is documented in scripts/README.md.
 *
 * One statement a line.  Each line is split into tokens (words, "strings",
 * key=value pairs) that remember their column, so every error can name
 * file:line:column.  Errors do not stop the parse: the next line is read, so
 * one run reports several mistakes, up to max_errors.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "lull_internal.h"
#include "loader.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINE 4096
#define MAX_TOKENS 128
#define MAX_SCRIPT_BYTES (16u * 1024u * 1024u)
#define MAX_VOICES 256
#define MAX_EVENTS 1000000
#define LULL_MAX_INCLUDE_DEPTH 8
#define MAX_REPEAT 100000

typedef struct token {
    const char *s; /* start in the line */
    int len;
    int col;       /* 1-based */
    int quoted;    /* a "string": text holds the unescaped contents */
    char *text;    /* NUL-terminated copy (unescaped for strings) */
    /* key=value: eq is the offset of '=' in s, or -1 */
    int eq;
} token;

typedef struct parser {
    const lull_load_config *cfg;
    const char *file;
    int line_no;
    const char *line;   /* current line, NUL-terminated */
    int n_errors;
    int stop;
    lull_script *s;
    int cap_voices, cap_events, cap_sections;
    int64_t prev_time;  /* time of the previous timeline line */
    int have_time;
    int have_end;
    int have_title;
    int seen_master_fade;
    int64_t last_event_end; /* latest time + glide among events */
    /* repeat blocks: absolute times inside are offsets from time_base */
    int64_t time_base;
    int repeat_depth;
    int repeat_iter;        /* repetition being expanded (0 = the first) */
    int repeat_line;        /* line of the innermost repeat statement */
    /* include: the chain of files being read, for cycles and nesting */
    const char *include_stack[LULL_MAX_INCLUDE_DEPTH + 1];
    int include_depth;
    int cap_clips;
} parser;

static void parse_text(parser *p, const char *text, size_t len, const char *file, int first_line);

static void diag(parser *p, lull_severity sev, int col, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static void diag(parser *p, lull_severity sev, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (p->repeat_iter > 0) {
        size_t l = strlen(msg);
        snprintf(msg + l, sizeof msg - l, " (in repetition %d of the repeat at line %d)",
                 p->repeat_iter + 1, p->repeat_line);
    }
    if (sev == LULL_SEVERITY_ERROR) {
        p->n_errors++;
        if (p->n_errors >= p->cfg->max_errors)
            p->stop = 1;
        if (p->n_errors == 1)
            lull_set_error("%s:%d:%d: %s", p->file, p->line_no, col, msg);
    }
    if (p->cfg->on_diag) {
        lull_diag d = { sev, p->file, p->line_no, col, msg, p->line ? p->line : "" };
        p->cfg->on_diag(p->cfg->user, &d);
    }
}

#define ERR(p, col, ...) diag((p), LULL_SEVERITY_ERROR, (col), __VA_ARGS__)
#define WARN(p, col, ...) diag((p), LULL_SEVERITY_WARNING, (col), __VA_ARGS__)

/* ------------------------------------------------------------ tokenising */

static void free_tokens(token *t, int n)
{
    for (int i = 0; i < n; i++)
        free(t[i].text);
}

/* Split a line into tokens.  Returns the count, or -1 after an error. */
static int tokenize(parser *p, const char *line, token *tok)
{
    int n = 0;
    const char *c = line;
    for (;;) {
        while (*c == ' ' || *c == '\t')
            c++;
        if (*c == '\0' || *c == '#')
            break;
        if (n == MAX_TOKENS) {
            ERR(p, (int)(c - line) + 1, "too many words on one line (the limit is %d)", MAX_TOKENS);
            free_tokens(tok, n);
            return -1;
        }
        token *t = &tok[n];
        memset(t, 0, sizeof *t);
        t->s = c;
        t->col = (int)(c - line) + 1;
        t->eq = -1;
        if (*c == '"') {
            /* A string: "..." with \" and \\ escapes. */
            const char *q = c + 1;
            size_t cap = strlen(q) + 1;
            char *buf = malloc(cap);
            size_t k = 0;
            if (!buf) {
                ERR(p, t->col, "out of memory");
                free_tokens(tok, n);
                return -1;
            }
            while (*q && *q != '"') {
                if (*q == '\\' && (q[1] == '"' || q[1] == '\\'))
                    q++;
                buf[k++] = *q++;
            }
            buf[k] = '\0';
            if (*q != '"') {
                ERR(p, t->col, "unterminated string: a closing \" is missing");
                free(buf);
                free_tokens(tok, n);
                return -1;
            }
            t->quoted = 1;
            t->text = buf;
            c = q + 1;
            t->len = (int)(c - t->s);
            if (*c != '\0' && *c != ' ' && *c != '\t' && *c != '#') {
                ERR(p, (int)(c - line) + 1, "expected a space after the closing \"");
                free_tokens(tok, n + 1);
                return -1;
            }
        } else {
            /* A word, possibly key=value where the value may be a string. */
            while (*c && *c != ' ' && *c != '\t' && *c != '#' && *c != '"')
                c++;
            if (*c == '"' && c > t->s && c[-1] == '=') {
                const char *q = c + 1;
                while (*q && *q != '"')
                    q++;
                if (*q != '"') {
                    ERR(p, (int)(c - line) + 1, "unterminated string: a closing \" is missing");
                    free_tokens(tok, n);
                    return -1;
                }
                c = q + 1;
            } else if (*c == '"') {
                ERR(p, (int)(c - line) + 1, "unexpected \" inside a word");
                free_tokens(tok, n);
                return -1;
            }
            t->len = (int)(c - t->s);
            t->text = malloc((size_t)t->len + 1);
            if (!t->text) {
                ERR(p, t->col, "out of memory");
                free_tokens(tok, n);
                return -1;
            }
            memcpy(t->text, t->s, (size_t)t->len);
            t->text[t->len] = '\0';
            char *eq = strchr(t->text, '=');
            if (eq)
                t->eq = (int)(eq - t->text);
        }
        n++;
    }
    return n;
}

/* ---------------------------------------------------------------- numbers */

/* The end of the decimal number at the start of `s`: an optional sign,
 * digits with an optional fraction, an optional exponent (e-3).  strtod
 * alone also reads hexadecimal (0x100), "inf" and "nan"; a value whose
 * strtod end is not this end is not written in decimal and is refused. */
static const char *decimal_end(const char *s)
{
    const char *c = s;
    if (*c == '+' || *c == '-')
        c++;
    const char *digits = c;
    while (isdigit((unsigned char)*c))
        c++;
    int n = (int)(c - digits);
    if (*c == '.') {
        const char *f = ++c;
        while (isdigit((unsigned char)*c))
            c++;
        n += (int)(c - f);
        if (n == 0)
            return s;
    }
    if (n == 0)
        return s;
    if (*c == 'e' || *c == 'E') {
        const char *e = c + 1;
        if (*e == '+' || *e == '-')
            e++;
        if (isdigit((unsigned char)*e)) {
            while (isdigit((unsigned char)*e))
                e++;
            c = e;
        }
    }
    return c;
}

/* ----------------------------------------------------------------- times */

/* Parse an unsigned decimal "123.456" into whole and fraction-of-unit parts
 * with up to 9 fractional digits, exactly. */
static int parse_decimal(const char **pc, int64_t *whole, int64_t *frac_num, int64_t *frac_den)
{
    const char *c = *pc;
    int64_t w = 0, fn = 0, fd = 1;
    int digits = 0;
    while (isdigit((unsigned char)*c)) {
        if (w > 1000000000LL)
            return -2; /* absurdly large */
        w = w * 10 + (*c - '0');
        c++;
        digits++;
    }
    if (*c == '.') {
        c++;
        int fdig = 0;
        while (isdigit((unsigned char)*c)) {
            if (fdig < 9) {
                fn = fn * 10 + (*c - '0');
                fd *= 10;
            }
            fdig++;
            digits++;
            c++;
        }
    }
    if (digits == 0)
        return -1;
    *pc = c;
    *whole = w;
    *frac_num = fn;
    *frac_den = fd;
    return 0;
}

/* A time or duration: h:mm:ss[.frac], m:ss[.frac], or number+unit groups
 * (250ms, 90s, 5m, 1.5h, 1m30s).  Returns 0 and *ns, or -1 with *why set. */
static int parse_duration(const char *text, int64_t *ns, const char **why)
{
    const char *c = text;
    *why = "expected a time such as 1:30, 0:01.250, 90s, 5m or 250ms";
    if (!isdigit((unsigned char)*c) && *c != '.')
        return -1;
    if (strchr(text, ':')) {
        int64_t parts[3] = { 0, 0, 0 };
        int np = 0;
        int64_t fnum = 0, fden = 1;
        for (;;) {
            int64_t w, fn, fd;
            const char *start = c;
            int r = parse_decimal(&c, &w, &fn, &fd);
            if (r == -2) {
                *why = "time is far too large";
                return -1;
            }
            if (r < 0 || np == 3)
                return -1;
            if (fd != 1 && *c != '\0')
                return -1; /* a fraction only on the last part */
            if (np > 0 && (c - start) - (fd != 1 ? (c - strchr(start, '.')) : 0) != 2) {
                *why = "minutes and seconds after ':' take two digits (1:05, not 1:5)";
                return -1;
            }
            parts[np++] = w;
            fnum = fn;
            fden = fd;
            if (*c == ':') {
                c++;
                continue;
            }
            break;
        }
        if (*c != '\0' || np < 2)
            return -1;
        int64_t h = 0, m, s;
        if (np == 3) {
            h = parts[0];
            m = parts[1];
            s = parts[2];
            if (m >= 60) {
                *why = "minutes must be below 60 in h:mm:ss";
                return -1;
            }
        } else {
            m = parts[0];
            s = parts[1];
        }
        if (s >= 60) {
            *why = "seconds must be below 60";
            return -1;
        }
        if (h > 24 || m > 24 * 60) {
            *why = "time is past 24 hours";
            return -1;
        }
        *ns = ((h * 60 + m) * 60 + s) * LULL_NS_PER_SEC + fnum * (LULL_NS_PER_SEC / fden);
        if (*ns > LULL_MAX_TIME_NS) {
            *why = "time is past 24 hours";
            return -1;
        }
        return 0;
    }
    int64_t total = 0;
    int groups = 0;
    while (*c) {
        int64_t w, fn, fd;
        int r = parse_decimal(&c, &w, &fn, &fd);
        if (r == -2) {
            *why = "time is far too large";
            return -1;
        }
        if (r < 0)
            return -1;
        int64_t unit;
        if (strncmp(c, "ms", 2) == 0) {
            unit = 1000000LL;
            c += 2;
        } else if (strncmp(c, "min", 3) == 0) {
            unit = 60 * LULL_NS_PER_SEC;
            c += 3;
        } else if (*c == 's') {
            unit = LULL_NS_PER_SEC;
            c++;
        } else if (*c == 'm') {
            unit = 60 * LULL_NS_PER_SEC;
            c++;
        } else if (*c == 'h') {
            unit = 3600 * LULL_NS_PER_SEC;
            c++;
        } else {
            *why = *c ? "unknown time unit (use ms, s, m or h)"
                      : "a duration needs a unit: ms, s, m or h (or write m:ss)";
            return -1;
        }
        if (w > LULL_MAX_TIME_NS / unit) {
            *why = "time is past 24 hours";
            return -1;
        }
        /* fn * unit would overflow for minutes and hours with many
         * decimals ("6.555555538m"); split unit by fd, exactly. */
        total += w * unit + fn * (unit / fd) + fn * (unit % fd) / fd;
        if (total > LULL_MAX_TIME_NS) {
            *why = "time is past 24 hours";
            return -1;
        }
        groups++;
    }
    if (groups == 0)
        return -1;
    *ns = total;
    return 0;
}

static void format_time(int64_t ns, char *buf, size_t n)
{
    int64_t ms = ns / 1000000;
    int64_t s = ms / 1000;
    if (s >= 3600)
        snprintf(buf, n, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60),
                 (long long)(s % 60));
    else
        snprintf(buf, n, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
    if (ms % 1000) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, ".%03lld", (long long)(ms % 1000));
    }
}

/* ---------------------------------------------------------------- values */

static const char *unit_name(lull_unit u)
{
    switch (u) {
    case LULL_UNIT_HZ: return "Hz";
    case LULL_UNIT_GAIN: return "dB";
    case LULL_UNIT_SEC: return "s";
    case LULL_UNIT_RATIO: return "";
    case LULL_UNIT_ENUM: return "";
    }
    return "";
}

static void format_value(const lull_param_desc *d, double v, char *buf, size_t n)
{
    if (d->unit == LULL_UNIT_GAIN && v > 0)
        snprintf(buf, n, "+%g dB", v);
    else if (d->unit == LULL_UNIT_RATIO || d->unit == LULL_UNIT_ENUM)
        snprintf(buf, n, "%g", v);
    else
        snprintf(buf, n, "%g %s", v, unit_name(d->unit));
}

/* Parse a parameter value (the text after '=').  Returns 0 or reports an
 * error at `col` and returns -1. */
static int parse_value(parser *p, const lull_param_desc *d, const char *text, int col,
                       double *out)
{
    if (d->unit == LULL_UNIT_ENUM) {
        for (int i = 0; d->choices && d->choices[i]; i++)
            if (strcmp(text, d->choices[i]) == 0) {
                *out = i;
                return 0;
            }
        char list[256] = "";
        for (int i = 0; d->choices && d->choices[i]; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, d->choices[i], sizeof list - strlen(list) - 1);
        }
        ERR(p, col, "%s must be one of: %s (got '%s')", d->name, list, text);
        return -1;
    }
    if (d->unit == LULL_UNIT_SEC) {
        int64_t ns;
        const char *why;
        if (parse_duration(text, &ns, &why) < 0) {
            ERR(p, col, "%s: %s (got '%s')", d->name, why, text);
            return -1;
        }
        *out = (double)ns / (double)LULL_NS_PER_SEC;
    } else {
        if (d->unit == LULL_UNIT_GAIN && (strcmp(text, "off") == 0 || strcmp(text, "-inf") == 0)) {
            *out = LULL_GAIN_FLOOR_DB;
            return 0;
        }
        const char *c = text;
        if (*c == '+' || *c == '-')
            c++;
        if (!isdigit((unsigned char)*c) && !(*c == '.' && isdigit((unsigned char)c[1]))) {
            ERR(p, col, "%s: expected a number%s%s (got '%s')", d->name,
                d->unit == LULL_UNIT_RATIO ? "" : " in ", unit_name(d->unit), text);
            return -1;
        }
        errno = 0;
        char *end;
        double v = strtod(text, &end);
        if (end != decimal_end(text)) {
            ERR(p, col, "%s: numbers are written in decimal, such as 256 or 0.5 (got '%s')",
                d->name, text);
            return -1;
        }
        if (errno == ERANGE || !isfinite(v) || fabs(v) > 1e9) {
            ERR(p, col, "%s: number '%s' is out of range", d->name, text);
            return -1;
        }
        int ucol = col + (int)(end - text);
        const char *u = end;
        switch (d->unit) {
        case LULL_UNIT_HZ:
            if (*u == '\0' || strcmp(u, "Hz") == 0 || strcmp(u, "hz") == 0)
                break;
            if (strcmp(u, "kHz") == 0 || strcmp(u, "khz") == 0) {
                v *= 1000.0;
                break;
            }
            ERR(p, ucol, "bad unit '%s' for %s: expected Hz or kHz", u, d->name);
            return -1;
        case LULL_UNIT_GAIN:
            if (*u == '\0' || strcmp(u, "dB") == 0 || strcmp(u, "db") == 0)
                break;
            ERR(p, ucol, "bad unit '%s' for %s: expected dB", u, d->name);
            return -1;
        case LULL_UNIT_RATIO:
            if (*u == '\0')
                break;
            if (strcmp(u, "%") == 0) {
                v /= 100.0;
                break;
            }
            ERR(p, ucol, "bad unit '%s' for %s: expected a plain number or %%", u, d->name);
            return -1;
        default:
            break;
        }
        *out = v;
    }
    if (d->unit == LULL_UNIT_GAIN && *out < d->min) {
        *out = LULL_GAIN_FLOOR_DB; /* very quiet means silent */
        return 0;
    }
    if (*out < d->min || *out > d->max) {
        char a[64], lo[64], hi[64];
        format_value(d, *out, a, sizeof a);
        format_value(d, d->min, lo, sizeof lo);
        format_value(d, d->max, hi, sizeof hi);
        if (d->unit == LULL_UNIT_GAIN)
            ERR(p, col, "%s %s is too loud: the most allowed is %s", d->name, a, hi);
        else
            ERR(p, col, "%s %s is out of range (%s to %s)", d->name, a, lo, hi);
        return -1;
    }
    return 0;
}

/* -------------------------------------------------------------- building */

static int valid_name(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '_')
        return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
            return 0;
    return 1;
}

static int find_voice(const lull_script *s, const char *name)
{
    for (int i = 0; i < s->n_voices; i++)
        if (strcmp(s->voices[i].name, name) == 0)
            return i;
    return -1;
}

static lull_event *add_event(parser *p)
{
    lull_script *s = p->s;
    if (s->n_events == MAX_EVENTS) {
        ERR(p, 1, "too many events (the limit is %d)", MAX_EVENTS);
        p->stop = 1;
        return NULL;
    }
    if (s->n_events == p->cap_events) {
        int cap = p->cap_events ? p->cap_events * 2 : 64;
        lull_event *ev = realloc(s->events, (size_t)cap * sizeof *ev);
        if (!ev) {
            ERR(p, 1, "out of memory");
            p->stop = 1;
            return NULL;
        }
        s->events = ev;
        p->cap_events = cap;
    }
    lull_event *e = &s->events[s->n_events++];
    memset(e, 0, sizeof *e);
    e->line = p->line_no;
    e->voice = -1;
    return e;
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static void list_params(const lull_voice_class *vc, char *buf, size_t n)
{
    buf[0] = '\0';
    for (int i = 0; i < vc->n_params; i++) {
        strncat(buf, i ? ", " : "", n - strlen(buf) - 1);
        strncat(buf, vc->params[i].name, n - strlen(buf) - 1);
    }
}

/* The breathing shorthand rate=N/min: N breaths a minute, each split 40:60
 * between inhale and exhale (holds come on top).  Offered by any voice kind
 * with inhale and exhale parameters and no `rate` of its own (the pacer).
 * t->text is the key, already cut at '='.  Returns 1 with the two settings in
 * pidx/vals, 0 if the key is not the shorthand, -1 after an error. */
static int breath_rate(parser *p, const lull_voice_class *vc, const token *t, int *pidx,
                       double *vals)
{
    const int in = lull_voice_param_index(vc, "inhale"), ex = lull_voice_param_index(vc, "exhale");
    if (strcmp(t->text, "rate") != 0 || in < 0 || ex < 0)
        return 0;
    const char *v = t->text + t->eq + 1;
    const int col = t->col + t->eq + 1;
    char *end = NULL;
    const double per_min = isdigit((unsigned char)*v) || *v == '.' ? strtod(v, &end) : NAN;
    if (!end || end != decimal_end(v) || strcmp(end, "/min") != 0 || !isfinite(per_min)) {
        ERR(p, col, "rate: expected breaths a minute such as 6/min (got '%s')", v);
        return -1;
    }
    if (per_min < 1.0 || per_min > 30.0) {
        ERR(p, col, "rate %g/min is out of range (1/min to 30/min)", per_min);
        return -1;
    }
    pidx[0] = in;
    vals[0] = 0.4 * 60.0 / per_min;
    pidx[1] = ex;
    vals[1] = 0.6 * 60.0 / per_min;
    return 1;
}

static void statement_voice(parser *p, token *t, int n)
{
    lull_script *s = p->s;
    if (n < 3) {
        ERR(p, n < 2 ? t[0].col + t[0].len + 1 : t[1].col + t[1].len + 1,
            "expected: voice NAME KIND [key=value ...]");
        return;
    }
    if (t[1].quoted || !valid_name(t[1].text) || t[1].eq >= 0) {
        ERR(p, t[1].col, "'%s' is not a valid voice name (letters, digits, _ and -)", t[1].text);
        return;
    }
    if (strlen(t[1].text) >= LULL_NAME_MAX) {
        ERR(p, t[1].col, "voice name is too long (at most %d characters)", LULL_NAME_MAX - 1);
        return;
    }
    if (!strcmp(t[1].text, "master") || !strcmp(t[1].text, "section") || !strcmp(t[1].text, "end")) {
        ERR(p, t[1].col, "'%s' is a reserved word and cannot name a voice", t[1].text);
        return;
    }
    if (find_voice(s, t[1].text) >= 0) {
        ERR(p, t[1].col, "voice '%s' is already declared", t[1].text);
        return;
    }
    const lull_voice_class *vc = lull_voice_find(t[2].text);
    if (!vc) {
        ERR(p, t[2].col, "unknown voice kind '%s' (known kinds: %s)", t[2].text, lull_voice_kind_list());
        return;
    }
    if (s->n_voices == MAX_VOICES) {
        ERR(p, t[0].col, "too many voices (the limit is %d)", MAX_VOICES);
        return;
    }
    lull_voice_decl d;
    memset(&d, 0, sizeof d);
    snprintf(d.name, sizeof d.name, "%s", t[1].text);
    d.vc = vc;
    d.line = p->line_no;
    for (int i = 0; i < vc->n_params; i++)
        d.values[i] = vc->params[i].def;
    int bad = 0;
    for (int i = 3; i < n; i++) {
        if (t[i].eq < 0 || t[i].quoted) {
            ERR(p, t[i].col, "expected key=value, got '%s'", t[i].text);
            bad = 1;
            continue;
        }
        t[i].text[t[i].eq] = '\0';
        int pi = lull_voice_param_index(vc, t[i].text);
        int br_idx[2];
        double br_val[2];
        const int br = pi < 0 ? breath_rate(p, vc, &t[i], br_idx, br_val) : 0;
        if (br != 0) {
            if (br > 0) {
                d.values[br_idx[0]] = br_val[0];
                d.values[br_idx[1]] = br_val[1];
            }
            bad |= br < 0;
            continue;
        }
        if (pi < 0) {
            char list[256];
            list_params(vc, list, sizeof list);
            ERR(p, t[i].col, "%s voices have no parameter '%s' (they have: %s)", vc->kind, t[i].text, list);
            bad = 1;
            continue;
        }
        if (parse_value(p, &vc->params[pi], t[i].text + t[i].eq + 1, t[i].col + t[i].eq + 1,
                        &d.values[pi]) < 0)
            bad = 1;
    }
    if (bad)
        return;
    if (s->n_voices == p->cap_voices) {
        int cap = p->cap_voices ? p->cap_voices * 2 : 8;
        lull_voice_decl *v = realloc(s->voices, (size_t)cap * sizeof *v);
        if (!v) {
            ERR(p, 1, "out of memory");
            p->stop = 1;
            return;
        }
        s->voices = v;
        p->cap_voices = cap;
    }
    s->voices[s->n_voices++] = d;
}

/* "over DUR [linear]" at t[i], t[i+1] (t[i+2]); returns the index after it
 * or -1.  `linear` (a gain glide in a straight line in amplitude rather than
 * in dB) is accepted only where `linear` is not NULL. */
static int parse_over(parser *p, token *t, int n, int i, int64_t *dur, int *linear)
{
    if (i + 1 >= n) {
        ERR(p, t[i].col + t[i].len + 1, "expected a duration after 'over'");
        return -1;
    }
    const char *why;
    if (parse_duration(t[i + 1].text, dur, &why) < 0) {
        ERR(p, t[i + 1].col, "%s (got '%s')", why, t[i + 1].text);
        return -1;
    }
    if (linear && i + 2 < n && !t[i + 2].quoted && !strcmp(t[i + 2].text, "linear")) {
        *linear = 1;
        i++;
    }
    if (i + 2 < n) {
        ERR(p, t[i + 2].col, "unexpected '%s' after 'over %s'%s", t[i + 2].text, t[i + 1].text,
            linear ? " (only 'linear' may follow)" : "");
        return -1;
    }
    return i + 2;
}

static void note_end(parser *p, int64_t t_ns)
{
    if (t_ns > p->last_event_end)
        p->last_event_end = t_ns;
}

/* ----------------------------------------------------------------- clips */

static const lull_param_desc play_options[] = {
    { "gain", LULL_UNIT_GAIN, -120.0, 6.0, 0.0, NULL, "the clip's own gain, dB" },
    { "pan", LULL_UNIT_RATIO, -1.0, 1.0, 0.0, NULL, "-1 left, 0 centre, 1 right" },
    { "fade", LULL_UNIT_SEC, 0.0, 3600.0, 0.0, NULL, "fade-in length" },
};

static void free_clip_ref(lull_clip_ref *c)
{
    free(c->path);
    free(c->written);
    free(c->file);
    free(c->source);
    memset(c, 0, sizeof *c);
}

/* TIME VOICE play "FILE" [loop] [gain=] [pan=] [fade=]  |  TIME VOICE stop [over DUR] */
static void statement_clip(parser *p, token *t, int n, int vi, int64_t when)
{
    lull_script *s = p->s;
    const lull_voice_decl *v = &s->voices[vi];
    if (v->vc != &lull_voice_clip) {
        ERR(p, t[2].col, "'%s' is for clip voices, and '%s' is a %s voice (declare one with: voice NAME clip)",
            t[2].text, v->name, v->vc->kind);
        return;
    }
    if (!strcmp(t[2].text, "stop")) {
        int64_t dur = 0;
        if (n > 3) {
            if (t[3].quoted || strcmp(t[3].text, "over") != 0) {
                ERR(p, t[3].col, "expected 'over DUR' after 'stop', got '%s'", t[3].text);
                return;
            }
            if (parse_over(p, t, n, 3, &dur, NULL) < 0)
                return;
        }
        lull_event *e = add_event(p);
        if (!e)
            return;
        e->time_ns = when;
        e->dur_ns = dur;
        e->kind = LULL_EV_STOP;
        e->voice = vi;
        note_end(p, when);
        return;
    }
    if (n < 4 || !t[3].quoted) {
        ERR(p, n < 4 ? t[2].col + t[2].len + 1 : t[3].col,
            "expected a quoted file name: %s play \"FILE\" [loop] [gain=] [pan=] [fade=]", v->name);
        return;
    }
    if (!t[3].text[0]) {
        ERR(p, t[3].col, "the file name is empty");
        return;
    }
    lull_clip_ref c;
    memset(&c, 0, sizeof c);
    c.voice = vi;
    c.time_ns = when;
    c.line = p->line_no;
    c.column = t[3].col;
    for (int i = 4; i < n; i++) {
        if (!t[i].quoted && !strcmp(t[i].text, "loop")) {
            if (c.loop) {
                ERR(p, t[i].col, "'loop' is given twice");
                return;
            }
            c.loop = 1;
            continue;
        }
        if (t[i].quoted || t[i].eq < 0) {
            ERR(p, t[i].col, "expected loop, gain=, pan= or fade= after the file name, got '%s'", t[i].text);
            return;
        }
        t[i].text[t[i].eq] = '\0';
        const lull_param_desc *d = NULL;
        for (size_t k = 0; k < sizeof play_options / sizeof play_options[0]; k++)
            if (!strcmp(play_options[k].name, t[i].text))
                d = &play_options[k];
        if (!d) {
            ERR(p, t[i].col, "'play' has no option '%s' (it has: loop, gain, pan, fade)", t[i].text);
            return;
        }
        double val;
        if (parse_value(p, d, t[i].text + t[i].eq + 1, t[i].col + t[i].eq + 1, &val) < 0)
            return;
        if (d == &play_options[0])
            c.gain_db = val;
        else if (d == &play_options[1])
            c.pan = val;
        else
            c.fade_ns = (int64_t)(val * (double)LULL_NS_PER_SEC + 0.5);
    }
    c.path = lull_script_resolve_path(p->file, t[3].text);
    c.written = dup_str(t[3].text);
    c.file = dup_str(p->file);
    c.source = dup_str(p->line ? p->line : "");
    if (!c.path || !c.written || !c.file || !c.source) {
        free_clip_ref(&c);
        ERR(p, 1, "out of memory");
        return;
    }
    /* Open every file now, so a missing or broken one is reported with its
     * line before anything plays.  A file used twice is opened once. */
    int known = -1;
    for (int i = 0; i < s->n_clips && known < 0; i++)
        if (!strcmp(s->clips[i].path, c.path))
            known = i;
    if (known >= 0) {
        c.src_frames = s->clips[known].src_frames;
        c.src_rate_hz = s->clips[known].src_rate_hz;
        c.src_channels = s->clips[known].src_channels;
    } else {
        lull_clip_format f;
        char why[512];
        if (lull_clip_probe(c.path, &f, why, sizeof why) < 0) {
            if (strcmp(c.path, c.written) != 0)
                ERR(p, c.column, "audio file '%s' (%s) %s", c.written, c.path, why);
            else
                ERR(p, c.column, "audio file '%s' %s", c.written, why);
            free_clip_ref(&c);
            return;
        }
        c.src_frames = f.frames;
        c.src_rate_hz = f.rate_hz;
        c.src_channels = f.channels;
    }
    if (s->n_clips == p->cap_clips) {
        int cap = p->cap_clips ? p->cap_clips * 2 : 16;
        lull_clip_ref *nc = realloc(s->clips, (size_t)cap * sizeof *nc);
        if (!nc) {
            free_clip_ref(&c);
            ERR(p, 1, "out of memory");
            p->stop = 1;
            return;
        }
        s->clips = nc;
        p->cap_clips = cap;
    }
    lull_event *e = add_event(p);
    if (!e) {
        free_clip_ref(&c);
        return;
    }
    e->time_ns = when;
    e->dur_ns = c.fade_ns;
    e->kind = LULL_EV_PLAY;
    e->voice = vi;
    e->value = c.gain_db;
    e->clip = s->n_clips;
    s->clips[s->n_clips++] = c;
    note_end(p, when);
}

static int64_t clip_natural_ns(const lull_clip_ref *c)
{
    return c->src_rate_hz > 0 ? c->src_frames * LULL_NS_PER_SEC / c->src_rate_hz : 0;
}

/* After the whole script is read: where each clip really ends (a later play
 * or stop on its voice cuts it), the session length when there is no `end`,
 * and warnings for clips that run past the next clip or the session's end. */
static void finish_clips(parser *p)
{
    lull_script *s = p->s;
    /* Number the clips in time order (events are sorted by now; repeat
     * blocks may have added them out of order). */
    lull_clip_ref *ordered = malloc(sizeof *ordered * (size_t)s->n_clips);
    if (!ordered) {
        ERR(p, 1, "out of memory");
        return;
    }
    int n_ordered = 0;
    for (int i = 0; i < s->n_events; i++) {
        if (s->events[i].kind != LULL_EV_PLAY)
            continue;
        ordered[n_ordered] = s->clips[s->events[i].clip];
        s->events[i].clip = n_ordered++;
    }
    free(s->clips);
    s->clips = ordered;
    const char *saved_file = p->file;
    for (int i = 0; i < s->n_events; i++) {
        const lull_event *e = &s->events[i];
        if (e->kind != LULL_EV_PLAY)
            continue;
        const lull_clip_ref *c = &s->clips[e->clip];
        const lull_event *next = NULL;
        for (int j = i + 1; j < s->n_events && !next; j++)
            if ((s->events[j].kind == LULL_EV_PLAY || s->events[j].kind == LULL_EV_STOP) &&
                s->events[j].voice == e->voice)
                next = &s->events[j];
        if (c->loop) {
            if (next && next->kind == LULL_EV_STOP)
                note_end(p, next->time_ns + next->dur_ns);
            continue;
        }
        int64_t end = c->time_ns + clip_natural_ns(c);
        if (next && next->kind == LULL_EV_STOP && next->time_ns < end) {
            note_end(p, next->time_ns + next->dur_ns < end ? next->time_ns + next->dur_ns : end);
            continue;
        }
        /* Point diagnostics at the file name on the play line. */
        p->file = c->file;
        p->line = c->source;
        p->line_no = c->line;
        char a[32], b[32];
        format_time(end - c->time_ns, a, sizeof a);
        if (next && next->kind == LULL_EV_PLAY && next->time_ns < end) {
            format_time(next->time_ns, b, sizeof b);
            WARN(p, c->column, "clip '%s' (%s long) runs %.3f s past the next clip on voice '%s' at %s, "
                 "which will crossfade it out", c->written, a,
                 (double)(end - next->time_ns) / (double)LULL_NS_PER_SEC, s->voices[c->voice].name, b);
            note_end(p, next->time_ns);
            continue;
        }
        if (p->have_end && end > s->end_ns) {
            format_time(s->end_ns, b, sizeof b);
            WARN(p, c->column, "clip '%s' (%s long) runs %.3f s past the session's end at %s", c->written,
                 a, (double)(end - s->end_ns) / (double)LULL_NS_PER_SEC, b);
            end = s->end_ns; /* said once, here, not again as a late event */
        }
        note_end(p, end);
    }
    p->line = NULL;
    p->file = saved_file;
}

int lull_script_clip_count(const lull_script *s) { return s ? s->n_clips : 0; }

int lull_script_clip_info(const lull_script *s, int i, lull_clip_desc *out)
{
    if (!s || !out || i < 0 || i >= s->n_clips)
        return LULL_ERR_ARG;
    const lull_clip_ref *c = &s->clips[i];
    memset(out, 0, sizeof *out);
    out->file = c->written;
    out->path = c->path;
    out->voice = c->voice;
    out->line = c->line;
    out->start_sec = (double)c->time_ns / (double)LULL_NS_PER_SEC;
    out->duration_sec = (double)clip_natural_ns(c) / (double)LULL_NS_PER_SEC;
    out->loop = c->loop;
    out->gain_db = c->gain_db;
    out->pan = c->pan;
    out->rate_hz = c->src_rate_hz;
    out->channels = c->src_channels;
    return LULL_OK;
}

static void statement_timeline(parser *p, token *t, int n)
{
    lull_script *s = p->s;
    int64_t when;
    const char *why;
    int relative = t[0].text[0] == '+';
    if (parse_duration(t[0].text + relative, &when, &why) < 0) {
        ERR(p, t[0].col + relative, "%s (got '%s')", why, t[0].text + relative);
        return;
    }
    if (relative)
        when += p->have_time ? p->prev_time : 0;
    else
        when += p->time_base; /* inside a repeat: from the repetition's start */
    if (when > LULL_MAX_TIME_NS) {
        ERR(p, t[0].col, "time is past 24 hours");
        return;
    }
    if (p->have_time && when < p->prev_time) {
        char a[32], b[32];
        format_time(when, a, sizeof a);
        format_time(p->prev_time, b, sizeof b);
        ERR(p, t[0].col, "time %s is before the previous line's %s: times must not go backwards", a, b);
        return;
    }
    if (p->have_end) {
        ERR(p, t[0].col, "nothing may follow 'end'");
        return;
    }
    p->prev_time = when;
    p->have_time = 1;
    if (n < 2) {
        ERR(p, t[0].col + t[0].len + 1, "expected a voice name, master, section or end after the time");
        return;
    }
    const char *what = t[1].text;
    if (t[1].quoted) {
        ERR(p, t[1].col, "expected a voice name, master, section or end, got a string");
        return;
    }
    if (p->repeat_depth && (!strcmp(what, "end") || !strcmp(what, "section"))) {
        ERR(p, t[1].col, "'%s' cannot be inside a repeat block", what);
        return;
    }
    if (!strcmp(what, "end")) {
        if (n > 2) {
            ERR(p, t[2].col, "unexpected '%s' after 'end'", t[2].text);
            return;
        }
        if (when == 0) {
            ERR(p, t[0].col, "the session cannot end at 0:00");
            return;
        }
        lull_event *e = add_event(p);
        if (!e)
            return;
        e->time_ns = when;
        e->kind = LULL_EV_END;
        s->end_ns = when;
        p->have_end = 1;
        return;
    }
    if (!strcmp(what, "section")) {
        if (n < 3 || !t[2].quoted) {
            ERR(p, n < 3 ? t[1].col + t[1].len + 1 : t[2].col, "expected a quoted name: section \"NAME\"");
            return;
        }
        if (n > 3) {
            ERR(p, t[3].col, "unexpected '%s' after the section name", t[3].text);
            return;
        }
        lull_section *sec = realloc(s->sections, (size_t)(s->n_sections + 1) * sizeof *sec);
        if (!sec) {
            ERR(p, 1, "out of memory");
            return;
        }
        s->sections = sec;
        sec[s->n_sections].name = dup_str(t[2].text);
        sec[s->n_sections].time_ns = when;
        lull_event *e = add_event(p);
        if (!e)
            return;
        e->time_ns = when;
        e->kind = LULL_EV_SECTION;
        e->index = s->n_sections++;
        note_end(p, when);
        return;
    }
    if (!strcmp(what, "master")) {
        if (n >= 3 && (!strcmp(t[2].text, "fade-in") || !strcmp(t[2].text, "fade-out"))) {
            int in = !strcmp(t[2].text, "fade-in");
            int64_t dur;
            if (n < 4) {
                ERR(p, t[2].col + t[2].len + 1, "expected a duration: master %s 15s", t[2].text);
                return;
            }
            if (parse_duration(t[3].text, &dur, &why) < 0) {
                ERR(p, t[3].col, "%s (got '%s')", why, t[3].text);
                return;
            }
            if (n > 4) {
                ERR(p, t[4].col, "unexpected '%s' after the fade's duration", t[4].text);
                return;
            }
            lull_event *e = add_event(p);
            if (!e)
                return;
            e->time_ns = when;
            e->dur_ns = dur;
            e->kind = in ? LULL_EV_FADE_IN : LULL_EV_FADE_OUT;
            if (!p->seen_master_fade && in)
                s->has_fade_in_first = 1;
            p->seen_master_fade = 1;
            note_end(p, when + dur);
            return;
        }
        static const lull_param_desc master_gain = { "gain", LULL_UNIT_GAIN, -120.0, 6.0, 0.0, NULL,
                                                     "master gain" };
        int i = 2;
        double v = 0;
        int have = 0;
        int64_t dur = 0;
        if (n < 3) {
            ERR(p, t[1].col + t[1].len + 1, "expected gain=, fade-in DUR or fade-out DUR after 'master'");
            return;
        }
        int linear = 0;
        for (; i < n; i++) {
            if (!strcmp(t[i].text, "over") && !t[i].quoted) {
                if (parse_over(p, t, n, i, &dur, &linear) < 0)
                    return;
                break;
            }
            if (t[i].eq < 0 || t[i].quoted) {
                ERR(p, t[i].col, "expected gain=, fade-in DUR or fade-out DUR after 'master', got '%s'",
                    t[i].text);
                return;
            }
            t[i].text[t[i].eq] = '\0';
            if (strcmp(t[i].text, "gain") != 0) {
                ERR(p, t[i].col, "master has no parameter '%s' (it has: gain, fade-in, fade-out)", t[i].text);
                return;
            }
            if (parse_value(p, &master_gain, t[i].text + t[i].eq + 1, t[i].col + t[i].eq + 1, &v) < 0)
                return;
            have = 1;
        }
        if (!have) {
            ERR(p, t[2].col, "expected gain= before 'over'");
            return;
        }
        lull_event *e = add_event(p);
        if (!e)
            return;
        e->time_ns = when;
        e->dur_ns = dur;
        e->kind = LULL_EV_SET;
        e->voice = -1;
        e->value = v;
        e->amp_linear = linear;
        note_end(p, when + dur);
        return;
    }
    int vi = find_voice(s, what);
    if (vi < 0) {
        char list[512] = "";
        for (int i = 0; i < s->n_voices && strlen(list) < 400; i++) {
            strncat(list, i ? ", " : "", sizeof list - strlen(list) - 1);
            strncat(list, s->voices[i].name, sizeof list - strlen(list) - 1);
        }
        if (s->n_voices)
            ERR(p, t[1].col, "unknown voice '%s' (declared voices: %s; or master, section, end)", what, list);
        else
            ERR(p, t[1].col, "unknown voice '%s' (no voices are declared yet)", what);
        return;
    }
    const lull_voice_class *vc = s->voices[vi].vc;
    if (n >= 3 && !t[2].quoted && (!strcmp(t[2].text, "play") || !strcmp(t[2].text, "stop"))) {
        statement_clip(p, t, n, vi, when);
        return;
    }
    int pidx[2 * MAX_TOKENS]; /* rate=N/min sets two parameters */
    double vals[2 * MAX_TOKENS];
    int np = 0;
    int64_t dur = 0;
    int linear = 0;
    for (int i = 2; i < n; i++) {
        if (!strcmp(t[i].text, "over") && !t[i].quoted) {
            if (np == 0) {
                ERR(p, t[i].col, "expected key=value before 'over'");
                return;
            }
            if (parse_over(p, t, n, i, &dur, &linear) < 0)
                return;
            break;
        }
        if (t[i].eq < 0 || t[i].quoted) {
            ERR(p, t[i].col, "expected key=value or 'over DUR', got '%s'", t[i].text);
            return;
        }
        t[i].text[t[i].eq] = '\0';
        int pi = lull_voice_param_index(vc, t[i].text);
        const int br = pi < 0 ? breath_rate(p, vc, &t[i], pidx + np, vals + np) : 0;
        if (br < 0)
            return;
        if (br > 0) {
            np += 2;
            continue;
        }
        if (pi < 0) {
            char list[256];
            list_params(vc, list, sizeof list);
            ERR(p, t[i].col, "voice '%s' (%s) has no parameter '%s' (it has: %s)", what, vc->kind,
                t[i].text, list);
            return;
        }
        if (vc->params[pi].unit == LULL_UNIT_ENUM) {
            ERR(p, t[i].col, "%s can only be set where the voice is declared", t[i].text);
            return;
        }
        if (parse_value(p, &vc->params[pi], t[i].text + t[i].eq + 1, t[i].col + t[i].eq + 1, &vals[np]) < 0)
            return;
        pidx[np++] = pi;
    }
    if (np == 0) {
        ERR(p, t[1].col + t[1].len + 1, "expected key=value after the voice name");
        return;
    }
    for (int k = 0; k < np; k++) {
        lull_event *e = add_event(p);
        if (!e)
            return;
        e->time_ns = when;
        e->dur_ns = dur;
        e->kind = LULL_EV_SET;
        e->voice = vi;
        e->param = pidx[k];
        e->value = vals[k];
        e->amp_linear = linear;
    }
    note_end(p, when + dur);
}

static void statement_include(parser *p, token *t, int n);

static void statement(parser *p, token *t, int n)
{
    const char *w = t[0].text;
    if (p->repeat_depth && (t[0].quoted || !(isdigit((unsigned char)w[0]) || w[0] == '+'))) {
        ERR(p, t[0].col, "only timeline lines (TIME VOICE ...) may be inside a repeat block, got '%s'", w);
        return;
    }
    if (!t[0].quoted && !strcmp(w, "include")) {
        statement_include(p, t, n);
    } else if (!t[0].quoted && (isdigit((unsigned char)w[0]) || w[0] == '+')) {
        statement_timeline(p, t, n);
    } else if (!t[0].quoted && !strcmp(w, "voice")) {
        statement_voice(p, t, n);
    } else if (!t[0].quoted && !strcmp(w, "title")) {
        if (n != 2 || !t[1].quoted) {
            ERR(p, n < 2 ? t[0].col + t[0].len + 1 : t[1].col, "expected: title \"TEXT\"");
            return;
        }
        if (p->have_title) {
            ERR(p, t[0].col, "the title is already set");
            return;
        }
        free(p->s->title);
        p->s->title = dup_str(t[1].text);
        p->have_title = 1;
    } else if (!t[0].quoted && !strcmp(w, "lull")) {
        long v = n == 2 ? strtol(t[1].text, NULL, 10) : 0;
        if (n != 2 || v <= 0) {
            ERR(p, n < 2 ? t[0].col + t[0].len + 1 : t[1].col, "expected: lull VERSION (for example: lull 1)");
            return;
        }
        if (v > LULL_LANGUAGE_VERSION)
            ERR(p, t[1].col, "this script needs lull language version %ld; this lull reads version %d",
                v, LULL_LANGUAGE_VERSION);
        else
            p->s->language_version = (int)v;
    } else {
        ERR(p, t[0].col, "expected a statement (title, voice, or a time such as 1:30 or +30s), got '%s'",
            t[0].text);
    }
}


/* --------------------------------------------------- lines, repeat, include */

/* Is this line (comments and blanks aside) a lone "}"? */
static int closes_block(const char *l, size_t len)
{
    size_t i = 0;
    while (i < len && (l[i] == ' ' || l[i] == '\t'))
        i++;
    if (i == len || l[i] != '}')
        return 0;
    i++;
    while (i < len && (l[i] == ' ' || l[i] == '\t' || l[i] == '\r'))
        i++;
    return i == len || l[i] == '#';
}

/* "TIME repeat N every DUR {": parse the header.  Returns 1 and fills the
 * fields for a repeat line, 0 if the line is not one, -1 after an error. */
static int repeat_header(parser *p, token *t, int n, int64_t *start, long *count, int64_t *every)
{
    if (n < 2 || t[1].quoted || strcmp(t[1].text, "repeat") != 0)
        return 0;
    const char *why;
    int relative = t[0].text[0] == '+';
    if (t[0].quoted || parse_duration(t[0].text + relative, start, &why) < 0) {
        ERR(p, t[0].col, "expected a time before 'repeat'");
        return -1;
    }
    *start += relative ? (p->have_time ? p->prev_time : 0) : p->time_base;
    if (n != 6 || strcmp(t[3].text, "every") != 0 || strcmp(t[5].text, "{") != 0) {
        ERR(p, t[1].col, "expected: TIME repeat COUNT every DURATION {");
        return -1;
    }
    char *end;
    errno = 0;
    *count = strtol(t[2].text, &end, 10);
    if (errno || *end || *count < 1 || *count > MAX_REPEAT) {
        ERR(p, t[2].col, "repeat count must be a whole number from 1 to %d (got '%s')", MAX_REPEAT, t[2].text);
        return -1;
    }
    if (parse_duration(t[4].text, every, &why) < 0 || *every <= 0) {
        ERR(p, t[4].col, "%s (got '%s')", *every <= 0 ? "the repeat interval must be longer than 0" : why,
            t[4].text);
        return -1;
    }
    if (*start > LULL_MAX_TIME_NS || (*count - 1) > (LULL_MAX_TIME_NS - *start) / *every) {
        ERR(p, t[2].col, "the repeats run past 24 hours");
        return -1;
    }
    if (p->have_time && *start < p->prev_time) {
        ERR(p, t[0].col, "the repeat starts before the previous line: times must not go backwards");
        return -1;
    }
    return 1;
}

/* Expand a repeat block's body `count` times. */
static void expand_repeat(parser *p, const char *body, size_t len, int first_line, int header_line,
                          int64_t start, long count, int64_t every)
{
    const int64_t saved_base = p->time_base, saved_prev = p->prev_time;
    const int saved_have = p->have_time, saved_iter = p->repeat_iter, saved_rl = p->repeat_line;
    p->repeat_depth++;
    for (long k = 0; k < count && !p->stop; k++) {
        const int errors_before = p->n_errors;
        p->time_base = start + k * every;
        p->prev_time = p->time_base;
        p->have_time = 1;
        p->repeat_iter = (int)k;
        p->repeat_line = header_line;
        parse_text(p, body, len, p->file, first_line);
        /* The same mistake would repeat in every pass: say it once. */
        if (p->n_errors > errors_before)
            break;
    }
    p->repeat_depth--;
    p->time_base = saved_base;
    p->repeat_iter = saved_iter;
    p->repeat_line = saved_rl;
    /* Later lines continue from the repeat's start (events are sorted by
     * time once the whole script is read). */
    p->prev_time = start > saved_prev || !saved_have ? start : saved_prev;
    p->have_time = 1;
}

static char *dirname_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    size_t n = slash ? (size_t)(slash - file) : 0;
    char *d = malloc(n + 2);
    if (!d)
        return NULL;
    if (slash) {
        memcpy(d, file, n ? n : 1);
        d[n ? n : 1] = '\0';
    } else {
        strcpy(d, ".");
    }
    return d;
}

/* A path named in the script, relative to the folder of the file being read
 * (the including file for an include, the script for a clip).  Caller frees. */
char *lull_script_resolve_path(const char *current_file, const char *rel)
{
    if (rel[0] == '/' || !current_file || !strchr(current_file, '/')) {
        return dup_str(rel);
    }
    char *dir = dirname_of(current_file);
    if (!dir)
        return NULL;
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, rel);
    free(dir);
    return out;
}

static void statement_include(parser *p, token *t, int n)
{
    if (n != 2 || !t[1].quoted || !t[1].text[0]) {
        ERR(p, n < 2 ? t[0].col + t[0].len + 1 : t[1].col, "expected: include \"FILE\"");
        return;
    }
    if (p->include_depth >= LULL_MAX_INCLUDE_DEPTH) {
        ERR(p, t[0].col, "includes are nested more than %d deep", LULL_MAX_INCLUDE_DEPTH);
        return;
    }
    char *path = lull_script_resolve_path(p->file, t[1].text);
    if (!path) {
        ERR(p, t[1].col, "out of memory");
        return;
    }
    char *real = realpath(path, NULL);
    if (!real) {
        ERR(p, t[1].col, "cannot include '%s': %s", path, strerror(errno));
        free(path);
        return;
    }
    /* The script itself is the first link of the chain. */
    char *root = realpath(p->s->path, NULL);
    int cycle = root && strcmp(root, real) == 0;
    free(root);
    for (int i = 0; i < p->include_depth && !cycle; i++)
        cycle = p->include_stack[i] && strcmp(p->include_stack[i], real) == 0;
    if (cycle) {
        ERR(p, t[1].col, "'%s' includes itself (an include cycle)", path);
        free(real);
        free(path);
        return;
    }
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a
     * writer forever; it is refused below like any other non-file. */
    int fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    FILE *f = fd >= 0 ? fdopen(fd, "rb") : NULL;
    if (fd >= 0 && !f)
        close(fd);
    struct stat st;
    if (!f || fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        ERR(p, t[1].col, "cannot include '%s': %s", path, f ? "not a regular file" : strerror(errno));
        if (f)
            fclose(f);
        free(real);
        free(path);
        return;
    }
    if (st.st_size > (off_t)MAX_SCRIPT_BYTES) {
        ERR(p, t[1].col, "cannot include '%s': larger than %u bytes", path, MAX_SCRIPT_BYTES);
        fclose(f);
        free(real);
        free(path);
        return;
    }
    size_t len = (size_t)st.st_size;
    char *buf = malloc(len + 1);
    size_t got = buf ? fread(buf, 1, len, f) : 0;
    fclose(f);
    if (!buf || got != len) {
        ERR(p, t[1].col, "cannot read '%s'", path);
        free(buf);
        free(real);
        free(path);
        return;
    }
    p->include_stack[p->include_depth++] = real;
    const int saved_line = p->line_no;
    const char *saved_text = p->line;
    parse_text(p, buf, len, path, 1);
    p->line_no = saved_line;
    p->line = saved_text;
    p->include_depth--;
    free(buf);
    free(real);
    free(path); /* p->file pointed into it only while it was read */
}

/* Read lines from `text`: the body of a file, an include, or a repeat. */
static void parse_text(parser *p, const char *text, size_t len, const char *file, int first_line)
{
    const char *saved_file = p->file;
    const int saved_line_no = p->line_no;
    p->file = file;
    p->line_no = first_line - 1;
    char *line = malloc(MAX_LINE + 1);
    token *tok = malloc(sizeof(token) * MAX_TOKENS);
    if (!line || !tok) {
        free(line);
        free(tok);
        ERR(p, 1, "out of memory");
        p->stop = 1;
        return;
    }
    if (len > MAX_SCRIPT_BYTES) {
        p->line_no = first_line;
        ERR(p, 1, "the script is %zu bytes; scripts are limited to %u bytes", len, MAX_SCRIPT_BYTES);
    }
    size_t i = 0;
    while (i < len && !p->stop) {
        size_t start = i;
        while (i < len && text[i] != '\n')
            i++;
        size_t l = i - start;
        if (i < len)
            i++; /* the newline */
        p->line_no++;
        if (l > 0 && text[start + l - 1] == '\r')
            l--;
        size_t shown = l > MAX_LINE ? MAX_LINE : l;
        memcpy(line, text + start, shown);
        line[shown] = '\0';
        p->line = line;
        if (memchr(text + start, '\0', l)) {
            ERR(p, (int)((const char *)memchr(text + start, '\0', l) - (text + start)) + 1,
                "binary data (a NUL byte): this is not a text script");
            break;
        }
        if (l > MAX_LINE) {
            /* The caret goes on the first byte past the limit. */
            ERR(p, MAX_LINE + 1, "line is too long (%zu characters; the limit is %d)", l, MAX_LINE);
            continue;
        }
        int n = tokenize(p, line, tok);
        if (n <= 0)
            continue;
        int64_t rstart = 0, every = 0;
        long count = 0;
        int r = repeat_header(p, tok, n, &rstart, &count, &every);
        if (r == 0) {
            if (n == 1 && !tok[0].quoted && !strcmp(tok[0].text, "}"))
                ERR(p, tok[0].col, "'}' without a repeat block to close");
            else
                statement(p, tok, n);
            free_tokens(tok, n);
            continue;
        }
        free_tokens(tok, n);
        /* Find the body: up to the matching lone "}", counting nested
         * repeat headers (lines ending in "{"). */
        const int header_line = p->line_no;
        const size_t body = i;
        size_t body_end = i, after = i;
        int depth = 1, lines = 0;
        while (after < len) {
            size_t ls = after;
            while (after < len && text[after] != '\n')
                after++;
            size_t ll = after - ls;
            if (after < len)
                after++;
            lines++;
            if (closes_block(text + ls, ll)) {
                if (--depth == 0) {
                    body_end = ls;
                    break;
                }
            } else {
                size_t e = ll;
                while (e > 0 && (text[ls + e - 1] == ' ' || text[ls + e - 1] == '\t' || text[ls + e - 1] == '\r'))
                    e--;
                if (e > 0 && text[ls + e - 1] == '{')
                    depth++;
            }
        }
        if (depth != 0) {
            ERR(p, 1, "this repeat block is never closed: a line with a lone '}' is missing");
            break;
        }
        if (r == 1)
            expand_repeat(p, text + body, body_end - body, header_line + 1, header_line, rstart, count, every);
        p->file = file;
        p->line_no = header_line + lines;
        i = after;
    }
    free(line);
    free(tok);
    p->line = NULL;
    p->file = saved_file;
    p->line_no = saved_line_no;
}

/* Stable merge sort of the events by time: repeats put events out of order,
 * and events at the same time must apply in file order. */
static void sort_events(parser *p)
{
    lull_script *s = p->s;
    size_t n = (size_t)s->n_events;
    int sorted = 1;
    for (size_t i = 1; i < n && sorted; i++)
        sorted = s->events[i - 1].time_ns <= s->events[i].time_ns;
    if (sorted)
        return;
    lull_event *tmp = malloc(n * sizeof *tmp);
    if (!tmp) {
        ERR(p, 1, "out of memory");
        return;
    }
    lull_event *a = s->events, *b = tmp;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                b[k++] = a[j].time_ns < a[i].time_ns ? a[j++] : a[i++];
            while (i < mid)
                b[k++] = a[i++];
            while (j < hi)
                b[k++] = a[j++];
        }
        lull_event *t = a;
        a = b;
        b = t;
    }
    if (a != s->events) {
        memcpy(s->events, a, n * sizeof *a);
    }
    free(tmp);
}

/* ------------------------------------------------------------------ entry */

lull_load_config lull_load_config_init(void)
{
    lull_load_config c;
    memset(&c, 0, sizeof c);
    c.max_errors = 20;
    return c;
}

void lull_script_free(lull_script **ps)
{
    if (!ps || !*ps)
        return;
    lull_script *s = *ps;
    free(s->title);
    free(s->path);
    free(s->voices);
    free(s->events);
    for (int i = 0; i < s->n_clips; i++)
        free_clip_ref(&s->clips[i]);
    free(s->clips);
    for (int i = 0; i < s->n_sections; i++)
        free(s->sections[i].name);
    free(s->sections);
    free(s);
    *ps = NULL;
}

int lull_script_load_string(const char *text, size_t len, const char *name,
                            const lull_load_config *cfg_in, lull_script **out)
{
    if (!out || (!text && len))
        return LULL_ERR_ARG;
    *out = NULL;
    lull_load_config cfg = cfg_in ? *cfg_in : lull_load_config_init();
    if (cfg.max_errors <= 0)
        cfg.max_errors = 20;
    parser p;
    memset(&p, 0, sizeof p);
    p.cfg = &cfg;
    p.file = name ? name : "<string>";
    p.s = calloc(1, sizeof *p.s);
    if (!p.s)
        return LULL_ERR_NOMEM;
    p.s->path = dup_str(p.file);
    p.s->title = dup_str("");
    if (!p.s->path || !p.s->title) {
        lull_script_free(&p.s);
        return LULL_ERR_NOMEM;
    }

    parse_text(&p, text, len, p.file, 1);
    p.line = NULL;
    lull_script *s = p.s;
    if (!p.n_errors)
        sort_events(&p);
    if (!p.n_errors && s->n_clips)
        finish_clips(&p);
    if (!p.n_errors) {
        if (!p.have_end)
            s->end_ns = p.last_event_end;
        if (!p.have_end && s->end_ns > LULL_MAX_TIME_NS) {
            /* Every time is checked, but a glide or a clip from 23:59 runs
             * on past the limit; only an `end` may cut it. */
            char a[32];
            format_time(s->end_ns, a, sizeof a);
            p.line_no = p.line_no ? p.line_no : 1;
            ERR(&p, 1, "the session runs to %s, past the 24-hour limit: add an 'end' line", a);
        } else if (s->end_ns <= 0) {
            p.line_no = p.line_no ? p.line_no : 1;
            ERR(&p, 1, "the session has no length: add a timeline, ending with a line such as '20:00 end'");
        } else if (p.last_event_end > s->end_ns) {
            char a[32];
            format_time(p.last_event_end, a, sizeof a);
            WARN(&p, 1, "a glide or fade runs to %s, past the session's end", a);
        }
    }
    if (p.n_errors) {
        lull_script_free(&p.s);
        return LULL_ERR_SCRIPT;
    }
    *out = s;
    return LULL_OK;
}

/* Read a whole script file (at most MAX_SCRIPT_BYTES).  [NRT] */
int lull_read_script_file(const char *path, const lull_load_config *cfg, char **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        lull_set_error("%s: %s", path, strerror(errno));
        return LULL_ERR_IO;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            if (cap > MAX_SCRIPT_BYTES) {
                fclose(f);
                free(buf);
                lull_set_error("%s: the script is larger than %u bytes", path, MAX_SCRIPT_BYTES);
                if (cfg && cfg->on_diag) {
                    char msg[96];
                    snprintf(msg, sizeof msg, "the script is too large to be a session script (the limit is %u MiB)",
                             MAX_SCRIPT_BYTES / (1024u * 1024u));
                    lull_diag d = { LULL_SEVERITY_ERROR, path, 1, 1, msg, "" };
                    cfg->on_diag(cfg->user, &d);
                }
                return LULL_ERR_SCRIPT;
            }
            cap = cap ? cap * 2 : 65536;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                return LULL_ERR_NOMEM;
            }
            buf = nb;
        }
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0) {
            if (ferror(f)) {
                lull_set_error("%s: %s", path, strerror(errno ? errno : EIO));
                fclose(f);
                free(buf);
                return LULL_ERR_IO;
            }
            break;
        }
    }
    fclose(f);
    *out = buf;
    *out_len = len;
    return LULL_OK;
}

int lull_script_format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (dot && strchr(dot, '/') == NULL &&
        (!strcmp(dot, ".sbg") || !strcmp(dot, ".SBG") || !strcmp(dot, ".Sbg")))
        return LULL_SCRIPT_SBG;
    return LULL_SCRIPT_LULL;
}

int lull_script_load_file(const char *path, const lull_load_config *cfg, lull_script **out)
{
    if (!path || !out)
        return LULL_ERR_ARG;
    *out = NULL;
    char *buf;
    size_t len;
    int r = lull_read_script_file(path, cfg, &buf, &len);
    if (r != LULL_OK)
        return r;
    /* The format: as the caller says, else by the file name's extension. */
    int format = cfg && cfg->format != LULL_SCRIPT_AUTO ? (int)cfg->format : lull_script_format_from_path(path);
    if (format == LULL_SCRIPT_SBG)
        r = lull_script_load_sbg(buf, len, path, cfg, out);
    else
        r = lull_script_load_string(buf, len, path, cfg, out);
    free(buf);
    return r;
}

/* ------------------------------------------------------------ inspection */

const char *lull_script_title(const lull_script *s) { return s && s->title ? s->title : ""; }
double lull_script_duration_sec(const lull_script *s)
{
    return s ? (double)s->end_ns / (double)LULL_NS_PER_SEC : 0.0;
}
int lull_script_section_count(const lull_script *s) { return s ? s->n_sections : 0; }
const char *lull_script_section_name(const lull_script *s, int i)
{
    return s && i >= 0 && i < s->n_sections ? s->sections[i].name : NULL;
}
double lull_script_section_start_sec(const lull_script *s, int i)
{
    return s && i >= 0 && i < s->n_sections ? (double)s->sections[i].time_ns / (double)LULL_NS_PER_SEC : -1.0;
}
int lull_script_voice_count(const lull_script *s) { return s ? s->n_voices : 0; }
const char *lull_script_voice_name(const lull_script *s, int i)
{
    return s && i >= 0 && i < s->n_voices ? s->voices[i].name : NULL;
}
const char *lull_script_voice_kind(const lull_script *s, int i)
{
    return s && i >= 0 && i < s->n_voices ? s->voices[i].vc->kind : NULL;
}
int lull_script_event_count(const lull_script *s) { return s ? s->n_events : 0; }
