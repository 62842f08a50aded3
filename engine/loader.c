/*
 * loader.c - the clip loader thread: libsndfile decodes, the converter in
 * resample.c (libsoxr, or libsamplerate for `linear`) converts to the
 * engine's rate, lock-free rings carry the audio to the
 * audio thread.  Non-real-time except lull_stream_peek/read/release and
 * lull_loader_publish/seek, which are [RT] (atomics only).  The protocol is
 * described in loader.h.
 *
 * Why a thread even offline: decoding and resampling a narration clip costs
 * about as much as mixing the session, so on a machine with two cores the
 * render runs them side by side; lull_loader_wait makes the render wait
 * for the loader, never the other way round, so the output is the same as
 * with an infinitely fast disk.
 *
 * Loop cache.  A looping clip whose period is a whole number of output
 * frames (30 s at 44.1 kHz is exactly 1,440,000 frames at 48 kHz) gives the
 * same output every pass once the converter has seen the join: its input
 * is periodic and the output grid meets the input grid again at every
 * join.  So the loader keeps what it streamed of the first pass, plus the
 * first frames of the second pass (which, unlike the first pass, have the
 * file's end as history), and replays them from memory for every later
 * pass: the file is decoded and converted once instead of once a pass.
 * Replayed samples are the streamed ones; test_clips compares a whole
 * cached render against a streamed one.  A replay copies nothing: the
 * loader hands the audio thread a read-only view of the complete cache
 * (struct lull_stream's view_*; loader.h says why it cannot change or go
 * away under a reader) and the reader maps clip frames onto it.  Only when
 * the period fits the
 * budget (16 MiB over all of a loader's caches) and the loop plays from its
 * start; otherwise, and after a seek while the cache is still being
 * filled, the clip streams as before.
 *
 * Resampler alignment.  Every converter starts on its sample (resample.h:
 * an impulse at input frame 0 comes out at output frame 0), so a clip starts
 * on its exact frame and a restart after a seek lands on the frame it aims
 * at.
 */
#include "loader.h"

#include "resample.h"

#include <sndfile.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define IN_CHUNK 4096        /* source frames read at a time */
#define OUT_CHUNK 4096       /* output frames produced at a time */
#define FILL_BUDGET 16384    /* frames one slot gets per pass, so slots take turns */
#define MIN_FILL 2048        /* do not wake the decoder for less room than this */
#define POLL_NS 1000000L     /* the loader looks at the play position this often */
#define TAG_NONE UINT64_MAX
/* Input frames a converter is given before the frame it (re)starts at:
 * more than any converter's filter reaches back. */
#define RESTART_HISTORY 4096
/* Memory all loop caches of one loader may hold: 16 MiB, 43 s of 48 kHz
 * stereo.  A longer loop streams.  Tests may change it (loader.h). */
size_t lull_loader_cache_budget_bytes = (size_t)16 << 20;
_Atomic int64_t lull_loader_replayed_frames;

/* One looping file's output, first pass plus the head of the second.
 * The struct is loader thread only (it moves when the list grows or
 * shrinks); once complete, the two buffers it points at are read-only and
 * stay where they are until lull_loader_destroy, so audio threads read them
 * through the views slots publish. */
typedef struct loop_cache {
    const char *path;        /* L->paths[...], compared by content */
    int64_t period_frames;   /* output frames per pass */
    int64_t head_frames;     /* frames of the second pass that differ from the first */
    float *frames;           /* period_frames stereo frames: the first pass */
    float *head;             /* head_frames stereo frames: the second pass's start */
    int64_t filled;          /* frames streamed in so far (of period + head) */
    int complete;
    struct lull_stream *builder; /* the slot filling it, NULL when complete */
} loop_cache;

struct lull_stream {
    /* Shared with the audio thread; see the protocol in loader.h. */
    _Atomic uint64_t tag;    /* written by the loader */
    _Atomic int64_t w;       /* written by the loader */
    _Atomic int64_t r;       /* written by the audio thread (and the loader before publishing a tag) */
    float *ring;             /* cap stereo frames */
    int64_t cap;             /* a power of two */
    lull_loader *owner;
    /* Replay view: a complete loop cache the reader maps clip frames onto
     * instead of the ring.  view_tag is the play it belongs to (TAG_NONE:
     * read the ring).  The loader writes the four plain fields, then
     * view_tag (release), then w (release); they do not change again while
     * the play holds the slot. */
    _Atomic uint64_t view_tag;
    const float *view_frames;   /* view_period stereo frames: the first pass */
    const float *view_head;     /* view_head_frames stereo frames: the second pass's start */
    int64_t view_period, view_head_frames;

    /* Loader thread only. */
    int play;                /* play held, -1 when free */
    int64_t start, length;
    int loop;
    SNDFILE *sf;
    lull_rs *src;            /* NULL when the file is at the engine's rate */
    double ratio;            /* output / input rate */
    int channels;
    int64_t src_frames;
    int src_rate_hz;
    float *in;               /* IN_CHUNK source frames */
    int in_len, in_pos;
    int64_t pad_frames;      /* zero frames still to feed before the file's own */
    int file_done;           /* no more input (not looping) */
    int src_done;            /* the converter is flushed: only silence follows */
    int failed;              /* decode error: only silence follows */
    int64_t drop_frames;     /* output frames still to drop (a restart before the frame wanted) */
    int replay;              /* the play reads a complete cache (the view): no file open */
    loop_cache *build;       /* being filled by this slot's streaming */
};

struct lull_loader {
    lull_clip_play *plays;
    int n_plays;
    char **paths;            /* per script clip */
    int n_clips;
    int n_groups;            /* clip voices; group g owns slots g*SLOTS.. */
    int *group_first, *group_count, *group_list, *group_cursor;
    lull_stream *slots;
    int n_slots;
    int rate_hz;
    int resampler;           /* lull_resampler */
    int64_t lookahead_frames;
    float *out;              /* OUT_CHUNK stereo frames */
    float *conv;             /* OUT_CHUNK converter output frames (up to stereo) */
    loop_cache *caches;      /* loader thread only */
    int n_caches, cap_caches;
    size_t cache_bytes, cache_budget;

    pthread_t thread;
    int thread_started;
    pthread_mutex_t m;
    pthread_cond_t work_cv, ready_cv;
    /* Guarded by m. */
    int kick, quit;
    int64_t ready_until, ready_pos;
    uint32_t ready_epoch;
    int ready_valid, ready_idle;
    char error[512];
    char error_copy[512];

    /* Published by the processing thread. */
    _Atomic int64_t pos;
    _Atomic uint32_t epoch;
    uint32_t my_epoch;       /* loader thread only */

    _Atomic int64_t underruns, missing_frames, decode_errors;
};

/* ---------------------------------------------------------------- probing */

int lull_clip_probe(const char *path, lull_clip_format *f, char *why, size_t n)
{
    memset(f, 0, sizeof *f);
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            snprintf(why, n, "is missing (no such file)");
        else
            snprintf(why, n, "cannot be opened: %s", strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        snprintf(why, n, "is a folder, not an audio file");
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        /* A pipe or device could block or never end. */
        snprintf(why, n, "is not a regular file");
        return -1;
    }
    if (st.st_size == 0) {
        snprintf(why, n, "is empty (0 bytes)");
        return -1;
    }
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        snprintf(why, n, "cannot be read: %s", strerror(errno));
        return -1;
    }
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open_fd(fd, SFM_READ, &info, SF_TRUE);
    if (!sf) {
        snprintf(why, n, "is not in a format libsndfile can read (libsndfile: %s)", sf_strerror(NULL));
        return -1;
    }
    int bad = 0;
    if (info.frames <= 0) {
        snprintf(why, n, "holds no audio (0 frames)");
        bad = 1;
    } else if (info.channels < 1 || info.channels > 2) {
        snprintf(why, n, "has %d channels; clips must be mono or stereo", info.channels);
        bad = 1;
    } else if (info.samplerate < 1000 || info.samplerate > 384000) {
        snprintf(why, n, "has an unsupported sample rate (%d Hz)", info.samplerate);
        bad = 1;
    } else {
        /* Decode the start: a file whose header is fine but whose audio is
         * not (truncated, corrupt) fails here rather than while playing. */
        float buf[2 * 1024];
        sf_count_t want = info.frames < 1024 ? info.frames : 1024;
        sf_count_t got = sf_readf_float(sf, buf, want);
        if (got <= 0 || sf_error(sf) != SF_ERR_NO_ERROR) {
            snprintf(why, n, "cannot be decoded (libsndfile: %s)", sf_strerror(sf));
            bad = 1;
        }
    }
    if (!bad) {
        f->frames = info.frames;
        f->rate_hz = info.samplerate;
        f->channels = info.channels;
    }
    sf_close(sf);
    return bad ? -1 : 0;
}

/* -------------------------------------------------------- loader: decoding */

static void set_error(lull_loader *L, const char *path, const char *why)
{
    atomic_fetch_add_explicit(&L->decode_errors, 1, memory_order_relaxed);
    pthread_mutex_lock(&L->m);
    if (!L->error[0])
        snprintf(L->error, sizeof L->error, "%s: %s", path, why);
    pthread_mutex_unlock(&L->m);
}

static void fail_stream(lull_loader *L, lull_stream *st, const char *why)
{
    st->failed = 1;
    set_error(L, L->paths[L->plays[st->play].clip], why);
}

static void cache_drop(lull_loader *L, loop_cache *c);

/* The file and the converter (a libsoxr converter holds 250-500 KiB). */
static void release_decoder(lull_stream *st)
{
    if (st->sf)
        sf_close(st->sf);
    st->sf = NULL;
    lull_rs_destroy(&st->src);
}

/* Loader side of a slot whose play ends or is replaced.  The caller has
 * withdrawn the tag or is about to switch to a replay, so no reader of
 * this play looks at the view after this. */
static void close_stream(lull_stream *st)
{
    if (st->build)
        cache_drop(st->owner, st->build); /* a build cut off is of no use */
    st->build = NULL;
    st->replay = 0;
    atomic_store_explicit(&st->view_tag, TAG_NONE, memory_order_relaxed);
    release_decoder(st);
}

/* Position the decoder so that its next output frame is clip frame `frame`. */
static void reposition(lull_loader *L, lull_stream *st, int64_t frame)
{
    st->in_len = st->in_pos = 0;
    st->file_done = st->src_done = 0;
    st->drop_frames = 0;
    st->pad_frames = 0;
    if (st->failed)
        return;
    int64_t src_pos = frame;
    if (st->src) {
        /* Restart the converter where the input and output sample grids
         * coincide (every in/gcd input frames), early enough to give the
         * filter some history, and drop the output up to `frame`: the
         * frames then fall on exactly the times they would have had if the
         * clip had played from its start. */
        int64_t a = st->src_rate_hz, b = L->rate_hz;
        while (b) {
            int64_t t = a % b;
            a = b;
            b = t;
        }
        const int64_t step_in = st->src_rate_hz / a, step_out = L->rate_hz / a;
        /* frame * rate fits easily: 24 h at 384 kHz times 384000 < 2^63. */
        int64_t target = frame * st->src_rate_hz / L->rate_hz - RESTART_HISTORY;
        /* Round down to a grid point, also below 0. */
        src_pos = (target >= 0 ? target / step_in : -((-target + step_in - 1) / step_in)) * step_in;
        st->drop_frames += frame - src_pos / step_in * step_out;
        /* Before the file's first frame the history is silence, fed as
         * zeros: a converter then starts in its steady state (libsoxr's own
         * start-up is off by a fraction of a frame at 8 kHz, measured). */
        if (src_pos < 0) {
            st->pad_frames = -src_pos;
            src_pos = 0;
        }
    }
    if (st->loop)
        src_pos %= st->src_frames;
    else if (src_pos >= st->src_frames) {
        st->file_done = st->src_done = 1;
        return;
    }
    if (sf_seek(st->sf, src_pos, SEEK_SET) < 0) {
        fail_stream(L, st, sf_strerror(st->sf));
        return;
    }
    if (st->src && lull_rs_reset(st->src) != 0)
        fail_stream(L, st, "the sample rate converter cannot restart");
}

/* ------------------------------------------------------------ loop cache */

/* Free a cache.  Only an incomplete one (its build was cut off), which no
 * view shows, or any cache once the loader is being destroyed: a complete
 * cache may be under a reader's view for as long as the engine runs. */
static void cache_drop(lull_loader *L, loop_cache *c)
{
    if (c->builder)
        c->builder->build = NULL;
    L->cache_bytes -= sizeof(float) * 2 * (size_t)(c->period_frames + c->head_frames);
    free(c->frames);
    free(c->head);
    loop_cache *last = &L->caches[--L->n_caches];
    if (c != last) {
        *c = *last; /* keep the list dense */
        if (c->builder)
            c->builder->build = c; /* the moved entry's builder follows it */
    }
}

static loop_cache *cache_find(lull_loader *L, const char *path)
{
    for (int i = 0; i < L->n_caches; i++)
        if (!strcmp(L->caches[i].path, path))
            return &L->caches[i];
    return NULL;
}

/* Start caching the loop `st` is about to stream from its first frame, if
 * its period is a whole number of frames and fits the budget. */
static void cache_begin(lull_loader *L, lull_stream *st, const char *path)
{
    if (st->failed || cache_find(L, path))
        return;
    const int64_t in = st->src_rate_hz, out = L->rate_hz;
    if (st->src_frames * out % in != 0)
        return; /* the join falls between output frames: every pass differs */
    const int64_t period = st->src_frames * out / in;
    /* The second pass differs from the first only where the converter's
     * filter still reaches back past the join (less than RESTART_HISTORY
     * input frames, as for a seek). */
    const int64_t head = st->src ? (int64_t)RESTART_HISTORY * out / in + 1 : 0;
    const size_t bytes = sizeof(float) * 2 * (size_t)(period + head);
    if (period < 2 * head || st->length < 2 * period + head || L->cache_bytes + bytes > L->cache_budget)
        return; /* not worth it, or too big: stream */
    if (L->n_caches == L->cap_caches) {
        int cap = L->cap_caches ? 2 * L->cap_caches : 4;
        loop_cache *m = realloc(L->caches, sizeof *m * (size_t)cap);
        if (!m)
            return;
        /* Builders point at their entry: re-point them after the move. */
        for (int i = 0; i < L->n_caches; i++)
            if (m[i].builder)
                m[i].builder->build = &m[i];
        L->caches = m;
        L->cap_caches = cap;
    }
    loop_cache c = { path, period, head, NULL, NULL, 0, 0, st };
    c.frames = malloc(sizeof(float) * 2 * (size_t)period);
    c.head = malloc(sizeof(float) * 2 * (size_t)(head ? head : 1));
    if (!c.frames || !c.head) {
        free(c.frames);
        free(c.head);
        return;
    }
    L->caches[L->n_caches] = c;
    st->build = &L->caches[L->n_caches++];
    L->cache_bytes += bytes;
}

/* Where clip frame f of a replayed loop lies in the view, and how many
 * frames from there on lie in one piece (to the end of the first pass or
 * of the head).  Any thread that has seen the view's tag.  Frames of the
 * second pass's head come from the head; every other frame from the first
 * pass, f modulo the period. */
static inline const float *view_at(const lull_stream *st, int64_t f, int64_t *run)
{
    const int64_t j = f % st->view_period;
    if (f >= st->view_period && j < st->view_head_frames) {
        *run = st->view_head_frames - j;
        return st->view_head + 2 * j;
    }
    *run = st->view_period - j;
    return st->view_frames + 2 * j;
}

/* From now on slot `st` replays complete cache c: show the reader the view
 * and mark every frame of the play written (there is nothing to copy).
 * The reader that sees the new w sees view_tag, and through it the view;
 * one that still sees the old w reads frames the ring holds, which are the
 * same samples and which the loader no longer touches. */
static void replay_from(lull_stream *st, const loop_cache *c, uint64_t tag)
{
    st->replay = 1;
    st->view_frames = c->frames;
    st->view_head = c->head;
    st->view_period = c->period_frames;
    st->view_head_frames = c->head_frames;
    const int64_t w = atomic_load_explicit(&st->w, memory_order_relaxed);
    /* Release: the view's fields are set before a reader sees its tag. */
    atomic_store_explicit(&st->view_tag, tag, memory_order_release);
    if (w < st->length) {
        atomic_fetch_add_explicit(&lull_loader_replayed_frames, st->length - w, memory_order_relaxed);
        /* Release: view_tag is stored before a reader sees this w. */
        atomic_store_explicit(&st->w, st->length, memory_order_release);
    }
}

/* The streaming slot made frames [f, f + n): keep them.  Returns the
 * cache when these frames completed it (the slot then stops streaming and
 * replays it), else NULL. */
static const loop_cache *cache_append(lull_loader *L, lull_stream *st, int64_t f, const float *buf, int64_t n)
{
    loop_cache *c = st->build;
    if (st->failed || f != c->filled) {
        cache_drop(L, c); /* a gap (the loader skipped) or a broken file */
        return NULL;
    }
    const int64_t P = c->period_frames, total = P + c->head_frames;
    for (int64_t i = 0; i < n && f + i < total; i++) {
        float *dst = f + i < P ? c->frames + 2 * (f + i) : c->head + 2 * (f + i - P);
        dst[0] = buf[2 * i];
        dst[1] = buf[2 * i + 1];
    }
    c->filled = f + n < total ? f + n : total;
    if (c->filled == total) {
        c->complete = 1;
        c->builder = NULL;
        st->build = NULL;
        close_stream(st);
        return c; /* the caller publishes w = f + n, then replays */
    }
    return NULL;
}

static void open_play(lull_loader *L, lull_stream *st, int k, int64_t skip)
{
    atomic_store_explicit(&st->tag, TAG_NONE, memory_order_release);
    close_stream(st);
    const lull_clip_play *p = &L->plays[k];
    st->play = k;
    st->start = p->start_frame;
    st->length = p->length_frames;
    st->loop = p->loop;
    st->failed = 0;
    st->in_len = st->in_pos = 0;
    st->file_done = st->src_done = 0;
    st->drop_frames = 0;
    if (skip > st->length)
        skip = st->length;

    loop_cache *c = st->loop ? cache_find(L, L->paths[p->clip]) : NULL;
    if (c && !c->complete && c->builder != st)
        c = NULL; /* another slot is still filling it: stream this one */
    SF_INFO info;
    memset(&info, 0, sizeof info);
    if (c && c->complete) {
        st->replay = 1; /* replay: no file, no converter (the view is set below) */
    } else if (!(st->sf = sf_open(L->paths[p->clip], SFM_READ, &info))) {
        fail_stream(L, st, sf_strerror(NULL));
    } else if (info.frames <= 0 || info.channels < 1 || info.channels > 2) {
        fail_stream(L, st, "the file changed since the script was loaded");
    } else {
        st->channels = info.channels;
        st->src_frames = info.frames;
        st->src_rate_hz = info.samplerate;
        st->ratio = (double)L->rate_hz / (double)info.samplerate;
        if (info.samplerate != L->rate_hz) {
            const char *why = NULL;
            st->src = lull_rs_create(L->resampler, info.channels, info.samplerate, L->rate_hz, &why);
            if (!st->src)
                fail_stream(L, st, why);
        }
    }
    if (!st->failed && !st->replay) {
        reposition(L, st, skip);
        if (st->loop && skip == 0)
            cache_begin(L, st, L->paths[p->clip]);
    }
    const uint64_t tag = lull_clip_tag(L->my_epoch, k);
    atomic_store_explicit(&st->w, skip, memory_order_relaxed);
    atomic_store_explicit(&st->r, skip, memory_order_relaxed);
    if (st->replay)
        replay_from(st, c, tag);
    /* Release: the reader that sees this tag also sees w, r and the view above. */
    atomic_store_explicit(&st->tag, tag, memory_order_release);
}

static void free_slot(lull_stream *st)
{
    atomic_store_explicit(&st->tag, TAG_NONE, memory_order_release);
    close_stream(st);
    st->play = -1;
    atomic_store_explicit(&st->w, 0, memory_order_relaxed);
    atomic_store_explicit(&st->r, 0, memory_order_relaxed);
}

/* Read more source frames; loops go round without a gap, so the converter
 * sees one continuous signal across the join. */
static void refill(lull_loader *L, lull_stream *st)
{
    if (st->pad_frames > 0) {
        int k = st->pad_frames < IN_CHUNK ? (int)st->pad_frames : IN_CHUNK;
        memset(st->in, 0, sizeof(float) * (size_t)st->channels * (size_t)k);
        st->pad_frames -= k;
        st->in_len = k;
        st->in_pos = 0;
        return;
    }
    sf_count_t got = sf_readf_float(st->sf, st->in, IN_CHUNK);
    if (got <= 0 && sf_error(st->sf) != SF_ERR_NO_ERROR) {
        fail_stream(L, st, sf_strerror(st->sf));
        return;
    }
    if (got <= 0 && st->loop) {
        if (sf_seek(st->sf, 0, SEEK_SET) < 0) {
            fail_stream(L, st, sf_strerror(st->sf));
            return;
        }
        got = sf_readf_float(st->sf, st->in, IN_CHUNK);
        if (got <= 0) {
            fail_stream(L, st, sf_error(st->sf) ? sf_strerror(st->sf) : "no audio after rewinding");
            return;
        }
    }
    if (got <= 0) {
        st->file_done = 1;
        got = 0;
    }
    st->in_len = (int)got;
    st->in_pos = 0;
}

static void to_stereo(const float *in, int channels, float *out, int n)
{
    if (channels == 2) {
        memcpy(out, in, sizeof(float) * 2 * (size_t)n);
    } else {
        for (int i = 0; i < n; i++)
            out[2 * i] = out[2 * i + 1] = in[i];
    }
}

/* Produce exactly n (<= OUT_CHUNK) stereo frames of the clip into out;
 * silence once the source is exhausted or broken. */
static void decode(lull_loader *L, lull_stream *st, float *out, int n)
{
    int got = 0;
    int stuck = 0;
    while (got < n) {
        if (st->failed || st->src_done)
            break;
        if (st->in_pos == st->in_len && !st->file_done) {
            refill(L, st);
            continue;
        }
        if (!st->src) {
            int k = st->in_len - st->in_pos;
            if (k > n - got)
                k = n - got;
            if (k == 0 && st->file_done) {
                st->src_done = 1;
                break;
            }
            to_stereo(st->in + (size_t)st->in_pos * (size_t)st->channels, st->channels, out + 2 * got, k);
            st->in_pos += k;
            got += k;
            continue;
        }
        size_t used = 0, made = 0;
        const char *why = NULL;
        if (lull_rs_process(st->src, st->in + (size_t)st->in_pos * (size_t)st->channels,
                            (size_t)(st->in_len - st->in_pos), &used, L->conv, (size_t)(n - got), &made,
                            st->file_done, &why) != 0) {
            fail_stream(L, st, why);
            break;
        }
        st->in_pos += (int)used;
        int gen = (int)made;
        int skip = 0;
        if (st->drop_frames > 0) {
            skip = st->drop_frames < gen ? (int)st->drop_frames : gen;
            st->drop_frames -= skip;
        }
        to_stereo(L->conv + (size_t)skip * (size_t)st->channels, st->channels, out + 2 * got, gen - skip);
        got += gen - skip;
        if (gen == 0 && used == 0) {
            if (st->file_done)
                st->src_done = 1;
            else if (++stuck > 4) {
                fail_stream(L, st, "the sample rate converter made no progress");
                break;
            }
        } else {
            stuck = 0;
        }
    }
    if (got < n)
        memset(out + 2 * got, 0, sizeof(float) * 2 * (size_t)(n - got));
}

/* Top up one slot's ring.  Returns 1 if it wrote anything. */
static int fill(lull_loader *L, lull_stream *st)
{
    int64_t w = atomic_load_explicit(&st->w, memory_order_relaxed);
    int64_t budget = FILL_BUDGET;
    int wrote = 0;
    /* A replay has all its frames from the start (replay_from). */
    while (!st->replay && w < st->length && budget > 0) {
        /* Acquire: the reader is done with every frame before r. */
        int64_t r = atomic_load_explicit(&st->r, memory_order_acquire);
        if (r > w + L->lookahead_frames) {
            /* The reader is far ahead (the loader fell behind): skip to it.
             * A cache being built has a gap now: of no use. */
            if (st->build)
                cache_drop(L, st->build);
            reposition(L, st, r);
            w = r;
            atomic_store_explicit(&st->w, w, memory_order_release);
            continue;
        }
        /* While a cache is being built the streamed frames end where it
         * does: every later frame is the cache's, whatever the chunk sizes
         * (they follow the reader).  With a converter whose output is
         * periodic only within rounding (fastest: 1.5e-7) the frames after
         * the cache's end would otherwise depend on the timing. */
        const int64_t end = st->build ? st->build->period_frames + st->build->head_frames : st->length;
        int64_t n = r + st->cap - w;
        if (n > end - w)
            n = end - w;
        if (n > OUT_CHUNK)
            n = OUT_CHUNK;
        if (n > budget)
            n = budget;
        if (n <= 0 || (n < MIN_FILL && w + n < end && !wrote))
            break;
        int64_t i0 = w & (st->cap - 1);
        int64_t first = st->cap - i0 < n ? st->cap - i0 : n;
        decode(L, st, L->out, (int)n);
        memcpy(st->ring + 2 * i0, L->out, sizeof(float) * 2 * (size_t)first);
        if (n > first)
            memcpy(st->ring, L->out + 2 * first, sizeof(float) * 2 * (size_t)(n - first));
        const loop_cache *done = st->build ? cache_append(L, st, w, L->out, n) : NULL;
        w += n;
        /* Release: the frames are in the ring before the reader sees w. */
        atomic_store_explicit(&st->w, w, memory_order_release);
        budget -= n;
        wrote = 1;
        if (done) {
            /* The cache is whole: the rest of the play is replayed from it. */
            replay_from(st, done, atomic_load_explicit(&st->tag, memory_order_relaxed));
            w = st->length;
        }
    }
    /* All of the play is in the ring: its decoder is not needed again (a
     * seek opens the play afresh), so free it now rather than when the slot
     * is reused, and hold one converter per sounding clip, not per slot. */
    if (w >= st->length && (st->sf || st->src))
        release_decoder(st);
    return wrote;
}

static int64_t play_end(const lull_clip_play *p)
{
    return p->start_frame + p->length_frames;
}

/* One pass over every clip voice.  Returns 1 if any work was done; *ready is
 * the frame before which all audio is decoded. */
static int pass(lull_loader *L, int64_t *ready, int64_t *at)
{
    uint32_t ep = atomic_load_explicit(&L->epoch, memory_order_acquire);
    int64_t P = atomic_load_explicit(&L->pos, memory_order_acquire);
    if (ep != L->my_epoch) {
        for (int i = 0; i < L->n_slots; i++)
            free_slot(&L->slots[i]);
        for (int g = 0; g < L->n_groups; g++)
            L->group_cursor[g] = 0;
        L->my_epoch = ep;
    }
    int work = 0;
    int64_t rdy = INT64_MAX;
    for (int g = 0; g < L->n_groups; g++) {
        const int *list = L->group_list + L->group_first[g];
        const int count = L->group_count[g];
        int *cur = &L->group_cursor[g];
        while (*cur < count && play_end(&L->plays[list[*cur]]) <= P)
            (*cur)++;
        for (int j = *cur; j < count; j++) {
            const int k = list[j];
            const lull_clip_play *p = &L->plays[k];
            if (play_end(p) <= P || p->length_frames <= 0)
                continue;
            if (p->start_frame > P + L->lookahead_frames || j - *cur >= LULL_CLIP_SLOTS) {
                if (p->start_frame < rdy)
                    rdy = p->start_frame;
                break;
            }
            lull_stream *st = &L->slots[p->slot];
            if (st->play != k) {
                if (st->play >= 0 && play_end(&L->plays[st->play]) > P) {
                    /* Its slot still sounds an earlier clip. */
                    if (p->start_frame < rdy)
                        rdy = p->start_frame;
                    break;
                }
                int64_t skip = P > p->start_frame ? P - p->start_frame : 0;
                open_play(L, st, k, skip);
                work = 1;
            }
            work |= fill(L, st);
            int64_t w = atomic_load_explicit(&st->w, memory_order_relaxed);
            if (w < st->length && p->start_frame + w < rdy)
                rdy = p->start_frame + w;
        }
    }
    *ready = rdy;
    *at = P;
    return work;
}

static void *loader_main(void *arg)
{
    lull_loader *L = arg;
    pthread_mutex_lock(&L->m);
    while (!L->quit) {
        pthread_mutex_unlock(&L->m);
        int64_t ready, at;
        int work = pass(L, &ready, &at);
        pthread_mutex_lock(&L->m);
        L->ready_until = ready;
        L->ready_pos = at;
        L->ready_epoch = L->my_epoch;
        L->ready_idle = !work;
        L->ready_valid = 1;
        pthread_cond_broadcast(&L->ready_cv);
        if (!work && !L->kick && !L->quit) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += POLL_NS;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&L->work_cv, &L->m, &ts);
        }
        L->kick = 0;
    }
    pthread_mutex_unlock(&L->m);
    return NULL;
}

/* ------------------------------------------------------------ public side */

void lull_loader_publish(lull_loader *L, int64_t pos)
{
    atomic_store_explicit(&L->pos, pos, memory_order_release);
}

void lull_loader_seek(lull_loader *L, uint32_t epoch, int64_t pos)
{
    atomic_store_explicit(&L->pos, pos, memory_order_relaxed);
    /* Release: a loader that sees the new epoch sees the new position. */
    atomic_store_explicit(&L->epoch, epoch, memory_order_release);
}

int64_t lull_loader_wait(lull_loader *L, uint32_t epoch, int64_t pos, int want)
{
    lull_loader_publish(L, pos);
    pthread_mutex_lock(&L->m);
    int64_t r;
    for (;;) {
        if (L->ready_valid && L->ready_epoch == epoch) {
            if (L->ready_until >= pos + want) {
                r = L->ready_until;
                break;
            }
            if (L->ready_idle && L->ready_pos == pos) {
                /* As far as it gets until the position moves on.  It always
                 * gets past pos (see pass()); if it ever did not, play on
                 * and let the gap be counted rather than hang. */
                r = L->ready_until > pos ? L->ready_until : pos + want;
                break;
            }
        }
        L->kick = 1;
        pthread_cond_signal(&L->work_cv);
        pthread_cond_wait(&L->ready_cv, &L->m);
    }
    pthread_mutex_unlock(&L->m);
    return r;
}

lull_stream *lull_loader_stream(lull_loader *L, int slot)
{
    return L && slot >= 0 && slot < L->n_slots ? &L->slots[slot] : NULL;
}

const float *lull_stream_peek(lull_stream *st, uint64_t tag, int64_t at, int n)
{
    /* Acquire: w, r and the ring belong to this play once the tag says so. */
    if (!st || atomic_load_explicit(&st->tag, memory_order_acquire) != tag)
        return NULL;
    /* Acquire: frames before w are in the ring, or w is the play's length
     * and the view is up (view_tag was stored before it). */
    if (atomic_load_explicit(&st->w, memory_order_acquire) - at < n)
        return NULL;
    /* Acquire: the view's fields are set once its tag is this play's. */
    if (atomic_load_explicit(&st->view_tag, memory_order_acquire) == tag) {
        int64_t run;
        const float *x = view_at(st, at, &run);
        return run >= n ? x : NULL;
    }
    const int64_t i0 = at & (st->cap - 1);
    return st->cap - i0 >= n ? st->ring + 2 * i0 : NULL;
}

void lull_stream_release(lull_stream *st, int64_t upto)
{
    /* Release: done reading; the loader may overwrite these frames. */
    atomic_store_explicit(&st->r, upto, memory_order_release);
}

int lull_stream_read(lull_stream *st, uint64_t tag, int64_t at, float *lr, int n, int *in_gap)
{
    int have = 0;
    /* Acquire: w, r and the ring belong to this play once the tag says so. */
    if (st && atomic_load_explicit(&st->tag, memory_order_acquire) == tag) {
        /* Acquire: frames before w are in the ring. */
        int64_t w = atomic_load_explicit(&st->w, memory_order_acquire);
        int64_t avail = w - at;
        if (avail > n)
            avail = n;
        if (avail > 0 && atomic_load_explicit(&st->view_tag, memory_order_acquire) == tag) {
            /* A replay: the pieces of the view, at most one per frame. */
            for (int64_t k = 0; k < avail;) {
                int64_t run;
                const float *x = view_at(st, at + k, &run);
                if (run > avail - k)
                    run = avail - k;
                memcpy(lr + 2 * k, x, sizeof(float) * 2 * (size_t)run);
                k += run;
            }
            have = (int)avail;
        } else if (avail > 0) {
            int64_t i0 = at & (st->cap - 1);
            int64_t first = st->cap - i0 < avail ? st->cap - i0 : avail;
            memcpy(lr, st->ring + 2 * i0, sizeof(float) * 2 * (size_t)first);
            if (avail > first)
                memcpy(lr + 2 * first, st->ring, sizeof(float) * 2 * (size_t)(avail - first));
            have = (int)avail;
        }
        /* Release: done reading; the loader may overwrite these frames. */
        atomic_store_explicit(&st->r, at + n, memory_order_release);
    }
    if (have < n)
        memset(lr + 2 * have, 0, sizeof(float) * 2 * (size_t)(n - have));
    int missing = n - have;
    if (missing > 0 && st) {
        if (!*in_gap)
            atomic_fetch_add_explicit(&st->owner->underruns, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&st->owner->missing_frames, missing, memory_order_relaxed);
        *in_gap = 1;
    } else {
        *in_gap = 0;
    }
    return missing;
}

void lull_loader_stats(const lull_loader *L, lull_clip_stats *out)
{
    memset(out, 0, sizeof *out);
    if (!L)
        return;
    lull_loader *l = (lull_loader *)L;
    out->underruns = atomic_load_explicit(&l->underruns, memory_order_relaxed);
    out->missing_frames = atomic_load_explicit(&l->missing_frames, memory_order_relaxed);
    out->decode_errors = atomic_load_explicit(&l->decode_errors, memory_order_relaxed);
}

const char *lull_loader_error(lull_loader *L)
{
    if (!L)
        return "";
    pthread_mutex_lock(&L->m);
    memcpy(L->error_copy, L->error, sizeof L->error_copy);
    pthread_mutex_unlock(&L->m);
    return L->error_copy;
}

int lull_loader_create(const lull_script *s, const lull_clip_play *plays, int n_plays, int n_slots,
                       int rate_hz, int resampler, int lookahead_ms, lull_loader **out)
{
    *out = NULL;
    lull_loader *L = calloc(1, sizeof *L);
    if (!L)
        return LULL_ERR_NOMEM;
    pthread_mutex_init(&L->m, NULL);
    pthread_cond_init(&L->work_cv, NULL);
    pthread_cond_init(&L->ready_cv, NULL);
    L->rate_hz = rate_hz;
    L->resampler = resampler;
    L->cache_budget = lull_loader_cache_budget_bytes;
    L->lookahead_frames = (int64_t)rate_hz * lookahead_ms / 1000;
    L->n_plays = n_plays;
    L->n_clips = s->n_clips;
    L->n_slots = n_slots;
    L->n_groups = n_slots / LULL_CLIP_SLOTS;
    L->plays = malloc(sizeof *L->plays * (size_t)(n_plays ? n_plays : 1));
    L->paths = calloc((size_t)(s->n_clips ? s->n_clips : 1), sizeof *L->paths);
    L->slots = calloc((size_t)(n_slots ? n_slots : 1), sizeof *L->slots);
    L->group_first = calloc((size_t)L->n_groups + 1, sizeof(int));
    L->group_count = calloc((size_t)L->n_groups + 1, sizeof(int));
    L->group_cursor = calloc((size_t)L->n_groups + 1, sizeof(int));
    L->group_list = malloc(sizeof(int) * (size_t)(n_plays ? n_plays : 1));
    L->out = malloc(sizeof(float) * 2 * OUT_CHUNK);
    L->conv = malloc(sizeof(float) * 2 * OUT_CHUNK);
    int bad = !L->plays || !L->paths || !L->slots || !L->group_first || !L->group_count ||
              !L->group_cursor || !L->group_list || !L->out || !L->conv;
    for (int i = 0; !bad && i < s->n_clips; i++) {
        size_t n = strlen(s->clips[i].path) + 1;
        L->paths[i] = malloc(n);
        if (!L->paths[i])
            bad = 1;
        else
            memcpy(L->paths[i], s->clips[i].path, n);
    }
    /* Each ring holds the look-ahead plus a quarter second, rounded up to a
     * power of two so indices wrap with a mask. */
    int64_t cap = 1;
    while (cap < L->lookahead_frames + rate_hz / 4)
        cap <<= 1;
    for (int i = 0; !bad && i < n_slots; i++) {
        lull_stream *st = &L->slots[i];
        st->cap = cap;
        st->owner = L;
        st->play = -1;
        atomic_init(&st->tag, TAG_NONE);
        atomic_init(&st->view_tag, TAG_NONE);
        atomic_init(&st->w, 0);
        atomic_init(&st->r, 0);
        st->ring = calloc((size_t)cap * 2, sizeof(float));
        st->in = malloc(sizeof(float) * 2 * IN_CHUNK);
        if (!st->ring || !st->in)
            bad = 1;
        else /* touch every page now: no page faults while playing, and a
              * resident size that does not depend on what played */
            memset(st->ring, 0, sizeof(float) * 2 * (size_t)cap);
    }
    if (bad) {
        lull_loader_destroy(&L);
        return LULL_ERR_NOMEM;
    }
    memcpy(L->plays, plays, sizeof *plays * (size_t)n_plays);
    /* Group the plays by voice, keeping start order. */
    for (int k = 0; k < n_plays; k++)
        L->group_count[plays[k].slot / LULL_CLIP_SLOTS]++;
    for (int g = 1; g < L->n_groups; g++)
        L->group_first[g] = L->group_first[g - 1] + L->group_count[g - 1];
    for (int g = 0; g < L->n_groups; g++)
        L->group_cursor[g] = 0;
    for (int k = 0; k < n_plays; k++) {
        int g = plays[k].slot / LULL_CLIP_SLOTS;
        L->group_list[L->group_first[g] + L->group_cursor[g]++] = k;
    }
    for (int g = 0; g < L->n_groups; g++)
        L->group_cursor[g] = 0;
    atomic_init(&L->pos, 0);
    atomic_init(&L->epoch, 0);
    atomic_init(&L->underruns, 0);
    atomic_init(&L->missing_frames, 0);
    atomic_init(&L->decode_errors, 0);
    if (pthread_create(&L->thread, NULL, loader_main, L) != 0) {
        lull_loader_destroy(&L);
        lull_set_error("cannot start the clip loader thread");
        return LULL_ERR_NOMEM;
    }
    L->thread_started = 1;
    *out = L;
    return LULL_OK;
}

void lull_loader_destroy(lull_loader **pl)
{
    if (!pl || !*pl)
        return;
    lull_loader *L = *pl;
    if (L->thread_started) {
        pthread_mutex_lock(&L->m);
        L->quit = 1;
        pthread_cond_signal(&L->work_cv);
        pthread_mutex_unlock(&L->m);
        pthread_join(L->thread, NULL);
    }
    for (int i = 0; L->slots && i < L->n_slots; i++) {
        close_stream(&L->slots[i]);
        free(L->slots[i].ring);
        free(L->slots[i].in);
    }
    while (L->n_caches > 0)
        cache_drop(L, &L->caches[L->n_caches - 1]);
    free(L->caches);
    for (int i = 0; L->paths && i < L->n_clips; i++)
        free(L->paths[i]);
    free(L->paths);
    free(L->slots);
    free(L->plays);
    free(L->group_first);
    free(L->group_count);
    free(L->group_cursor);
    free(L->group_list);
    free(L->out);
    free(L->conv);
    pthread_cond_destroy(&L->work_cv);
    pthread_cond_destroy(&L->ready_cv);
    pthread_mutex_destroy(&L->m);
    free(L);
    *pl = NULL;
}
