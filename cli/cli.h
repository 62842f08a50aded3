/*
 * cli.h - shared pieces of the `lull` command.
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or script error.
 */
#ifndef LULL_CLI_H
#define LULL_CLI_H

#include "lull.h"

#include <stdint.h>
#include <stdio.h>

#define EXIT_OK 0
#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

extern int cli_quiet;
extern int cli_verbose;
extern const char *cli_prog;
/* The script format --format chose (LULL_SCRIPT_AUTO: by extension). */
extern int cli_script_format;

int cmd_check(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_play(int argc, char **argv);
int cmd_devices(int argc, char **argv);
int cmd_convert(int argc, char **argv);
/* --format lull|sbg for the script: sets cli_script_format; 0 or -1 after printing. */
int cli_parse_script_format(const char *cmd, const char *arg);
int cmd_info(int argc, char **argv);
int cmd_plot(int argc, char **argv);

/* A session's narration clips, in time order (cli/clips.c).  Strings point
 * into the script. */
typedef struct cli_clip {
    const char *file;
    const char *voice;
    double start_sec;
    double duration_sec; /* the file's own length */
    int loop;
} cli_clip;
typedef struct cli_clip_list {
    cli_clip *items;
    int n;
    double total_sec;
} cli_clip_list;
int cli_clips_get(const lull_script *s, cli_clip_list *out); /* 0, or -1: no memory */
void cli_clips_free(cli_clip_list *l);

/* Print "lull: message" on stderr. */
void cli_error(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;
void cli_warn(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Whether to colour output on this stream (a terminal, NO_COLOR unset). */
int cli_color(FILE *f);
/* Print a diagnostic compiler-style (file:line:col, the line, a caret). */
void cli_print_diag(void *user, const lull_diag *d);
/* Load a script, printing compiler-style diagnostics.  Returns NULL after
 * printing; *exit_code is set to the code to return. */
lull_script *cli_load_script(const char *path, int *exit_code);
/* "1:02:03" or "12:34" (with .mmm when show_ms). */
void cli_format_time(double sec, char *buf, size_t n, int show_ms);
/* Parse an integer option value strictly; returns 0 or -1 after printing. */
int cli_parse_long(const char *opt, const char *s, long lo, long hi, long *out);
/* Route SIGINT, SIGTERM and SIGHUP to `handler`, so a command can stop
 * cleanly (fade out, remove a temporary file) instead of dying. */
void cli_catch_stop_signals(void (*handler)(int));
/* The same for a decimal number. */
int cli_parse_double(const char *opt, const char *s, double lo, double hi, double *out);
/* A plain decimal number at the start of s ([+-]digits[.digits], no hex,
 * exponent, inf or nan); *end is where it stops, s if there is none. */
double cli_strtod_decimal(const char *s, const char **end);
/* A whole decimal number for opt (a seed): 0 or -1 after an error message. */
int cli_parse_u64(const char *opt, const char *s, unsigned long long *out);
/* "-16.0", or "-inf" for silence. */
void cli_format_db(double db, char *buf, size_t n);
/* Monotonic seconds. */
double cli_now(void);

#endif
