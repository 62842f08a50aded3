/*
 * loader.c - the clip loader thread: libsndfile decodes, libsamplerate
 * converts to the engine's rate, lock-free rings carry the audio to the
 * audio thread.  Non-real-time except lull_stream_read and
 * lull_loader_publish/seek, which are [RT] (atomics only).  The protocol is
 * described in loader.h.
 *
 * Why a thread even offline: decoding and resampling a narration clip costs
 * about as much as mixing the session, so on a machine with two cores the
 * render runs them side by side; lull_loader_wait makes the render wait
 * for the loader, never the other way round, so the output is the same as
 * with an infinitely fast disk.
 *
 * Resampler alignment.  libsamplerate's sinc converters are centred: with
 * the stream flushed by end_of_input, an impulse at input frame 0 comes out
 * at output frame 0, so a clip starts on its exact frame with nothing to
 * compensate.  The linear converter lags by one input frame; those output
 * frames are dropped (drop_frames), so it lands on the same frame to within
 * a fraction of a frame.
 */
#include "loader.h"

#include <samplerate.h>
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
/* Input frames a converter is given before the frame it restarts at. */
#define RESTART_HISTORY 1024

struct lull_stream {
    /* Shared with the audio thread; see the protocol in loader.h. */
    _Atomic uint64_t tag;    /* written by the loader */
    _Atomic int64_t w;       /* written by the loader */
    _Atomic int64_t r;       /* written by the audio thread (and the loader before publishing a tag) */
    float *ring;             /* cap stereo frames */
    int64_t cap;             /* a power of two */
    lull_loader *owner;

    /* Loader thread only. */
    int play;                /* play held, -1 when free */
    int64_t start, length;
    int loop;
    SNDFILE *sf;
    SRC_STATE *src;          /* NULL when the file is at the engine's rate */
    double ratio;            /* output / input rate */
    int channels;
    int64_t src_frames;
    int src_rate_hz;
    float *in;               /* IN_CHUNK source frames */
    int in_len, in_pos;
    int file_done;           /* no more input (not looping) */
    int src_done;            /* the converter is flushed: only silence follows */
    int failed;              /* decode error: only silence follows */
    int64_t drop_frames;     /* output frames still to drop (linear converter lag) */
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
    int src_type;
    int64_t lookahead_frames;
    float *out;              /* OUT_CHUNK stereo frames */
    float *conv;             /* OUT_CHUNK converter output frames (up to stereo) */

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

static void close_stream(lull_stream *st)
{
    if (st->sf)
        sf_close(st->sf);
    st->sf = NULL;
    if (st->src)
        src_delete(st->src);
    st->src = NULL;
}

/* Position the decoder so that its next output frame is clip frame `frame`. */
static void reposition(lull_loader *L, lull_stream *st, int64_t frame)
{
    st->in_len = st->in_pos = 0;
    st->file_done = st->src_done = 0;
    st->drop_frames = L->src_type == SRC_LINEAR && st->src ? (int64_t)lround(st->ratio) : 0;
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
        if (target < 0)
            target = 0;
        src_pos = target / step_in * step_in;
        st->drop_frames += frame - src_pos / step_in * step_out;
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
    if (st->src)
        src_reset(st->src);
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

    SF_INFO info;
    memset(&info, 0, sizeof info);
    st->sf = sf_open(L->paths[p->clip], SFM_READ, &info);
    if (!st->sf) {
        fail_stream(L, st, sf_strerror(NULL));
    } else if (info.frames <= 0 || info.channels < 1 || info.channels > 2) {
        fail_stream(L, st, "the file changed since the script was loaded");
    } else {
        st->channels = info.channels;
        st->src_frames = info.frames;
        st->src_rate_hz = info.samplerate;
        st->ratio = (double)L->rate_hz / (double)info.samplerate;
        if (info.samplerate != L->rate_hz) {
            int err = 0;
            st->src = src_new(L->src_type, info.channels, &err);
            if (!st->src)
                fail_stream(L, st, src_strerror(err));
        }
    }
    if (!st->failed)
        reposition(L, st, skip);
    atomic_store_explicit(&st->w, skip, memory_order_relaxed);
    atomic_store_explicit(&st->r, skip, memory_order_relaxed);
    /* Release: the reader that sees this tag also sees w and r above. */
    atomic_store_explicit(&st->tag, lull_clip_tag(L->my_epoch, k), memory_order_release);
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
        SRC_DATA d;
        memset(&d, 0, sizeof d);
        d.data_in = st->in + (size_t)st->in_pos * (size_t)st->channels;
        d.input_frames = st->in_len - st->in_pos;
        d.data_out = L->conv;
        d.output_frames = n - got;
        d.src_ratio = st->ratio;
        d.end_of_input = st->file_done;
        int err = src_process(st->src, &d);
        if (err) {
            fail_stream(L, st, src_strerror(err));
            break;
        }
        st->in_pos += (int)d.input_frames_used;
        int gen = (int)d.output_frames_gen;
        int skip = 0;
        if (st->drop_frames > 0) {
            skip = st->drop_frames < gen ? (int)st->drop_frames : gen;
            st->drop_frames -= skip;
        }
        to_stereo(L->conv + (size_t)skip * (size_t)st->channels, st->channels, out + 2 * got, gen - skip);
        got += gen - skip;
        if (gen == 0 && d.input_frames_used == 0) {
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
    while (w < st->length && budget > 0) {
        /* Acquire: the reader is done with every frame before r. */
        int64_t r = atomic_load_explicit(&st->r, memory_order_acquire);
        if (r > w + L->lookahead_frames) {
            /* The reader is far ahead (the loader fell behind): skip to it. */
            reposition(L, st, r);
            w = r;
            atomic_store_explicit(&st->w, w, memory_order_release);
            continue;
        }
        int64_t n = r + st->cap - w;
        if (n > st->length - w)
            n = st->length - w;
        if (n > OUT_CHUNK)
            n = OUT_CHUNK;
        if (n > budget)
            n = budget;
        if (n <= 0 || (n < MIN_FILL && w + n < st->length && !wrote))
            break;
        decode(L, st, L->out, (int)n);
        int64_t i0 = w & (st->cap - 1);
        int64_t first = st->cap - i0 < n ? st->cap - i0 : n;
        memcpy(st->ring + 2 * i0, L->out, sizeof(float) * 2 * (size_t)first);
        if (n > first)
            memcpy(st->ring, L->out + 2 * first, sizeof(float) * 2 * (size_t)(n - first));
        w += n;
        /* Release: the frames are in the ring before the reader sees w. */
        atomic_store_explicit(&st->w, w, memory_order_release);
        budget -= n;
        wrote = 1;
    }
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
        if (avail > 0) {
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

static int src_type_for(int resampler)
{
    switch (resampler) {
    case LULL_RESAMPLER_MEDIUM: return SRC_SINC_MEDIUM_QUALITY;
    case LULL_RESAMPLER_FASTEST: return SRC_SINC_FASTEST;
    case LULL_RESAMPLER_LINEAR: return SRC_LINEAR;
    default: return SRC_SINC_BEST_QUALITY;
    }
}

int lull_loader_create(const lull_script *s, const lull_clip_play *plays, int n_plays, int n_slots,
                       int rate_hz, int resampler, lull_loader **out)
{
    *out = NULL;
    lull_loader *L = calloc(1, sizeof *L);
    if (!L)
        return LULL_ERR_NOMEM;
    pthread_mutex_init(&L->m, NULL);
    pthread_cond_init(&L->work_cv, NULL);
    pthread_cond_init(&L->ready_cv, NULL);
    L->rate_hz = rate_hz;
    L->src_type = src_type_for(resampler);
    L->lookahead_frames = (int64_t)rate_hz * LULL_CLIP_LOOKAHEAD_MS / 1000;
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
