/* check.c - `lull check`: validate a script and describe it. */
#include "cli.h"

#include <getopt.h>
#include <string.h>

static void help(FILE *f)
{
    fprintf(f, "usage: lull check [-q] [--format lull|sbg] SESSION.lull\n"
               "\n"
               "Parse and validate a session script, and open every audio file it plays.\n"
               "Prints its title, length, voices, sections and clips (with each file's\n"
               "duration) and exits 0, or prints each error as file:line:column and\n"
               "exits 2.  Warns when a clip runs past the next clip on its voice or past\n"
               "the session's end.\n"
               "\n"
               "  -q, --quiet   print nothing on success\n"
               "      --format F  the script's language: lull, or sbg (an SBaGen schedule);\n"
               "                default: sbg for a name ending in .sbg, else lull\n"
               "  -h, --help    this help\n");
}

/* Each clip: when, which voice, how long the file is, and its format. */
static void print_clips(const lull_script *s)
{
    int n = lull_script_clip_count(s);
    if (!n)
        return;
    printf("clips:\n");
    for (int i = 0; i < n; i++) {
        lull_clip_desc c;
        if (lull_script_clip_info(s, i, &c) != LULL_OK)
            continue;
        char t[32], d[32];
        cli_format_time(c.start_sec, t, sizeof t, 1);
        cli_format_time(c.duration_sec, d, sizeof d, 1);
        printf("  %9s  %-10s %-9s %s%s (%d Hz %s)\n", t, lull_script_voice_name(s, c.voice), d, c.file,
               c.loop ? " loop" : "", c.rate_hz, c.channels == 1 ? "mono" : "stereo");
    }
}

int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { "format", required_argument, NULL, 'F' },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":qh", opts, NULL)) != -1) {
        switch (c) {
        case 'q': cli_quiet = 1; break;
        case 'h': help(stdout); return EXIT_OK;
        case 'F':
            if (cli_parse_script_format("check", optarg) < 0)
                return EXIT_USAGE;
            break;
        case ':': cli_error("check: %s needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("check: unknown option '%s' (try 'lull check --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "check: which session? (usage: lull check SESSION.lull)"
                                 : "check: one session at a time (usage: lull check SESSION.lull)");
        return EXIT_USAGE;
    }
    int code;
    lull_script *s = cli_load_script(argv[optind], &code);
    if (!s)
        return code;
    if (!cli_quiet) {
        char len[32];
        cli_format_time(lull_script_duration_sec(s), len, sizeof len, 1);
        const char *title = lull_script_title(s);
        printf("%s: %s%s%s\n", argv[optind], title[0] ? "\"" : "", title[0] ? title : "(no title)",
               title[0] ? "\"" : "");
        int nv = lull_script_voice_count(s), ns = lull_script_section_count(s);
        printf("length %s, %d voice%s, %d section%s, %d event%s\n", len, nv, nv == 1 ? "" : "s", ns,
               ns == 1 ? "" : "s", lull_script_event_count(s), lull_script_event_count(s) == 1 ? "" : "s");
        if (nv) {
            printf("voices:\n");
            for (int i = 0; i < nv; i++)
                printf("  %-12s %s\n", lull_script_voice_name(s, i), lull_script_voice_kind(s, i));
        }
        if (ns) {
            printf("sections:\n");
            for (int i = 0; i < ns; i++) {
                char t[32];
                cli_format_time(lull_script_section_start_sec(s, i), t, sizeof t, 1);
                printf("  %8s  %s\n", t, lull_script_section_name(s, i));
            }
        }
        print_clips(s);
        printf("ok\n");
    }
    lull_script_free(&s);
    return EXIT_OK;
}
