/*
 * loudness.c - EBU R 128 measurement (libebur128) of what the engine makes:
 * the meter a render feeds as it writes, the memory-less analysis pass
 * behind `--loudness`, and the trim that normalises a session.
 * Non-real-time: libebur128 allocates while it measures.
 */
#include "render_internal.h"
#include "lull_internal.h"

#include <ebur128.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ANALYSIS_BLOCK_FRAMES 4096
/* A trim limited by the true-peak ceiling stays this far under it, so the
 * written file (quantised to 16 or 24 bits) still measures under it. */
#define CEILING_MARGIN_DB 0.01

struct lull_meter {
    ebur128_state *st;
};

lull_meter *lull_meter_create(int rate_hz)
{
    lull_meter *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->st = ebur128_init(2, (unsigned long)rate_hz,
                         EBUR128_MODE_I | EBUR128_MODE_LRA | EBUR128_MODE_TRUE_PEAK |
                             EBUR128_MODE_SAMPLE_PEAK);
    if (!m->st) {
        free(m);
        return NULL;
    }
    return m;
}

int lull_meter_add(lull_meter *m, const float *frames, int n)
{
    if (n <= 0)
        return LULL_OK;
    return ebur128_add_frames_float(m->st, frames, (size_t)n) == EBUR128_SUCCESS ? LULL_OK : LULL_ERR_NOMEM;
}

static double to_db(double linear)
{
    return linear > 0.0 ? 20.0 * log10(linear) : -HUGE_VAL;
}

int lull_meter_result(lull_meter *m, lull_loudness *out)
{
    double lufs, lra, tp_l, tp_r, sp_l, sp_r;
    if (ebur128_loudness_global(m->st, &lufs) != EBUR128_SUCCESS ||
        ebur128_loudness_range(m->st, &lra) != EBUR128_SUCCESS ||
        ebur128_true_peak(m->st, 0, &tp_l) != EBUR128_SUCCESS ||
        ebur128_true_peak(m->st, 1, &tp_r) != EBUR128_SUCCESS ||
        ebur128_sample_peak(m->st, 0, &sp_l) != EBUR128_SUCCESS ||
        ebur128_sample_peak(m->st, 1, &sp_r) != EBUR128_SUCCESS) {
        lull_set_error("loudness measurement failed");
        return LULL_ERR_NOMEM;
    }
    /* libebur128 reports silence (everything gated away) as -HUGE_VAL. */
    out->integrated_lufs = isfinite(lufs) ? lufs : -HUGE_VAL;
    out->range_lu = isfinite(lra) ? lra : 0.0;
    out->true_peak_dbtp = to_db(tp_l > tp_r ? tp_l : tp_r);
    out->sample_peak_dbfs = to_db(sp_l > sp_r ? sp_l : sp_r);
    return LULL_OK;
}

void lull_meter_free(lull_meter **pm)
{
    if (!pm || !*pm)
        return;
    ebur128_destroy(&(*pm)->st);
    free(*pm);
    *pm = NULL;
}

int lull_analyze_loudness(const lull_script *script, const lull_engine_config *cfg,
                          lull_progress_fn progress, void *user, lull_loudness *out)
{
    if (!script || !out)
        return LULL_ERR_ARG;
    /* Offline: wait for clips to be decoded, so the measurement hears
     * every clip whole, as a render does. */
    lull_engine_config ec = cfg ? *cfg : lull_engine_config_init();
    ec.offline = 1;
    lull_engine *e = NULL;
    int r = lull_engine_create(script, &ec, &e);
    if (r != LULL_OK)
        return r;
    lull_meter *m = lull_meter_create(lull_engine_rate(e));
    float *buf = malloc(sizeof(float) * 2 * ANALYSIS_BLOCK_FRAMES);
    if (!m || !buf) {
        r = LULL_ERR_NOMEM;
        goto done;
    }
    const int64_t total = lull_engine_length_frames(e);
    int64_t pos = 0;
    int tick = 0;
    while (pos < total) {
        int n = total - pos > ANALYSIS_BLOCK_FRAMES ? ANALYSIS_BLOCK_FRAMES : (int)(total - pos);
        lull_engine_process(e, buf, n);
        if ((r = lull_meter_add(m, buf, n)) != LULL_OK)
            goto done;
        pos += n;
        if (progress && (++tick % 16 == 0 || pos == total) && progress(user, pos, total)) {
            lull_set_error("loudness analysis cancelled");
            r = LULL_ERR_CANCELLED;
            goto done;
        }
    }
    r = lull_meter_result(m, out);
done:
    free(buf);
    lull_meter_free(&m);
    lull_engine_destroy(&e);
    return r;
}

double lull_loudness_trim_db(const lull_loudness *m, double target_lufs, double ceiling_dbtp,
                             int *limited)
{
    if (limited)
        *limited = 0;
    if (!m || !isfinite(m->integrated_lufs) || !isfinite(target_lufs))
        return 0.0;
    double trim = target_lufs - m->integrated_lufs;
    /* Gain staging is linear up to the limiter's knee, so the true peak
     * moves by exactly the trim. */
    if (isfinite(m->true_peak_dbtp) && isfinite(ceiling_dbtp) &&
        m->true_peak_dbtp + trim > ceiling_dbtp - CEILING_MARGIN_DB) {
        trim = ceiling_dbtp - CEILING_MARGIN_DB - m->true_peak_dbtp;
        if (limited)
            *limited = 1;
    }
    return trim;
}
