/* render.c - `lull render`: a session to WAV, FLAC or Ogg Vorbis. */
#include "cli.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
    interrupted = sig;
}

static void help(FILE *f)
{
    fprintf(f,
            "usage: lull render [OPTIONS] SESSION.lull -o OUT\n"
            "\n"
            "Render a session to a file.  The format follows OUT's extension:\n"
            ".wav (24-bit by default), .flac, .ogg (Vorbis).  The file is written\n"
            "under a temporary name and appears only when complete.  OUT '-' is\n"
            "standard output (WAV), for pipes: lull render s.lull -o - | sox -t wav - ...\n"
            "The summary gives the result's loudness (EBU R 128).\n"
            "\n"
            "  -o, --output FILE   where to write (required; '-' for standard output)\n"
            "  -r, --rate HZ       sample rate (default 48000)\n"
            "  -b, --bits B        16, 24 or 32f (32-bit float; WAV only); default 24\n"
            "  -f, --format F      wav, flac or ogg, whatever OUT is called; lull or sbg: the\n"
            "                      script's language (default: sbg for *.sbg, else lull)\n"
            "      --seed N        noise seed (default fixed: renders are reproducible)\n"
            "      --resampler Q   clip sample-rate converter: best (default), medium,\n"
            "                      fastest or linear\n"
            "      --loudness LUFS normalise to this integrated loudness (EBU R 128),\n"
            "                      for example -16 or -23; measured first, then applied\n"
            "                      on the master bus\n"
            "      --true-peak DBTP the master limiter's true-peak ceiling, -30..0 (default -1);\n"
            "                      --loudness keeps its gain under it too\n"
            "      --sync          wait until a new file is on the disk (fsync), so it\n"
            "                      survives a power cut; a file being replaced is always\n"
            "                      synced before the old one gives way\n"
            "  -q, --quiet         no progress bar or summary (and no loudness\n"
            "                      measurement: faster)\n"
            "  -v, --verbose       also say what the loudness pass measured and did\n"
            "  -h, --help          this help\n");
}

typedef struct progress {
    double start;
    double last_draw;
    int rate;
    int tty;
    const char *what;
} progress;

static int on_progress(void *user, int64_t done, int64_t total)
{
    progress *p = user;
    if (interrupted)
        return 1;
    if (!p->tty)
        return 0;
    double now = cli_now();
    if (done != total && now - p->last_draw < 0.1)
        return 0;
    p->last_draw = now;
    double frac = total > 0 ? (double)done / (double)total : 1.0;
    double el = now - p->start;
    double eta = frac > 0.001 ? el * (1.0 - frac) / frac : 0.0;
    char a[32], b[32];
    cli_format_time(el, a, sizeof a, 0);
    cli_format_time(eta, b, sizeof b, 0);
    int width = 30, fill = (int)(frac * width + 0.5);
    char bar[64];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    double speed = el > 0 ? (double)done / p->rate / el : 0.0;
    fprintf(stderr, "\r%s [%s] %3d%%  %s elapsed  %s left  %.0fx real time ", p->what, bar,
            (int)(frac * 100), a, b, speed);
    if (done == total)
        fputs("\r\033[K", stderr);
    fflush(stderr);
    return 0;
}

int cmd_render(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' }, { "rate", required_argument, NULL, 'r' },
        { "bits", required_argument, NULL, 'b' },   { "format", required_argument, NULL, 'f' },
        { "seed", required_argument, NULL, 'S' },   { "quiet", no_argument, NULL, 'q' },
        { "resampler", required_argument, NULL, 'R' },
        { "help", no_argument, NULL, 'h' },         { "loudness", required_argument, NULL, 'L' },
        { "true-peak", required_argument, NULL, 'T' }, { "verbose", no_argument, NULL, 'v' },
        { "sync", no_argument, NULL, 'Y' },
        { NULL, 0, NULL, 0 },
    };
    double target_lufs = NAN, ceiling_dbtp = -1.0;
    lull_render_config rc = lull_render_config_init();
    const char *out = NULL;
    opterr = 0;
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":o:r:b:f:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'r':
            if (cli_parse_long("--rate", optarg, 8000, 384000, &v) < 0)
                return EXIT_USAGE;
            rc.rate_hz = (int)v;
            break;
        case 'b':
            if (!strcmp(optarg, "16"))
                rc.samples = LULL_SAMPLES_PCM16;
            else if (!strcmp(optarg, "24"))
                rc.samples = LULL_SAMPLES_PCM24;
            else if (!strcmp(optarg, "32f") || !strcmp(optarg, "32"))
                rc.samples = LULL_SAMPLES_FLOAT32;
            else {
                cli_error("--bits expects 16, 24 or 32f, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'f':
            if (!strcmp(optarg, "wav"))
                rc.format = LULL_FORMAT_WAV;
            else if (!strcmp(optarg, "flac"))
                rc.format = LULL_FORMAT_FLAC;
            else if (!strcmp(optarg, "ogg"))
                rc.format = LULL_FORMAT_OGG;
            else if (!strcmp(optarg, "sbg") || !strcmp(optarg, "lull"))
                cli_parse_script_format("render", optarg); /* the script's language */
            else {
                cli_error("--format expects wav, flac or ogg (the output), or lull or sbg (the script), got '%s'",
                          optarg);
                return EXIT_USAGE;
            }
            break;
        case 'S': {
            unsigned long long s;
            if (cli_parse_u64("--seed", optarg, &s) < 0)
                return EXIT_USAGE;
            rc.seed = s;
            break;
        }
        case 'R':
            rc.resampler = lull_resampler_from_name(optarg);
            if (rc.resampler < 0) {
                cli_error("--resampler expects best, medium, fastest or linear, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'L':
            if (cli_parse_double("--loudness", optarg, -70.0, 0.0, &target_lufs) < 0)
                return EXIT_USAGE;
            break;
        case 'T':
            if (cli_parse_double("--true-peak", optarg, -30.0, 0.0, &ceiling_dbtp) < 0)
                return EXIT_USAGE;
            rc.true_peak_dbtp = ceiling_dbtp;
            break;
        case 'q': cli_quiet = 1; break;
        case 'Y': rc.sync = 1; break;
        case 'v': cli_verbose = 1; break;
        case 'h': help(stdout); return EXIT_OK;
        case ':': cli_error("render: %s needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("render: unknown option '%s' (try 'lull render --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "render: which session? (usage: lull render SESSION.lull -o OUT)"
                                 : "render: one session at a time (usage: lull render SESSION.lull -o OUT)");
        return EXIT_USAGE;
    }
    if (!out) {
        cli_error("render: where to? give -o OUT.wav (or .flac, .ogg)");
        return EXIT_USAGE;
    }
    const int to_stdout = !strcmp(out, "-");
    if (to_stdout && rc.format != LULL_FORMAT_AUTO && rc.format != LULL_FORMAT_WAV) {
        cli_error("render: standard output takes WAV only; write FLAC or Ogg to a file");
        return EXIT_USAGE;
    }
    if (to_stdout && isatty(STDOUT_FILENO)) {
        cli_error("render: standard output is a terminal; pipe it (lull render s.lull -o - | ...)");
        return EXIT_USAGE;
    }
    if (!to_stdout && rc.format == LULL_FORMAT_AUTO && lull_format_from_path(out) == LULL_FORMAT_AUTO) {
        cli_error("render: cannot tell the format of '%s': name it .wav, .flac or .ogg, or give --format", out);
        return EXIT_USAGE;
    }
    struct stat st;
    if (!to_stdout && stat(out, &st) == 0 && S_ISDIR(st.st_mode)) {
        cli_error("render: %s is a folder; give a file name", out);
        return EXIT_USAGE;
    }

    int code;
    lull_script *s = cli_load_script(argv[optind], &code);
    if (!s)
        return code;

    cli_catch_stop_signals(on_signal);
    /* Past a file size limit (ulimit -f) a write must fail with EFBIG, so
     * the render cleans up its temporary file, instead of the default
     * SIGXFSZ killing the process and leaving the temporary file behind. */
    signal(SIGXFSZ, SIG_IGN);

    progress p = { cli_now(), 0.0, rc.rate_hz, !cli_quiet && isatty(STDERR_FILENO), "render " };
    int r = LULL_OK;
    if (!isnan(target_lufs)) {
        /* Pass 1: measure the session as the engine makes it, writing
         * nothing; pass 2 renders it once with the trim on the master. */
        lull_engine_config ec = lull_engine_config_init();
        ec.rate_hz = rc.rate_hz;
        ec.seed = rc.seed;
        ec.resampler = rc.resampler ? rc.resampler : LULL_RESAMPLER_BEST;
        ec.true_peak_dbtp = rc.true_peak_dbtp;
        lull_loudness m;
        p.what = "measure";
        r = lull_analyze_loudness(s, &ec, on_progress, &p, &m);
        if (r == LULL_OK) {
            int limited = 0;
            rc.master_trim_db = lull_loudness_trim_db(&m, target_lufs, ceiling_dbtp, &limited);
            if (cli_verbose)
                fprintf(stderr, "measured %.2f LUFS, true peak %.2f dBTP: master trim %+.2f dB\n",
                        m.integrated_lufs, m.true_peak_dbtp, rc.master_trim_db);
            if (!isfinite(m.integrated_lufs))
                cli_warn("the session is silent; --loudness has nothing to normalise");
            else if (limited)
                cli_warn("the true-peak ceiling %.1f dBTP holds the loudness at %.1f LUFS, under "
                         "the %.1f asked for",
                         ceiling_dbtp, m.integrated_lufs + rc.master_trim_db, target_lufs);
            if (rc.master_trim_db > 40.0) {
                cli_error("render: the session is too quiet to bring to %.1f LUFS (it would need "
                          "%+.1f dB)", target_lufs, rc.master_trim_db);
                lull_script_free(&s);
                return EXIT_RUNTIME;
            }
        }
        p.what = "render ";
        p.last_draw = 0.0;
    }
    lull_loudness result;
    rc.progress = on_progress;
    rc.user = &p;
    /* The summary's loudness costs libebur128 about 20 ns a frame, more
     * than the render itself: measured only when it is printed. */
    rc.loudness = cli_quiet ? NULL : &result;
    if (r == LULL_OK)
        r = lull_render_file(s, out, &rc);
    double secs = cli_now() - p.start;
    if (r != LULL_OK) {
        if (p.tty)
            fputs("\r\033[K", stderr);
        if (r == LULL_ERR_CANCELLED && interrupted)
            cli_error(to_stdout ? "interrupted: the stream on %s is incomplete"
                                : "interrupted: nothing was written to %s", out);
        else
            cli_error("%s", lull_last_error()[0] ? lull_last_error() : lull_strerror(r));
        lull_script_free(&s);
        return r == LULL_ERR_CANCELLED && interrupted ? 128 + interrupted : EXIT_RUNTIME;
    }
    if (!cli_quiet) {
        char len[32];
        double dur = lull_script_duration_sec(s);
        cli_format_time(dur, len, sizeof len, 0);
        fprintf(stderr, "wrote %s: %s at %d Hz in %.2f s (%.0fx real time)\n",
                to_stdout ? "standard output" : out, len, rc.rate_hz, secs, secs > 0 ? dur / secs : 0.0);
        char lufs[32], tp[32];
        cli_format_db(result.integrated_lufs, lufs, sizeof lufs);
        cli_format_db(result.true_peak_dbtp, tp, sizeof tp);
        fprintf(stderr, "loudness %s LUFS integrated, range %.1f LU, true peak %s dBTP\n", lufs,
                result.range_lu, tp);
    }
    lull_script_free(&s);
    return EXIT_OK;
}
