/* play.c - `lull play`: a session on an output device, with a terminal UI. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

/* q and Ctrl-C fade out over this long. */
#define QUIT_FADE_SEC 1.0
/* How often the screen is redrawn (and keys read). */
#define UI_PERIOD_MS 50

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

static void help(FILE *f)
{
    fprintf(f,
            "usage: lull play [OPTIONS] SESSION.lull\n"
            "\n"
            "Play a session on an audio output.  On a terminal it shows the section,\n"
            "time and level; keys: space pause/resume, n/p (or right/left) next/previous\n"
            "section, +/- volume in 1 dB steps, q or Ctrl-C fade out and quit.\n"
            "Without a terminal it plays to the end and prints a one-line summary.\n"
            "\n"
            "  -d, --device DEV     output device: its number or part of its name\n"
            "                       (see 'lull devices'); default: the system default\n"
            "  -a, --api NAME       audio system to use: alsa, jack or oss\n"
            "  -l, --latency MS     output latency (default: the device's low latency)\n"
            "  -r, --rate HZ        sample rate (default: the device's rate)\n"
            "      --block FRAMES   frames per audio callback, 1-4096 (default: the backend's)\n"
            "      --stop-after T   fade out over about a minute so playback ends after T\n"
            "                       (45m, 1h30m, 1:30:00), then exit\n"
            "      --start-at HH:MM wait until this time of day, then play\n"
            "      --loop           start again at the end, without a gap\n"
            "      --volume DB      starting volume trim (default 0)\n"
            "      --loudness LUFS  measure first, then play at this integrated loudness\n"
            "                       (EBU R 128), as lull render --loudness does\n"
            "      --true-peak DBTP the master limiter's true-peak ceiling, -30..0 (default -1);\n"
            "                       --loudness keeps its volume under it too\n"
            "      --seed N         noise seed (default fixed)\n"
            "      --resampler Q    clip sample-rate converter: best (default, as renders),\n"
            "                       medium, fastest or linear (cheaper on slow machines)\n"
            "      --format F       the script's language: lull, or sbg (an SBaGen schedule);\n"
            "                       default: sbg for a name ending in .sbg, else lull\n"
            "  -q, --quiet          no display and no summary\n"
            "  -h, --help           this help\n"
            "\n"
            "Exit status: 0 played (or stopped with q / Ctrl-C), 1 audio device problem,\n"
            "2 usage or script error.\n");
}

/* "45m", "1h30m", "90s", "250ms", "1:30:00", "45:00" -> seconds; -1 if bad. */
static double parse_duration(const char *s)
{
    if (!*s)
        return -1;
    if (strchr(s, ':')) {
        double parts[3];
        int n = 0;
        const char *p = s;
        while (n < 3) {
            const char *end;
            double v = cli_strtod_decimal(p, &end);
            if (end == p || !(v >= 0))
                return -1;
            parts[n++] = v;
            if (*end == ':')
                p = end + 1;
            else if (*end == '\0')
                break;
            else
                return -1;
        }
        if (n < 2 || parts[n - 1] >= 60 || (n == 3 && parts[1] >= 60))
            return -1;
        return n == 2 ? parts[0] * 60 + parts[1] : parts[0] * 3600 + parts[1] * 60 + parts[2];
    }
    double total = 0;
    const char *p = s;
    while (*p) {
        const char *end;
        double v = cli_strtod_decimal(p, &end);
        if (end == p || !(v >= 0))
            return -1;
        if (!strncmp(end, "ms", 2)) {
            total += v / 1000.0;
            end += 2;
        } else if (*end == 'h') {
            total += v * 3600.0;
            end++;
        } else if (*end == 'm') {
            total += v * 60.0;
            end++;
        } else if (*end == 's') {
            total += v;
            end++;
        } else {
            return -1; /* a bare number: minutes or seconds?  Ask for a unit. */
        }
        p = end;
    }
    return total;
}

/* Seconds from now until the next HH:MM[:SS] local time; -1 if malformed. */
static double seconds_until(const char *s)
{
    int h = -1, m = -1, sec = 0;
    char extra;
    int n = sscanf(s, "%d:%d:%d%c", &h, &m, &sec, &extra);
    if (n < 2 || n > 3 || h < 0 || h > 23 || m < 0 || m > 59 || sec < 0 || sec > 59)
        return -1;
    time_t now = time(NULL);
    struct tm when;
    localtime_r(&now, &when);
    when.tm_hour = h;
    when.tm_min = m;
    when.tm_sec = sec;
    when.tm_isdst = -1;
    time_t t = mktime(&when);
    if (t <= now) {
        when.tm_mday += 1; /* tomorrow; mktime normalises the date */
        when.tm_isdst = -1;
        t = mktime(&when);
    }
    return difftime(t, now);
}

/* --------------------------------------------------------------- terminal */

static struct termios saved_tty;
static int tty_raw;

static void tty_restore(void)
{
    if (tty_raw) {
        tcsetattr(STDIN_FILENO, TCSANOW, &saved_tty);
        fputs("\033[?25h", stderr); /* show the cursor again */
        tty_raw = 0;
    }
}

static void tty_enter_raw(void)
{
    if (tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return;
    struct termios t = saved_tty;
    t.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* keys one at a time, unechoed; */
    t.c_cc[VMIN] = 0;                        /* ISIG stays: Ctrl-C is SIGINT */
    t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0) {
        tty_raw = 1;
        fputs("\033[?25l", stderr); /* hide the cursor while redrawing */
        atexit(tty_restore);
    }
}

/* Wait up to ms for a key; returns it, a negative arrow code, or 0. */
enum { KEY_RIGHT = -1, KEY_LEFT = -2, KEY_UP = -3, KEY_DOWN = -4 };
static int read_key(int ms)
{
    struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
    if (poll(&pfd, 1, ms) <= 0)
        return 0;
    unsigned char c[8];
    ssize_t n = read(STDIN_FILENO, c, sizeof c);
    if (n <= 0)
        return 0;
    if (n >= 3 && c[0] == 27 && c[1] == '[') {
        switch (c[2]) {
        case 'C': return KEY_RIGHT;
        case 'D': return KEY_LEFT;
        case 'A': return KEY_UP;
        case 'B': return KEY_DOWN;
        default: return 0;
        }
    }
    return c[0];
}

/* ----------------------------------------------------------------- display */

static void meter(char *buf, size_t n, float peak)
{
    const int width = 24;
    double db = peak > 0.0f ? 20.0 * log10(peak) : -120.0;
    int fill = (int)lround((db + 60.0) / 60.0 * width);
    if (fill < 0)
        fill = 0;
    if (fill > width)
        fill = width;
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    if (db < -99.0)
        snprintf(buf, n, "%s  -inf", bar);
    else
        snprintf(buf, n, "%s %5.1f", bar, db);
}

static void draw(const lull_script *s, const lull_player_stats *st, int first, double stop_in)
{
    const double rate = st->rate_hz > 0 ? st->rate_hz : 48000;
    char el[32], len[32], left[32], ml[64], mr[64], stop[48] = "";
    cli_format_time((double)st->engine.position_frames / rate, el, sizeof el, 0);
    cli_format_time((double)st->engine.length_frames / rate, len, sizeof len, 0);
    cli_format_time((double)(st->engine.length_frames - st->engine.position_frames) / rate, left,
                    sizeof left, 0);
    meter(ml, sizeof ml, st->engine.peak_left);
    meter(mr, sizeof mr, st->engine.peak_right);
    if (stop_in >= 0) {
        char t[32];
        cli_format_time(stop_in, t, sizeof t, 0);
        snprintf(stop, sizeof stop, "  stops in %s", t);
    }
    const int sec = st->engine.section;
    const char *name = sec >= 0 ? lull_script_section_name(s, sec) : "(opening)";
    /* Trouble is shown as soon as it happens, never hidden: late callbacks
     * (the player's own measure) beside the backend's xruns, and clip audio
     * that was not decoded in time. */
    char gaps[48] = "";
    if (st->clips.underruns > 0)
        snprintf(gaps, sizeof gaps, "  clip gaps %lld", (long long)st->clips.underruns);
    if (!first)
        fputs("\033[2A", stderr);
    fprintf(stderr, "\r\033[K%s %s  %s / %s  (%s left)  vol %+.0f dB  xruns %lld  late %lld%s%s\n",
            st->engine.paused ? "||" : "> ", name, el, len, left, st->engine.volume_db,
            (long long)st->xruns, (long long)st->late_callbacks, gaps, stop);
    fprintf(stderr, "\r\033[K   L %s   R %s\n", ml, mr);
    fflush(stderr);
}

/* ------------------------------------------------------------------ play */

typedef struct play_opts {
    lull_player_config pc;
    double volume_db;
    const char *start_at;
    double start_wait_sec;  /* --start-at, resolved when the option was read */
    double start_t0;        /* cli_now() then */
    int quiet;
    double loudness_lufs;   /* NAN: no loudness normalisation */
    double true_peak_dbtp;
} play_opts;

/* Wait for --start-at; returns 0 to play, 1 if cancelled. */
static int wait_until_start(const char *start_at, double wait, double t0, int ui)
{
    while (!got_signal) {
        double left = wait - (cli_now() - t0);
        if (left <= 0)
            return 0;
        if (ui) {
            char t[32];
            cli_format_time(left, t, sizeof t, 0);
            fprintf(stderr, "\r\033[Kwaiting until %s (%s)   q to cancel", start_at, t);
            fflush(stderr);
            int k = read_key(left < 0.2 ? (int)(left * 1000) + 1 : 200);
            if (k == 'q' || k == 'Q' || k == 27) {
                fputs("\r\033[K", stderr);
                return 1;
            }
        } else {
            struct timespec ts = { 0, left < 0.2 ? (long)(left * 1e9) + 1 : 200000000L };
            nanosleep(&ts, NULL);
        }
    }
    if (ui)
        fputs("\r\033[K", stderr);
    return 1;
}

static int run(const lull_script *s, play_opts *o)
{
    const int ui = !o->quiet && isatty(STDIN_FILENO) && isatty(STDERR_FILENO);
    lull_player *p = NULL;
    int r = lull_player_open(s, &o->pc, &p);
    if (r != LULL_OK) {
        cli_error("%s", lull_last_error()[0] ? lull_last_error() : lull_strerror(r));
        return EXIT_RUNTIME;
    }
    if (o->start_at) {
        /* The device was checked above; do not hold it while waiting. */
    lull_player_close(&p);
        if (ui)
            tty_enter_raw();
        if (wait_until_start(o->start_at, o->start_wait_sec, o->start_t0, ui)) {
            tty_restore();
            return EXIT_OK;
        }
        r = lull_player_open(s, &o->pc, &p);
        if (r != LULL_OK) {
            tty_restore();
            cli_error("%s", lull_last_error()[0] ? lull_last_error() : lull_strerror(r));
            return EXIT_RUNTIME;
        }
    }
    if (o->volume_db != 0.0)
        lull_player_set_volume_db(p, o->volume_db);
    r = lull_player_start(p);
    if (r != LULL_OK) {
        cli_error("%s", lull_last_error());
        lull_player_close(&p);
        return EXIT_RUNTIME;
    }

    double volume_db = o->volume_db;
    int quitting = 0;
    if (ui) {
        tty_enter_raw();
        const char *title = lull_script_title(s);
        fprintf(stderr, "%s%s%s  on %s\n", cli_color(stderr) ? "\033[1m" : "",
                title[0] ? title : "(untitled session)", cli_color(stderr) ? "\033[0m" : "",
                lull_player_device_name(p));
        fprintf(stderr, "space pause   n/p next/previous section   +/- volume   q quit\n");
    }
    int first = 1;
    lull_player_stats st;
    for (;;) {
        if (got_signal && !quitting) {
            lull_player_stop(p, QUIT_FADE_SEC);
            quitting = 1;
        }
        if (ui) {
            int k = read_key(UI_PERIOD_MS);
            switch (k) {
            case ' ':
            case 'k': {
                lull_command c = { LULL_CMD_TOGGLE_PAUSE, 0, 0, 0 };
                lull_player_post(p, &c);
                break;
            }
            case 'n':
            case KEY_RIGHT: lull_player_step_section(p, 1); break;
            case 'p':
            case KEY_LEFT: lull_player_step_section(p, -1); break;
            case '+':
            case '=':
            case KEY_UP:
                volume_db = volume_db + 1 > 12 ? 12 : volume_db + 1;
                lull_player_set_volume_db(p, volume_db);
                break;
            case '-':
            case '_':
            case KEY_DOWN:
                volume_db = volume_db - 1 < -60 ? -60 : volume_db - 1;
                lull_player_set_volume_db(p, volume_db);
                break;
            case 'q':
            case 'Q':
            case 27:
                if (!quitting) {
                    lull_player_stop(p, QUIT_FADE_SEC);
                    quitting = 1;
                }
                break;
            default: break;
            }
        } else if (lull_player_wait(p, UI_PERIOD_MS / 1000.0)) {
            /* over */
        }
        lull_player_get_stats(p, &st);
        if (ui) {
            double stop_in = -1;
            if (o->pc.stop_after_sec > 0)
                stop_in = o->pc.stop_after_sec - (double)st.frames_out / st.rate_hz;
            draw(s, &st, first, stop_in);
            first = 0;
        }
        if (st.finished || st.device_lost)
            break;
    }
    tty_restore();
    lull_player_get_stats(p, &st);
    const double played_sec = (double)st.frames_out / st.rate_hz;
    char played[32], pos[32];
    cli_format_time(played_sec, played, sizeof played, 0);
    cli_format_time((double)st.engine.position_frames / st.rate_hz, pos, sizeof pos, 0);
    int code = EXIT_OK;
    if (st.device_lost) {
        cli_error("the output device %s stopped during playback, at %s into the session: check "
                  "the device or sound server and play again",
                  lull_player_device_name(p), pos);
        code = EXIT_RUNTIME;
    } else if (!o->quiet) {
        const char *title = lull_script_title(s);
        fprintf(stderr,
                "%s: played '%s' for %s on %s at %d Hz, %lld xrun%s, %lld late callback%s "
                "(slowest %.0f%% of its time)%s\n",
                cli_prog, title[0] ? title : "untitled", played, lull_player_device_name(p),
                st.rate_hz, (long long)st.xruns, st.xruns == 1 ? "" : "s",
                (long long)st.late_callbacks, st.late_callbacks == 1 ? "" : "s",
                100.0 * st.max_callback_load, quitting ? " (stopped early)" : "");
    }
    if (st.clips.underruns > 0)
        cli_warn("clips were not decoded in time %lld time%s (%.3f s of clip audio played as silence; "
                 "a slow disk or a busy machine): try a faster --resampler",
                 (long long)st.clips.underruns, st.clips.underruns == 1 ? "" : "s",
                 (double)st.clips.missing_frames / (st.rate_hz > 0 ? st.rate_hz : 48000));
    if (st.clips.decode_errors > 0)
        cli_warn("a clip could not be decoded and played as silence");
    lull_player_close(&p);
    return code;
}

int cmd_play(int argc, char **argv)
{
    static const struct option opts[] = {
        { "device", required_argument, NULL, 'd' },   { "api", required_argument, NULL, 'a' },
        { "latency", required_argument, NULL, 'l' },  { "rate", required_argument, NULL, 'r' },
        { "block", required_argument, NULL, 'B' },    { "stop-after", required_argument, NULL, 'T' },
        { "start-at", required_argument, NULL, 'A' }, { "loop", no_argument, NULL, 'L' },
        { "volume", required_argument, NULL, 'v' },   { "seed", required_argument, NULL, 'S' },
        { "quiet", no_argument, NULL, 'q' },          { "help", no_argument, NULL, 'h' },
        { "resampler", required_argument, NULL, 'R' },
        { "format", required_argument, NULL, 'F' },
        { "loudness", required_argument, NULL, 'N' }, { "true-peak", required_argument, NULL, 'P' },
        { NULL, 0, NULL, 0 },
    };
    play_opts o;
    memset(&o, 0, sizeof o);
    o.pc = lull_player_config_init();
    o.loudness_lufs = NAN;
    o.true_peak_dbtp = -1.0;
    opterr = 0;
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, ":d:a:l:r:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'd': o.pc.device = optarg; break;
        case 'a': o.pc.host_api = optarg; break;
        case 'l':
            if (cli_parse_long("--latency", optarg, 1, 2000, &v) < 0)
                return EXIT_USAGE;
            o.pc.latency_sec = (double)v / 1000.0;
            break;
        case 'r':
            if (cli_parse_long("--rate", optarg, 8000, 384000, &v) < 0)
                return EXIT_USAGE;
            o.pc.rate_hz = (int)v;
            break;
        case 'B':
            if (cli_parse_long("--block", optarg, 1, LULL_MAX_BLOCK_FRAMES, &v) < 0)
                return EXIT_USAGE;
            o.pc.block_frames = (int)v;
            break;
        case 'T': {
            double sec = parse_duration(optarg);
            if (sec <= 0) {
                cli_error("--stop-after expects a duration such as 45m, 1h30m, 90s or 1:30:00, "
                          "got '%s'",
                          optarg);
                return EXIT_USAGE;
            }
            o.pc.stop_after_sec = sec;
            break;
        }
        case 'A':
            /* The time of day is resolved now, not after the device has
             * been opened: an open slower than the time left (a slow
             * backend, a sanitizer build) must not push the start to the
             * same time tomorrow. */
            o.start_t0 = cli_now();
            o.start_wait_sec = seconds_until(optarg);
            if (o.start_wait_sec < 0) {
                cli_error("--start-at expects a time of day as HH:MM or HH:MM:SS (24-hour), got "
                          "'%s'",
                          optarg);
                return EXIT_USAGE;
            }
            o.start_at = optarg;
            break;
        case 'L': o.pc.loop = 1; break;
        case 'v': {
            const char *end;
            double db = cli_strtod_decimal(optarg, &end);
            if (end == optarg || (*end && strcasecmp(end, "dB") != 0) || !(db >= -60 && db <= 12)) {
                cli_error("--volume expects decibels from -60 to 12, got '%s'", optarg);
                return EXIT_USAGE;
            }
            o.volume_db = db;
            break;
        }
        case 'S': {
            unsigned long long sd;
            if (cli_parse_u64("--seed", optarg, &sd) < 0)
                return EXIT_USAGE;
            o.pc.seed = sd;
            break;
        }
        case 'R':
            o.pc.resampler = lull_resampler_from_name(optarg);
            if (o.pc.resampler < 0) {
                cli_error("--resampler expects best, medium, fastest or linear, got '%s'", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'N':
            if (cli_parse_double("--loudness", optarg, -70.0, 0.0, &o.loudness_lufs) < 0)
                return EXIT_USAGE;
            break;
        case 'P':
            if (cli_parse_double("--true-peak", optarg, -30.0, 0.0, &o.true_peak_dbtp) < 0)
                return EXIT_USAGE;
            o.pc.true_peak_dbtp = o.true_peak_dbtp;
            break;
        case 'q': o.quiet = 1; break;
        case 'h': help(stdout); return EXIT_OK;
        case 'F':
            if (cli_parse_script_format("play", optarg) < 0)
                return EXIT_USAGE;
            break;
        case ':': cli_error("play: %s needs a value", argv[optind - 1]); return EXIT_USAGE;
        default:
            cli_error("play: unknown option '%s' (try 'lull play --help')", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind != argc - 1) {
        cli_error(optind >= argc ? "play: which session? (usage: lull play SESSION.lull)"
                                 : "play: one session at a time (usage: lull play SESSION.lull)");
        return EXIT_USAGE;
    }
    cli_quiet = o.quiet;
    int code;
    lull_script *s = cli_load_script(argv[optind], &code);
    if (!s)
        return code;

    cli_catch_stop_signals(on_signal);

    if (!isnan(o.loudness_lufs)) {
        /* The same measurement and trim as `lull render --loudness`, applied
         * as the starting volume, so the session is as loud live as it is
         * rendered (loudness barely depends on the sample rate: 48 kHz). */
        lull_engine_config ec = lull_engine_config_init();
        ec.seed = o.pc.seed;
        ec.resampler = o.pc.resampler;
        ec.true_peak_dbtp = o.true_peak_dbtp;
        lull_loudness m;
        if (!o.quiet)
            fprintf(stderr, "measuring the session's loudness...\n");
        int r = lull_analyze_loudness(s, &ec, NULL, NULL, &m);
        if (r != LULL_OK) {
            cli_error("play: measuring loudness failed: %s", lull_last_error()[0] ? lull_last_error() : lull_strerror(r));
            lull_script_free(&s);
            return EXIT_RUNTIME;
        }
        int limited = 0;
        const double trim = lull_loudness_trim_db(&m, o.loudness_lufs, o.true_peak_dbtp, &limited);
        if (!isfinite(m.integrated_lufs))
            cli_warn("the session is silent; --loudness has nothing to normalise");
        else if (limited)
            cli_warn("the true-peak ceiling %.1f dBTP holds the loudness at %.1f LUFS, under the %.1f asked for",
                     o.true_peak_dbtp, m.integrated_lufs + trim, o.loudness_lufs);
        if (!o.quiet)
            fprintf(stderr, "measured %.1f LUFS, true peak %.1f dBTP: volume %+.1f dB\n", m.integrated_lufs,
                    m.true_peak_dbtp, trim);
        o.volume_db += trim;
        if (o.volume_db > 12.0)
            cli_warn("live volume goes up to +12 dB only: the session will play %.1f dB under the target",
                     o.volume_db - 12.0);
    }
    code = run(s, &o);
    lull_script_free(&s);
    return code;
}
