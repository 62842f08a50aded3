/*
 * resample.c - the clip sample-rate converter over libsoxr and
 * libsamplerate; see resample.h for the choices and why.  [NRT]
 */
#include "resample.h"

#include "lull.h"

#include <samplerate.h>
#include <soxr.h>

#include <math.h>
#include <stdlib.h>

struct lull_rs {
    soxr_t soxr;           /* best, medium, fastest */
    SRC_STATE *src;        /* linear */
    double ratio;          /* output / input rate */
    int channels;
    int64_t lag_left;      /* linear: output frames still to drop after a reset */
    int64_t lag_frames;
};

static unsigned long soxr_recipe(int resampler)
{
    switch (resampler) {
    case LULL_RESAMPLER_MEDIUM: return SOXR_HQ;
    case LULL_RESAMPLER_FASTEST: return SOXR_MQ;
    default: return SOXR_VHQ;
    }
}

lull_rs *lull_rs_create(int resampler, int channels, int in_rate_hz, int out_rate_hz, const char **why)
{
    lull_rs *rs = calloc(1, sizeof *rs);
    if (!rs) {
        *why = "out of memory";
        return NULL;
    }
    rs->channels = channels;
    rs->ratio = (double)out_rate_hz / (double)in_rate_hz;
    if (resampler == LULL_RESAMPLER_LINEAR) {
        int err = 0;
        rs->src = src_new(SRC_LINEAR, channels, &err);
        if (!rs->src) {
            *why = src_strerror(err);
            free(rs);
            return NULL;
        }
        /* SRC_LINEAR lags by one input frame (measured): drop that many
         * output frames so the clip lands on its frame like the others. */
        rs->lag_frames = rs->lag_left = (int64_t)lround(rs->ratio);
        return rs;
    }
    soxr_error_t err = NULL;
    soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
    soxr_quality_spec_t q = soxr_quality_spec(soxr_recipe(resampler), 0); /* linear phase */
    /* One thread: the loader is already a thread of its own beside the mixer. */
    soxr_runtime_spec_t rt = soxr_runtime_spec(1);
    rs->soxr = soxr_create((double)in_rate_hz, (double)out_rate_hz, (unsigned)channels, &err, &io, &q, &rt);
    if (!rs->soxr || err) {
        *why = err ? err : "libsoxr cannot create a converter";
        if (rs->soxr)
            soxr_delete(rs->soxr);
        free(rs);
        return NULL;
    }
    return rs;
}

void lull_rs_destroy(lull_rs **prs)
{
    if (!prs || !*prs)
        return;
    lull_rs *rs = *prs;
    if (rs->soxr)
        soxr_delete(rs->soxr);
    if (rs->src)
        src_delete(rs->src);
    free(rs);
    *prs = NULL;
}

int lull_rs_reset(lull_rs *rs)
{
    rs->lag_left = rs->lag_frames;
    if (rs->src)
        return src_reset(rs->src) ? -1 : 0;
    return soxr_clear(rs->soxr) ? -1 : 0;
}

static int process_linear(lull_rs *rs, const float *in, size_t in_frames, size_t *used, float *out,
                          size_t out_frames, size_t *made, int end_of_input, const char **why)
{
    *used = *made = 0;
    for (;;) {
        SRC_DATA d = { 0 };
        d.data_in = in + *used * (size_t)rs->channels;
        d.input_frames = (long)(in_frames - *used);
        d.data_out = out + *made * (size_t)rs->channels;
        d.output_frames = (long)(out_frames - *made);
        d.src_ratio = rs->ratio;
        d.end_of_input = end_of_input;
        int err = src_process(rs->src, &d);
        if (err) {
            *why = src_strerror(err);
            return -1;
        }
        *used += (size_t)d.input_frames_used;
        size_t gen = (size_t)d.output_frames_gen;
        size_t drop = 0;
        if (rs->lag_left > 0 && gen > 0) {
            /* Drop the lag from the front of what was just made. */
            drop = (int64_t)gen < rs->lag_left ? gen : (size_t)rs->lag_left;
            float *at = out + *made * (size_t)rs->channels;
            for (size_t i = 0; i < (gen - drop) * (size_t)rs->channels; i++)
                at[i] = at[i + drop * (size_t)rs->channels];
            rs->lag_left -= (int64_t)drop;
        }
        *made += gen - drop;
        /* Dropped frames left room: go round again while that makes progress. */
        if (drop == 0 || (d.input_frames_used == 0 && d.output_frames_gen == 0))
            return 0;
    }
}

int lull_rs_process(lull_rs *rs, const float *in, size_t in_frames, size_t *used, float *out,
                    size_t out_frames, size_t *made, int end_of_input, const char **why)
{
    if (rs->src)
        return process_linear(rs, in, in_frames, used, out, out_frames, made, end_of_input, why);
    *used = *made = 0;
    soxr_error_t err;
    if (in_frames > 0 || !end_of_input) {
        err = soxr_process(rs->soxr, in, in_frames, used, out, out_frames, made);
    } else {
        /* A null input tells libsoxr the signal has ended: it then drains
         * the frames its filters still hold, a call at a time. */
        err = soxr_process(rs->soxr, NULL, 0, NULL, out, out_frames, made);
    }
    if (err) {
        *why = err;
        return -1;
    }
    return 0;
}
