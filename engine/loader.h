/*
 * loader.h - the clip loader: decoding and resampling audio files on a
 * thread of their own, ahead of the play position, and handing the result to
 * the audio thread through lock-free rings.  Internal to liblull.
 *
 * Shape.  The engine turns every `play` into a lull_clip_play (start frame,
 * how long it may sound, which ring slot it uses).  Each clip voice owns
 * LULL_CLIP_SLOTS ring slots, used round robin by its plays; a play may
 * reuse a slot once the play position has passed the end of the play that
 * held it before.  Memory is therefore fixed by the number of clip voices,
 * whatever the number of clips or the session's length: long files stream
 * through their ring in chunks.
 *
 * Look-ahead.  The loader opens a play's file and starts decoding
 * LULL_CLIP_LOOKAHEAD_MS (offline: LULL_CLIP_OFFLINE_LOOKAHEAD_MS) before
 * the play starts, and keeps the ring of every sounding play full (each
 * ring holds at least the look-ahead plus 250 ms).
 *
 * Threads.  One loader thread per engine.  The audio thread only reads
 * rings (lull_stream_read) and publishes its position (atomic stores); it
 * never locks, waits or signals.  The loader polls the position every
 * millisecond or so.  Offline engines call lull_loader_wait [NRT], which
 * blocks until the audio ahead is decoded.
 *
 * Ring protocol (one slot, single producer = loader, single consumer = audio
 * thread).  Frame indices are clip-relative and absolute (64-bit, never wrap):
 *   w   frames [0, w) of the play are written     (stored by the loader)
 *   r   frames [0, r) are no longer needed         (stored by the audio thread)
 *   tag which play (and seek epoch) the slot holds (stored by the loader)
 * The loader writes frame i only while i < r + capacity.  The reader reads
 * frames [at, min(w, at+n)) after checking the tag; frames it wanted but
 * were not written play as silence and are counted.  A reader that got ahead
 * of the writer stores r > w; the writer then skips (and, far behind, seeks
 * the file) instead of producing audio nobody will hear.
 *
 * Replay (loop cache, loader.c).  When a looping play's output is all in a
 * complete loop cache, the loader copies nothing into the ring: it sets a
 * read-only view of the cache in the slot (first pass, head of the second
 * pass, their lengths), stores view_tag = the play's tag (release), then
 * w = the play's length (release).  The reader loads tag, then w, then
 * view_tag (all acquire); if view_tag is its tag it reads the frames from
 * the view (clip frame f is head[f mod period] in the second pass's head,
 * else first[f mod period]), otherwise from the ring.  A reader that saw
 * the old w still finds its frames in the ring, which the loader stops
 * writing at the switch; the view gives the same samples.  A peek that
 * would cross the end of the first pass or of the head returns NULL, like
 * one across the ring's end, and lull_stream_read copies the pieces.
 *
 * Lifetime.  The ring's frames and the view's buffers are only changed or
 * freed when no reader can use them: a slot is reused for another play (a
 * new tag, the view withdrawn) only once the published position has passed
 * the end of the play it held, and after a seek only once the loader has
 * seen the new epoch, which the audio thread publishes after its last read
 * with the old tags.  A complete loop cache is never written again and is
 * freed only by lull_loader_destroy, which the engine calls when nothing
 * plays; only incomplete caches, which no view shows, are dropped earlier.
 */
#ifndef LULL_LOADER_H
#define LULL_LOADER_H

#include "lull_internal.h"

#include <stddef.h>
#include <stdint.h>

/* An offline engine's loader looks further ahead than a live one's
 * (LULL_CLIP_LOOKAHEAD_MS): a render mixes about 1500 times faster than
 * real time, so the loader's 1 ms poll and a narration's resampling, slower
 * than the mix, drain a 1.37 s ring and the render waits.  2.4 s makes
 * rings of 131072 frames at 48 kHz (1 MiB a slot; 65536 live). */
#define LULL_CLIP_OFFLINE_LOOKAHEAD_MS 2400

/* Ring slots per clip voice: the playing clip, the one it crossfades from,
 * and the next one being decoded ahead. */
#define LULL_CLIP_SLOTS 3

/* What a file holds, as far as playing it goes. */
typedef struct lull_clip_format {
    int64_t frames;
    int rate_hz;
    int channels;
} lull_clip_format;

/* Open `path` and check that it is an audio file lull can play: it exists,
 * can be read, is not empty, libsndfile knows its format, it is mono or
 * stereo and its first samples decode.  Returns 0, or -1 with `why` set to
 * the reason (libsndfile's own words where it gave some).  [NRT] */
int lull_clip_probe(const char *path, lull_clip_format *f, char *why, size_t why_size);

/* One play of a clip, as an engine schedules it. */
typedef struct lull_clip_play {
    int clip;              /* index into the script's clips */
    int voice;             /* engine voice index */
    int slot;              /* ring slot (LULL_CLIP_SLOTS per clip voice) */
    int64_t start_frame;
    int64_t length_frames; /* frames it may sound: its own length, or less when
                              a stop, the next play or the session's end cuts it */
    int64_t speak_end;     /* for ducking: when the voice stops speaking it */
    int loop;
} lull_clip_play;

typedef struct lull_loader lull_loader;
typedef struct lull_stream lull_stream;

/* Start a loader for `plays` (sorted by start frame) that decodes
 * lookahead_ms ahead of the play position.  n_slots ring slots are
 * allocated here, once, each holding the look-ahead plus 250 ms.  [NRT] */
int lull_loader_create(const lull_script *s, const lull_clip_play *plays, int n_plays, int n_slots,
                       int rate_hz, int resampler, int lookahead_ms, lull_loader **out);
void lull_loader_destroy(lull_loader **L);                         /* [NRT] NULL-safe */

lull_stream *lull_loader_stream(lull_loader *L, int slot);          /* [ANY] */

/* The tag a reader passes for play `play` in seek epoch `epoch`. */
static inline uint64_t lull_clip_tag(uint32_t epoch, int play)
{
    return ((uint64_t)epoch << 32) | (uint32_t)play;
}

/* The audio thread has produced every frame before `pos`.  [RT] */
void lull_loader_publish(lull_loader *L, int64_t pos);
/* The engine jumped to `pos` and now tags its plays with `epoch`.  [RT] */
void lull_loader_seek(lull_loader *L, uint32_t epoch, int64_t pos);
/* Block until the audio of every play sounding in [pos, pos + want) is
 * decoded, or as much of it as can be before the position moves on.
 * Returns the frame before which everything is ready (> pos).  [NRT] */
int64_t lull_loader_wait(lull_loader *L, uint32_t epoch, int64_t pos, int want);

/* Read clip frames [at, at + n) of the play tagged `tag` as interleaved
 * stereo into lr.  Frames not decoded yet are zeros; they are counted as an
 * underrun (a new one unless *in_gap says the previous read ended in one).
 * Returns the number of missing frames.  [RT] */
int lull_stream_read(lull_stream *st, uint64_t tag, int64_t at, float *lr, int n, int *in_gap);

/* The usual case without the copy: when clip frames [at, at + n) of the
 * play tagged `tag` are all decoded and lie in one piece of the ring (or of
 * a replayed loop cache), where they are (interleaved stereo); NULL
 * otherwise (then lull_stream_read).
 * They stay there until lull_stream_release(st, at + n), which the reader
 * calls as soon as it has used them.  [RT] */
const float *lull_stream_peek(lull_stream *st, uint64_t tag, int64_t at, int n);
void lull_stream_release(lull_stream *st, int64_t upto);

void lull_loader_stats(const lull_loader *L, lull_clip_stats *out);  /* [ANY] */

/* For tests only (test_clips): the memory loop caches may use, read when a
 * loader is created (default 16 MiB; 0 streams every loop), and the frames
 * replayed from loop caches by all loaders so far (relaxed atomic). */
extern size_t lull_loader_cache_budget_bytes;
extern _Atomic int64_t lull_loader_replayed_frames;
const char *lull_loader_error(lull_loader *L);                       /* [NRT] */

#endif
