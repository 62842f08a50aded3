/*
 * render_internal.h - pieces of file output shared inside liblull (not
 * installed): the loudness meter that watches what a render writes, and the
 * WAV stream writer behind `-o -`.  All non-real-time.
 */
#ifndef LULL_RENDER_INTERNAL_H
#define LULL_RENDER_INTERNAL_H

#include "lull.h"

#include <sndfile.h>

/* An EBU R 128 meter for interleaved stereo float blocks (integrated
 * loudness and loudness range by libebur128, true and sample peak by
 * true_peak.c), measuring on a thread of its own: adding a block copies
 * it (loudness.c). */
typedef struct lull_meter lull_meter;

lull_meter *lull_meter_create(int rate_hz);
/* Returns LULL_OK or LULL_ERR_NOMEM (libebur128 allocates as it goes;
 * a failure may show only at lull_meter_result). */
int lull_meter_add(lull_meter *m, const float *frames, int n);
int lull_meter_result(lull_meter *m, lull_loudness *out);
void lull_meter_free(lull_meter **m);

/* A WAV stream to a file descriptor that may not seek (standard output,
 * often a pipe).  Owned by the caller; must outlive the SNDFILE. */
typedef struct lull_wav_stream {
    int fd;
    int64_t written; /* bytes written so far */
} lull_wav_stream;

/* Start a WAV stream of exactly `frames` frames on ws->fd: the RIFF header
 * is written first with the final sizes, then the returned handle encodes
 * raw little-endian samples after it, writing strictly in order.
 * info->format names the WAV subformat.  NULL with lull_last_error set on
 * failure. */
SNDFILE *lull_wav_stream_open(lull_wav_stream *ws, const SF_INFO *info, int64_t frames);

/* Offline synthesis on two cores (split.c): a helper thread runs the
 * second voice group of a twin engine one chunk ahead.  Start returns NULL
 * when it does not apply (a single group, or a clip session without voices
 * other than clips, one CPU,
 * LULL_RENDER_THREADS=1); lull_split_process then just calls
 * lull_engine_process.  Chunks must be chunk_frames long (the last may be
 * shorter) and start at the engine's start.  The output is bit-identical
 * either way.  [NRT] */
typedef struct lull_split lull_split;
lull_split *lull_split_start(lull_engine *e, const lull_script *s, const lull_engine_config *ec,
                             int chunk_frames);
int lull_split_process(lull_split *sp, lull_engine *e, float *out, int frames);
/* The same with lull_engine_mix (engine_internal.h) for the main engine:
 * its limiter is left to the caller. */
int lull_split_mix(lull_split *sp, lull_engine *e, float *out, int frames, float *prime_out, int *prime_frames);
void lull_split_stop(lull_split **sp, lull_engine *e);

#endif
