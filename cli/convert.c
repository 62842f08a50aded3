/* convert.c - `lull convert`: translate an SBaGen schedule (.sbg) into a
 * lull session script that plays the same samples. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void help(FILE *f)
{
    fprintf(f, "usage: lull convert FILE.sbg -o OUT.lull\n"
               "\n"
               "Translate an SBaGen schedule into a lull session script.  The script\n"
               "renders exactly the samples 'lull render FILE.sbg' renders; the schedule's\n"
               "## comments, tone-sets and time lines are kept in it as comments.\n"
               "The mapping is described in scripts/README.md, \"Importing SBaGen schedules\".\n"
               "\n"
               "  -o, --output FILE   where to write ('-': standard output)\n"
               "      --format sbg    read FILE as an SBaGen schedule whatever its name\n"
               "  -q, --quiet         no warnings or summary\n"
               "  -h, --help          this help\n");
}

/* Write the text to path through a temporary file renamed into place, so a
 * failed write never leaves a partial file. */
static int write_atomic(const char *path, const char *text)
{
    size_t n = strlen(path) + 32;
    char *tmp = malloc(n);
    if (!tmp)
        return -1;
    snprintf(tmp, n, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        cli_error("cannot write %s: %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    size_t len = strlen(text);
    int ok = fwrite(text, 1, len, f) == len;
    ok &= fflush(f) == 0;
    ok &= fclose(f) == 0;
    if (!ok || rename(tmp, path) != 0) {
        cli_error("cannot write %s: %s", path, strerror(errno ? errno : EIO));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int cmd_convert(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "format", required_argument, NULL, 'F' },
        { "quiet", no_argument, NULL, 'q' },        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    opterr = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, ":o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'F':
            if (strcmp(optarg, "sbg") != 0) {
                cli_error("convert: --format expects sbg (lull converts SBaGen schedules), got '%s'", optarg);
                return EXIT_USAGE;
            }
            cli_script_format = LULL_SCRIPT_SBG;
            break;
        case 'q': cli_quiet = 1; break;
        case 'h': help(stdout); return EXIT_OK;
        case ':': cli_error("convert: %s needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("convert: unknown option '%s' (try 'lull convert --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "convert: which schedule? (usage: lull convert FILE.sbg -o OUT.lull)"
                                 : "convert: one schedule at a time (usage: lull convert FILE.sbg -o OUT.lull)");
        return EXIT_USAGE;
    }
    const char *in = argv[optind];
    if (!out) {
        cli_error("convert: where to? give -o OUT.lull (or -o - for standard output)");
        return EXIT_USAGE;
    }
    if (cli_script_format != LULL_SCRIPT_SBG && lull_script_format_from_path(in) != LULL_SCRIPT_SBG) {
        cli_error("convert: %s is not named .sbg; give --format sbg if it is an SBaGen schedule", in);
        return EXIT_USAGE;
    }
    FILE *f = fopen(in, "rb");
    if (!f) {
        cli_error("cannot read the schedule %s: %s", in, strerror(errno));
        return EXIT_USAGE;
    }
    size_t cap = 65536, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + len, 1, cap - len, f);
        len += r;
        if (r == 0)
            break;
        if (len == cap) {
            if (cap > 64u * 1024u * 1024u) {
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap *= 2);
            if (!nb)
                free(buf);
            buf = nb;
        }
    }
    int rerr = ferror(f);
    fclose(f);
    if (!buf || rerr) {
        cli_error("cannot read the schedule %s", in);
        free(buf);
        return EXIT_USAGE;
    }
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = cli_print_diag;
    char *text = NULL;
    int r = lull_sbg_convert(buf, len, in, strcmp(out, "-") ? out : NULL, &lc, &text);
    free(buf);
    if (r != LULL_OK) {
        if (r != LULL_ERR_SCRIPT)
            cli_error("%s: %s", in, lull_strerror(r));
        return r == LULL_ERR_SCRIPT ? EXIT_USAGE : EXIT_RUNTIME;
    }
    int code = EXIT_OK;
    if (!strcmp(out, "-")) {
        if (fputs(text, stdout) == EOF || fflush(stdout) != 0)
            code = EXIT_RUNTIME;
    } else if (write_atomic(out, text) < 0) {
        code = EXIT_RUNTIME;
    } else if (!cli_quiet) {
        fprintf(stderr, "wrote %s\n", out);
    }
    lull_text_free(&text);
    return code;
}
