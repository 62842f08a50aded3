/*
 * lull_internal.h - structures shared inside liblull (not installed).
 *
 * A lull_script is the parsed, validated session: voice declarations and a
 * list of events stamped in nanoseconds (rate independent, exact for every
 * time the language can write).  lull_engine_create() converts the stamps to
 * frames for one sample rate.
 */
#ifndef LULL_INTERNAL_H
#define LULL_INTERNAL_H

#include "lull.h"
#include "lull_voice.h"

#include <stdint.h>

#define LULL_NAME_MAX 64
#define LULL_NS_PER_SEC 1000000000LL
/* Longest session (and latest time) a script may name: 24 hours. */
#define LULL_MAX_TIME_NS (24LL * 3600LL * LULL_NS_PER_SEC)
/* A parameter change without `over` still ramps, over this long. */
#define LULL_DECLICK_NS (10LL * 1000000LL)
/* Gains at or below this many dB are silence. */
#define LULL_GAIN_FLOOR_DB (-120.0)

typedef enum lull_event_kind {
    LULL_EV_SET = 0,     /* voice parameter (or master gain when voice < 0) */
    LULL_EV_FADE_IN,     /* master fade multiplier from 0 to 1 over dur */
    LULL_EV_FADE_OUT,    /* master fade multiplier to 0 over dur */
    LULL_EV_SECTION,     /* navigation mark; `index` is the section */
    LULL_EV_END,         /* session end */
    LULL_EV_PLAY,        /* clip voice: start clip `clip` (see lull_clip_ref) */
    LULL_EV_STOP,        /* clip voice: fade the playing clip out over dur */
    LULL_EV_MARK         /* engine only: a segment boundary (a clip's natural end) */
} lull_event_kind;

typedef struct lull_event {
    int64_t time_ns;
    int64_t dur_ns;      /* glide length; 0 = step (de-clicked) */
    lull_event_kind kind;
    int voice;           /* index into voices, -1 = master */
    int param;           /* index into the voice class's params */
    int index;           /* section index for LULL_EV_SECTION */
    double value;        /* in script units (dB for gains; PLAY: the clip's gain) */
    int line;            /* source line, for messages */
    int clip;            /* PLAY: index into lull_script.clips */
    int amp_linear;      /* SET of a gain with `over DUR linear`: glide in amplitude */
} lull_event;

/* One `play` of an audio file.  The file was opened and checked when the
 * script was loaded; its format is kept so engines know clip lengths without
 * opening it again. */
typedef struct lull_clip_ref {
    char *path;          /* resolved against the script's folder */
    char *written;       /* as written in the script, for messages */
    char *file;          /* the script file that names it (includes) */
    char *source;        /* its line, for diagnostics */
    int voice;
    int64_t time_ns;
    int64_t fade_ns;     /* fade-in */
    double gain_db;
    double pan;          /* -1 .. 1 */
    int loop;
    int line, column;    /* of the file name in the script */
    int64_t src_frames;  /* frames in the file */
    int src_rate_hz;
    int src_channels;
} lull_clip_ref;

typedef struct lull_voice_decl {
    char name[LULL_NAME_MAX];
    const lull_voice_class *vc;
    double values[LULL_MAX_PARAMS]; /* script units (dB for gains) */
    int line;
} lull_voice_decl;

typedef struct lull_section {
    char *name;
    int64_t time_ns;
} lull_section;

struct lull_script {
    char *title;
    char *path;              /* file it came from, or the given name */
    lull_voice_decl *voices;
    int n_voices;
    lull_event *events;      /* sorted by time, file order kept for ties */
    int n_events;
    lull_section *sections;
    int n_sections;
    lull_clip_ref *clips;    /* one per `play`, in time order */
    int n_clips;
    int64_t end_ns;          /* session length */
    int has_fade_in_first;   /* the first master fade is a fade-in: start silent */
    int language_version;    /* stated with `lull N`; 0 if not stated */
};

/* Exact conversion of a nanosecond stamp to the nearest frame. */
static inline int64_t lull_ns_to_frames(int64_t ns, int rate_hz)
{
    int64_t sec = ns / LULL_NS_PER_SEC;
    int64_t rem = ns % LULL_NS_PER_SEC;
    return sec * rate_hz + (rem * rate_hz + LULL_NS_PER_SEC / 2) / LULL_NS_PER_SEC;
}

/* A path named in a script, relative to the folder of the file that names
 * it (`current_file`); absolute paths pass through.  Caller frees.  [NRT] */
char *lull_script_resolve_path(const char *current_file, const char *rel);
/* A clip crossfades into the one it replaces over this long. */
#define LULL_CLIP_XFADE_NS (50LL * 1000000LL)

/* Read a whole script file into a malloc'd buffer (not NUL-terminated).
 * Returns LULL_OK, LULL_ERR_IO (lull_last_error says why), LULL_ERR_NOMEM,
 * or LULL_ERR_SCRIPT for a file too large to be a script.  [NRT] */
int lull_read_script_file(const char *path, const lull_load_config *cfg, char **out, size_t *out_len);

/* dB to linear amplitude; the floor and below are exact silence. */
double lull_db_to_gain(double db);

/* Per-thread detail for lull_last_error(). */
void lull_set_error(const char *fmt, ...)
#ifdef __GNUC__
    __attribute__((format(printf, 1, 2)))
#endif
    ;

#endif
