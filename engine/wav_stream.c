/*
 * wav_stream.c - WAV to a stream that cannot seek (`lull render -o -`).
 * Non-real-time.
 *
 * libsndfile writes a WAV header first and patches its sizes when the file
 * is closed, which needs a seekable file.  A render knows its exact length
 * before it starts, so here the header is written up front with the final
 * sizes, and libsndfile encodes the samples as raw little-endian data after
 * it (raw output streams fine).  Layout: RIFF/WAVE, a 16-byte `fmt ` chunk
 * (PCM) or 18-byte one plus `fact` (IEEE float), then `data`.
 */
#include "render_internal.h"
#include "lull_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)((v >> (8 * i)) & 0xff);
}

static int write_all(int fd, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* libsndfile's virtual I/O over a plain descriptor that only ever moves
 * forward.  (sf_open_fd would take a descriptor positioned after our header
 * for a file embedded in another, which raw output does not allow.) */
static sf_count_t vio_filelen(void *user) { return ((lull_wav_stream *)user)->written; }
static sf_count_t vio_tell(void *user) { return ((lull_wav_stream *)user)->written; }

static sf_count_t vio_seek(sf_count_t offset, int whence, void *user)
{
    lull_wav_stream *ws = user;
    sf_count_t to = whence == SEEK_SET ? offset : whence == SEEK_CUR ? ws->written + offset : -1;
    /* A stream cannot go back; staying put is the only seek it allows. */
    return to == ws->written ? to : -1;
}

static sf_count_t vio_read(void *ptr, sf_count_t count, void *user)
{
    (void)ptr;
    (void)count;
    (void)user;
    return 0;
}

static sf_count_t vio_write(const void *ptr, sf_count_t count, void *user)
{
    lull_wav_stream *ws = user;
    if (count <= 0)
        return 0;
    if (write_all(ws->fd, ptr, (size_t)count) != 0)
        return 0;
    ws->written += count;
    return count;
}

SNDFILE *lull_wav_stream_open(lull_wav_stream *ws, const SF_INFO *info, int64_t frames)
{
    const int fd = ws->fd;
    const int sub = info->format & SF_FORMAT_SUBMASK;
    unsigned bytes;
    unsigned tag; /* WAVE_FORMAT_PCM = 1, WAVE_FORMAT_IEEE_FLOAT = 3 */
    switch (sub) {
    case SF_FORMAT_PCM_16: bytes = 2; tag = 1; break;
    case SF_FORMAT_PCM_24: bytes = 3; tag = 1; break;
    case SF_FORMAT_FLOAT: bytes = 4; tag = 3; break;
    default:
        lull_set_error("standard output: WAV streams are 16-bit, 24-bit or 32-bit float");
        return NULL;
    }
    const unsigned channels = (unsigned)info->channels;
    const unsigned block_align = channels * bytes;
    const int is_float = tag == 3;
    const uint64_t data_bytes = (uint64_t)frames * block_align;
    const unsigned fmt_size = is_float ? 18u : 16u;
    const unsigned header_bytes = 12 + 8 + fmt_size + (is_float ? 12u : 0u) + 8;
    /* RIFF sizes are 32-bit; an odd data size needs a pad byte after it. */
    if (data_bytes + header_bytes + 1 > 0xFFFFFFFFull) {
        lull_set_error("standard output: %lld frames are too long for a WAV stream (4 GiB); "
                       "write to a file instead (it becomes RF64)", (long long)frames);
        return NULL;
    }

    unsigned char h[64];
    unsigned char *p = h;
    memcpy(p, "RIFF", 4);
    put32(p + 4, (uint32_t)(header_bytes - 8 + data_bytes + (data_bytes & 1)));
    memcpy(p + 8, "WAVE", 4);
    p += 12;
    memcpy(p, "fmt ", 4);
    put32(p + 4, fmt_size);
    put16(p + 8, tag);
    put16(p + 10, channels);
    put32(p + 12, (uint32_t)info->samplerate);
    put32(p + 16, (uint32_t)info->samplerate * block_align);
    put16(p + 20, block_align);
    put16(p + 22, bytes * 8);
    if (is_float)
        put16(p + 24, 0); /* cbSize: no extension */
    p += 8 + fmt_size;
    if (is_float) {
        /* Non-PCM WAV carries a `fact` chunk with the frame count. */
        memcpy(p, "fact", 4);
        put32(p + 4, 4);
        put32(p + 8, (uint32_t)frames);
        p += 12;
    }
    memcpy(p, "data", 4);
    put32(p + 4, (uint32_t)data_bytes);
    p += 8;
    if (write_all(fd, h, (size_t)(p - h)) != 0) {
        lull_set_error("standard output: write failed: %s", strerror(errno));
        return NULL;
    }

    SF_INFO raw = *info;
    raw.format = SF_FORMAT_RAW | sub | SF_ENDIAN_LITTLE;
    ws->written = 0;
    static SF_VIRTUAL_IO vio = { vio_filelen, vio_seek, vio_read, vio_write, vio_tell };
    SNDFILE *sf = sf_open_virtual(&vio, SFM_WRITE, &raw, ws);
    if (!sf)
        lull_set_error("standard output: %s", sf_strerror(NULL));
    return sf;
}
