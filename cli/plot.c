/*
 * plot.c - `lull plot`: the session's timeline as an SVG picture.
 *
 * Time runs across.  Each voice is a lane with its gain over time; tone
 * voices add their carrier and their beat frequency, the beat on an axis
 * shaded with the delta/theta/alpha/beta bands; narration clips are blocks
 * as long as their files; sections are named markers; the master lane shows
 * the level the master stage applies (its fades and gain).
 *
 * Every curve is sampled with lull_script_param_curve(), which runs the
 * engine's own sequencer and parameter tracks, so the picture shows what
 * the engine plays, not a second reading of the script.
 *
 * The SVG is plain SVG 1.1 text, readable in any browser.  Elements carry
 * ids, classes and data-* attributes (times in seconds, values in their
 * units) so tests and other tools can find them.
 */
#include "cli.h"

#include "lull_voice.h"

#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Geometry, in SVG user units (pixels at 100 %). */
#define WIDTH 1200.0
#define X0 200.0            /* left edge of the time axis */
#define X1 (WIDTH - 30.0)   /* right edge */
#define ROW_GAIN_H 54.0
#define ROW_CARRIER_H 54.0
#define ROW_BEAT_H 104.0
#define ROW_MASTER_H 54.0
#define ROW_CLIPS_H 34.0
#define ROW_GAP 14.0
#define LANE_GAP 20.0

#define COLOR_GAIN "#3b6ea5"
#define COLOR_CARRIER "#d9822b"
#define COLOR_BEAT "#2e8b57"
#define COLOR_MASTER "#7b5ea7"
#define COLOR_CLIP "#c0504d"
#define COLOR_SECTION "#555555"
#define COLOR_GRID "#e4e4e4"
#define COLOR_AXIS "#888888"

/* Brainwave bands the beat frequency is usually described by (Hz). */
static const struct band {
    const char *name;
    const char *greek;
    double lo_hz, hi_hz;
    const char *color;
} bands[] = {
    { "delta", "\xce\xb4", 0.5, 4.0, "#e6e9f7" },
    { "theta", "\xce\xb8", 4.0, 8.0, "#e2f0fb" },
    { "alpha", "\xce\xb1", 8.0, 13.0, "#e6f4e8" },
    { "beta", "\xce\xb2", 13.0, 30.0, "#fdf5dc" },
};
#define N_BANDS ((int)(sizeof bands / sizeof bands[0]))

typedef struct plot {
    FILE *f;
    const lull_script *s;
    double len_sec;
    int n;          /* samples per curve: one per pixel column, plus one */
    double *t;      /* sample times, seconds */
    double *v;      /* values (scratch) */
    double y;       /* top of the next row */
} plot;

static void help(FILE *f)
{
    fprintf(f, "usage: lull plot [OPTIONS] SESSION.lull -o OUT.svg\n"
               "\n"
               "Draw the session's timeline as an SVG picture (open it in a browser):\n"
               "each voice's gain, tone voices' carrier and beat frequency (with the\n"
               "delta/theta/alpha/beta bands), narration clips with their real lengths,\n"
               "sections, and the master fades.\n"
               "\n"
               "  -o, --output FILE   where to write ('-' for standard output)\n"
               "  -q, --quiet         print nothing on success\n"
               "  -h, --help          this help\n");
}

static double xof(const plot *p, double sec)
{
    double len = p->len_sec > 0 ? p->len_sec : 1.0;
    return X0 + (X1 - X0) * (sec / len);
}

/* Text content and attribute values: XML-escaped. */
static void xml_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&apos;", f); break;
        default:
            /* Control characters are not allowed in XML 1.0. */
            if ((unsigned char)*s >= 0x20 || *s == '\t')
                fputc(*s, f);
        }
    }
}

/* A "nice" step (1, 2 or 5 times a power of ten) for about `want` ticks. */
static double nice_step(double range, int want)
{
    double raw = range / (want > 0 ? want : 1);
    double mag = pow(10.0, floor(log10(raw > 0 ? raw : 1.0)));
    double m = raw / mag;
    return (m <= 1.0 ? 1.0 : m <= 2.0 ? 2.0 : m <= 5.0 ? 5.0 : 10.0) * mag;
}

/* A time step that reads well on a clock: 1 s .. 1 h. */
static double time_step(double len_sec)
{
    static const double steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200 };
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (len_sec / steps[i] <= 12.0)
            return steps[i];
    return 7200.0;
}

/* One row: a framed box with y ticks; `vmin..vmax` maps bottom..top. */
typedef struct row {
    const char *id;
    double top, h;
    double vmin, vmax;
    int log_scale;
} row;

static double yof(const row *r, double v)
{
    double a, lo = r->vmin, hi = r->vmax;
    if (r->log_scale) {
        v = v > 1e-9 ? log(v) : log(1e-9);
        lo = log(lo);
        hi = log(hi);
    }
    a = (v - lo) / (hi - lo);
    if (!(a >= 0.0))
        a = 0.0;
    if (a > 1.0)
        a = 1.0;
    return r->top + r->h * (1.0 - a);
}

static void row_frame(plot *p, const row *r, const char *label, const char *unit,
                      const double *ticks, int n_ticks, const char *data_attr)
{
    FILE *f = p->f;
    fprintf(f, "  <g class=\"row\" id=\"%s\" data-vmin=\"%g\" data-vmax=\"%g\" data-top=\"%.2f\" "
               "data-height=\"%.2f\">\n",
            r->id, r->vmin, r->vmax, r->top, r->h);
    fprintf(f, "    <rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#ffffff\" "
               "stroke=\"%s\" stroke-width=\"1\"/>\n",
            X0, r->top, X1 - X0, r->h, COLOR_AXIS);
    for (int i = 0; i < n_ticks; i++) {
        double y = yof(r, ticks[i]);
        fprintf(f, "    <line class=\"ytick\" %s=\"%g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                   "stroke=\"%s\" stroke-width=\"1\"/>\n",
                data_attr, ticks[i], X0, y, X1, y, COLOR_GRID);
        fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"10\" "
                   "fill=\"#444\">%g</text>\n",
                X0 - 5, y + 3.5, ticks[i]);
    }
    fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\" fill=\"#222\">",
            X0 - 34, r->top + r->h / 2 + 4);
    xml_text(f, label);
    fprintf(f, "</text>\n    <text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"9\" "
               "fill=\"#666\">",
            X0 - 34, r->top + r->h / 2 + 16);
    xml_text(f, unit);
    fputs("</text>\n", f);
}

/* Whether sample i lies on the straight line from the last point drawn to
 * sample i+1 (to a hundredth of a pixel): then it adds nothing to the path. */
static int on_line(const plot *p, const row *r, int last, int i)
{
    double xa = xof(p, p->t[last]), ya = yof(r, p->v[last]);
    double xb = xof(p, p->t[i + 1]), yb = yof(r, p->v[i + 1]);
    double x = xof(p, p->t[i]), y = yof(r, p->v[i]);
    double y_line = ya + (yb - ya) * (x - xa) / (xb - xa);
    return fabs(y - y_line) < 0.01;
}

/* The sampled curve in p->v as a path (and a filled area under it).  Only
 * the corners are written, so a 20-minute session stays a small file. */
static void row_curve(plot *p, const row *r, const char *id, const char *cls, const char *voice,
                      const char *color, int fill)
{
    FILE *f = p->f;
    char *keep = malloc((size_t)p->n);
    if (!keep)
        return;
    int last = 0;
    for (int i = 0; i < p->n; i++) {
        keep[i] = i == 0 || i == p->n - 1 || !on_line(p, r, last, i);
        if (keep[i])
            last = i;
    }
    if (fill) {
        fprintf(f, "    <path class=\"area\" fill=\"%s\" fill-opacity=\"0.15\" stroke=\"none\" d=\"M%.2f %.2f",
                color, xof(p, p->t[0]), r->top + r->h);
        for (int i = 0; i < p->n; i++)
            if (keep[i])
                fprintf(f, " L%.2f %.2f", xof(p, p->t[i]), yof(r, p->v[i]));
        fprintf(f, " L%.2f %.2f Z\"/>\n", xof(p, p->t[p->n - 1]), r->top + r->h);
    }
    fprintf(f, "    <path id=\"%s\" class=\"curve %s\" data-voice=\"", id, cls);
    xml_text(f, voice);
    fprintf(f, "\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\" stroke-linejoin=\"round\" d=\"", color);
    for (int i = 0; i < p->n; i++)
        if (keep[i])
            fprintf(f, "%s%.2f %.2f", i ? " L" : "M", xof(p, p->t[i]), yof(r, p->v[i]));
    fputs("\"/>\n", f);
    free(keep);
}

static int sample(plot *p, int voice, const char *param)
{
    return lull_script_param_curve(p->s, voice, param, p->t, p->v, p->n);
}

/* Tone voices name their pitch and their beat differently: binaural and
 * monaural say carrier and beat, isochronic tone and rate (its pulses per
 * second, read on the same brainwave bands). */
static const char *const carrier_names[] = { "carrier", "tone", NULL };
static const char *const beat_names[] = { "beat", "rate", NULL };

/* Sample the first of `names` the voice has; returns its name or NULL. */
static const char *sample_any(plot *p, int voice, const char *const *names)
{
    for (; *names; names++)
        if (sample(p, voice, *names) == LULL_OK)
            return *names;
    return NULL;
}

static void value_range(const plot *p, double *lo, double *hi)
{
    *lo = HUGE_VAL;
    *hi = -HUGE_VAL;
    for (int i = 0; i < p->n; i++) {
        if (p->v[i] < *lo)
            *lo = p->v[i];
        if (p->v[i] > *hi)
            *hi = p->v[i];
    }
}

/* Lane label in the left margin: the voice's name and kind. */
static void lane_label(plot *p, const char *name, const char *kind)
{
    fprintf(p->f, "  <text class=\"lane-label\" x=\"12\" y=\"%.2f\" font-size=\"14\" font-weight=\"bold\" "
                  "fill=\"#111\">",
            p->y + 14);
    xml_text(p->f, name);
    fprintf(p->f, "</text>\n  <text x=\"12\" y=\"%.2f\" font-size=\"11\" fill=\"#555\">", p->y + 29);
    xml_text(p->f, kind);
    fputs("</text>\n", p->f);
}

static void gain_row(plot *p, int voice, const char *name, double gmin, double gmax)
{
    char id[96];
    snprintf(id, sizeof id, "gain-row-%d", voice);
    row r = { id, p->y, ROW_GAIN_H, gmin, gmax, 0 };
    double ticks[8];
    int nt = 0;
    double step = nice_step(gmax - gmin, 2);
    for (double v = ceil(gmin / step) * step; v <= gmax + 1e-9 && nt < 8; v += step)
        ticks[nt++] = v;
    row_frame(p, &r, "gain", "dB", ticks, nt, "data-db");
    if (sample(p, voice, "gain") == LULL_OK) {
        snprintf(id, sizeof id, "gain-%d", voice);
        row_curve(p, &r, id, "gain", name, COLOR_GAIN, 1);
    }
    fputs("  </g>\n", p->f);
    p->y += ROW_GAIN_H + ROW_GAP;
}

static void carrier_row(plot *p, int voice, const char *name)
{
    const char *param = sample_any(p, voice, carrier_names);
    if (!param)
        return;
    double lo, hi;
    value_range(p, &lo, &hi);
    /* Room around the curve; a steady carrier sits in the middle. */
    double step = nice_step(hi - lo > 1.0 ? hi - lo : 20.0, 2);
    double vmin = floor(lo / step) * step, vmax = ceil(hi / step) * step;
    if (vmax - vmin < 2 * step) {
        vmin -= step;
        vmax += step;
    }
    if (vmin < 0)
        vmin = 0;
    char id[96];
    snprintf(id, sizeof id, "carrier-row-%d", voice);
    row r = { id, p->y, ROW_CARRIER_H, vmin, vmax, 0 };
    double ticks[8];
    int nt = 0;
    for (double v = vmin; v <= vmax + 1e-9 && nt < 8; v += step)
        ticks[nt++] = v;
    row_frame(p, &r, param, "Hz", ticks, nt, "data-hz");
    snprintf(id, sizeof id, "carrier-%d", voice);
    row_curve(p, &r, id, "carrier", name, COLOR_CARRIER, 0);
    fputs("  </g>\n", p->f);
    p->y += ROW_CARRIER_H + ROW_GAP;
}

static void beat_row(plot *p, int voice, const char *name)
{
    const char *param = sample_any(p, voice, beat_names);
    if (!param)
        return;
    double lo, hi;
    value_range(p, &lo, &hi);
    /* A fixed axis from 0 to the top of beta (or higher, if the script
     * goes there) so the bands always sit in the same place. */
    double vmax = hi > 30.0 ? 40.0 : hi > 16.0 ? 30.0 : 16.0;
    char id[96];
    snprintf(id, sizeof id, "beat-row-%d", voice);
    row r = { id, p->y, ROW_BEAT_H, 0.0, vmax, 0 };
    double ticks[] = { 0, 4, 8, 13, 16, 30, 40 };
    int nt = 0;
    while (nt < (int)(sizeof ticks / sizeof ticks[0]) && ticks[nt] <= vmax)
        nt++;
    row_frame(p, &r, param, "Hz", ticks, nt, "data-hz");
    FILE *f = p->f;
    for (int b = 0; b < N_BANDS; b++) {
        if (bands[b].lo_hz >= vmax)
            continue;
        double hi_hz = bands[b].hi_hz < vmax ? bands[b].hi_hz : vmax;
        double y0 = yof(&r, hi_hz), y1 = yof(&r, bands[b].lo_hz);
        fprintf(f, "    <rect class=\"band\" data-band=\"%s\" data-lo-hz=\"%g\" data-hi-hz=\"%g\" x=\"%.2f\" "
                   "y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\"/>\n",
                bands[b].name, bands[b].lo_hz, bands[b].hi_hz, X0 + 0.5, y0, X1 - X0 - 1, y1 - y0,
                bands[b].color);
        if (y1 - y0 >= 10)
            fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" font-size=\"9\" fill=\"#777\">%s %s</text>\n",
                    X0 + 4, (y0 + y1) / 2 + 3, bands[b].greek, bands[b].name);
    }
    snprintf(id, sizeof id, "beat-%d", voice);
    row_curve(p, &r, id, "beat", name, COLOR_BEAT, 0);
    fputs("  </g>\n", f);
    p->y += ROW_BEAT_H + ROW_GAP;
}

static void clip_row(plot *p, const char *voice, const cli_clip_list *clips)
{
    FILE *f = p->f;
    row r = { "clips", p->y, ROW_CLIPS_H, 0, 1, 0 };
    fprintf(f, "  <g class=\"row clips\" data-voice=\"");
    xml_text(f, voice);
    fprintf(f, "\">\n    <rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#ffffff\" "
               "stroke=\"%s\"/>\n",
            X0, r.top, X1 - X0, r.h, COLOR_AXIS);
    fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" text-anchor=\"end\" font-size=\"11\" fill=\"#222\">clips</text>\n",
            X0 - 34, r.top + r.h / 2 + 4);
    int k = 0;
    for (int i = 0; i < clips->n; i++) {
        const cli_clip *c = &clips->items[i];
        if (strcmp(c->voice, voice))
            continue;
        double x0 = xof(p, c->start_sec);
        double x1 = xof(p, c->start_sec + c->duration_sec);
        if (x1 > X1)
            x1 = X1;
        double w = x1 - x0 > 1.0 ? x1 - x0 : 1.0;
        /* Alternate heights so back-to-back blocks stay apart. */
        double top = r.top + 4 + (k++ % 2) * 4;
        const char *base = strrchr(c->file, '/');
        base = base ? base + 1 : c->file;
        fprintf(f, "    <g class=\"clip\" data-file=\"");
        xml_text(f, c->file);
        fprintf(f, "\" data-start-sec=\"%.6f\" data-duration-sec=\"%.6f\">\n", c->start_sec, c->duration_sec);
        fprintf(f, "      <title>");
        xml_text(f, base);
        char t[32], d[32];
        cli_format_time(c->start_sec, t, sizeof t, 1);
        cli_format_time(c->duration_sec, d, sizeof d, 1);
        fprintf(f, " at %s, %s%s</title>\n", t, d, c->loop ? ", looped" : "");
        fprintf(f, "      <rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" rx=\"2\" fill=\"%s\" "
                   "fill-opacity=\"0.35\" stroke=\"%s\"/>\n",
                x0, top, w, r.h - 12, COLOR_CLIP, COLOR_CLIP);
        /* A label only where it fits (about 6 px a character at 10 px). */
        if (w > 6.0 * (double)strlen(base) + 6) {
            fprintf(f, "      <text x=\"%.2f\" y=\"%.2f\" font-size=\"10\" fill=\"#5a1d1b\">", x0 + 3,
                    top + (r.h - 12) / 2 + 3.5);
            xml_text(f, base);
            fputs("</text>\n", f);
        }
        fputs("    </g>\n", f);
    }
    fputs("  </g>\n", f);
    p->y += ROW_CLIPS_H + ROW_GAP;
}

static void master_row(plot *p)
{
    if (sample(p, -1, "level") != LULL_OK)
        return;
    double lo, hi;
    value_range(p, &lo, &hi);
    row r = { "master-row", p->y, ROW_MASTER_H, 0.0, hi > 1.0 ? ceil(hi * 2) / 2 : 1.0, 0 };
    double ticks[] = { 0.0, 0.5, 1.0, 1.5, 2.0 };
    int nt = 0;
    while (nt < 5 && ticks[nt] <= r.vmax + 1e-9)
        nt++;
    row_frame(p, &r, "level", "\xc3\x97 (linear)", ticks, nt, "data-level");
    row_curve(p, &r, "master-level", "master", "master", COLOR_MASTER, 1);
    fputs("  </g>\n", p->f);
    p->y += ROW_MASTER_H + ROW_GAP;
}

/* Sections: a dashed line across every lane and a name above. */
static void sections(plot *p, double top, double bottom)
{
    FILE *f = p->f;
    int ns = lull_script_section_count(p->s);
    double last_x[3] = { -1e9, -1e9, -1e9 };
    for (int i = 0; i < ns; i++) {
        double sec = lull_script_section_start_sec(p->s, i);
        double x = xof(p, sec);
        const char *name = lull_script_section_name(p->s, i);
        /* Stagger names over three lines so neighbours do not overlap. */
        int line = 0;
        double need = 7.0 * (double)strlen(name) + 10;
        while (line < 2 && x - last_x[line] < need)
            line++;
        last_x[line] = x;
        fprintf(f, "  <g class=\"section\" id=\"section-%d\" data-name=\"", i);
        xml_text(f, name);
        fprintf(f, "\" data-start-sec=\"%.6f\">\n", sec);
        fprintf(f, "    <line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"1.2\" "
                   "stroke-dasharray=\"5 3\"/>\n",
                x, top - 36 + 12.0 * line, x, bottom, COLOR_SECTION);
        fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" fill=\"#333\">", x + 3, top - 27 + 12.0 * line);
        xml_text(f, name);
        fputs("</text>\n  </g>\n", f);
    }
}

static void time_axis(plot *p, double top, double y)
{
    FILE *f = p->f;
    double step = time_step(p->len_sec);
    fprintf(f, "  <g class=\"axis\" id=\"time-axis\">\n");
    fprintf(f, "    <line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"#333\"/>\n", X0, y, X1, y);
    for (double s = 0; s <= p->len_sec + 1e-9; s += step) {
        double x = xof(p, s);
        char t[32];
        cli_format_time(s, t, sizeof t, 0);
        fprintf(f, "    <line class=\"grid\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" "
                   "stroke-opacity=\"0.6\"/>\n",
                x, top, x, y, COLOR_GRID);
        fprintf(f, "    <line class=\"tick\" data-sec=\"%g\" x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" "
                   "stroke=\"#333\"/>\n",
                s, x, y, x, y + 5);
        fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"11\" fill=\"#333\">%s</text>\n",
                x, y + 18, t);
    }
    fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" text-anchor=\"middle\" font-size=\"12\" fill=\"#222\">"
               "time (minutes:seconds)</text>\n",
            (X0 + X1) / 2, y + 36);
    fputs("  </g>\n", f);
}

static void legend(plot *p, double y)
{
    static const struct {
        const char *label;
        const char *color;
        int kind; /* 0 line, 1 block, 2 dashed */
    } items[] = {
        { "gain (dB)", COLOR_GAIN, 0 },     { "carrier / tone (Hz)", COLOR_CARRIER, 0 },
        { "beat / pulse rate (Hz)", COLOR_BEAT, 0 },     { "master level", COLOR_MASTER, 0 },
        { "narration clip", COLOR_CLIP, 1 }, { "section", COLOR_SECTION, 2 },
    };
    FILE *f = p->f;
    fputs("  <g class=\"legend\" id=\"legend\">\n", f);
    double x = X0;
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (items[i].kind == 1)
            fprintf(f, "    <rect x=\"%.2f\" y=\"%.2f\" width=\"18\" height=\"10\" fill=\"%s\" fill-opacity=\"0.35\" "
                       "stroke=\"%s\"/>\n",
                    x, y - 9, items[i].color, items[i].color);
        else
            fprintf(f, "    <line x1=\"%.2f\" y1=\"%.2f\" x2=\"%.2f\" y2=\"%.2f\" stroke=\"%s\" stroke-width=\"%s\"%s/>\n",
                    x, y - 4, x + 18, y - 4, items[i].color, items[i].kind == 2 ? "1.2" : "2.5",
                    items[i].kind == 2 ? " stroke-dasharray=\"5 3\"" : "");
        fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" fill=\"#222\">%s</text>\n", x + 23, y,
                items[i].label);
        x += 30 + 6.5 * (double)strlen(items[i].label);
    }
    x = X0;
    y += 18;
    /* The bands, as swatches. */
    for (int b = 0; b < N_BANDS; b++) {
        fprintf(f, "    <rect x=\"%.2f\" y=\"%.2f\" width=\"14\" height=\"10\" fill=\"%s\" stroke=\"#ccc\"/>\n", x,
                y - 9, bands[b].color);
        fprintf(f, "    <text x=\"%.2f\" y=\"%.2f\" font-size=\"11\" fill=\"#222\">%s %g\xe2\x80\x93%g Hz</text>\n",
                x + 18, y, bands[b].name, bands[b].lo_hz, bands[b].hi_hz);
        x += 120;
    }
    fputs("  </g>\n", f);
}

/* The whole picture.  Returns 0, or -1 if the output could not be written. */
static int draw(FILE *f, const lull_script *s, const char *path, const cli_clip_list *clips)
{
    plot p;
    memset(&p, 0, sizeof p);
    p.f = f;
    p.s = s;
    p.len_sec = lull_script_duration_sec(s);
    p.n = (int)(X1 - X0) + 1;
    p.t = malloc(sizeof(double) * (size_t)p.n);
    p.v = malloc(sizeof(double) * (size_t)p.n);
    if (!p.t || !p.v) {
        free(p.t);
        free(p.v);
        return -1;
    }
    for (int i = 0; i < p.n; i++)
        p.t[i] = p.len_sec * (double)i / (double)(p.n - 1);

    /* One gain axis for every voice, so lanes compare at a glance. */
    double gmin = 0.0, gmax = 0.0;
    const int nv = lull_script_voice_count(s);
    for (int v = 0; v < nv; v++) {
        if (sample(&p, v, "gain") != LULL_OK)
            continue;
        double lo, hi;
        value_range(&p, &lo, &hi);
        if (lo < gmin)
            gmin = lo;
        if (hi > gmax)
            gmax = hi;
    }
    /* Room under the quietest level; silence (-120 dB) sits on the floor. */
    gmin = floor((gmin < -60.0 ? -60.0 : gmin) / 10.0) * 10.0 - 10.0;
    gmax = ceil(gmax / 6.0) * 6.0;

    /* Height: header, then every lane's rows, then the time axis. */
    const double lanes_top = 150.0;
    double h = 0.0;
    for (int v = 0; v < nv; v++) {
        h += ROW_GAIN_H + ROW_GAP;
        if (sample_any(&p, v, carrier_names))
            h += ROW_CARRIER_H + ROW_GAP;
        if (sample_any(&p, v, beat_names))
            h += ROW_BEAT_H + ROW_GAP;
        for (int c = 0; c < clips->n; c++)
            if (!strcmp(clips->items[c].voice, lull_script_voice_name(s, v))) {
                h += ROW_CLIPS_H + ROW_GAP;
                break;
            }
        h += LANE_GAP;
    }
    h += ROW_MASTER_H + ROW_GAP;
    const double axis_y = lanes_top + h + 4;
    const double height = axis_y + 50;

    const char *title = lull_script_title(s);
    char len[32];
    cli_format_time(p.len_sec, len, sizeof len, 1);
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%.0f\" height=\"%.0f\" "
               "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" "
               "data-length-sec=\"%.6f\" data-x0=\"%.2f\" data-x1=\"%.2f\">\n",
            WIDTH, height, WIDTH, height, p.len_sec, X0, X1);
    fputs("  <title>", f);
    xml_text(f, title[0] ? title : path);
    fputs(" \xe2\x80\x94 lull session timeline</title>\n", f);
    fprintf(f, "  <desc>Drawn by lull %s from ", lull_version());
    xml_text(f, path);
    fputs(".  Time runs left to right; each voice has a lane.</desc>\n", f);
    fprintf(f, "  <rect width=\"100%%\" height=\"100%%\" fill=\"#fafafa\"/>\n");
    fputs("  <text id=\"title\" x=\"12\" y=\"30\" font-size=\"20\" font-weight=\"bold\" fill=\"#111\">", f);
    xml_text(f, title[0] ? title : "(untitled session)");
    fputs("</text>\n", f);
    fprintf(f, "  <text x=\"12\" y=\"50\" font-size=\"12\" fill=\"#555\">");
    xml_text(f, path);
    fprintf(f, " \xc2\xb7 %s \xc2\xb7 %d voice%s \xc2\xb7 %d section%s \xc2\xb7 %d clip%s</text>\n", len, nv,
            nv == 1 ? "" : "s", lull_script_section_count(s), lull_script_section_count(s) == 1 ? "" : "s",
            clips->n, clips->n == 1 ? "" : "s");
    legend(&p, 74);

    p.y = lanes_top;
    for (int v = 0; v < nv; v++) {
        const char *name = lull_script_voice_name(s, v);
        fprintf(f, "  <g class=\"lane\" id=\"lane-%d\" data-voice=\"", v);
        xml_text(f, name);
        fprintf(f, "\" data-kind=\"");
        xml_text(f, lull_script_voice_kind(s, v));
        fputs("\">\n", f);
        lane_label(&p, name, lull_script_voice_kind(s, v));
        gain_row(&p, v, name, gmin, gmax);
        carrier_row(&p, v, name);
        beat_row(&p, v, name);
        for (int c = 0; c < clips->n; c++)
            if (!strcmp(clips->items[c].voice, name)) {
                clip_row(&p, name, clips);
                break;
            }
        fputs("  </g>\n", f);
        p.y += LANE_GAP;
    }
    fprintf(f, "  <g class=\"lane\" id=\"lane-master\" data-voice=\"master\">\n");
    lane_label(&p, "master", "fades, gain");
    master_row(&p);
    fputs("  </g>\n", f);

    time_axis(&p, lanes_top - 8, axis_y);
    sections(&p, lanes_top, axis_y);
    fputs("</svg>\n", f);
    free(p.t);
    free(p.v);
    return ferror(f) ? -1 : 0;
}

int cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'q': cli_quiet = 1; break;
        case 'h': help(stdout); return EXIT_OK;
        case ':': cli_error("plot: %s needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("plot: unknown option '%s' (try 'lull plot --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "plot: which session? (usage: lull plot SESSION.lull -o OUT.svg)"
                                 : "plot: one session at a time (usage: lull plot SESSION.lull -o OUT.svg)");
        return EXIT_USAGE;
    }
    if (!out) {
        cli_error("plot: where to? give -o OUT.svg (or - for standard output)");
        return EXIT_USAGE;
    }
    int code;
    const char *in = argv[optind];
    lull_script *s = cli_load_script(in, &code);
    if (!s)
        return code;
    cli_clip_list clips;
    if (cli_clips_get(s, &clips) != 0) {
        cli_error("plot: out of memory");
        lull_script_free(&s);
        return EXIT_RUNTIME;
    }

    /* Like render: a temporary file beside OUT, renamed when complete. */
    int to_stdout = !strcmp(out, "-");
    char *tmp = NULL;
    FILE *f = stdout;
    if (!to_stdout) {
        size_t n = strlen(out) + 16;
        tmp = malloc(n);
        int fd = -1;
        if (tmp) {
            const char *slash = strrchr(out, '/');
            snprintf(tmp, n, "%.*s.%s.XXXXXX", slash ? (int)(slash - out + 1) : 0, out, slash ? slash + 1 : out);
            fd = mkstemp(tmp);
        }
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            cli_error("plot: cannot write %s", out);
            if (fd >= 0) {
                close(fd);
                unlink(tmp);
            }
            free(tmp);
            cli_clips_free(&clips);
            lull_script_free(&s);
            return EXIT_RUNTIME;
        }
        /* mkstemp makes the file private; give it the usual mode. */
        mode_t mask = umask(0);
        umask(mask);
        if (fchmod(fd, 0666 & ~mask) != 0) {
            /* not fatal */
        }
    }
    int r = draw(f, s, in, &clips);
    if (!to_stdout) {
        if (fclose(f) != 0)
            r = -1;
        if (r == 0 && rename(tmp, out) != 0)
            r = -1;
        if (r != 0)
            unlink(tmp);
        free(tmp);
    } else if (fflush(stdout) != 0) {
        r = -1;
    }
    cli_clips_free(&clips);
    lull_script_free(&s);
    if (r != 0) {
        cli_error("plot: writing %s failed", to_stdout ? "standard output" : out);
        return EXIT_RUNTIME;
    }
    if (!cli_quiet && !to_stdout)
        fprintf(stderr, "wrote %s\n", out);
    return EXIT_OK;
}
