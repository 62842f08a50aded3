/*
 * lull.h - the public API of liblull, a real-time audio engine for guided
 * relaxation sessions (binaural tones, coloured noise, narration clips).
 *
 * Everything public starts with `lull_` / `LULL_`.  Types are opaque;
 * functions return 0 (LULL_OK) or a negative lull_result, which
 * lull_strerror() turns into text; lull_last_error() gives the detail (file
 * name, reason) of the last failure on the calling thread.
 *
 * Thread rules.  Every function is marked:
 *   [NRT]  call from an ordinary thread; it may allocate, lock or do I/O.
 *   [RT]   safe in an audio callback: no allocation, no locks, no I/O, no
 *          blocking system calls, bounded work.
 *   [ANY]  either.
 * A lull_script is immutable once loaded and may be shared by threads.
 * A lull_engine is used by one thread at a time for processing (the audio
 * thread in a live host); lull_engine_post() is the only call another thread
 * may make while it runs.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_H
#define LULL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LULL_BUILDING) && defined(__GNUC__)
#define LULL_API __attribute__((visibility("default")))
#else
#define LULL_API
#endif

#define LULL_VERSION_MAJOR 0
#define LULL_VERSION_MINOR 1
#define LULL_VERSION_PATCH 0
#define LULL_VERSION_NUMBER \
    (LULL_VERSION_MAJOR * 10000 + LULL_VERSION_MINOR * 100 + LULL_VERSION_PATCH)
/* The script language version this library reads (scripts may say `lull 1`). */
#define LULL_LANGUAGE_VERSION 1

typedef enum lull_result {
    LULL_OK = 0,
    LULL_ERR_NOMEM = -1,     /* out of memory */
    LULL_ERR_ARG = -2,       /* invalid argument */
    LULL_ERR_IO = -3,        /* a file could not be read or written */
    LULL_ERR_SCRIPT = -4,    /* the script has errors (see the diagnostics) */
    LULL_ERR_FORMAT = -5,    /* unsupported or unreadable audio format */
    LULL_ERR_CANCELLED = -6, /* stopped by the caller (progress callback) */
    LULL_ERR_DEVICE = -7,    /* audio device problem */
    LULL_ERR_STATE = -8,     /* call not valid in the object's current state */
    LULL_ERR_FULL = -9       /* a queue is full; try again next block */
} lull_result;

LULL_API const char *lull_strerror(int err);                       /* [ANY] */
LULL_API const char *lull_last_error(void);                        /* [ANY] */
LULL_API const char *lull_version(void);                           /* [ANY] "0.1.0" */
LULL_API int lull_version_number(void);                            /* [ANY] */

/* ---------------------------------------------------------------- scripts */

typedef struct lull_script lull_script;

typedef enum lull_severity { LULL_SEVERITY_ERROR = 0, LULL_SEVERITY_WARNING = 1 } lull_severity;

/* One diagnostic from loading a script.  Pointers are valid only during the
 * callback.  line and column are 1-based; column counts bytes. */
typedef struct lull_diag {
    lull_severity severity;
    const char *file;
    int line;
    int column;
    const char *message;
    const char *source_line; /* the offending line, without its newline */
} lull_diag;

typedef void (*lull_diag_fn)(void *user, const lull_diag *diag);

/* What a script file is written in. */
typedef enum lull_script_format {
    LULL_SCRIPT_AUTO = 0, /* by the file name: `.sbg` is SBaGen, anything else lull */
    LULL_SCRIPT_LULL,     /* the lull session language (scripts/README.md) */
    LULL_SCRIPT_SBG       /* an SBaGen schedule, translated on loading */
} lull_script_format;

typedef struct lull_load_config {
    lull_diag_fn on_diag; /* NULL: diagnostics are dropped */
    void *user;
    int max_errors;       /* stop after this many errors; default 20 */
    lull_script_format format; /* lull_script_load_file only; default AUTO */
} lull_load_config;

LULL_API lull_load_config lull_load_config_init(void);              /* [ANY] */

/* Load and validate a script.  On LULL_ERR_SCRIPT the diagnostics were sent
 * to cfg->on_diag and *out is NULL.  cfg may be NULL.  [NRT] */
LULL_API int lull_script_load_file(const char *path, const lull_load_config *cfg,
                                   lull_script **out);
LULL_API int lull_script_load_string(const char *text, size_t len, const char *name,
                                     const lull_load_config *cfg, lull_script **out);
LULL_API void lull_script_free(lull_script **script);              /* [NRT] NULL-safe */

/* SBaGen schedules (.sbg).  The schedule is translated into the lull
 * language and loaded from that, so a .sbg plays exactly as the .lull that
 * lull_sbg_convert writes for it; diagnostics name the .sbg's own lines.
 * `name` is the file's path (background files named by -m are found beside
 * it).  The mapping is documented in scripts/README.md, "Importing SBaGen
 * schedules".  [NRT] */
LULL_API int lull_script_load_sbg(const char *text, size_t len, const char *name,
                                  const lull_load_config *cfg, lull_script **out);
/* Translate an SBaGen schedule into lull script text (NUL-terminated, free
 * it with lull_text_free).  `out_path`, if not NULL, is where the text will
 * be saved: file names in it are written relative to that folder.  Returns
 * LULL_OK or LULL_ERR_SCRIPT (diagnostics sent to cfg->on_diag).  [NRT] */
LULL_API int lull_sbg_convert(const char *text, size_t len, const char *name, const char *out_path,
                              const lull_load_config *cfg, char **lull_text);
LULL_API void lull_text_free(char **text);                         /* [NRT] NULL-safe */
/* LULL_SCRIPT_SBG for a name ending in .sbg, else LULL_SCRIPT_LULL.  [ANY] */
LULL_API int lull_script_format_from_path(const char *path);

LULL_API const char *lull_script_title(const lull_script *s);       /* [ANY] "" if none */
LULL_API double lull_script_duration_sec(const lull_script *s);     /* [ANY] */
LULL_API int lull_script_section_count(const lull_script *s);       /* [ANY] */
LULL_API const char *lull_script_section_name(const lull_script *s, int i);
LULL_API double lull_script_section_start_sec(const lull_script *s, int i);
LULL_API int lull_script_voice_count(const lull_script *s);
LULL_API const char *lull_script_voice_name(const lull_script *s, int i);
LULL_API const char *lull_script_voice_kind(const lull_script *s, int i);
LULL_API int lull_script_event_count(const lull_script *s);

/* Clips: one entry per `play` line, in time order.  The audio files were
 * opened and checked when the script was loaded. */
typedef struct lull_clip_desc {
    const char *file;     /* as written in the script */
    const char *path;     /* resolved against the script's folder */
    int voice;            /* index of its voice */
    int line;             /* line of the play statement */
    double start_sec;
    double duration_sec;  /* the file's own length */
    int loop;
    double gain_db, pan;
    int rate_hz, channels; /* the file's format */
} lull_clip_desc;

LULL_API int lull_script_clip_count(const lull_script *s);          /* [ANY] */
LULL_API int lull_script_clip_info(const lull_script *s, int i, lull_clip_desc *out); /* [ANY] */

/* ----------------------------------------------------------------- engine */

typedef struct lull_engine lull_engine;

/* Sample-rate converters for clips (libsoxr; linear: libsamplerate).
 * Measured figures: scripts/README.md. */
typedef enum lull_resampler {
    LULL_RESAMPLER_DEFAULT = 0, /* best */
    LULL_RESAMPLER_BEST,        /* soxr very high quality: 28-bit, flat to 20 kHz */
    LULL_RESAMPLER_MEDIUM,      /* soxr high quality: 20-bit */
    LULL_RESAMPLER_FASTEST,     /* soxr medium quality: 16-bit, wider rolloff */
    LULL_RESAMPLER_LINEAR       /* linear interpolation: lowest cost, audible aliasing */
} lull_resampler;

/* "best", "medium", "fastest", "linear" -> the enum, or -1.  [ANY] */
LULL_API int lull_resampler_from_name(const char *name);
LULL_API const char *lull_resampler_name(int resampler);            /* [ANY] */

typedef struct lull_engine_config {
    int rate_hz;   /* sample rate; default 48000 */
    uint64_t seed; /* noise seed; default LULL_DEFAULT_SEED */
    int resampler; /* lull_resampler for clips; default best */
    /* 0 (live): lull_engine_process never waits; a clip whose audio is not
     * decoded in time plays silence for the missing part, and the event is
     * counted (lull_engine_clip_stats).  1 (offline): lull_engine_process
     * waits for the clip loader, so the output is complete and identical to
     * a run with an infinitely fast disk; it is then NOT real-time safe. */
    int offline;
    double master_trim_db; /* gain on the master bus, before the limiter, on
                            * top of the script's own master gain and fades
                            * (loudness normalisation); -60..+40, default 0 */
    double true_peak_dbtp; /* ceiling of the master bus's true-peak limiter,
                            * -30..0 dBTP; default -1 (config_init; a zeroed
                            * config means 0 dBTP).  See "The master bus" in
                            * scripts/README.md. */
} lull_engine_config;

#define LULL_DEFAULT_SEED 0x6c756c6cULL /* "lull" */
#define LULL_TRUE_PEAK_DEFAULT_DBTP (-1.0) /* the limiter's ceiling (EBU R 128's -1 dBTP) */
#define LULL_MAX_BLOCK_FRAMES 4096

LULL_API lull_engine_config lull_engine_config_init(void);          /* [ANY] */

/* Compile `script` for a sample rate and allocate everything processing will
 * need.  The engine keeps no pointer into the script.  [NRT] */
LULL_API int lull_engine_create(const lull_script *script, const lull_engine_config *cfg,
                                lull_engine **out);
LULL_API void lull_engine_destroy(lull_engine **engine);           /* [NRT] NULL-safe */

/* Write `frames` frames (any number; blocks of 1..LULL_MAX_BLOCK_FRAMES are
 * what a live host uses) of interleaved stereo float into `out`.  Returns the
 * number of frames that were still inside the session; the rest of `out` is
 * silence.  The output does not depend on how the frames are split into
 * calls.  [RT] */
LULL_API int lull_engine_process(lull_engine *e, float *out, int frames);

LULL_API int64_t lull_engine_position_frames(const lull_engine *e); /* [RT] */
/* How far the mixer runs ahead of the output: the true-peak limiter's
 * look-ahead (128 frames, 2.7 ms at 48 kHz).  The output itself has no extra latency
 * (output frame k is session frame k), but a live command acts on the
 * mixer, so it is heard this many frames after the block boundary.  [ANY] */
LULL_API int lull_engine_lookahead_frames(const lull_engine *e);
LULL_API int64_t lull_engine_length_frames(const lull_engine *e);   /* [ANY] */
LULL_API int lull_engine_rate(const lull_engine *e);                 /* [ANY] */
LULL_API int lull_engine_finished(const lull_engine *e);             /* [RT] */

/* Clip playback health.  Clips are decoded and resampled on a loader thread
 * that works LULL_CLIP_LOOKAHEAD_MS ahead of the play position.  An underrun
 * is one stretch of silence a clip played because its audio was not ready
 * (live use only; offline engines wait instead).  [ANY] */
#define LULL_CLIP_LOOKAHEAD_MS 1000
typedef struct lull_clip_stats {
    int64_t underruns;       /* stretches of silence */
    int64_t missing_frames;  /* frames they lasted */
    int64_t decode_errors;   /* files that failed while playing (played as silence) */
} lull_clip_stats;
LULL_API void lull_engine_clip_stats(const lull_engine *e, lull_clip_stats *out);
/* Wait until the clips due within the look-ahead of the current position are
 * decoded.  A live host calls it before starting its audio stream (and after
 * seeking while stopped) so the first clip does not start in an underrun.
 * Returns at once when the session has no clips.  [NRT] */
LULL_API int lull_engine_prepare(lull_engine *e);
/* The first decode error as text ("file: reason"), or "" if none.  [NRT] */
LULL_API const char *lull_engine_clip_error(const lull_engine *e);

/* Move the play position to `frame` as if the session had played up to it
 * (parameters, glides and fades are where the script puts them).  [RT] but
 * costs O(events before frame). */
LULL_API int lull_engine_seek(lull_engine *e, int64_t frame);
/* Start frame of section i (in this engine's sample rate), or -1.  [ANY] */
LULL_API int64_t lull_engine_section_frame(const lull_engine *e, int i);

/* ----------------------------------------------------------- live control
 *
 * A running engine is steered by commands.  Another thread queues them with
 * lull_engine_post(); the processing thread applies everything queued at the
 * start of its next lull_engine_process() call, so a control takes effect at
 * the next block boundary (latency: at most one block, plus the limiter's
 * look-ahead, lull_engine_lookahead_frames).  The queue is a
 * preallocated lock-free single-producer/single-consumer ring: posting and
 * applying never allocate, lock or block.  Pause, seek and stop fade briefly
 * rather than cut, and a paused engine writes silence without moving its
 * position.  An engine that is never sent a command produces exactly the
 * samples of an offline render. */

typedef enum lull_command_kind {
    LULL_CMD_PAUSE = 1,    /* fade out (LULL_PAUSE_FADE_SEC), then silence; position holds */
    LULL_CMD_RESUME,       /* fade back in where it paused */
    LULL_CMD_TOGGLE_PAUSE, /* pause if playing, resume if paused */
    LULL_CMD_SEEK,         /* `frames`: jump to that session frame (de-clicked) */
    LULL_CMD_SECTION,      /* `index`: jump to the start of that section */
    LULL_CMD_SECTION_STEP, /* `index`: +1 next section; -1 previous (or the current
                              section's start when more than 2 s into it) */
    LULL_CMD_VOLUME,       /* `value`: live master trim in dB, -60..+12, smoothed */
    LULL_CMD_STOP,         /* `value`: fade-out seconds (<= 0: a de-click); then finished */
    LULL_CMD_LOOP          /* `index`: 1 = at the end start again without a gap, 0 = end */
} lull_command_kind;

typedef struct lull_command {
    lull_command_kind kind;
    int index;
    int64_t frames;
    double value;
} lull_command;

#define LULL_PAUSE_FADE_SEC 0.05   /* pause and resume fades */
#define LULL_SEEK_FADE_SEC 0.01    /* fade out and in around a jump */
#define LULL_ENGINE_COMMANDS 256   /* commands that can wait at once */

/* Queue a command for the processing thread.  Lock-free and wait-free; the
 * queue has one producer, so one thread posts at a time (serialise posts
 * from several threads yourself, as lull_player does).  Returns LULL_OK,
 * LULL_ERR_FULL when LULL_ENGINE_COMMANDS are already waiting, or
 * LULL_ERR_ARG for an unknown command.  [ANY] */
LULL_API int lull_engine_post(lull_engine *e, const lull_command *cmd);
/* Apply a command at once, on the processing thread itself (for example in
 * a host's callback between two lull_engine_process calls).  [RT] */
LULL_API int lull_engine_command(lull_engine *e, const lull_command *cmd);

/* What the processing thread last published (at the end of each
 * lull_engine_process call), through atomics: reading never blocks it. */
typedef struct lull_status {
    int64_t position_frames; /* next session frame to play */
    int64_t length_frames;
    int section;             /* current section, -1 before the first */
    int paused;              /* 1 from a pause command until resumed */
    int finished;            /* the session ended or was stopped */
    double volume_db;        /* the live trim's target */
    float peak_left;         /* output level meter, linear peak with a */
    float peak_right;        /* fall of 20 dB/s */
} lull_status;

LULL_API void lull_engine_status(const lull_engine *e, lull_status *out); /* [ANY] */

/* Things the processing thread reports back, in order, through a second
 * lock-free queue. */
typedef enum lull_notice_kind {
    LULL_NOTICE_SECTION = 1, /* a section began (played into, or jumped to) */
    LULL_NOTICE_PAUSED,      /* the pause fade finished: output is silent */
    LULL_NOTICE_RESUMED,
    LULL_NOTICE_LOOPED,      /* the session ended and started again */
    LULL_NOTICE_END,         /* the session reached its end */
    LULL_NOTICE_STOPPED,     /* a stop command's fade finished */
    LULL_NOTICE_DEVICE_LOST  /* lull_player only: the output device went away */
} lull_notice_kind;

typedef struct lull_notice {
    lull_notice_kind kind;
    int section;             /* LULL_NOTICE_SECTION: its index */
    int64_t frame;           /* session position it refers to */
} lull_notice;

/* Take the oldest notice: returns 1 and fills *out, or 0 when there is none.
 * One consumer thread at a time.  If nobody reads them, the newest notices
 * are dropped (the engine never waits).  [ANY] */
LULL_API int lull_engine_poll_notice(lull_engine *e, lull_notice *out);

/* ----------------------------------------------------------------- player
 *
 * lull_player plays a script on an output device through PortAudio: it opens
 * the device, runs the engine in the audio callback, and delivers notices on
 * a thread of its own.  The callback does only this: apply queued commands,
 * pull the block from the engine, publish position and levels through
 * atomics.  It never allocates, locks, prints or blocks.
 *
 * A host that runs its own audio callback does not need the player: create
 * an engine, call lull_engine_process from the callback (pull mode), steer
 * it with lull_engine_post and read lull_engine_status from any thread.
 *
 * While opening, the player silences ALSA's and JACK's console chatter
 * (set LULL_AUDIO_DEBUG=1 in the environment to see it). */

typedef struct lull_player lull_player;

typedef struct lull_device_info {
    int index;                 /* PortAudio device index (what --device N takes) */
    const char *name;
    const char *host_api;      /* "ALSA", "JACK Audio Connection Kit", "OSS" ... */
    int max_output_channels;
    double default_rate_hz;
    double low_latency_sec;    /* the device's default low output latency */
    int is_default;            /* the system's default output */
} lull_device_info;

typedef void (*lull_device_fn)(void *user, const lull_device_info *dev);

/* Call fn for every output device; returns how many there are (0: none) or a
 * negative lull_result.  Pointers are valid only during the call.  [NRT] */
LULL_API int lull_list_devices(lull_device_fn fn, void *user);

/* Called on the player's own non-real-time thread, in order. */
typedef void (*lull_notice_fn)(void *user, const lull_notice *notice);

typedef struct lull_player_config {
    const char *device;     /* NULL: the default output; else an index ("3") or part of a name */
    const char *host_api;   /* NULL: any; else part of a host API name ("alsa", "jack") */
    int rate_hz;            /* 0: the device's default rate */
    double latency_sec;     /* 0: the device's default low latency */
    int block_frames;       /* frames per callback; 0: the backend's choice */
    uint64_t seed;          /* noise seed; default LULL_DEFAULT_SEED */
    int loop;               /* start again at the end, without a gap */
    double stop_after_sec;  /* > 0: fade out so that playback ends this long after start */
    double stop_fade_sec;   /* that fade's length; default 60 s (shortened to fit) */
    lull_notice_fn on_notice; /* may be NULL */
    void *user;
    int resampler;          /* lull_resampler for clips; default best (as renders, so a
                               live run and a render give the same samples) */
    double true_peak_dbtp;  /* the limiter's ceiling (see lull_engine_config); default -1 */
} lull_player_config;

LULL_API lull_player_config lull_player_config_init(void);         /* [ANY] */

/* Open the output device and prepare an engine for `script` at the device's
 * rate; nothing plays until lull_player_start.  On failure returns
 * LULL_ERR_DEVICE (or another lull_result) and lull_last_error() says what
 * was tried and what to do: no device, a busy device, an unsupported rate.
 * The player keeps no pointer into the script.  [NRT] */
LULL_API int lull_player_open(const lull_script *script, const lull_player_config *cfg,
                              lull_player **out);
LULL_API int lull_player_start(lull_player *p);                     /* [NRT] */

/* Controls.  Thread-safe: any number of threads may call them; each becomes
 * one command, applied at the next callback.  [NRT] (they may wait a moment
 * for another controlling thread, never for the audio thread) */
LULL_API int lull_player_post(lull_player *p, const lull_command *cmd);
LULL_API int lull_player_pause(lull_player *p, int paused);
LULL_API int lull_player_seek_section(lull_player *p, int index);
LULL_API int lull_player_step_section(lull_player *p, int delta);
LULL_API int lull_player_set_volume_db(lull_player *p, double db);
LULL_API int lull_player_stop(lull_player *p, double fade_sec);

typedef struct lull_player_stats {
    lull_status engine;     /* position, section, paused, level meter, volume */
    int rate_hz;
    double latency_sec;     /* the stream's actual output latency */
    int64_t frames_out;     /* frames handed to the device, paused silence included */
    int64_t callbacks;
    int64_t xruns;          /* callbacks the backend flagged late (underflow) */
    int64_t late_callbacks; /* callbacks that took longer than the audio they made
                               (frames / rate), measured by the player itself: each
                               one means the device got its block late or used up
                               its reserve; counted whatever the backend says */
    double max_callback_load; /* the slowest callback's time over its block's
                                 duration (1.0: all of it) */
    int finished;           /* the session ended or was stopped, and the output drained */
    int device_lost;        /* the device stopped or vanished before the end */
    lull_clip_stats clips;  /* clip audio that was not decoded in time */
} lull_player_stats;

/* A snapshot; never blocks the audio thread.  [ANY] */
LULL_API void lull_player_get_stats(const lull_player *p, lull_player_stats *out);
/* "NAME (HOST API)" of the open device.  [ANY] */
LULL_API const char *lull_player_device_name(const lull_player *p);
/* Wait until playback is over (finished or device lost), at most timeout_sec
 * (< 0: no limit).  Returns 1 when over, 0 on timeout.  [NRT] */
LULL_API int lull_player_wait(lull_player *p, double timeout_sec);
/* Stop at once (no fade), close the device, free everything.  [NRT] NULL-safe */
LULL_API void lull_player_close(lull_player **p);

/* ---------------------------------------------------------------- render */

typedef enum lull_file_format {
    LULL_FORMAT_AUTO = 0, /* from the file name's extension */
    LULL_FORMAT_WAV,
    LULL_FORMAT_FLAC,
    LULL_FORMAT_OGG
} lull_file_format;

typedef enum lull_sample_format {
    LULL_SAMPLES_DEFAULT = 0, /* WAV/FLAC: 24-bit; Ogg: Vorbis */
    LULL_SAMPLES_PCM16,
    LULL_SAMPLES_PCM24,
    LULL_SAMPLES_FLOAT32
} lull_sample_format;

/* Called now and then during a render; return non-zero to cancel it. */
typedef int (*lull_progress_fn)(void *user, int64_t done_frames, int64_t total_frames);

typedef struct lull_loudness lull_loudness;

typedef struct lull_render_config {
    int rate_hz;                 /* default 48000 */
    uint64_t seed;               /* default LULL_DEFAULT_SEED */
    lull_file_format format;
    lull_sample_format samples;
    lull_progress_fn progress;   /* may be NULL */
    void *user;
    int resampler;               /* lull_resampler for clips; default best */
    double master_trim_db;       /* see lull_engine_config; default 0 */
    lull_loudness *loudness;     /* if not NULL, receives the loudness of
                                  * exactly what was written (EBU R 128) */
    double true_peak_dbtp;       /* the limiter's ceiling (see lull_engine_config);
                                  * default -1 */
    int sync;                    /* non-zero: a new file is made durable too
                                  * (fsync of the file before the rename and of
                                  * its folder after), so it survives a power
                                  * cut.  Replacing an existing file always
                                  * syncs the new one before the rename.
                                  * Default 0 */
} lull_render_config;

LULL_API lull_render_config lull_render_config_init(void);          /* [ANY] */

/* Render the whole session to `path`.  The file is written under a temporary
 * name in the same folder and renamed over `path` only when complete, so a
 * failed or cancelled render leaves no partial file and never damages an
 * existing one (an existing file is replaced only by one already on the
 * disk, fsynced, so not even a power cut can leave it half written).  The path "-" means standard output, as a WAV stream (the
 * header is written first with the session's exact length, so it can be
 * piped into another program).  [NRT] */
LULL_API int lull_render_file(const lull_script *script, const char *path,
                              const lull_render_config *cfg);

/* Format chosen for a path's extension, or LULL_FORMAT_AUTO if unknown. */
LULL_API lull_file_format lull_format_from_path(const char *path);  /* [ANY] */

/* --------------------------------------------------------------- loudness */

/* EBU R 128 (ITU-R BS.1770-4) measurements of a session's output: loudness
 * and range by libebur128, the true peak 8x oversampled by the master
 * limiter's interpolator.  Silence measures -HUGE_VAL (minus infinity) for
 * loudness and peaks. */
struct lull_loudness {
    double integrated_lufs;  /* programme loudness, gated */
    double range_lu;         /* loudness range (LRA) */
    double true_peak_dbtp;   /* highest inter-sample peak of either channel */
    double sample_peak_dbfs; /* highest sample of either channel */
};

/* Measure what an engine made from `script` with `cfg` (rate, seed, master
 * trim) would produce, without writing anything: the session is pulled from
 * the engine block by block into the meter, waiting for clips as a render
 * does (cfg->offline is ignored).  It takes about 1.65x the time of a
 * plain render (make bench): the loudness meter, not synthesis, is most of
 * it.  `progress` may be NULL; returning non-zero from it cancels.
 * Live hosts use this before playing to apply the same normalisation as
 * `lull render --loudness`.  [NRT] */
LULL_API int lull_analyze_loudness(const lull_script *script, const lull_engine_config *cfg,
                                   lull_progress_fn progress, void *user, lull_loudness *out);

/* The master trim in dB that brings a session measured as `m` (at trim 0)
 * to `target_lufs` without its true peak going over `ceiling_dbtp`.  When
 * the ceiling decides, the trim is lower than the target asks and *limited
 * (may be NULL) is set to 1.  Silence gives 0.  The engine's gain staging is
 * linear below its limiter, so the result measures target_lufs exactly
 * (to the meter's precision).  [ANY] */
LULL_API double lull_loudness_trim_db(const lull_loudness *m, double target_lufs,
                                      double ceiling_dbtp, int *limited);

/* ------------------------------------------------------------- inspection */

/* The language version the script states with `lull N`, or 0 if it states
 * none (it is then read as LULL_LANGUAGE_VERSION).  [ANY] */
LULL_API int lull_script_language_version(const lull_script *s);

/* Values of one parameter at the given times (seconds, best in increasing
 * order), as the engine's own sequencer and parameter tracks compute them:
 * glides, steps and their de-click ramps land where the engine puts them.
 * `voice` is a voice index, or -1 for the master bus, whose parameters are
 * "gain" (the script's master gain, dB) and "level" (the linear multiplier
 * the master stage applies: gain, fades and trim together).  Voice values
 * are in script units (Hz, dB; enums as their index).  Returns LULL_ERR_ARG
 * for an unknown voice or parameter.  [NRT] */
LULL_API int lull_script_param_curve(const lull_script *s, int voice, const char *param,
                                     const double *times_sec, double *values, int n);

#ifdef __cplusplus
}
#endif
#endif
