/*
 * render.c - offline rendering to a file through libsndfile.  Non-real-time.
 *
 * The engine core is pulled exactly as a live host pulls it, only as fast as
 * the encoder takes the samples.  The file is written under a temporary name
 * beside the target and renamed over it only once it is complete and synced,
 * so a failed or cancelled render leaves nothing behind and never touches an
 * existing file.
 */
#include "lull_internal.h"

#include <sndfile.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define RENDER_BLOCK 4096

lull_render_config lull_render_config_init(void)
{
    lull_render_config c;
    memset(&c, 0, sizeof c);
    c.rate_hz = 48000;
    c.seed = LULL_DEFAULT_SEED;
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

int lull_render_file(const lull_script *script, const char *path, const lull_render_config *cfg_in)
{
    if (!script || !path || !*path)
        return LULL_ERR_ARG;
    lull_render_config cfg = cfg_in ? *cfg_in : lull_render_config_init();
    lull_file_format ff = cfg.format != LULL_FORMAT_AUTO ? cfg.format : lull_format_from_path(path);
    if (ff == LULL_FORMAT_AUTO) {
        lull_set_error("%s: unknown output format: name the file .wav, .flac or .ogg", path);
        return LULL_ERR_FORMAT;
    }

    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = cfg.rate_hz ? cfg.rate_hz : 48000;
    ec.seed = cfg.seed;
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

    char *tmp = temp_name_for(path);
    float *buf = malloc(sizeof(float) * 2 * RENDER_BLOCK);
    int fd = -1;
    SNDFILE *sf = NULL;
    if (!tmp || !buf) {
        r = LULL_ERR_NOMEM;
        goto fail;
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
    int tick = 0;
    if (cfg.progress && cfg.progress(cfg.user, 0, total)) {
        r = LULL_ERR_CANCELLED;
        goto fail;
    }
    while (done < total) {
        int n = total - done > RENDER_BLOCK ? RENDER_BLOCK : (int)(total - done);
        lull_engine_process(e, buf, n);
        sf_count_t w = sf_writef_float(sf, buf, n);
        if (w != n) {
            lull_set_error("%s: write failed: %s", path, sf_strerror(sf));
            r = LULL_ERR_IO;
            goto fail;
        }
        done += n;
        if (cfg.progress && (++tick % 16 == 0 || done == total) && cfg.progress(cfg.user, done, total)) {
            r = LULL_ERR_CANCELLED;
            lull_set_error("%s: render cancelled", path);
            goto fail;
        }
    }
    if (sf_close(sf) != 0) {
        sf = NULL;
        lull_set_error("%s: finishing the file failed: %s", path, sf_strerror(NULL));
        r = LULL_ERR_IO;
        goto fail;
    }
    sf = NULL;
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        lull_set_error("%s: write failed: %s", path, strerror(errno));
        r = LULL_ERR_IO;
        goto fail;
    }
    fd = -1;
    if (rename(tmp, path) != 0) {
        lull_set_error("%s: cannot replace the file: %s", path, strerror(errno));
        r = LULL_ERR_IO;
        goto fail;
    }
    free(tmp);
    free(buf);
    lull_engine_destroy(&e);
    return LULL_OK;

fail:
    if (sf)
        sf_close(sf);
    if (fd >= 0)
        close(fd);
    if (tmp) {
        unlink(tmp);
        free(tmp);
    }
    free(buf);
    lull_engine_destroy(&e);
    return r;
}
