/*
 * render.c - offline rendering to a file through libsndfile.  Non-real-time.
 *
 * The engine core is pulled exactly as a live host pulls it, only as fast as
 * the encoder takes the samples.  The file is written under a temporary name
 * beside the target and renamed over it only once it is complete, so a
 * failed or cancelled render leaves nothing behind and never touches an
 * existing file.
 *
 * Durability (what is on the disk after a power cut, not just in the page
 * cache): when the render replaces an existing file, the new one is fsynced
 * before the rename, so the old file gives way only to a complete one even
 * if the machine dies a moment later.  A new file is not synced unless the
 * caller asks (lull_render_config.sync, `lull render --sync`: the file, and
 * the folder after the rename): like cp, sox or ffmpeg, the render returns
 * once the kernel has the data, and a power cut in the next half minute can
 * leave that new file empty, but never damages anything that was there.
 * The disk wait this skips is about as long as writing the whole file of
 * silence (0.8 s for an hour of 24-bit WAV here; tests/bench).
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* sync_file_range */
#endif
#include "engine_internal.h"
#include "pcm.h"
#include "render_internal.h"

#include <sndfile.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Synthesis and encoding run on two threads: this one pulls blocks from the
 * engine into a small ring of chunks, a writer thread hands them to
 * libsndfile.  The engine is pulled exactly as a single thread would pull
 * it, so the file is bit-identical to a single-threaded render.
 *
 * Integer formats are converted by lull to exactly the values libsndfile
 * would write from the floats (engine/pcm.c, checked by tests/test_pcm.c),
 * at about half libsndfile's cost, on whichever thread has time for it:
 * WAV on the writer thread, which then hands libsndfile packed bytes
 * (sf_write_raw, a copy into the page cache) while synthesis, the longer
 * job, goes on; FLAC on the synthesis thread, so the writer thread, where
 * the encoder is the longer job, only encodes (sf_writef_int).
 *
 * Chunks are large (1.4 s at 48 kHz, 512 KiB of floats) because every
 * hand-over between threads can cost a sleep and a wake-up, about 5 us of
 * CPU on these machines (a mutex and condition variable ping-pong,
 * measured): with 16384-frame chunks a 60-minute render made some 40,000
 * context switches, with 65536 about 12,000. */
#define RENDER_CHUNK 65536
/* Chunks in the ring: with three busy threads on two cores, one of them is
 * always waiting for a core, for a scheduler slice (a few ms) at a time;
 * the ring lets synthesis run on meanwhile.  (The int chunks, for FLAC,
 * are never touched by a WAV render, so they take no memory there.) */
#define RENDER_NBUF 8
/* When the file is to be synced: ask the kernel to start writing back every
 * this many bytes, so the final fsync waits only for the tail instead of the
 * whole file. */
#define RENDER_WRITEBACK_BYTES (8 << 20)

typedef enum { OUT_FLOAT, OUT_RAW, OUT_INT } out_kind;

typedef struct writer {
    pthread_t thread;
    lull_engine *limit;    /* if not NULL: the engine whose limiter this thread
                            * runs over each chunk before writing it */
    float *prime;          /* the look-ahead the first chunk's mix filled */
    int prime_frames;      /* limited before the first chunk, then dropped */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    SNDFILE *sf;
    out_kind kind;
    int raw_bytes;         /* OUT_RAW: bytes per sample */
    int fd;                /* the file to be synced, for early writeback; else -1 */
    off_t synced;          /* writeback started up to here */
    float *buf[RENDER_NBUF];   /* the chunks as synthesised */
    int32_t *ints[RENDER_NBUF]; /* OUT_INT: the chunks converted */
    unsigned char *bytes;      /* OUT_RAW: the writer's packed chunk */
    int frames[RENDER_NBUF];
    int head, tail, count; /* ring of filled chunks; guarded by mu */
    int closing;           /* no more chunks will come */
    int failed;            /* a write came up short */
} writer;

static sf_count_t write_chunk(writer *w, int t)
{
    const int frames = w->frames[t];
    if (w->limit) {
        if (w->prime_frames) {
            lull_engine_limit(w->limit, w->prime, w->prime_frames);
            w->prime_frames = 0;
        }
        lull_engine_limit(w->limit, w->buf[t], frames);
    }
    switch (w->kind) {
    case OUT_RAW: {
        if (w->raw_bytes == 3)
            lull_pcm_wav24(w->buf[t], w->bytes, 2 * frames);
        else
            lull_pcm_wav16(w->buf[t], w->bytes, 2 * frames);
        const sf_count_t bytes = (sf_count_t)frames * 2 * w->raw_bytes;
        return sf_write_raw(w->sf, w->bytes, bytes) == bytes ? frames : 0;
    }
    case OUT_INT: return sf_writef_int(w->sf, w->ints[t], frames);
    default: return sf_writef_float(w->sf, w->buf[t], frames);
    }
}

/* Start writeback of what has been written since the last call (Linux), for
 * a file that will be synced; the fsync before the rename still makes it
 * durable. */
static void start_writeback(writer *w)
{
#if defined(__linux__) && defined(SYNC_FILE_RANGE_WRITE)
    if (w->fd < 0)
        return;
    const off_t pos = lseek(w->fd, 0, SEEK_CUR);
    if (pos > w->synced && pos - w->synced >= RENDER_WRITEBACK_BYTES) {
        (void)sync_file_range(w->fd, w->synced, pos - w->synced, SYNC_FILE_RANGE_WRITE);
        w->synced = pos;
    }
#else
    (void)w;
#endif
}

static void *writer_main(void *arg)
{
    writer *w = arg;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (w->count == 0 && !w->closing)
            pthread_cond_wait(&w->cv, &w->mu);
        if (w->count == 0)
            break;
        const int t = w->tail;
        pthread_mutex_unlock(&w->mu);
        sf_count_t n = w->failed ? 0 : write_chunk(w, t);
        if (n == w->frames[t])
            start_writeback(w);
        pthread_mutex_lock(&w->mu);
        if (n != w->frames[t])
            w->failed = 1;
        w->tail = (t + 1) % RENDER_NBUF;
        w->count--;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* A free chunk to fill, waiting for the writer if all are queued; NULL once
 * a write has failed. */
static float *writer_acquire(writer *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->count == RENDER_NBUF && !w->failed)
        pthread_cond_wait(&w->cv, &w->mu);
    float *b = w->failed ? NULL : w->buf[w->head];
    pthread_mutex_unlock(&w->mu);
    return b;
}

static void writer_commit(writer *w, int frames)
{
    pthread_mutex_lock(&w->mu);
    w->frames[w->head] = frames;
    w->head = (w->head + 1) % RENDER_NBUF;
    w->count++;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

/* Let the writer drain and stop; returns non-zero if any write failed. */
static int writer_finish(writer *w)
{
    pthread_mutex_lock(&w->mu);
    w->closing = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    return w->failed;
}

static int writer_start(writer *w, SNDFILE *sf, int fd, out_kind kind, int raw_bytes, unsigned char *mem)
{
    memset(w, 0, sizeof *w);
    w->sf = sf;
    w->fd = fd;
    w->kind = kind;
    w->raw_bytes = raw_bytes;
    w->synced = fd >= 0 ? lseek(fd, 0, SEEK_CUR) : 0;
    if (w->synced < 0)
        w->synced = 0;
    /* mem: RENDER_NBUF float chunks, as many int chunks, one byte chunk. */
    const size_t chunk_bytes = sizeof(float) * 2 * RENDER_CHUNK;
    for (int i = 0; i < RENDER_NBUF; i++) {
        w->buf[i] = (float *)(void *)(mem + (size_t)i * chunk_bytes);
        w->ints[i] = (int32_t *)(void *)(mem + (size_t)(RENDER_NBUF + i) * chunk_bytes);
    }
    w->bytes = mem + (size_t)2 * RENDER_NBUF * chunk_bytes;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, writer_main, w) != 0) {
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->cv);
        return -1;
    }
    return 0;
}

static void writer_destroy(writer *w)
{
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->cv);
}

lull_render_config lull_render_config_init(void)
{
    lull_render_config c;
    memset(&c, 0, sizeof c);
    c.rate_hz = 48000;
    c.seed = LULL_DEFAULT_SEED;
    c.true_peak_dbtp = LULL_TRUE_PEAK_DEFAULT_DBTP;
    return c;
}

lull_file_format lull_format_from_path(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!dot || (slash && dot < slash))
        return LULL_FORMAT_AUTO;
    if (!strcasecmp(dot, ".wav") || !strcasecmp(dot, ".wave"))
        return LULL_FORMAT_WAV;
    if (!strcasecmp(dot, ".flac"))
        return LULL_FORMAT_FLAC;
    if (!strcasecmp(dot, ".ogg") || !strcasecmp(dot, ".oga"))
        return LULL_FORMAT_OGG;
    return LULL_FORMAT_AUTO;
}

/* Build the libsndfile format word, or 0 with lull_last_error set. */
static int sf_format_for(lull_file_format ff, lull_sample_format sfmt, int64_t frames)
{
    int sub;
    switch (sfmt) {
    case LULL_SAMPLES_PCM16: sub = SF_FORMAT_PCM_16; break;
    case LULL_SAMPLES_FLOAT32: sub = SF_FORMAT_FLOAT; break;
    default: sub = SF_FORMAT_PCM_24; break;
    }
    switch (ff) {
    case LULL_FORMAT_WAV: {
        /* Plain WAV stops at 4 GiB; longer renders use RF64 (the same thing
         * with 64-bit sizes, read by libsndfile, sox and ffmpeg). */
        int bytes = sub == SF_FORMAT_PCM_16 ? 2 : sub == SF_FORMAT_PCM_24 ? 3 : 4;
        int major = frames * 2 * bytes > 0xFFFFFFFFLL - (1 << 20) ? SF_FORMAT_RF64 : SF_FORMAT_WAV;
        return major | sub;
    }
    case LULL_FORMAT_FLAC:
        if (sub == SF_FORMAT_FLOAT) {
            lull_set_error("FLAC stores integers: use 16 or 24 bits, or write WAV for 32-bit float");
            return 0;
        }
        return SF_FORMAT_FLAC | sub;
    case LULL_FORMAT_OGG:
        return SF_FORMAT_OGG | SF_FORMAT_VORBIS;
    default:
        lull_set_error("unknown output format: name the file .wav, .flac or .ogg");
        return 0;
    }
}

/* "dir/.name.lull-XXXXXX" beside path. */
static char *temp_name_for(const char *path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(path) + 32;
    char *t = malloc(n);
    if (t)
        snprintf(t, n, "%.*s.%s.lull-XXXXXX", (int)dirlen, path, base);
    return t;
}

/* Is there anything at path (a file to be replaced)? */
static int target_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* fsync the folder that holds path, so a rename into it is durable; 0 on
 * success (also where the file system cannot sync a folder at all). */
static int sync_folder_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    const int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd < 0)
        return -1;
    int r = fsync(dfd);
    if (r != 0 && (errno == EINVAL || errno == EROFS))
        r = 0;
    const int saved = errno;
    close(dfd);
    errno = saved;
    return r;
}

int lull_render_file(const lull_script *script, const char *path, const lull_render_config *cfg_in)
{
    if (!script || !path || !*path)
        return LULL_ERR_ARG;
    lull_render_config cfg = cfg_in ? *cfg_in : lull_render_config_init();
    const int to_stdout = !strcmp(path, "-");
    lull_file_format ff = cfg.format != LULL_FORMAT_AUTO ? cfg.format
                          : to_stdout                  ? LULL_FORMAT_WAV
                                                       : lull_format_from_path(path);
    if (to_stdout && ff != LULL_FORMAT_WAV) {
        lull_set_error("standard output takes WAV only; write FLAC or Ogg to a file");
        return LULL_ERR_FORMAT;
    }
    if (ff == LULL_FORMAT_AUTO) {
        lull_set_error("%s: unknown output format: name the file .wav, .flac or .ogg", path);
        return LULL_ERR_FORMAT;
    }

    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = cfg.rate_hz ? cfg.rate_hz : 48000;
    ec.seed = cfg.seed;
    ec.offline = 1;                         /* wait for clips: complete, reproducible */
    ec.resampler = cfg.resampler ? cfg.resampler : LULL_RESAMPLER_BEST;
    ec.master_trim_db = cfg.master_trim_db;
    ec.true_peak_dbtp = cfg.true_peak_dbtp;
    lull_engine *e = NULL;
    int r = lull_engine_create(script, &ec, &e);
    if (r != LULL_OK)
        return r;
    const int64_t total = lull_engine_length_frames(e);

    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = ec.rate_hz;
    info.channels = 2;
    info.format = sf_format_for(ff, cfg.samples, total);
    if (!info.format) {
        lull_engine_destroy(&e);
        return LULL_ERR_FORMAT;
    }
    if (!sf_format_check(&info)) {
        lull_set_error("%s: libsndfile cannot write this format at %d Hz", path, ec.rate_hz);
        lull_engine_destroy(&e);
        return LULL_ERR_FORMAT;
    }

    char *tmp = to_stdout ? NULL : temp_name_for(path);
    /* Sync before the rename when asked, or when a file is being replaced. */
    int durable = !to_stdout && (cfg.sync || target_exists(path));
    /* The ring and the conversion buffers (see writer_start). */
    unsigned char *buf = malloc(sizeof(float) * 2 * RENDER_CHUNK * (2 * RENDER_NBUF + 1));
    float *prime = malloc(sizeof(float) * 2 * LULL_LIM_RING); /* see w.limit */
    const int sub = info.format & SF_FORMAT_SUBMASK;
    const int int_bits = sub == SF_FORMAT_PCM_16 ? 16 : sub == SF_FORMAT_PCM_24 ? 24 : 0;
    out_kind kind = OUT_FLOAT;
    if (int_bits && ff == LULL_FORMAT_WAV)
        kind = OUT_RAW;
    else if (int_bits && ff == LULL_FORMAT_FLAC)
        kind = OUT_INT;
    int fd = -1;
    SNDFILE *sf = NULL;
    writer w;
    int writer_running = 0;
    lull_split *split = NULL;
    lull_meter *meter = NULL;
    lull_wav_stream stream = { -1, 0 };
    if ((!tmp && !to_stdout) || !buf) {
        r = LULL_ERR_NOMEM;
        goto fail;
    }
    if (cfg.loudness && !(meter = lull_meter_create(ec.rate_hz))) {
        r = LULL_ERR_NOMEM;
        goto fail;
    }
    if (to_stdout) {
        /* Nothing to rename: the stream is the output. */
        stream.fd = STDOUT_FILENO;
        sf = lull_wav_stream_open(&stream, &info, total);
        if (!sf) {
            r = LULL_ERR_IO;
            goto fail;
        }
        goto opened;
    }
    fd = mkstemp(tmp);
    if (fd < 0) {
        char dir[4096];
        const char *slash = strrchr(path, '/');
        snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
        lull_set_error("%s: cannot create a file in %s: %s", path, dir[0] ? dir : "/", strerror(errno));
        r = LULL_ERR_IO;
        free(tmp);
        tmp = NULL;
        goto fail;
    }
    /* mkstemp makes the file private; give it the usual mode. */
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, 0666 & ~mask) != 0) {
        /* not fatal: the file is still correct, only more private */
    }
    sf = sf_open_fd(fd, SFM_WRITE, &info, 0);
    if (!sf) {
        lull_set_error("%s: %s", path, sf_strerror(NULL));
        r = LULL_ERR_FORMAT;
        goto fail;
    }
opened:
    if (ff == LULL_FORMAT_OGG) {
        double q = 0.6; /* Vorbis quality 0..1; about 192 kbit/s stereo */
        sf_command(sf, SFC_SET_VBR_ENCODING_QUALITY, &q, sizeof q);
    }
    /* The master bus never exceeds full scale; clipping is a last guard. */
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    {
        char sw[64];
        snprintf(sw, sizeof sw, "lull %s", lull_version());
        sf_set_string(sf, SF_STR_SOFTWARE, sw);
        if (lull_script_title(script)[0])
            sf_set_string(sf, SF_STR_TITLE, lull_script_title(script));
    }

    int64_t done = 0;
    if (cfg.progress && cfg.progress(cfg.user, 0, total)) {
        r = LULL_ERR_CANCELLED;
        goto fail;
    }
    if (writer_start(&w, sf, durable ? fd : -1, kind, int_bits / 8, buf) != 0) {
        lull_set_error("%s: cannot start the writer thread", path);
        r = LULL_ERR_NOMEM;
        goto fail;
    }
    writer_running = 1;
    /* WAV: the writer thread, which only packs and copies, also runs the
     * limiter, so the mixer's thread (the render's longest) does not.  Not
     * for FLAC or Ogg, whose encoders keep the writer busier than the
     * mixer, nor with the loudness meter, which measures the limited
     * samples here on this thread.  Set before the first chunk is
     * committed: the writer reads limit, prime and prime_frames only for a
     * chunk it has taken under w.mu, after writer_commit released it, so
     * the mutex orders these plain writes before those reads. */
    if (prime && !meter && ff == LULL_FORMAT_WAV) {
        w.limit = e;
        w.prime = prime;
    }
    split = lull_split_start(e, script, &ec, RENDER_CHUNK);
    while (done < total) {
        int n = total - done > RENDER_CHUNK ? RENDER_CHUNK : (int)(total - done);
        float *chunk = writer_acquire(&w);
        if (!chunk)
            break; /* the writer failed; reported below */
        if (w.limit) {
            int primed = 0;
            lull_split_mix(split, e, chunk, n, prime, &primed);
            if (primed)
                w.prime_frames = primed; /* before the writer sees the chunk */
        } else {
            lull_split_process(split, e, chunk, n);
        }
        /* Measure exactly what goes to the encoder. */
        if (meter && (r = lull_meter_add(meter, chunk, n)) != LULL_OK)
            goto fail;
        if (kind == OUT_INT)
            lull_pcm_flac_int(chunk, w.ints[w.head], 2 * n, int_bits);
        writer_commit(&w, n);
        done += n;
        if (cfg.progress && cfg.progress(cfg.user, done, total)) {
            lull_split_stop(&split, e);
            writer_finish(&w);
            writer_destroy(&w);
            writer_running = 0;
            r = LULL_ERR_CANCELLED;
            lull_set_error("%s: render cancelled", path);
            goto fail;
        }
    }
    lull_split_stop(&split, e);
    writer_running = 0;
    if (writer_finish(&w)) {
        writer_destroy(&w);
        lull_set_error("%s: write failed: %s", path, sf_strerror(sf));
        r = LULL_ERR_IO;
        goto fail;
    }
    writer_destroy(&w);
    if (lull_engine_clip_error(e)[0]) {
        lull_set_error("%s: a clip could not be decoded: %s", path, lull_engine_clip_error(e));
        r = LULL_ERR_IO;
        goto fail;
    }
    if (sf_close(sf) != 0) {
        sf = NULL;
        lull_set_error("%s: finishing the file failed: %s", path, sf_strerror(NULL));
        r = LULL_ERR_IO;
        goto fail;
    }
    sf = NULL;
    if (meter && (r = lull_meter_result(meter, cfg.loudness)) != LULL_OK)
        goto fail;
    lull_meter_free(&meter);
    if (to_stdout) {
        free(buf);
        free(prime);
        lull_engine_destroy(&e);
        return LULL_OK;
    }
    /* Something may have been put at `path` meanwhile: it is protected too. */
    if (!durable)
        durable = target_exists(path);
    if (durable && fsync(fd) != 0) {
        lull_set_error("%s: write failed: %s", path, strerror(errno));
        r = LULL_ERR_IO;
        goto fail;
    }
    {
        const int closed = close(fd);
        fd = -1;
        if (closed != 0) {
            lull_set_error("%s: write failed: %s", path, strerror(errno));
            r = LULL_ERR_IO;
            goto fail;
        }
    }
    if (rename(tmp, path) != 0) {
        lull_set_error("%s: cannot replace the file: %s", path, strerror(errno));
        r = LULL_ERR_IO;
        goto fail;
    }
    if (cfg.sync && sync_folder_of(path) != 0) {
        /* The file is complete and in place; only its durability is in doubt. */
        lull_set_error("%s: written, but its folder could not be synced: %s", path, strerror(errno));
        free(tmp);
        free(buf);
        free(prime);
        lull_engine_destroy(&e);
        return LULL_ERR_IO;
    }
    free(tmp);
    free(buf);
    free(prime);
    lull_engine_destroy(&e);
    return LULL_OK;

fail:
    lull_split_stop(&split, e);
    if (writer_running) {
        writer_finish(&w);
        writer_destroy(&w);
    }
    lull_meter_free(&meter);
    if (sf)
        sf_close(sf);
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(buf);
    free(prime);
    lull_engine_destroy(&e);
    return r;
}
