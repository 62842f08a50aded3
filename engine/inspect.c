/*
 * inspect.c - looking inside a session without playing it: the language
 * version it states and where its parameters are over time (for `lull plot`
 * and for hosts that draw a timeline).  Non-real-time.
 *
 * Parameter values come from a real engine: lull_engine_seek() replays the
 * sequencer's events onto the parameter tracks exactly as playback does,
 * and the tracks are read with lull_track_at(), the formula the mixer uses.
 * Nothing here re-implements the script's timing semantics.
 */
#include "engine_internal.h"

#include <math.h>
#include <string.h>

/* Fine enough that every event lands on the frame it lands on in a 48 kHz
 * render. */
#define INSPECT_RATE_HZ 48000

int lull_script_language_version(const lull_script *s) { return s ? s->language_version : 0; }

int lull_script_param_curve(const lull_script *s, int voice, const char *param,
                            const double *times_sec, double *values, int n)
{
    if (!s || !param || n < 0 || (n > 0 && (!times_sec || !values)) || voice < -1 ||
        voice >= s->n_voices)
        return LULL_ERR_ARG;
    int p = -1;
    int master_level = 0;
    if (voice < 0) {
        if (!strcmp(param, "level"))
            master_level = 1;
        else if (strcmp(param, "gain")) {
            lull_set_error("the master has no parameter '%s' (gain, level)", param);
            return LULL_ERR_ARG;
        }
    } else {
        p = lull_voice_param_index(s->voices[voice].vc, param);
        if (p < 0) {
            lull_set_error("voice '%s' has no parameter '%s'", s->voices[voice].name, param);
            return LULL_ERR_ARG;
        }
    }

    lull_engine_config cfg = lull_engine_config_init();
    cfg.rate_hz = INSPECT_RATE_HZ;
    lull_engine *e = NULL;
    int r = lull_engine_create(s, &cfg, &e);
    if (r != LULL_OK)
        return r;
    int64_t at = -1;
    for (int i = 0; i < n; i++) {
        double t = times_sec[i];
        int64_t frame = isfinite(t) && t > 0 ? (int64_t)llround(t * INSPECT_RATE_HZ) : 0;
        if (frame > e->length_frames)
            frame = e->length_frames;
        /* The seek replays every event before `frame`; events at `frame`
         * itself start a ramp from the value already there, so the value at
         * `frame` is the same either way. */
        if (frame != at)
            lull_engine_seek(e, frame);
        at = frame;
        if (master_level)
            values[i] = lull_engine_master_at(e, frame);
        else if (voice < 0)
            values[i] = lull_track_at(&e->master_gain, frame);
        else
            values[i] = lull_track_at(&e->voices[voice].tracks[p], frame);
    }
    lull_engine_destroy(&e);
    return LULL_OK;
}
