/*
 * sbg.c - SBaGen schedules (.sbg): read one and translate it into the lull
 * session language.  Non-real-time.
 *
 * Written from SBaGen's documentation (the manual's "Writing sequence
 * files" chapter and SBaGen+'s additions: isochronic `@`, white and brown
 * noise); no SBaGen code is used.  The translation is text: the schedule
 * becomes a .lull script, which script.c then loads.  So `lull play x.sbg`
 * and `lull play x.lull` (what `lull convert` writes) are the same
 * lull_script and render the same samples, and every construct lull does not
 * have is an error here, at the .sbg's own file:line:column, not a silent
 * difference.  scripts/README.md ("Importing SBaGen schedules") is the
 * user's description of the mapping; the rules in short:
 *
 *  - The first time line is the session's start (0:00).  NOW is the start;
 *    a clock time maps to the first instant at or after the previous
 *    absolute time with that time of day, so schedules run past midnight.
 *    `+hh:mm[:ss]` counts from the last absolute time (NOW or a clock time,
 *    without its own `+` parts); inside a block, from the calling line.
 *  - A tone-set's spec number k plays on "channel" k; each channel and kind
 *    of sound is one lull voice (a binaural tone is two `tone` voices, one
 *    per ear, so SBaGen's `+`, higher tone in the left ear, maps exactly).
 *  - A change of tone-set happens over a window: F/2 either side of the
 *    line's time (F = 60 s or -F), at most half-way to the neighbouring
 *    lines; with `->` the whole period up to the next line.  Sounds that
 *    carry on (same kind and frequency, or any frequency when both sides
 *    say `=`) glide to their new values over the whole window; sounds that
 *    stop fade out over its first half, new ones fade in over its second
 *    half.  Gain fades are straight lines in amplitude (`over DUR linear`).
 *  - Amplitudes are percent of full scale: a tone at A has peak A/100 in
 *    each ear; a noise at A has RMS A/400 (its peaks, 4 sigma, reach A/100);
 *    mix/A plays the background file at A/100 of its own level.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include "lull_internal.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SBG_MAX_CH 16            /* specs in a tone-set (SBaGen's own limit) */
#define SBG_MAX_WORDS 64
#define SBG_MAX_BLOCK_DEPTH 16
#define SBG_MAX_ENTRIES 200000
#define SBG_DAY_NS (86400LL * LULL_NS_PER_SEC)
#define SBG_DEFAULT_FADE_NS (60LL * LULL_NS_PER_SEC)

/* --------------------------------------------------------------- types */

typedef enum sbg_kind {
    SK_OFF = 0, /* `-`: channel not in use */
    SK_TONE,    /* carrier+beat/amp, carrier-beat/amp, carrier/amp */
    SK_PINK,
    SK_WHITE,
    SK_BROWN,
    SK_ISO,     /* carrier@pulse/amp */
    SK_BELL,    /* bell+freq/amp */
    SK_SPIN,    /* spin:width+rate/amp */
    SK_MIX      /* mix/amp */
} sbg_kind;

typedef struct sbg_spec {
    sbg_kind kind;
    double f1, f2;  /* TONE: carrier, signed beat (+: higher tone left); ISO:
                     * carrier, pulse; BELL: freq; SPIN: width us, rate */
    double amp;     /* percent of full scale */
    int col;
} sbg_spec;

typedef struct sbg_set {
    char *name;
    sbg_spec ch[SBG_MAX_CH];
    int n;
    double mix;     /* mix/ amplitude, or -1 when the set has none */
    int line;       /* 0 for the built-in `off` */
} sbg_set;

typedef struct sbg_line {
    const char *raw; /* the line as written (NUL-terminated copy) */
    char *text;      /* content without its comment, same columns as raw */
    int line_no;
} sbg_line;

typedef struct sbg_block {
    char *name;
    int line;        /* index into lines of the `name: {` line */
    int first, end;  /* body: lines [first, end) */
} sbg_block;

typedef struct sbg_word {
    const char *s;
    int len, col;
} sbg_word;

typedef struct sbg_entry {
    int64_t t_ns;
    int set;
    char fade_in, fade_out;
    int slide;
    int line;        /* index into lines */
    int top;         /* a line of the schedule itself, not of a block */
} sbg_entry;

typedef enum vkind { VK_LEFT, VK_RIGHT, VK_PINK, VK_WHITE, VK_BROWN, VK_ISO, VK_BELL, VK_SPIN, VK_MIX, VK_COUNT } vkind;

typedef struct sbg_voice {
    char name[32];
    const lull_voice_class *vc;
    vkind kind;
    int slot;
    int touched;                    /* has its settings (declared or by an op) */
    double init[LULL_MAX_PARAMS];   /* declared values, script units */
    double cur[LULL_MAX_PARAMS];    /* value after the last op, while generating */
    int line;                       /* sbg line that first uses it */
} sbg_voice;

typedef struct sbg_op {
    int64_t t_ns, dur_ns;
    int voice;
    int np;
    int p[4];
    double v[4];
    int entry;       /* for the comment naming the sbg line; -1: none */
    int seq;         /* generation order, for a stable sort */
} sbg_op;

typedef struct sbg_section {
    int64_t t_ns;
    char *name;
    int entry;
} sbg_section;

typedef struct strbuf {
    char *s;
    size_t len, cap;
    int failed;
    int *line_map;   /* sbg line of each output line */
    int lines, map_cap;
    int cur_src;     /* sbg line the text being appended comes from */
} strbuf;

typedef struct sbg {
    const lull_load_config *cfg;
    const char *name;
    int n_errors, stop;
    sbg_line *lines;
    int n_lines;
    sbg_set *sets;
    int n_sets;
    sbg_block *blocks;
    int n_blocks;
    sbg_entry *entries;
    int n_entries, cap_entries;
    char **display;      /* `##` comments, in order */
    int n_display;
    /* options */
    int opt_line_T, opt_line_L, opt_line_m, opt_line_q;
    int64_t fade_ns;
    int have_T;
    int64_t T_clock_ns;  /* -T hh:mm, as a time of day */
    int have_L;
    int64_t L_ns;
    double quick;        /* -q: play this many times faster */
    char *mix_file;
    int mix_loop;
    /* times */
    int uses_now, uses_clock;
    int64_t clock0_ns;   /* time of day of offset 0 (clock schedules) */
    /* translation */
    sbg_voice *voices;
    int n_voices;
    int vindex[SBG_MAX_CH][VK_COUNT];
    sbg_op *ops;
    int n_ops, cap_ops;
    sbg_section *sections;
    int n_sections;
    int uses_mix;
    int strikes;         /* bell strike counter (one per voice would do; one suffices) */
    int64_t start_ns, end_ns;
} sbg;

/* ---------------------------------------------------------- diagnostics */

static void sdiag(sbg *g, lull_severity sev, int li, int col, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 5, 6)))
#endif
    ;

static void sdiag(sbg *g, lull_severity sev, int li, int col, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const int line_no = li >= 0 && li < g->n_lines ? g->lines[li].line_no : 1;
    const char *src = li >= 0 && li < g->n_lines ? g->lines[li].raw : "";
    if (col < 1)
        col = 1;
    if (sev == LULL_SEVERITY_ERROR) {
        g->n_errors++;
        if (g->n_errors == 1)
            lull_set_error("%s:%d:%d: %s", g->name, line_no, col, msg);
        if (g->n_errors >= g->cfg->max_errors)
            g->stop = 1;
    }
    if (g->cfg->on_diag) {
        lull_diag d = { sev, g->name, line_no, col, msg, src };
        g->cfg->on_diag(g->cfg->user, &d);
    }
}

#define SERR(g, li, col, ...) sdiag((g), LULL_SEVERITY_ERROR, (li), (col), __VA_ARGS__)
#define SWARN(g, li, col, ...) sdiag((g), LULL_SEVERITY_WARNING, (li), (col), __VA_ARGS__)

static char *sdup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

/* ---------------------------------------------------------------- lines */

/* Split the text into lines, cut comments, collect `##` display text. */
static int split_lines(sbg *g, const char *text, size_t len)
{
    size_t cap = 64;
    g->lines = calloc(cap, sizeof *g->lines);
    if (!g->lines)
        return -1;
    size_t i = 0;
    int line_no = 0;
    while (i < len) {
        size_t start = i;
        while (i < len && text[i] != '\n')
            i++;
        size_t l = i - start;
        if (i < len)
            i++;
        line_no++;
        if (l > 0 && text[start + l - 1] == '\r')
            l--;
        if ((size_t)g->n_lines == cap) {
            cap *= 2;
            sbg_line *nl = realloc(g->lines, cap * sizeof *nl);
            if (!nl)
                return -1;
            g->lines = nl;
        }
        sbg_line *ln = &g->lines[g->n_lines++];
        memset(ln, 0, sizeof *ln);
        ln->line_no = line_no;
        char *raw = sdup(text + start, l);
        ln->text = sdup(text + start, l);
        ln->raw = raw;
        if (!raw || !ln->text)
            return -1;
        if (memchr(raw, '\0', l)) {
            SERR(g, g->n_lines - 1, (int)((char *)memchr(text + start, '\0', l) - (text + start)) + 1,
                 "binary data (a NUL byte): this is not a text schedule");
            return -1;
        }
        char *hash = strchr(ln->text, '#');
        if (hash) {
            if (hash[1] == '#') {
                const char *d = hash + 2;
                char **nd = realloc(g->display, (size_t)(g->n_display + 1) * sizeof *nd);
                if (!nd)
                    return -1;
                g->display = nd;
                g->display[g->n_display] = sdup(d, strlen(d));
                if (!g->display[g->n_display])
                    return -1;
                g->n_display++;
            }
            *hash = '\0';
        }
        /* Tabs and other blanks become spaces; columns stay those of raw. */
        for (char *c = ln->text; *c; c++)
            if (isspace((unsigned char)*c))
                *c = ' ';
    }
    return 0;
}

static int split_words(const char *text, sbg_word *w, int max)
{
    int n = 0;
    const char *c = text;
    for (;;) {
        while (*c == ' ')
            c++;
        if (!*c || n == max)
            break;
        w[n].s = c;
        w[n].col = (int)(c - text) + 1;
        while (*c && *c != ' ')
            c++;
        w[n].len = (int)(c - w[n].s);
        n++;
    }
    return n;
}

static int word_is(const sbg_word *w, const char *s)
{
    return (int)strlen(s) == w->len && !strncmp(w->s, s, (size_t)w->len);
}

/* A name: a letter, then letters, digits, '_' and '-'. */
static int name_len(const char *s, int len)
{
    if (len < 1 || !isalpha((unsigned char)s[0]))
        return 0;
    int i = 1;
    while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-'))
        i++;
    return i;
}

/* ---------------------------------------------------------------- numbers */

/* An unsigned decimal at *c; advances.  Returns -1 if there is none. */
static int read_number(const char **c, const char *end, double *out)
{
    const char *s = *c;
    char buf[64];
    int n = 0;
    while (s < end && (isdigit((unsigned char)*s) || *s == '.') && n < 63)
        buf[n++] = *s++;
    buf[n] = '\0';
    int dots = 0;
    for (int i = 0; i < n; i++)
        dots += buf[i] == '.';
    if (n == 0 || dots > 1 || !strcmp(buf, "."))
        return -1;
    char *e;
    double v = strtod(buf, &e);
    if (*e || !isfinite(v))
        return -1;
    *c = s;
    *out = v;
    return 0;
}

/* --------------------------------------------------------------- tone specs */

/* Check a value against a lull voice parameter's range, at the spec. */
static int check_range(sbg *g, int li, int col, const lull_voice_class *vc, const char *param,
                       double v, const char *what)
{
    int pi = lull_voice_param_index(vc, param);
    if (pi < 0)
        return 0;
    const lull_param_desc *d = &vc->params[pi];
    if (v < d->min || v > d->max) {
        SERR(g, li, col, "%s %g is outside what lull's %s voice plays (%g to %g)", what, v, vc->kind,
             d->min, d->max);
        return -1;
    }
    return 0;
}

/* Parse one tone spec word.  Returns 0 or -1 after an error. */
static int parse_spec(sbg *g, int li, const sbg_word *w, sbg_spec *sp)
{
    memset(sp, 0, sizeof *sp);
    sp->col = w->col;
    const char *c = w->s, *end = w->s + w->len;
    if (w->len == 1 && *c == '-') {
        sp->kind = SK_OFF;
        return 0;
    }
    if (!strncmp(c, "wave", 4) && w->len > 4 && isdigit((unsigned char)c[4])) {
        SERR(g, li, w->col, "user-defined waveforms (waveNN:) are not supported by lull");
        return -1;
    }
    static const struct { const char *pre; sbg_kind k; } noise[] = {
        { "pink/", SK_PINK }, { "white/", SK_WHITE }, { "brown/", SK_BROWN }, { "mix/", SK_MIX },
    };
    int slash_needed = 1;
    for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++) {
        size_t n = strlen(noise[i].pre);
        if ((size_t)w->len >= n && !strncmp(c, noise[i].pre, n)) {
            sp->kind = noise[i].k;
            c += n;
            slash_needed = 0;
            break;
        }
    }
    if (sp->kind == SK_OFF) {
        if ((size_t)w->len > 5 && !strncmp(c, "bell+", 5)) {
            sp->kind = SK_BELL;
            c += 5;
            if (read_number(&c, end, &sp->f1) < 0)
                goto bad;
        } else if ((size_t)w->len > 5 && !strncmp(c, "spin:", 5)) {
            sp->kind = SK_SPIN;
            c += 5;
            if (read_number(&c, end, &sp->f1) < 0 || c >= end || (*c != '+' && *c != '-'))
                goto bad;
            const int neg = *c == '-';
            c++;
            if (read_number(&c, end, &sp->f2) < 0)
                goto bad;
            if (neg)
                sp->f2 = -sp->f2;
        } else if (isdigit((unsigned char)*c) || *c == '.') {
            if (read_number(&c, end, &sp->f1) < 0)
                goto bad;
            if (c < end && (*c == '+' || *c == '-')) {
                sp->kind = SK_TONE;
                const int neg = *c == '-';
                c++;
                if (read_number(&c, end, &sp->f2) < 0)
                    goto bad;
                if (neg)
                    sp->f2 = -sp->f2;
            } else if (c < end && *c == '@') {
                sp->kind = SK_ISO;
                c++;
                if (read_number(&c, end, &sp->f2) < 0)
                    goto bad;
            } else {
                sp->kind = SK_TONE; /* a plain sine: a binaural tone with 0 Hz beat */
                sp->f2 = 0.0;
            }
        } else {
            const char *colon = memchr(w->s, ':', (size_t)w->len);
            if (colon) {
                SERR(g, li, w->col, "'%.*s' is not supported by lull (known: -, pink/, white/, brown/, "
                     "mix/, CARRIER+BEAT/, CARRIER-BEAT/, CARRIER/, CARRIER@PULSE/, bell+, spin:)",
                     (int)(colon - w->s + 1), w->s);
                return -1;
            }
            goto bad;
        }
    }
    if (slash_needed) {
        if (c >= end || *c != '/')
            goto bad;
        c++;
    }
    if (read_number(&c, end, &sp->amp) < 0 || c != end)
        goto bad;
    /* Ranges lull's voices can play: say so here, at the spec. */
    int bad = 0;
    const int col = w->col;
    switch (sp->kind) {
    case SK_TONE: {
        const double left = sp->f1 + 0.5 * sp->f2, right = sp->f1 - 0.5 * sp->f2;
        bad |= check_range(g, li, col, &lull_voice_tone, "freq", left, "the left ear's frequency (Hz)");
        if (!bad && right != left)
            bad |= check_range(g, li, col, &lull_voice_tone, "freq", right, "the right ear's frequency (Hz)");
        break;
    }
    case SK_ISO:
        bad |= check_range(g, li, col, &lull_voice_isochronic, "tone", sp->f1, "the carrier (Hz)");
        bad |= check_range(g, li, col, &lull_voice_isochronic, "rate", sp->f2, "the pulse rate (Hz)");
        break;
    case SK_BELL: bad |= check_range(g, li, col, &lull_voice_bell, "freq", sp->f1, "the bell's frequency (Hz)"); break;
    case SK_SPIN:
        bad |= check_range(g, li, col, &lull_voice_spin, "width", 2.0 * sp->f1,
                           "twice the spin width (the inter-aural delay, us)");
        bad |= check_range(g, li, col, &lull_voice_spin, "rate", sp->f2, "the spin rate (Hz)");
        break;
    default: break;
    }
    /* +6 dB is lull's loudest gain: amplitude 199.5 for a tone. */
    if (!bad && sp->amp > 199.0) {
        SERR(g, li, col, "amplitude %g is too loud (SBaGen amplitudes are percent of full scale; lull "
             "allows at most 199)", sp->amp);
        bad = 1;
    }
    return bad ? -1 : 0;
bad:
    SERR(g, li, w->col, "'%.*s' is not a tone spec (expected -, pink/AMP, white/AMP, brown/AMP, mix/AMP, "
         "CARRIER+BEAT/AMP, CARRIER-BEAT/AMP, CARRIER/AMP, CARRIER@PULSE/AMP, bell+FREQ/AMP or "
         "spin:WIDTH+RATE/AMP)", w->len, w->s);
    return -1;
}

static int find_set(const sbg *g, const char *s, int len)
{
    for (int i = 0; i < g->n_sets; i++)
        if ((int)strlen(g->sets[i].name) == len && !strncmp(g->sets[i].name, s, (size_t)len))
            return i;
    return -1;
}

static int find_block(const sbg *g, const char *s, int len)
{
    for (int i = 0; i < g->n_blocks; i++)
        if ((int)strlen(g->blocks[i].name) == len && !strncmp(g->blocks[i].name, s, (size_t)len))
            return i;
    return -1;
}

static int add_set(sbg *g, const char *name, int nlen, int li)
{
    sbg_set *ns = realloc(g->sets, (size_t)(g->n_sets + 1) * sizeof *ns);
    if (!ns)
        return -1;
    g->sets = ns;
    sbg_set *s = &g->sets[g->n_sets];
    memset(s, 0, sizeof *s);
    s->name = sdup(name, (size_t)nlen);
    if (!s->name)
        return -1;
    s->mix = -1.0;
    s->line = li;
    return g->n_sets++;
}

static void tone_set_line(sbg *g, int li, const sbg_word *w, int n, int nlen)
{
    if (find_set(g, w[0].s, nlen) >= 0 || find_block(g, w[0].s, nlen) >= 0) {
        SERR(g, li, w[0].col, "'%.*s' is already defined", nlen, w[0].s);
        return;
    }
    if (n < 2) {
        SERR(g, li, w[0].col + w[0].len + 1, "expected tone specs after '%.*s:' (or '-' for silence)", nlen,
             w[0].s);
        return;
    }
    if (n - 1 > SBG_MAX_CH) {
        SERR(g, li, w[1 + SBG_MAX_CH].col, "a tone-set has at most %d tone specs", SBG_MAX_CH);
        return;
    }
    sbg_spec specs[SBG_MAX_CH];
    int bad = 0;
    double mix = -1.0;
    for (int i = 1; i < n; i++) {
        if (parse_spec(g, li, &w[i], &specs[i - 1]) < 0) {
            bad = 1;
            continue;
        }
        if (specs[i - 1].kind == SK_MIX) {
            if (mix >= 0.0) {
                SERR(g, li, w[i].col, "a tone-set can have only one mix/ spec");
                bad = 1;
            }
            mix = specs[i - 1].amp;
            specs[i - 1].kind = SK_OFF; /* the mix is not tied to a channel */
        }
    }
    if (bad)
        return;
    int si = add_set(g, w[0].s, nlen, li);
    if (si < 0) {
        SERR(g, li, 1, "out of memory");
        g->stop = 1;
        return;
    }
    memcpy(g->sets[si].ch, specs, sizeof(sbg_spec) * (size_t)(n - 1));
    g->sets[si].n = n - 1;
    g->sets[si].mix = mix;
    if (mix >= 0.0)
        g->uses_mix = 1;
}

/* ---------------------------------------------------------------- times */

/* hh:mm or hh:mm:ss at *c (up to end); seconds.  max_h: largest hour. */
static int read_hms(const char **pc, const char *end, int64_t *sec, int max_h)
{
    const char *c = *pc;
    int64_t part[3] = { 0, 0, 0 };
    int np = 0;
    for (;;) {
        int digits = 0;
        int64_t v = 0;
        while (c < end && isdigit((unsigned char)*c) && digits < 3) {
            v = v * 10 + (*c - '0');
            c++;
            digits++;
        }
        if (digits == 0 || (np > 0 && digits != 2) || (np == 0 && digits > 2))
            return -1;
        part[np++] = v;
        if (np < 3 && c < end && *c == ':' && c + 1 < end && isdigit((unsigned char)c[1])) {
            c++;
            continue;
        }
        break;
    }
    if (np < 2 || part[0] > max_h || part[1] >= 60 || part[2] >= 60)
        return -1;
    *sec = part[0] * 3600 + part[1] * 60 + part[2];
    *pc = c;
    return 0;
}

typedef struct sbg_time {
    int abs;          /* 0 none, 1 NOW, 2 clock */
    int64_t clock_ns; /* time of day for a clock time */
    int64_t rel_ns;   /* the sum of the +hh:mm[:ss] parts */
} sbg_time;

static int parse_time(sbg *g, int li, const sbg_word *w, sbg_time *t)
{
    memset(t, 0, sizeof *t);
    const char *c = w->s, *end = w->s + w->len;
    if (w->len >= 3 && !strncmp(c, "NOW", 3)) {
        t->abs = 1;
        c += 3;
    } else if (isdigit((unsigned char)*c)) {
        int64_t sec;
        if (read_hms(&c, end, &sec, 23) < 0) {
            SERR(g, li, w->col, "'%.*s' is not a clock time (hh:mm or hh:mm:ss, hours 0 to 23)", w->len, w->s);
            return -1;
        }
        t->abs = 2;
        t->clock_ns = sec * LULL_NS_PER_SEC;
    }
    while (c < end) {
        if (*c != '+') {
            SERR(g, li, w->col + (int)(c - w->s), "expected '+hh:mm' in the time, got '%.*s'", (int)(end - c), c);
            return -1;
        }
        c++;
        int64_t sec;
        const char *at = c;
        if (read_hms(&c, end, &sec, 24) < 0) {
            SERR(g, li, w->col + (int)(at - w->s), "expected a relative time +hh:mm or +hh:mm:ss");
            return -1;
        }
        t->rel_ns += sec * LULL_NS_PER_SEC;
        if (t->rel_ns > SBG_DAY_NS) {
            SERR(g, li, w->col, "the time is more than 24 hours on");
            return -1;
        }
    }
    if (!t->abs && t->rel_ns == 0 && w->len == 0)
        return -1;
    return 0;
}

/* --------------------------------------------------------------- options */

static int parse_hm_arg(const sbg_word *w, int64_t *ns, int max_h)
{
    const char *c = w->s;
    int64_t sec;
    if (read_hms(&c, w->s + w->len, &sec, max_h) < 0 || c != w->s + w->len)
        return -1;
    *ns = sec * LULL_NS_PER_SEC;
    return 0;
}

static void option_line(sbg *g, int li, const sbg_word *w, int n)
{
    for (int i = 0; i < n && !g->stop; i++) {
        if (w[i].s[0] != '-' || w[i].len < 2) {
            SERR(g, li, w[i].col, "expected an option such as -SE or -L 0:30, got '%.*s'", w[i].len, w[i].s);
            return;
        }
        for (int k = 1; k < w[i].len; k++) {
            const char o = w[i].s[k];
            const int col = w[i].col + k;
            const int last = k == w[i].len - 1;
            const sbg_word *arg = last && i + 1 < n ? &w[i + 1] : NULL;
            switch (o) {
            case 'S': /* lull always renders from the first time line */
            case 'E': /* ... and ends after the last one's change */
            case 'Q':
                continue;
            case 'D':
            case 'W':
            case 'O':
                SWARN(g, li, col, "-%c is about SBaGen's own output and does not apply to lull (ignored)", o);
                continue;
            case 'i':
            case 'p':
                SERR(g, li, col, "-%c (%s) is not supported in schedules lull imports: write the tone-sets and "
                     "time lines out", o, o == 'i' ? "an immediate tone-set" : "a predefined sequence");
                return;
            case 'M':
                SERR(g, li, col, "-M (background audio on standard input) is not supported: name a file with -m");
                return;
            case 'c':
                SERR(g, li, col, "-c (headphone amplitude compensation) is not supported by lull");
                return;
            case 'T': case 'L': case 'F': case 'm': case 'q': case 'r':
            case 'o': case 'b': case 'R': case 'd':
                break;
            default:
                SERR(g, li, col, "unknown SBaGen option -%c", o);
                return;
            }
            if (!arg) {
                SERR(g, li, col, "-%c needs a value after it", o);
                return;
            }
            i++; /* the argument is consumed */
            switch (o) {
            case 'T':
                if (parse_hm_arg(arg, &g->T_clock_ns, 23) < 0) {
                    SERR(g, li, arg->col, "-T expects a clock time hh:mm or hh:mm:ss");
                    return;
                }
                g->have_T = 1;
                g->opt_line_T = li;
                break;
            case 'L':
                if (parse_hm_arg(arg, &g->L_ns, 24) < 0 || g->L_ns <= 0) {
                    SERR(g, li, arg->col, "-L expects a length hh:mm or hh:mm:ss (more than 0)");
                    return;
                }
                g->have_L = 1;
                g->opt_line_L = li;
                break;
            case 'F': {
                const char *c = arg->s;
                double ms;
                if (read_number(&c, arg->s + arg->len, &ms) < 0 || c != arg->s + arg->len || ms > 3600e3) {
                    SERR(g, li, arg->col, "-F expects the fade time in milliseconds (0 to 3600000)");
                    return;
                }
                g->fade_ns = llround(ms * 1e6);
                break;
            }
            case 'q': {
                const char *c = arg->s;
                double q;
                if (read_number(&c, arg->s + arg->len, &q) < 0 || c != arg->s + arg->len || q <= 0.0 ||
                    q > 100000.0) {
                    SERR(g, li, arg->col, "-q expects a speed-up factor above 0 (such as 60)");
                    return;
                }
                g->quick = q;
                g->opt_line_q = li;
                break;
            }
            case 'm': {
                free(g->mix_file);
                int len = arg->len;
                /* river1.ogg#1 picks one of SBaGen's looping set-ups: lull
                 * loops the whole file instead. */
                const char *hash = NULL;
                for (int j = len - 1; j > 0; j--)
                    if (arg->s[j] == '#') {
                        hash = arg->s + j;
                        break;
                    }
                g->mix_loop = 0;
                if (hash) {
                    int digits = 1;
                    for (const char *d = hash + 1; d < arg->s + len; d++)
                        digits &= isdigit((unsigned char)*d) != 0;
                    if (digits && hash + 1 < arg->s + len) {
                        SWARN(g, li, arg->col + (int)(hash - arg->s),
                              "SBaGen's looper set-ups (%.*s) are not imitated: lull loops the whole file",
                              (int)(arg->s + len - hash), hash);
                        len = (int)(hash - arg->s);
                        g->mix_loop = 1;
                    }
                }
                g->mix_file = sdup(arg->s, (size_t)len);
                g->opt_line_m = li;
                break;
            }
            case 'r':
                SWARN(g, li, col, "-r %.*s: lull chooses the sample rate (lull render --rate, or the device's)",
                      arg->len, arg->s);
                break;
            default: /* o, b, R, d */
                SWARN(g, li, col, "-%c %.*s is about SBaGen's own output and does not apply to lull (ignored)",
                      o, arg->len, arg->s);
                break;
            }
            break; /* an option with a value ends its group */
        }
    }
}

/* ---------------------------------------------------------- first pass */

static void first_pass(sbg *g, int *time_lines, int *n_time)
{
    sbg_word w[SBG_MAX_WORDS];
    for (int li = 0; li < g->n_lines && !g->stop; li++) {
        int n = split_words(g->lines[li].text, w, SBG_MAX_WORDS);
        if (n == 0)
            continue;
        if (n == SBG_MAX_WORDS) {
            SERR(g, li, w[n - 1].col, "too many words on one line (the limit is %d)", SBG_MAX_WORDS - 1);
            continue;
        }
        if (w[0].s[0] == '-') {
            option_line(g, li, w, n);
            continue;
        }
        if (w[0].len == 1 && w[0].s[0] == '}') {
            SERR(g, li, w[0].col, "'}' without a block to close");
            continue;
        }
        const int nl = name_len(w[0].s, w[0].len);
        const int is_def = nl > 0 && nl < w[0].len && w[0].s[nl] == ':';
        if (is_def && strncmp(w[0].s, "NOW", 3) != 0) {
            const int rest = w[0].len - nl - 1; /* "name:{" written without a space */
            if (!strncmp(w[0].s, "wave", 4) && nl == 6 && isdigit((unsigned char)w[0].s[4])) {
                SERR(g, li, w[0].col, "user-defined waveforms (waveNN:) are not supported by lull");
                continue;
            }
            const int brace = (rest == 1 && w[0].s[nl + 1] == '{') || (rest == 0 && n >= 2 && word_is(&w[1], "{"));
            if (brace) {
                const int extra = rest == 1 ? 1 : 2;
                if (n > extra) {
                    SERR(g, li, w[extra].col, "nothing may follow '{' on a block's first line");
                    continue;
                }
                if (find_set(g, w[0].s, nl) >= 0 || find_block(g, w[0].s, nl) >= 0) {
                    SERR(g, li, w[0].col, "'%.*s' is already defined", nl, w[0].s);
                    continue;
                }
                int end = li + 1;
                sbg_word bw[2];
                while (end < g->n_lines) {
                    int bn = split_words(g->lines[end].text, bw, 2);
                    if (bn == 1 && word_is(&bw[0], "}"))
                        break;
                    if (bn >= 1 && bw[0].s[bw[0].len - 1] == '{') {
                        SERR(g, end, bw[0].col, "blocks cannot be defined inside a block (call them instead)");
                    }
                    end++;
                }
                if (end == g->n_lines) {
                    SERR(g, li, w[0].col, "block '%.*s' is never closed: a line with a lone '}' is missing", nl,
                         w[0].s);
                    return;
                }
                sbg_block *nb = realloc(g->blocks, (size_t)(g->n_blocks + 1) * sizeof *nb);
                if (!nb) {
                    g->stop = 1;
                    return;
                }
                g->blocks = nb;
                nb[g->n_blocks].name = sdup(w[0].s, (size_t)nl);
                nb[g->n_blocks].line = li;
                nb[g->n_blocks].first = li + 1;
                nb[g->n_blocks].end = end;
                g->n_blocks++;
                li = end;
                continue;
            }
            if (rest != 0) {
                SERR(g, li, w[0].col + nl + 1, "expected a space after '%.*s:'", nl, w[0].s);
                continue;
            }
            tone_set_line(g, li, w, n, nl);
            continue;
        }
        if (w[0].s[0] == '+' || isdigit((unsigned char)w[0].s[0]) || !strncmp(w[0].s, "NOW", 3)) {
            time_lines[(*n_time)++] = li;
            continue;
        }
        if (nl > 0 && nl == w[0].len)
            SERR(g, li, w[0].col + nl, "expected ':' after the name '%.*s' (NAME: tone-specs, or NAME: {)", nl,
                 w[0].s);
        else
            SERR(g, li, w[0].col, "expected an option (-SE), a tone-set (NAME: specs), a block (NAME: {) or a "
                 "time line (hh:mm NAME), got '%.*s'", w[0].len, w[0].s);
    }
}

/* ---------------------------------------------------------- time lines */

typedef struct tl_state {
    int have_abs;
    int64_t last_abs;   /* offset of the last absolute time (without + parts) */
    int64_t prev_t;
    int have_prev;
} tl_state;

static int add_entry(sbg *g, const sbg_entry *e)
{
    if (g->n_entries == SBG_MAX_ENTRIES) {
        SERR(g, e->line, 1, "the schedule expands to more than %d time lines", SBG_MAX_ENTRIES);
        g->stop = 1;
        return -1;
    }
    if (g->n_entries == g->cap_entries) {
        int cap = g->cap_entries ? 2 * g->cap_entries : 64;
        sbg_entry *ne = realloc(g->entries, (size_t)cap * sizeof *ne);
        if (!ne) {
            g->stop = 1;
            return -1;
        }
        g->entries = ne;
        g->cap_entries = cap;
    }
    g->entries[g->n_entries++] = *e;
    return 0;
}

static void format_clock(int64_t ns, char *buf, size_t n)
{
    int64_t s = ns / LULL_NS_PER_SEC;
    snprintf(buf, n, "%02lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
}

/* One time line: at the top level (base < 0) or inside a block called at
 * `base`.  stack: blocks being expanded, for cycles. */
static void time_line(sbg *g, tl_state *st, int li, int64_t base, const int *stack, int depth, int call_line)
{
    sbg_word w[SBG_MAX_WORDS];
    int n = split_words(g->lines[li].text, w, SBG_MAX_WORDS);
    if (n == 0)
        return;
    sbg_time tm;
    if (parse_time(g, li, &w[0], &tm) < 0)
        return;
    int64_t t;
    if (base >= 0) {
        if (tm.abs) {
            SERR(g, li, w[0].col, "times inside a block must be relative (+hh:mm): they count from the line "
                 "that calls the block");
            return;
        }
        t = base + tm.rel_ns;
    } else if (tm.abs == 1) {
        if (g->uses_clock) {
            SERR(g, li, w[0].col, "this schedule mixes NOW with clock times, so when it plays depends on the "
                 "time it is started: lull needs one or the other");
            return;
        }
        g->uses_now = 1;
        st->last_abs = 0;
        st->have_abs = 1;
        t = tm.rel_ns;
    } else if (tm.abs == 2) {
        if (g->uses_now) {
            SERR(g, li, w[0].col, "this schedule mixes NOW with clock times, so when it plays depends on the "
                 "time it is started: lull needs one or the other");
            return;
        }
        if (!g->uses_clock) {
            g->uses_clock = 1;
            g->clock0_ns = tm.clock_ns;
            st->last_abs = 0;
        } else {
            /* The first instant at or after the previous absolute time
             * with this time of day: past midnight, the next day. */
            const int64_t prev_clock = (g->clock0_ns + st->last_abs) % SBG_DAY_NS;
            const int64_t delta = ((tm.clock_ns - prev_clock) % SBG_DAY_NS + SBG_DAY_NS) % SBG_DAY_NS;
            st->last_abs += delta;
        }
        st->have_abs = 1;
        t = st->last_abs + tm.rel_ns;
    } else {
        if (!st->have_abs) {
            SERR(g, li, w[0].col, "a relative time needs an absolute time (NOW or hh:mm) on an earlier line");
            return;
        }
        t = st->last_abs + tm.rel_ns;
    }
    if (t > LULL_MAX_TIME_NS) {
        SERR(g, li, w[0].col, "this line is more than 24 hours after the schedule's start (lull sessions last "
             "at most 24 hours)");
        return;
    }
    if (st->have_prev && t < st->prev_t) {
        char a[32], b[32];
        format_clock(t, a, sizeof a);
        format_clock(st->prev_t, b, sizeof b);
        if (call_line >= 0)
            SERR(g, li, w[0].col, "time lines are out of order: this one (%s from the start, in a block called "
                 "at line %d) is before the previous one (%s)", a, g->lines[call_line].line_no, b);
        else
            SERR(g, li, w[0].col, "time lines are out of order: this one (%s from the start) is before the "
                 "previous one (%s)", a, b);
        return;
    }
    int i = 1;
    char fi = '-', fo = '-';
    if (i < n && w[i].len == 2 && strchr("<-=", w[i].s[0]) && strchr(">-=", w[i].s[1])) {
        fi = w[i].s[0];
        fo = w[i].s[1];
        i++;
    } else if (i < n && !isalpha((unsigned char)w[i].s[0])) {
        SERR(g, li, w[i].col, "expected a fade spec (two of < - = then > - =, such as <> or ==) or a name, got "
             "'%.*s'", w[i].len, w[i].s);
        return;
    }
    if (i >= n) {
        SERR(g, li, w[n - 1].col + w[n - 1].len + 1, "expected a tone-set or block name after the time");
        return;
    }
    const sbg_word *nm = &w[i];
    int si = find_set(g, nm->s, nm->len);
    int bi = si < 0 ? find_block(g, nm->s, nm->len) : -1;
    if (si < 0 && bi < 0) {
        if (word_is(nm, "off") || word_is(nm, "alloff")) {
            si = add_set(g, nm->s, nm->len, 0); /* built in: all channels off */
            if (si < 0) {
                g->stop = 1;
                return;
            }
        } else {
            SERR(g, li, nm->col, "'%.*s' is not a defined tone-set or block", nm->len, nm->s);
            return;
        }
    }
    int slide = 0;
    if (i + 1 < n) {
        if (bi < 0 && word_is(&w[i + 1], "->") && i + 2 == n) {
            slide = 1;
        } else {
            SERR(g, li, w[i + 1].col, bi >= 0 ? "nothing may follow a block name on a time line"
                                              : "unexpected '%.*s' (only '->' may follow the tone-set)",
                 w[i + 1].len, w[i + 1].s);
            return;
        }
    }
    st->prev_t = t;
    st->have_prev = 1;
    if (bi >= 0) {
        if (i != 1) {
            SERR(g, li, w[1].col, "a block call takes no fade spec");
            return;
        }
        for (int d = 0; d < depth; d++)
            if (stack[d] == bi) {
                SERR(g, li, nm->col, "block '%s' calls itself", g->blocks[bi].name);
                return;
            }
        if (depth >= SBG_MAX_BLOCK_DEPTH) {
            SERR(g, li, nm->col, "blocks call each other more than %d deep", SBG_MAX_BLOCK_DEPTH);
            return;
        }
        int inner[SBG_MAX_BLOCK_DEPTH + 1];
        if (depth > 0) /* the outermost call passes no stack (NULL) */
            memcpy(inner, stack, sizeof(int) * (size_t)depth);
        inner[depth] = bi;
        const sbg_block *b = &g->blocks[bi];
        const int errors_before = g->n_errors;
        for (int k = b->first; k < b->end && !g->stop && g->n_errors == errors_before; k++)
            time_line(g, st, k, t, inner, depth + 1, call_line >= 0 ? call_line : li);
        return;
    }
    sbg_entry e = { t, si, fi, fo, slide, li, base < 0 };
    add_entry(g, &e);
}

/* ------------------------------------------------------------- voices */

static const char *const vkind_suffix[VK_COUNT] = { "left", "right", "pink", "white", "brown",
                                                    "iso",  "bell",  "spin", "mix" };

static int get_voice(sbg *g, int slot, vkind k, int li)
{
    const int s = k == VK_MIX ? 0 : slot;
    if (g->vindex[s][k] >= 0)
        return g->vindex[s][k];
    sbg_voice *nv = realloc(g->voices, (size_t)(g->n_voices + 1) * sizeof *nv);
    if (!nv) {
        g->stop = 1;
        return -1;
    }
    g->voices = nv;
    sbg_voice *v = &g->voices[g->n_voices];
    memset(v, 0, sizeof *v);
    v->kind = k;
    v->slot = s;
    v->line = li;
    if (k == VK_MIX)
        snprintf(v->name, sizeof v->name, "mix");
    else
        snprintf(v->name, sizeof v->name, "ch%d_%s", s + 1, vkind_suffix[k]);
    switch (k) {
    case VK_LEFT:
    case VK_RIGHT: v->vc = &lull_voice_tone; break;
    case VK_PINK:
    case VK_WHITE:
    case VK_BROWN: v->vc = &lull_voice_noise; break;
    case VK_ISO: v->vc = &lull_voice_isochronic; break;
    case VK_BELL: v->vc = &lull_voice_bell; break;
    case VK_SPIN: v->vc = &lull_voice_spin; break;
    default: v->vc = &lull_voice_clip; break;
    }
    for (int p = 0; p < v->vc->n_params; p++)
        v->init[p] = v->cur[p] = v->vc->params[p].def;
    const int gi = lull_voice_param_index(v->vc, "gain");
    v->init[gi] = v->cur[gi] = LULL_GAIN_FLOOR_DB; /* silent until its first fade-in */
    if (k == VK_LEFT || k == VK_RIGHT)
        v->init[lull_voice_param_index(v->vc, "pan")] = v->cur[lull_voice_param_index(v->vc, "pan")] =
            k == VK_LEFT ? -1.0 : 1.0;
    if (k == VK_PINK || k == VK_WHITE || k == VK_BROWN)
        v->init[lull_voice_param_index(v->vc, "color")] = k == VK_WHITE ? 0.0 : k == VK_PINK ? 1.0 : 2.0;
    if (k == VK_MIX) {
        v->init[gi] = v->cur[gi] = 0.0; /* mix/100 unless a tone-set says otherwise */
        v->touched = 1;
    }
    g->vindex[s][k] = g->n_voices;
    return g->n_voices++;
}

/* dB of an SBaGen amplitude for a kind, to 0.001 dB (so it prints exactly). */
static double amp_db(sbg_kind k, double amp)
{
    double lin = amp / 100.0;
    if (k == SK_PINK || k == SK_WHITE || k == SK_BROWN || k == SK_SPIN)
        lin *= 0.25 * sqrt(2.0); /* RMS amp/400; lull's noise 0 dB has RMS 1/sqrt(2) */
    if (!(lin > 0.0))
        return LULL_GAIN_FLOOR_DB;
    double db = 20.0 * log10(lin);
    if (db <= LULL_GAIN_FLOOR_DB)
        return LULL_GAIN_FLOOR_DB;
    return round(db * 1000.0) / 1000.0;
}

static sbg_op *new_op(sbg *g, int64_t t, int64_t dur, int voice, int entry)
{
    if (g->n_ops == g->cap_ops) {
        int cap = g->cap_ops ? 2 * g->cap_ops : 256;
        sbg_op *no = realloc(g->ops, (size_t)cap * sizeof *no);
        if (!no) {
            g->stop = 1;
            return NULL;
        }
        g->ops = no;
        g->cap_ops = cap;
    }
    sbg_op *o = &g->ops[g->n_ops];
    memset(o, 0, sizeof *o);
    o->t_ns = t;
    o->dur_ns = dur;
    o->voice = voice;
    o->entry = entry;
    o->seq = g->n_ops++;
    return o;
}

/* Set parameters of a voice (names/values), over dur (0: a step).  The
 * first settings of an untouched voice become its declaration instead. */
static void set_params(sbg *g, int vi, int64_t t, int64_t dur, int entry, int np, const char *const *names,
                       const double *vals)
{
    if (vi < 0)
        return;
    sbg_voice *v = &g->voices[vi];
    int idx[4];
    int n = 0;
    double nv[4];
    for (int k = 0; k < np; k++) {
        const int pi = lull_voice_param_index(v->vc, names[k]);
        if (v->cur[pi] == vals[k])
            continue;
        idx[n] = pi;
        nv[n++] = vals[k];
    }
    if (n == 0)
        return;
    if (!v->touched) {
        for (int k = 0; k < n; k++)
            v->init[idx[k]] = v->cur[idx[k]] = nv[k];
        v->touched = 1;
        return;
    }
    sbg_op *o = new_op(g, t, dur, vi, entry);
    if (!o)
        return;
    o->np = n;
    for (int k = 0; k < n; k++) {
        o->p[k] = idx[k];
        o->v[k] = nv[k];
        v->cur[idx[k]] = nv[k];
    }
}

static void set_gain(sbg *g, int vi, int64_t t, int64_t dur, int entry, double db)
{
    static const char *const gain[] = { "gain" };
    if (vi < 0)
        return;
    g->voices[vi].touched = 1; /* a gain change is always an op (declared off) */
    set_params(g, vi, t, dur, entry, 1, gain, &db);
}

/* The voices a spec plays on (two for a tone). */
static int spec_voices(sbg *g, int slot, const sbg_spec *s, int li, int *v)
{
    switch (s->kind) {
    case SK_TONE:
        v[0] = get_voice(g, slot, VK_LEFT, li);
        v[1] = get_voice(g, slot, VK_RIGHT, li);
        return 2;
    case SK_PINK: v[0] = get_voice(g, slot, VK_PINK, li); return 1;
    case SK_WHITE: v[0] = get_voice(g, slot, VK_WHITE, li); return 1;
    case SK_BROWN: v[0] = get_voice(g, slot, VK_BROWN, li); return 1;
    case SK_ISO: v[0] = get_voice(g, slot, VK_ISO, li); return 1;
    case SK_BELL: v[0] = get_voice(g, slot, VK_BELL, li); return 1;
    case SK_SPIN: v[0] = get_voice(g, slot, VK_SPIN, li); return 1;
    default: return 0;
    }
}

/* A spec's parameters other than gain, for voice j of spec_voices. */
static int spec_params(const sbg_spec *s, int j, const char **names, double *vals)
{
    switch (s->kind) {
    case SK_TONE:
        names[0] = "freq";
        vals[0] = j == 0 ? s->f1 + 0.5 * s->f2 : s->f1 - 0.5 * s->f2;
        return 1;
    case SK_ISO:
        names[0] = "tone";
        vals[0] = s->f1;
        names[1] = "rate";
        vals[1] = s->f2;
        return 2;
    case SK_BELL:
        names[0] = "freq";
        vals[0] = s->f1;
        return 1;
    case SK_SPIN:
        names[0] = "width";
        vals[0] = 2.0 * s->f1; /* SBaGen: each ear's delay from centre; lull: the inter-aural delay */
        names[1] = "rate";
        vals[1] = s->f2;
        return 2;
    default: return 0;
    }
}

static int same_sound(const sbg_spec *a, const sbg_spec *b)
{
    return a->kind == b->kind && a->f1 == b->f1 && a->f2 == b->f2;
}

/* Fade a spec's voices out over [a, m]. */
static void fade_out(sbg *g, int slot, const sbg_spec *s, int li, int64_t a, int64_t m, int entry)
{
    int v[2];
    int nv = spec_voices(g, slot, s, li, v);
    for (int j = 0; j < nv; j++)
        set_gain(g, v[j], a, m - a, entry, LULL_GAIN_FLOOR_DB);
}

/* Set a spec's frequencies at m (a step while silent), then fade in over [m, b]. */
static void fade_in(sbg *g, int slot, const sbg_spec *s, int li, int64_t m, int64_t b, int entry)
{
    int v[2];
    int nv = spec_voices(g, slot, s, li, v);
    for (int j = 0; j < nv; j++) {
        const char *names[2];
        double vals[2];
        int np = spec_params(s, j, names, vals);
        set_params(g, v[j], m, 0, entry, np, names, vals);
        set_gain(g, v[j], m, b - m, entry, amp_db(s->kind, s->amp));
    }
}

/* Glide a spec's voices to another spec of the same kind over [a, b]. */
static void glide(sbg *g, int slot, const sbg_spec *to, int li, int64_t a, int64_t b, int entry)
{
    int v[2];
    int nv = spec_voices(g, slot, to, li, v);
    for (int j = 0; j < nv; j++) {
        const char *names[3];
        double vals[3];
        int np = spec_params(to, j, names, vals);
        names[np] = "gain";
        vals[np] = amp_db(to->kind, to->amp);
        g->voices[v[j]].touched = 1;
        set_params(g, v[j], a, b - a, entry, np + 1, names, vals);
    }
}

static void strike(sbg *g, int slot, const sbg_spec *s, int li, int64_t t, int entry)
{
    int v;
    spec_voices(g, slot, s, li, &v);
    if (v < 0)
        return;
    sbg_voice *bv = &g->voices[v];
    if (!bv->touched) { /* declare it with its first strike's sound */
        bv->init[lull_voice_param_index(bv->vc, "freq")] = bv->cur[lull_voice_param_index(bv->vc, "freq")] = s->f1;
        bv->init[lull_voice_param_index(bv->vc, "gain")] = bv->cur[lull_voice_param_index(bv->vc, "gain")] =
            amp_db(SK_BELL, s->amp);
        bv->touched = 1;
    }
    static const char *const names[] = { "freq", "gain", "strike" };
    double vals[3] = { s->f1, amp_db(SK_BELL, s->amp), (double)++g->strikes };
    set_params(g, v, t, 0, entry, 3, names, vals);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Build the ops: every change of tone-set over its window. */
static void translate(sbg *g)
{
    static const sbg_set off; /* all channels off, no mix: before the first line */
    static const sbg_spec none; /* SK_OFF */
    const int64_t half = g->fade_ns / 2;
    for (int i = 0; i < g->n_entries && !g->stop; i++) {
        const sbg_entry *e = &g->entries[i];
        const sbg_entry *prev = i > 0 ? &g->entries[i - 1] : NULL;
        const sbg_entry *next = i + 1 < g->n_entries ? &g->entries[i + 1] : NULL;
        const sbg_set *P = prev ? &g->sets[prev->set] : &off;
        const sbg_set *N = &g->sets[e->set];
        int64_t a, b, m;
        if (prev && prev->slide) {
            a = prev->t_ns;
            b = e->t_ns;
            m = a + (b - a) / 2;
        } else {
            const int64_t hm = prev ? min64(half, (e->t_ns - prev->t_ns) / 2) : 0;
            const int64_t hp = e->slide ? 0 : next ? min64(half, (next->t_ns - e->t_ns) / 2) : half;
            a = e->t_ns - hm;
            b = e->t_ns + hp;
            m = e->slide ? a + (b - a) / 2 : e->t_ns;
        }
        const int silence = e->fade_in == '<' || (prev && prev->fade_out == '>');
        const int slide = !silence && e->fade_in == '=' && prev && prev->fade_out == '=';
        const int li = e->line;
        for (int k = 0; k < SBG_MAX_CH; k++) {
            const sbg_spec *p = k < P->n ? &P->ch[k] : &none;
            const sbg_spec *q = k < N->n ? &N->ch[k] : &none;
            if (q->kind == SK_BELL) {
                if (p->kind != SK_OFF && p->kind != SK_BELL)
                    fade_out(g, k, p, li, a, m, i);
                strike(g, k, q, li, e->t_ns, i);
                continue;
            }
            if (p->kind == q->kind && p->kind != SK_OFF && p->kind != SK_BELL && !silence &&
                (slide || same_sound(p, q))) {
                glide(g, k, q, li, a, b, i);
                continue;
            }
            if (p->kind != SK_OFF && p->kind != SK_BELL)
                fade_out(g, k, p, li, a, m, i);
            if (q->kind != SK_OFF)
                fade_in(g, k, q, li, m, b, i);
        }
        if (g->uses_mix && g->mix_file) {
            const int v = get_voice(g, 0, VK_MIX, li);
            const double from = amp_db(SK_MIX, P->mix > 0 ? P->mix : 0.0);
            const double to = amp_db(SK_MIX, N->mix > 0 ? N->mix : 0.0);
            if (i == 0)
                g->voices[v].init[0] = g->voices[v].cur[0] = LULL_GAIN_FLOOR_DB;
            if (silence && from > LULL_GAIN_FLOOR_DB && to > LULL_GAIN_FLOOR_DB) {
                set_gain(g, v, a, m - a, i, LULL_GAIN_FLOOR_DB);
                set_gain(g, v, m, b - m, i, to);
            } else if (to > LULL_GAIN_FLOOR_DB && from <= LULL_GAIN_FLOOR_DB) {
                set_gain(g, v, m, b - m, i, to); /* in over the second half, like a new tone */
            } else if (to <= LULL_GAIN_FLOOR_DB && from > LULL_GAIN_FLOOR_DB) {
                set_gain(g, v, a, m - a, i, to);
            } else {
                set_gain(g, v, a, b - a, i, to);
            }
        }
        if (e->top) {
            sbg_section *ns = realloc(g->sections, (size_t)(g->n_sections + 1) * sizeof *ns);
            if (!ns) {
                g->stop = 1;
                return;
            }
            g->sections = ns;
            ns[g->n_sections].t_ns = e->t_ns;
            ns[g->n_sections].name = sdup(N->name, strlen(N->name));
            ns[g->n_sections].entry = i;
            g->n_sections++;
        }
        if (i == g->n_entries - 1)
            g->end_ns = b;
    }
}

/* --------------------------------------------------------- the window */

static int op_cmp(const void *x, const void *y)
{
    const sbg_op *a = x, *b = y;
    if (a->t_ns != b->t_ns)
        return a->t_ns < b->t_ns ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Value of a glide from `from` to `to` a fraction x of the way: frequencies
 * and plain numbers in a straight line, gains in a straight line in
 * amplitude (as `over DUR linear` plays them). */
static double interp(const lull_param_desc *d, double from, double to, double x)
{
    if (d->unit != LULL_UNIT_GAIN)
        return from + (to - from) * x;
    const double g = lull_db_to_gain(from) + (lull_db_to_gain(to) - lull_db_to_gain(from)) * x;
    return g > 0.0 ? 20.0 * log10(g) : LULL_GAIN_FLOOR_DB;
}

/* Keep [start, start+length): what happened before `start` becomes the
 * voices' declared values, a glide running at `start` continues from its
 * value there, and everything moves to count from `start`. */
static void cut_window(sbg *g, int64_t start, int64_t length)
{
    qsort(g->ops, (size_t)g->n_ops, sizeof *g->ops, op_cmp);
    for (int i = 0; i < g->n_voices; i++)
        memcpy(g->voices[i].cur, g->voices[i].init, sizeof g->voices[i].cur);
    int n = 0;
    for (int i = 0; i < g->n_ops; i++) {
        sbg_op o = g->ops[i];
        sbg_voice *v = &g->voices[o.voice];
        if (start > 0 && o.t_ns < start) {
            if (o.t_ns + o.dur_ns <= start) {
                for (int k = 0; k < o.np; k++)
                    v->init[o.p[k]] = v->cur[o.p[k]] = o.v[k];
                continue;
            }
            const double x = (double)(start - o.t_ns) / (double)o.dur_ns;
            for (int k = 0; k < o.np; k++)
                v->init[o.p[k]] = interp(&v->vc->params[o.p[k]], v->cur[o.p[k]], o.v[k], x);
            o.dur_ns = o.t_ns + o.dur_ns - start;
            o.t_ns = start;
        }
        double before[4];
        for (int k = 0; k < o.np; k++) {
            before[k] = start > 0 && g->ops[i].t_ns < start ? v->init[o.p[k]] : v->cur[o.p[k]];
            v->cur[o.p[k]] = o.v[k];
        }
        o.t_ns -= start;
        if (length > 0 && o.t_ns >= length)
            continue;
        if (length > 0 && o.t_ns + o.dur_ns > length) {
            /* A glide the end cuts: stop it where it would be then. */
            const double x = (double)(length - o.t_ns) / (double)o.dur_ns;
            for (int k = 0; k < o.np; k++)
                o.v[k] = interp(&v->vc->params[o.p[k]], before[k], o.v[k], x);
            o.dur_ns = length - o.t_ns;
        }
        if (o.t_ns == 0 && o.dur_ns == 0) {
            /* Settings at the very start are where the voice starts (a
             * glide from 0:00 then starts from them, not from silence). */
            int keep = 0;
            for (int k = 0; k < o.np; k++) {
                if (!strcmp(v->vc->params[o.p[k]].name, "strike")) {
                    o.p[keep] = o.p[k];
                    o.v[keep++] = o.v[k];
                } else {
                    v->init[o.p[k]] = o.v[k];
                }
            }
            o.np = keep;
            if (!keep)
                continue;
        }
        g->ops[n++] = o;
    }
    g->n_ops = n;
    int ns = 0;
    for (int i = 0; i < g->n_sections; i++) {
        sbg_section s = g->sections[i];
        if (s.t_ns < start || (length > 0 && s.t_ns - start >= length)) {
            free(s.name);
            continue;
        }
        s.t_ns -= start;
        g->sections[ns++] = s;
    }
    g->n_sections = ns;
}

/* ------------------------------------------------------------- output */

static void sb_grow(strbuf *b, size_t more)
{
    if (b->failed || b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
        b->failed = 1;
        return;
    }
    b->s = ns;
    b->cap = cap;
}

static void sb_printf(strbuf *b, const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void sb_printf(strbuf *b, const char *fmt, ...)
{
    char tmp[2048];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t len = (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1;
    sb_grow(b, len);
    if (b->failed)
        return;
    memcpy(b->s + b->len, tmp, len);
    /* One line-map entry per newline written. */
    for (size_t i = 0; i < len; i++) {
        if (tmp[i] != '\n')
            continue;
        if (b->lines == b->map_cap) {
            int cap = b->map_cap ? 2 * b->map_cap : 256;
            int *nm = realloc(b->line_map, (size_t)cap * sizeof *nm);
            if (!nm) {
                b->failed = 1;
                return;
            }
            b->line_map = nm;
            b->map_cap = cap;
        }
        b->line_map[b->lines++] = b->cur_src;
    }
    b->len += len;
    b->s[b->len] = '\0';
}

/* The shortest decimal that reads back as exactly v. */
static void fmt_num(double v, char *buf, size_t n)
{
    /* Plain decimals (the lull reader takes no exponents in values it
     * shows back); a value that needs more than 17 decimals keeps %.17g. */
    for (int prec = 0; prec <= 17; prec++) {
        snprintf(buf, n, "%.*f", prec, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, n, "%.17g", v);
}

/* A time or duration in the lull language, exact to the nanosecond. */
static void fmt_time(int64_t ns, char *buf, size_t n)
{
    int64_t s = ns / LULL_NS_PER_SEC, frac = ns % LULL_NS_PER_SEC;
    if (s >= 3600)
        snprintf(buf, n, "%lld:%02lld:%02lld", (long long)(s / 3600), (long long)(s / 60 % 60), (long long)(s % 60));
    else
        snprintf(buf, n, "%lld:%02lld", (long long)(s / 60), (long long)(s % 60));
    if (frac) {
        char f[16];
        snprintf(f, sizeof f, ".%09lld", (long long)frac);
        size_t l = strlen(f);
        while (l > 1 && f[l - 1] == '0')
            f[--l] = '\0';
        size_t bl = strlen(buf);
        snprintf(buf + bl, n - bl, "%s", f);
    }
}

static void fmt_dur(int64_t ns, char *buf, size_t n)
{
    int64_t s = ns / LULL_NS_PER_SEC, frac = ns % LULL_NS_PER_SEC;
    buf[0] = '\0';
    size_t l = 0;
    if (s >= 3600) {
        l += (size_t)snprintf(buf + l, n - l, "%lldh", (long long)(s / 3600));
        s %= 3600;
    }
    if (s >= 60) {
        l += (size_t)snprintf(buf + l, n - l, "%lldm", (long long)(s / 60));
        s %= 60;
    }
    if (s || frac || l == 0) {
        l += (size_t)snprintf(buf + l, n - l, "%lld", (long long)s);
        if (frac) {
            char f[16];
            snprintf(f, sizeof f, ".%09lld", (long long)frac);
            size_t fl = strlen(f);
            while (fl > 1 && f[fl - 1] == '0')
                f[--fl] = '\0';
            l += (size_t)snprintf(buf + l, n - l, "%s", f);
        }
        snprintf(buf + l, n - l, "s");
    }
}

static void fmt_value(const lull_param_desc *d, double v, char *buf, size_t n)
{
    char num[40];
    if (d->unit == LULL_UNIT_GAIN && v <= LULL_GAIN_FLOOR_DB) {
        snprintf(buf, n, "off");
        return;
    }
    if (d->unit == LULL_UNIT_ENUM) {
        snprintf(buf, n, "%s", d->choices[(int)v]);
        return;
    }
    fmt_num(v, num, sizeof num);
    snprintf(buf, n, "%s%s", num, d->unit == LULL_UNIT_HZ ? "Hz" : d->unit == LULL_UNIT_GAIN ? "dB" : "");
}

static void put_quoted(strbuf *b, const char *s)
{
    sb_printf(b, "\"");
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sb_printf(b, "\\%c", *s);
        else if ((unsigned char)*s >= 32)
            sb_printf(b, "%c", *s);
    }
    sb_printf(b, "\"");
}

static const char *trim_left(const char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

static char *dir_of(const char *path)
{
    const char *sl = path ? strrchr(path, '/') : NULL;
    if (!sl)
        return sdup(".", 1);
    return sdup(path, sl == path ? 1 : (size_t)(sl - path));
}

/* The background file's name as the .lull at out_path must write it. */
static char *mix_path_for(const sbg *g, const char *out_path)
{
    if (!out_path || g->mix_file[0] == '/')
        return sdup(g->mix_file, strlen(g->mix_file));
    char *din = dir_of(g->name), *dout = dir_of(out_path);
    char *rin = din ? realpath(din, NULL) : NULL, *rout = dout ? realpath(dout, NULL) : NULL;
    char *res = NULL;
    if (rin && rout && !strcmp(rin, rout)) {
        res = sdup(g->mix_file, strlen(g->mix_file));
    } else {
        char *p = lull_script_resolve_path(g->name, g->mix_file);
        char *rp = p ? realpath(p, NULL) : NULL;
        res = rp ? rp : p;
        if (rp)
            free(p);
    }
    free(din);
    free(dout);
    free(rin);
    free(rout);
    return res;
}

static void write_lull(sbg *g, strbuf *b, const char *out_path)
{
    const char *base = strrchr(g->name, '/') ? strrchr(g->name, '/') + 1 : g->name;
    b->cur_src = 1;
    sb_printf(b, "# Converted from the SBaGen schedule %s by lull %s (lull convert).\n", base, lull_version());
    sb_printf(b, "# Mapping: scripts/README.md, \"Importing SBaGen schedules\".\n");
    for (int i = 0; i < g->n_display; i++)
        sb_printf(b, "##%.1000s\n", g->display[i]);
    sb_printf(b, "lull 1\n");
    /* The title: the first ## line, else the file's name. */
    const char *title = NULL;
    for (int i = 0; i < g->n_display && !title; i++)
        if (*trim_left(g->display[i]))
            title = trim_left(g->display[i]);
    char tbuf[256];
    if (!title) {
        snprintf(tbuf, sizeof tbuf, "%s", base);
        char *dot = strrchr(tbuf, '.');
        if (dot && dot != tbuf)
            *dot = '\0';
        title = tbuf;
    }
    sb_printf(b, "title ");
    char tclean[512];
    snprintf(tclean, sizeof tclean, "%s", title);
    for (size_t l = strlen(tclean); l > 0 && (tclean[l - 1] == ' ' || tclean[l - 1] == '\t'); l--)
        tclean[l - 1] = '\0';
    put_quoted(b, tclean);
    sb_printf(b, "\n\n# Tone-sets of the schedule:\n");
    for (int i = 0; i < g->n_sets; i++) {
        if (!g->sets[i].line)
            continue;
        b->cur_src = g->lines[g->sets[i].line].line_no;
        sb_printf(b, "#   %.1000s\n", trim_left(g->lines[g->sets[i].line].text));
    }
    char tb[64], vb[64];
    if (g->have_T || g->have_L || g->quick != 1.0 || g->fade_ns != SBG_DEFAULT_FADE_NS) {
        b->cur_src = 1;
        sb_printf(b, "#\n# Options:");
        if (g->fade_ns != SBG_DEFAULT_FADE_NS) {
            fmt_dur(g->fade_ns, tb, sizeof tb);
            sb_printf(b, " -F: changes of tone-set take %s;", tb);
        }
        if (g->quick != 1.0) {
            fmt_num(g->quick, vb, sizeof vb);
            sb_printf(b, " -q %s: every time is %s times shorter;", vb, vb);
        }
        if (g->have_T) {
            format_clock(g->T_clock_ns, tb, sizeof tb);
            sb_printf(b, " -T %s: the session starts at that clock time;", tb);
        }
        if (g->have_L) {
            fmt_dur(g->L_ns, tb, sizeof tb);
            sb_printf(b, " -L: the session lasts %s;", tb);
        }
        sb_printf(b, "\n");
    }
    sb_printf(b, "\n# Channel N of a tone-set plays on the voices chN_*.  A binaural tone\n"
                 "# CARRIER+BEAT is two tones: CARRIER+BEAT/2 in the left ear (chN_left),\n"
                 "# CARRIER-BEAT/2 in the right (chN_right); CARRIER-BEAT the other way round.\n");
    for (int i = 0; i < g->n_voices; i++) {
        const sbg_voice *v = &g->voices[i];
        b->cur_src = g->lines[v->line].line_no;
        sb_printf(b, "voice %-10s %s", v->name, v->vc->kind);
        for (int p = 0; p < v->vc->n_params; p++) {
            const lull_param_desc *d = &v->vc->params[p];
            /* Only what differs from the kind's defaults, and the gain. */
            if (v->init[p] == d->def && strcmp(d->name, "gain") != 0 && d->unit != LULL_UNIT_ENUM)
                continue;
            fmt_value(d, v->init[p], vb, sizeof vb);
            sb_printf(b, " %s=%s", d->name, vb);
        }
        sb_printf(b, "\n");
    }
    sb_printf(b, "\n");
    if (g->mix_file) {
        b->cur_src = g->lines[g->opt_line_m].line_no;
        char *mp = mix_path_for(g, out_path);
        sb_printf(b, "0:00 mix play ");
        put_quoted(b, mp ? mp : g->mix_file);
        sb_printf(b, "%s\n", g->mix_loop ? " loop" : "");
        free(mp);
    }
    int last_entry = -1, si = 0;
    for (int i = 0; i <= g->n_ops; i++) {
        const int entry = i < g->n_ops ? g->ops[i].entry : -1;
        const int64_t t = i < g->n_ops ? g->ops[i].t_ns : INT64_MAX;
        /* Sections (one per time line of the schedule) before the ops at their time. */
        while (si < g->n_sections && g->sections[si].t_ns <= t) {
            const sbg_section *s = &g->sections[si++];
            b->cur_src = g->lines[g->entries[s->entry].line].line_no;
            if (s->entry != last_entry) {
                sb_printf(b, "# line %d: %.1000s\n", b->cur_src, trim_left(g->lines[g->entries[s->entry].line].text));
                last_entry = s->entry;
            }
            fmt_time(s->t_ns, tb, sizeof tb);
            sb_printf(b, "%-9s section ", tb);
            put_quoted(b, s->name);
            sb_printf(b, "\n");
        }
        if (i == g->n_ops)
            break;
        const sbg_op *o = &g->ops[i];
        const sbg_voice *v = &g->voices[o->voice];
        b->cur_src = entry >= 0 ? g->lines[g->entries[entry].line].line_no : 1;
        if (entry != last_entry && entry >= 0) {
            sb_printf(b, "# line %d: %.1000s\n", b->cur_src, trim_left(g->lines[g->entries[entry].line].text));
            last_entry = entry;
        }
        fmt_time(o->t_ns, tb, sizeof tb);
        sb_printf(b, "%-9s %-10s", tb, v->name);
        int has_gain = 0;
        for (int k = 0; k < o->np; k++) {
            const lull_param_desc *d = &v->vc->params[o->p[k]];
            has_gain |= d->unit == LULL_UNIT_GAIN;
            fmt_value(d, o->v[k], vb, sizeof vb);
            sb_printf(b, " %s=%s", d->name, vb);
        }
        if (o->dur_ns > 0) {
            fmt_dur(o->dur_ns, tb, sizeof tb);
            sb_printf(b, " over %s%s", tb, has_gain ? " linear" : "");
        }
        sb_printf(b, "\n");
    }
    b->cur_src = g->n_entries ? g->lines[g->entries[g->n_entries - 1].line].line_no : 1;
    fmt_time(g->end_ns, tb, sizeof tb);
    sb_printf(b, "%-9s end\n", tb);
}

/* --------------------------------------------------------------- driver */

static void sbg_free(sbg *g)
{
    for (int i = 0; i < g->n_lines; i++) {
        free((char *)g->lines[i].raw);
        free(g->lines[i].text);
    }
    free(g->lines);
    for (int i = 0; i < g->n_sets; i++)
        free(g->sets[i].name);
    free(g->sets);
    for (int i = 0; i < g->n_blocks; i++)
        free(g->blocks[i].name);
    free(g->blocks);
    free(g->entries);
    for (int i = 0; i < g->n_display; i++)
        free(g->display[i]);
    free(g->display);
    free(g->mix_file);
    free(g->voices);
    free(g->ops);
    for (int i = 0; i < g->n_sections; i++)
        free(g->sections[i].name);
    free(g->sections);
}

/* Read and translate; on success *out holds the lull text and its line map. */
static int sbg_translate(const char *text, size_t len, const char *name, const char *out_path,
                         const lull_load_config *cfg, strbuf *out)
{
    sbg g;
    memset(&g, 0, sizeof g);
    g.cfg = cfg;
    g.name = name;
    g.fade_ns = SBG_DEFAULT_FADE_NS;
    g.quick = 1.0;
    memset(g.vindex, -1, sizeof g.vindex);
    if (split_lines(&g, text, len) < 0) {
        if (!g.n_errors) {
            sbg_free(&g);
            return LULL_ERR_NOMEM;
        }
        sbg_free(&g);
        return LULL_ERR_SCRIPT;
    }
    int *time_lines = malloc(sizeof(int) * (size_t)(g.n_lines + 1));
    int n_time = 0;
    if (!time_lines) {
        sbg_free(&g);
        return LULL_ERR_NOMEM;
    }
    first_pass(&g, time_lines, &n_time);
    tl_state st;
    memset(&st, 0, sizeof st);
    for (int i = 0; i < n_time && !g.stop; i++)
        time_line(&g, &st, time_lines[i], -1, NULL, 0, -1);
    free(time_lines);
    if (!g.n_errors && g.n_entries == 0)
        SERR(&g, g.n_lines - 1, 1, "the schedule has no time lines (such as 'NOW theta6' or '22:00 theta6')");
    if (!g.n_errors && g.uses_mix && !g.mix_file) {
        for (int i = 0; i < g.n_sets; i++)
            if (g.sets[i].mix >= 0.0) {
                SWARN(&g, g.sets[i].line, 1, "mix/ with no background file (-m FILE): it is silent");
                break;
            }
    }
    if (!g.n_errors) {
        /* -q: the whole schedule, fades included, runs faster. */
        if (g.quick != 1.0) {
            for (int i = 0; i < g.n_entries; i++)
                g.entries[i].t_ns = llround((double)g.entries[i].t_ns / g.quick);
            g.fade_ns = llround((double)g.fade_ns / g.quick);
        }
        if (g.n_entries && g.entries[g.n_entries - 1].slide) {
            SWARN(&g, g.entries[g.n_entries - 1].line, 1, "'->' on the last time line has nothing to slide to");
            g.entries[g.n_entries - 1].slide = 0;
        }
        translate(&g);
        if (g.mix_file)
            get_voice(&g, 0, VK_MIX, g.opt_line_m); /* at mix/100 when no tone-set says mix/ */
        /* -T: start at a clock time (a clock schedule's), -L: length. */
        int64_t start = 0;
        if (g.have_T) {
            if (!g.uses_clock) {
                SWARN(&g, g.opt_line_T, 1, "-T has no effect on a schedule timed from NOW: it starts at its "
                      "first line");
            } else {
                start = ((g.T_clock_ns - g.clock0_ns) % SBG_DAY_NS + SBG_DAY_NS) % SBG_DAY_NS;
                start = llround((double)start / g.quick);
                if (start >= g.end_ns) {
                    SERR(&g, g.opt_line_T, 1, "-T starts after the schedule has ended");
                }
            }
        }
        const int64_t length = g.have_L ? llround((double)g.L_ns / g.quick) : 0;
        if (!g.n_errors) {
            cut_window(&g, start, length);
            g.end_ns = length > 0 ? length : g.end_ns - start;
            g.start_ns = start;
            if (g.end_ns > LULL_MAX_TIME_NS)
                SERR(&g, g.entries[g.n_entries - 1].line, 1, "the session runs past 24 hours (lull's longest)");
            if (!g.have_L && g.n_entries) {
                const sbg_set *last = &g.sets[g.entries[g.n_entries - 1].set];
                int sounding = last->mix > 0 && g.mix_file;
                for (int k = 0; k < last->n; k++)
                    sounding |= last->ch[k].kind != SK_OFF && last->ch[k].kind != SK_BELL;
                if (sounding) {
                    char tb[32];
                    fmt_time(g.end_ns, tb, sizeof tb);
                    SWARN(&g, g.entries[g.n_entries - 1].line, 1, "the session ends at %s, when this last "
                          "change is done, while '%s' still plays (give -L to choose a length, or end with "
                          "'off')", tb, last->name);
                }
            }
        }
    }
    if (g.n_errors) {
        sbg_free(&g);
        return LULL_ERR_SCRIPT;
    }
    if (g.stop) {
        sbg_free(&g);
        return LULL_ERR_NOMEM;
    }
    write_lull(&g, out, out_path);
    sbg_free(&g);
    return out->failed ? LULL_ERR_NOMEM : LULL_OK;
}

/* Diagnostics from loading the translation name the .sbg's lines. */
typedef struct map_ctx {
    const lull_load_config *cfg;
    const strbuf *b;
    const char *text;
    size_t len;
    const char *name;
} map_ctx;

static void map_diag(void *user, const lull_diag *d)
{
    const map_ctx *m = user;
    if (!m->cfg->on_diag)
        return;
    int src = d->line >= 1 && d->line <= m->b->lines ? m->b->line_map[d->line - 1] : 1;
    /* Find that line of the .sbg to show. */
    const char *c = m->text, *end = m->text + m->len;
    for (int l = 1; l < src && c < end; l++) {
        const char *nl = memchr(c, '\n', (size_t)(end - c));
        c = nl ? nl + 1 : end;
    }
    const char *e = memchr(c, '\n', (size_t)(end - c));
    size_t n = (size_t)((e ? e : end) - c);
    if (n && c[n - 1] == '\r')
        n--;
    char line[1024];
    snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), c);
    char msg[1200];
    snprintf(msg, sizeof msg, "%s (in lull's translation of this line: %s)", d->message, d->source_line);
    lull_diag md = { d->severity, m->name, src, 1, msg, line };
    m->cfg->on_diag(m->cfg->user, &md);
}

int lull_script_load_sbg(const char *text, size_t len, const char *name, const lull_load_config *cfg_in,
                         lull_script **out)
{
    if (!out || (!text && len))
        return LULL_ERR_ARG;
    *out = NULL;
    lull_load_config cfg = cfg_in ? *cfg_in : lull_load_config_init();
    if (cfg.max_errors <= 0)
        cfg.max_errors = 20;
    if (!name)
        name = "<sbg>";
    strbuf b;
    memset(&b, 0, sizeof b);
    int r = sbg_translate(text, len, name, NULL, &cfg, &b);
    if (r == LULL_OK) {
        map_ctx m = { &cfg, &b, text, len, name };
        lull_load_config lc = cfg;
        lc.on_diag = map_diag;
        lc.user = &m;
        r = lull_script_load_string(b.s, b.len, name, &lc, out);
    }
    free(b.s);
    free(b.line_map);
    return r;
}

int lull_sbg_convert(const char *text, size_t len, const char *name, const char *out_path,
                     const lull_load_config *cfg_in, char **lull_text)
{
    if (!lull_text || (!text && len))
        return LULL_ERR_ARG;
    *lull_text = NULL;
    lull_load_config cfg = cfg_in ? *cfg_in : lull_load_config_init();
    if (cfg.max_errors <= 0)
        cfg.max_errors = 20;
    if (!name)
        name = "<sbg>";
    strbuf b;
    memset(&b, 0, sizeof b);
    int r = sbg_translate(text, len, name, out_path, &cfg, &b);
    free(b.line_map);
    if (r != LULL_OK) {
        free(b.s);
        return r;
    }
    *lull_text = b.s;
    return LULL_OK;
}

void lull_text_free(char **text)
{
    if (!text)
        return;
    free(*text);
    *text = NULL;
}
