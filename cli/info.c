/* info.c - `lull info`: what a session contains, for people or (--json)
 * for programs. */
#include "cli.h"

#include "lull_voice.h"

#include <getopt.h>
#include <math.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f, "usage: lull info [--json] SESSION.lull\n"
               "\n"
               "Describe a session: title, length, script language version, voices and\n"
               "their starting values, sections with their start times, and narration\n"
               "clips with their total length.\n"
               "\n"
               "  -j, --json    print one JSON object instead (for programs)\n"
               "  -h, --help    this help\n");
}

/* A JSON string literal: quotes, backslashes and control characters
 * escaped; other bytes (UTF-8) pass through. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* A number JSON can carry (no inf or nan). */
static void json_num(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

static const char *unit_label(lull_unit u)
{
    switch (u) {
    case LULL_UNIT_HZ: return "Hz";
    case LULL_UNIT_GAIN: return "dB";
    case LULL_UNIT_SEC: return "s";
    default: return "";
    }
}

/* A voice's parameters at the session's start: the declared values. */
typedef struct param_at_start {
    const char *name;
    const char *unit;
    double value;
    const char *choice; /* enums: the chosen name, else NULL */
} param_at_start;

static int voice_params(const lull_script *s, int v, param_at_start *out)
{
    const lull_voice_class *vc = lull_voice_find(lull_script_voice_kind(s, v));
    if (!vc)
        return 0;
    int n = 0;
    for (int p = 0; p < vc->n_params && n < LULL_MAX_PARAMS; p++) {
        const lull_param_desc *d = &vc->params[p];
        double t0 = 0.0, val = d->def;
        if (lull_script_param_curve(s, v, d->name, &t0, &val, 1) != LULL_OK)
            continue;
        out[n].name = d->name;
        out[n].unit = unit_label(d->unit);
        out[n].value = val;
        out[n].choice = NULL;
        if (d->unit == LULL_UNIT_ENUM && d->choices) {
            int k = 0;
            while (d->choices[k] && k < (int)val)
                k++;
            out[n].choice = d->choices[k];
        }
        n++;
    }
    return n;
}

static void print_text(const char *path, const lull_script *s, const cli_clip_list *clips)
{
    char len[32];
    cli_format_time(lull_script_duration_sec(s), len, sizeof len, 1);
    const char *title = lull_script_title(s);
    int stated = lull_script_language_version(s);
    printf("file:      %s\n", path);
    printf("title:     %s\n", title[0] ? title : "(none)");
    printf("length:    %s (%.3f s)\n", len, lull_script_duration_sec(s));
    if (stated)
        printf("language:  version %d (stated)\n", stated);
    else
        printf("language:  version %d (not stated)\n", LULL_LANGUAGE_VERSION);

    int nv = lull_script_voice_count(s);
    printf("voices:    %d\n", nv);
    for (int i = 0; i < nv; i++) {
        param_at_start ps[LULL_MAX_PARAMS];
        int np = voice_params(s, i, ps);
        printf("  %-12s %-9s", lull_script_voice_name(s, i), lull_script_voice_kind(s, i));
        for (int p = 0; p < np; p++) {
            if (ps[p].choice)
                printf(" %s=%s", ps[p].name, ps[p].choice);
            else
                printf(" %s=%g%s", ps[p].name, ps[p].value, ps[p].unit);
        }
        putchar('\n');
    }
    int ns = lull_script_section_count(s);
    printf("sections:  %d\n", ns);
    for (int i = 0; i < ns; i++) {
        char t[32];
        cli_format_time(lull_script_section_start_sec(s, i), t, sizeof t, 1);
        printf("  %9s  %s\n", t, lull_script_section_name(s, i));
    }
    char total[32];
    cli_format_time(clips->total_sec, total, sizeof total, 1);
    printf("clips:     %d, %s in all\n", clips->n, total);
    for (int i = 0; i < clips->n; i++) {
        char t[32], d[32];
        cli_format_time(clips->items[i].start_sec, t, sizeof t, 1);
        cli_format_time(clips->items[i].duration_sec, d, sizeof d, 1);
        printf("  %9s  %-8s %s (%s%s)\n", t, clips->items[i].voice, clips->items[i].file, d,
               clips->items[i].loop ? ", looped" : "");
    }
}

static void print_json(const char *path, const lull_script *s, const cli_clip_list *clips)
{
    FILE *f = stdout;
    fputs("{\n  \"file\": ", f);
    json_str(f, path);
    fputs(",\n  \"title\": ", f);
    json_str(f, lull_script_title(s));
    fputs(",\n  \"duration_sec\": ", f);
    json_num(f, lull_script_duration_sec(s));
    int stated = lull_script_language_version(s);
    fprintf(f, ",\n  \"language_version\": %d,\n  \"language_version_stated\": %s",
            stated ? stated : LULL_LANGUAGE_VERSION, stated ? "true" : "false");
    fprintf(f, ",\n  \"lull_version\": \"%s\"", lull_version());
    fputs(",\n  \"voices\": [", f);
    for (int i = 0; i < lull_script_voice_count(s); i++) {
        param_at_start ps[LULL_MAX_PARAMS];
        int np = voice_params(s, i, ps);
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_str(f, lull_script_voice_name(s, i));
        fputs(", \"kind\": ", f);
        json_str(f, lull_script_voice_kind(s, i));
        fputs(", \"params\": [", f);
        for (int p = 0; p < np; p++) {
            fprintf(f, "%s{\"name\": ", p ? ", " : "");
            json_str(f, ps[p].name);
            fputs(", \"value\": ", f);
            if (ps[p].choice)
                json_str(f, ps[p].choice);
            else
                json_num(f, ps[p].value);
            if (ps[p].unit[0]) {
                fputs(", \"unit\": ", f);
                json_str(f, ps[p].unit);
            }
            fputc('}', f);
        }
        fputs("]}", f);
    }
    fputs(lull_script_voice_count(s) ? "\n  ]" : "]", f);
    fputs(",\n  \"sections\": [", f);
    for (int i = 0; i < lull_script_section_count(s); i++) {
        fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
        json_str(f, lull_script_section_name(s, i));
        fputs(", \"start_sec\": ", f);
        json_num(f, lull_script_section_start_sec(s, i));
        fputc('}', f);
    }
    fputs(lull_script_section_count(s) ? "\n  ]" : "]", f);
    fprintf(f, ",\n  \"clips\": {\"count\": %d, \"total_sec\": ", clips->n);
    json_num(f, clips->total_sec);
    fputs(", \"items\": [", f);
    for (int i = 0; i < clips->n; i++) {
        const cli_clip *c = &clips->items[i];
        fprintf(f, "%s\n    {\"file\": ", i ? "," : "");
        json_str(f, c->file);
        fputs(", \"voice\": ", f);
        json_str(f, c->voice);
        fputs(", \"start_sec\": ", f);
        json_num(f, c->start_sec);
        fputs(", \"duration_sec\": ", f);
        json_num(f, c->duration_sec);
        fprintf(f, ", \"loop\": %s}", c->loop ? "true" : "false");
    }
    fputs(clips->n ? "\n  ]}" : "]}", f);
    fprintf(f, ",\n  \"events\": %d\n}\n", lull_script_event_count(s));
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        { "json", no_argument, NULL, 'j' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int json = 0;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":jh", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'h': help(stdout); return EXIT_OK;
        default:
            cli_error("info: unknown option '%s' (try 'lull info --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "info: which session? (usage: lull info [--json] SESSION.lull)"
                                 : "info: one session at a time (usage: lull info [--json] SESSION.lull)");
        return EXIT_USAGE;
    }
    int code;
    lull_script *s = cli_load_script(argv[optind], &code);
    if (!s)
        return code;
    cli_clip_list clips;
    if (cli_clips_get(s, &clips) != 0) {
        cli_error("info: out of memory");
        lull_script_free(&s);
        return EXIT_RUNTIME;
    }
    if (json)
        print_json(argv[optind], s, &clips);
    else
        print_text(argv[optind], s, &clips);
    cli_clips_free(&clips);
    lull_script_free(&s);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_error("info: cannot write the output");
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
