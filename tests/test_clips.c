/*
 * test_clips.c - clip playback measured: every format and rate libsndfile
 * reads, resampled pitch and level, the exact start frame, loop joins,
 * crossfades, block-size independence and seeking.
 *
 * The clips are written by the test itself with libsndfile into
 * build/clip-tests/clips/.
 *
 * MIT licence; see LICENSE.
 */
#include "analysis.h"
#include "clip_util.h"
#include "loader.h"

#include <stdatomic.h>

#include <time.h>

#define RATE 48000

/* ------------------------------------------------ formats, pitch, level */

typedef struct fmt_case {
    const char *ext;
    int format;
    const char *name;
    int lossy;
} fmt_case;

static const fmt_case formats[] = {
    { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, "WAV 8-bit", 0 },
    { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, "WAV 16-bit", 0 },
    { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, "WAV 24-bit", 0 },
    { "wav", SF_FORMAT_WAV | SF_FORMAT_PCM_32, "WAV 32-bit", 0 },
    { "wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, "WAV float", 0 },
    { "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, "FLAC 16-bit", 0 },
    { "flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, "FLAC 24-bit", 0 },
    { "aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, "AIFF 16-bit", 0 },
    { "ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, "Ogg Vorbis", 1 },
    { "opus", SF_FORMAT_OGG | SF_FORMAT_OPUS, "Ogg Opus", 1 },
};

static int opus_rate_ok(int rate)
{
    return rate == 8000 || rate == 12000 || rate == 16000 || rate == 24000 || rate == 48000;
}

/* A 1 kHz tone of amplitude 0.5 in a file, played at 0:00.500: it must
 * measure 1 kHz and 0.5 at 48 kHz, start within a few frames of 24000 and
 * end where the file ends. */
static void test_formats(void)
{
    static const int rates[] = { 8000, 11025, 16000, 22050, 32000, 44100, 48000, 96000 };
    int n_cases = 0;
    for (size_t f = 0; f < sizeof formats / sizeof formats[0]; f++) {
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
            for (int ch = 1; ch <= 2; ch++) {
                const fmt_case *fc = &formats[f];
                int rate = rates[r];
                if ((fc->format & SF_FORMAT_SUBMASK) == SF_FORMAT_OPUS && !opus_rate_ok(rate))
                    continue;
                /* Keep the run short: every rate for 16-bit WAV, a spread
                 * of rates for the others. */
                if (f != 1 && r % 3 != (f + (size_t)ch) % 3 && rate != 22050 && rate != 48000)
                    continue;
                char file[64];
                snprintf(file, sizeof file, "tone-%zu-%d-%d.%s", f, rate, ch, fc->ext);
                if (cu_write(file, fc->format, rate, ch, rate, CU_SINE, 1000.0, 0.5) < 0) {
                    CHECK(0, "libsndfile cannot write %s at %d Hz", fc->name, rate);
                    continue;
                }
                char script[512];
                snprintf(script, sizeof script,
                         "voice v clip\n0:00.500 v play \"%s\"\n0:02 end\n", file);
                cu_render out;
                if (cu_render_script(script, RATE, LULL_RESAMPLER_BEST, 4096, &out) < 0) {
                    CHECK(0, "%s %d Hz %d ch: render failed", fc->name, rate, ch);
                    continue;
                }
                n_cases++;
                /* The steady middle of the clip: 0.6 .. 1.4 s. */
                float *l = cu_channel(&out, 0, 28800, 38400);
                float *rr = cu_channel(&out, 1, 28800, 38400);
                double fl = an_estimate_frequency(l, 38400, RATE);
                double fr = an_estimate_frequency(rr, 38400, RATE);
                double al = an_goertzel_amplitude(l, 38400, 1000.0, RATE);
                double tol_hz = fc->lossy ? 0.05 : 0.01;
                double tol_db = fc->lossy ? 0.5 : (fc->format & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_U8 ? 0.2 : 0.05;
                CHECK(fabs(fl - 1000.0) < tol_hz && fabs(fr - 1000.0) < tol_hz,
                      "%s %d Hz %d ch: pitch %.4f / %.4f Hz, want 1000", fc->name, rate, ch, fl, fr);
                CHECK(fabs(20.0 * log10(al / 0.5)) < tol_db, "%s %d Hz %d ch: level %.4f, want 0.5",
                      fc->name, rate, ch, al);
                /* Start and end: silence before 0.5 s, sound right after,
                 * silence from 1.5 s (plus the converter's ring-out). */
                float *all = cu_channel(&out, 0, 0, out.frames);
                long on = an_onset(all, (size_t)out.frames, 0.05);
                CHECK(on >= 24000 && on <= 24000 + 48, "%s %d Hz %d ch: onset at %ld, want ~24000", fc->name,
                      rate, ch, on);
                double tail = an_rms(all, 72000 + 2400, 96000 - 600);
                CHECK(tail < 1e-3, "%s %d Hz %d ch: rms %.5f after the clip's end", fc->name, rate, ch, tail);
                CHECK(out.stats.underruns == 0, "offline render had underruns");
                free(all);
                free(l);
                free(rr);
                free(out.lr);
            }
        }
    }
    printf("formats: %d cases\n", n_cases);
}

/* ------------------------------------------------------------ start frame */

/* An impulse at a clip's first frame lands exactly on the frame its event
 * names, at every rate and with every sinc converter (libsamplerate's sinc
 * converters are centred); the linear one within one frame. */
static void test_start_frame(void)
{
    static const int rates[] = { 8000, 22050, 44100, 48000, 96000 };
    static const int resamplers[] = { LULL_RESAMPLER_BEST, LULL_RESAMPLER_MEDIUM, LULL_RESAMPLER_FASTEST,
                                      LULL_RESAMPLER_LINEAR };
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        char file[64];
        snprintf(file, sizeof file, "impulse-%d.wav", rates[r]);
        cu_write(file, SF_FORMAT_WAV | SF_FORMAT_FLOAT, rates[r], 1, rates[r] / 4, CU_IMPULSE, 0.0, 0.8);
        for (size_t q = 0; q < sizeof resamplers / sizeof resamplers[0]; q++) {
            char script[512];
            /* 1.2371 s is frame 59380.8 -> 59381 at 48 kHz. */
            snprintf(script, sizeof script,
                     "voice tone binaural carrier=100Hz beat=0Hz gain=off\n"
                     "voice v clip\n0:01.2371 v play \"%s\"\n0:02 end\n", file);
            cu_render out;
            if (cu_render_script(script, RATE, resamplers[q], 0, &out) < 0) {
                CHECK(0, "render failed");
                continue;
            }
            long peak = 0;
            for (long i = 0; i < out.frames; i++)
                if (fabsf(out.lr[2 * i]) > fabsf(out.lr[2 * peak]))
                    peak = i;
            long want = 59381;
            /* Linear interpolation cannot keep a lone impulse when it
             * decimates (it lands between output frames): upsampling only. */
            if (resamplers[q] == LULL_RESAMPLER_LINEAR && rates[r] > RATE) {
                free(out.lr);
                continue;
            }
            long slack = resamplers[q] == LULL_RESAMPLER_LINEAR && rates[r] != RATE ? 1 : 0;
            CHECK(labs(peak - want) <= slack, "impulse at %d Hz, %s converter: peak at frame %ld, want %ld",
                  rates[r], lull_resampler_name(resamplers[q]), peak, want);
            /* Nothing before the start. */
            float *l = cu_channel(&out, 0, 0, want);
            CHECK(an_rms(l, 0, (size_t)want) == 0.0, "sound before the clip's start");
            free(l);
            free(out.lr);
        }
    }
}

/* --------------------------------------------------------------- loops */

/* A loop of a whole number of cycles joins without a click: the largest
 * sample-to-sample step of the render stays what a sine of that level and
 * frequency makes, and the level does not dip at the joins. */
static void test_loops(void)
{
    static const struct {
        int rate;
        long frames;
        int format;
    } cases[] = {
        { 44100, 11025, SF_FORMAT_WAV | SF_FORMAT_PCM_24 },  /* 250 cycles */
        { 22050, 4410, SF_FORMAT_FLAC | SF_FORMAT_PCM_16 },  /* 200 cycles, ratio 2.18 */
        { 48000, 12000, SF_FORMAT_WAV | SF_FORMAT_FLOAT },   /* no conversion */
        { 96000, 9600, SF_FORMAT_WAV | SF_FORMAT_PCM_24 },   /* 100 cycles */
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char file[64];
        snprintf(file, sizeof file, "loop-%d.%s", cases[c].rate,
                 (cases[c].format & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC ? "flac" : "wav");
        cu_write(file, cases[c].format, cases[c].rate, 2, cases[c].frames, CU_SINE, 1000.0, 0.5);
        char script[512];
        snprintf(script, sizeof script, "voice amb clip\n0:00 amb play \"%s\" loop\n0:04 end\n", file);
        cu_render out;
        if (cu_render_script(script, RATE, LULL_RESAMPLER_BEST, 0, &out) < 0) {
            CHECK(0, "render failed");
            continue;
        }
        /* Skip the first frames (the clip starts at full level on a zero
         * crossing, fine) and the session's closing de-click. */
        long n = out.frames - 4800;
        float *l = cu_channel(&out, 0, 480, n);
        size_t at = 0;
        double jump = an_max_jump(l, (size_t)n, &at);
        double max_step = 0.5 * 2.0 * sin(CU_PI * 1000.0 / RATE);
        CHECK(jump < max_step * 1.01, "loop %d Hz: jump %.5f at frame %zu (a sine makes at most %.5f)",
              cases[c].rate, jump, at + 480, max_step);
        /* Level in 10 ms windows all through: steady to 0.05 dB. */
        double lo = 1e9, hi = 0;
        for (long w = 0; w + 480 <= n; w += 480) {
            double a = an_goertzel_amplitude(l + w, 480, 1000.0, RATE);
            lo = a < lo ? a : lo;
            hi = a > hi ? a : hi;
        }
        CHECK(20 * log10(hi / lo) < 0.05, "loop %d Hz: level varies %.3f dB across joins", cases[c].rate,
              20 * log10(hi / lo));
        double f = an_estimate_frequency(l, (size_t)n, RATE);
        CHECK(fabs(f - 1000.0) < 0.01, "loop %d Hz: pitch %.4f", cases[c].rate, f);
        free(l);
        free(out.lr);
    }
}

/* ---------------------------------------------------------- loop cache */

/* A loop whose period is a whole number of output frames is decoded and
 * converted once and replayed from memory (loader.c): the render must be
 * the streamed one, sample for sample within 1e-6 (-120 dBFS), and the
 * cache must really be used (or not, when the period is not whole). */
static void test_loop_cache(void)
{
    static const struct {
        const char *file;
        int format, rate, channels;
        long frames;
        int resampler;
        int cached;
    } cases[] = {
        /* The benchmark's ambience in small: 44.1 kHz stereo Vorbis, 1.5 s = 72000 frames. */
        { "cache-rain.ogg", SF_FORMAT_OGG | SF_FORMAT_VORBIS, 44100, 2, 66150, LULL_RESAMPLER_BEST, 1 },
        { "cache-22k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 33075, LULL_RESAMPLER_FASTEST, 1 },
        { "cache-48k.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 48000, 2, 60000, LULL_RESAMPLER_BEST, 1 },
        { "cache-8k.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, 12000, LULL_RESAMPLER_LINEAR, 1 },
        /* 66000 frames at 44.1 kHz is 71836.7 frames at 48 kHz: streams. */
        { "cache-odd.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 66000, LULL_RESAMPLER_BEST, 0 },
    };
    const size_t budget = lull_loader_cache_budget_bytes;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        if (cu_write(cases[c].file, cases[c].format, cases[c].rate, cases[c].channels, cases[c].frames, CU_NOISE,
                     0.0, 0.3) < 0) {
            CHECK(0, "cannot write %s", cases[c].file);
            continue;
        }
        char script[512];
        snprintf(script, sizeof script,
                 "voice amb clip gain=-3dB\n0:00 amb play \"%s\" loop fade=500ms\n0:11 amb stop over 1s\n"
                 "0:12.5 end\n",
                 cases[c].file);
        cu_render cached, streamed;
        int64_t before = atomic_load(&lull_loader_replayed_frames);
        int ok = cu_render_script(script, RATE, cases[c].resampler, 0, &cached) == 0;
        int64_t replayed = atomic_load(&lull_loader_replayed_frames) - before;
        lull_loader_cache_budget_bytes = 0;
        before = atomic_load(&lull_loader_replayed_frames);
        ok = ok && cu_render_script(script, RATE, cases[c].resampler, 4096, &streamed) == 0;
        int64_t replayed_streaming = atomic_load(&lull_loader_replayed_frames) - before;
        lull_loader_cache_budget_bytes = budget;
        if (!ok) {
            CHECK(0, "%s: render failed", cases[c].file);
            continue;
        }
        double worst = 0;
        for (long i = 0; i < 2 * cached.frames && i < 2 * streamed.frames; i++) {
            double d = fabs((double)cached.lr[i] - streamed.lr[i]);
            worst = d > worst ? d : worst;
        }
        printf("loop cache %-15s %s: %lld frames replayed, largest difference from streaming %.3g\n",
               cases[c].file, lull_resampler_name(cases[c].resampler), (long long)replayed, worst);
        CHECK(cached.frames == streamed.frames && worst <= 1e-6, "%s: cached loop differs from streaming by %.3g",
              cases[c].file, worst);
        CHECK(cached.stats.missing_frames == 0 && streamed.stats.missing_frames == 0, "%s: frames missing",
              cases[c].file);
        CHECK(replayed_streaming == 0, "%s: replayed with the cache off", cases[c].file);
        if (cases[c].cached)
            CHECK(replayed > 8 * RATE, "%s: only %lld frames replayed from the cache", cases[c].file,
                  (long long)replayed);
        else
            CHECK(replayed == 0, "%s: a loop whose period is not whole was cached", cases[c].file);
        free(cached.lr);
        free(streamed.lr);
    }
}

/* Seeks into a loop replayed from its cache: the audio thread reads the
 * cache in place (loader.c, replay view).  The play starts off the 32-frame
 * control grid, so the voice's pieces straddle the ends of the first pass
 * and of the second pass's head and are copied piecewise.  After each
 * seek's de-click the output is the straight render's, sample for sample:
 * a seek into the second pass's head, into a later pass just before a
 * join, just before the first join, and back to the start. */
static void test_loop_cache_seek(void)
{
    /* 0.5 s at 44.1 kHz: a 24000-frame period, a head of 4459 frames. */
    if (cu_write("seek-loop.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 2, 22050, CU_NOISE, 0.0, 0.3) < 0) {
        CHECK(0, "cannot write seek-loop.wav");
        return;
    }
    const char *script = "voice amb clip gain=-6dB\n0:00.0103 amb play \"seek-loop.wav\" loop\n0:08 end\n";
    cu_render ref;
    lull_script *s;
    lull_engine *e;
    if (cu_reference_and_engine(script, RATE, 0, 1, &ref, &s, &e) < 0) {
        CHECK(0, "render or engine failed");
        return;
    }
    const long start = 494; /* 0:00.0103 */
    const long declick = RATE / 100;
    const long targets[] = { start + 24000 + 1000, start + 5 * 24000 + 23990, start + 24000 - 3, 0 };
    const long span = RATE / 2;
    float *buf = calloc(2 * (size_t)span, sizeof(float));
    uint32_t rng = 7;
    /* Past the cache's completion (period + head after the start). */
    for (long done = 0; done < 2 * RATE;) {
        rng = rng * 1664525u + 1013904223u;
        int n = 1 + (int)((rng >> 12) % 700u);
        if (n > span)
            n = (int)span;
        lull_engine_process(e, buf, n);
        done += n;
    }
    int64_t replayed0 = atomic_load(&lull_loader_replayed_frames);
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++) {
        lull_engine_seek(e, targets[t]);
        for (long done = 0; done < span;) {
            rng = rng * 1664525u + 1013904223u;
            int n = 1 + (int)((rng >> 12) % 700u);
            if (n > span - done)
                n = (int)(span - done);
            lull_engine_process(e, buf + 2 * done, n);
            done += n;
        }
        /* A seek to 0 starts the play as the render did: no de-click. */
        const long from = targets[t] ? declick : 0;
        long diff = 0, first = -1;
        for (long i = 2 * from; i < 2 * span; i++) {
            if (buf[i] != ref.lr[2 * targets[t] + i]) {
                diff++;
                first = first < 0 ? i / 2 : first;
            }
        }
        CHECK(diff == 0, "seek to frame %ld of a cached loop: %ld samples differ from the render (first at +%ld)",
              targets[t], diff, first);
    }
    lull_clip_stats st;
    lull_engine_clip_stats(e, &st);
    CHECK(st.missing_frames == 0, "seeks in a cached loop: %lld frames missing", (long long)st.missing_frames);
    /* Three seeks into later passes replay from the cache. */
    CHECK(atomic_load(&lull_loader_replayed_frames) - replayed0 >= 3 * (ref.frames - 3 * RATE),
          "seeks in a cached loop did not replay it");
    free(buf);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    free(ref.lr);
}

/* ----------------------------------------------- crossfade, stop, fades */

static void test_crossfade_and_stop(void)
{
    cu_write("a440.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, 44100 * 3, CU_SINE, 440.0, 0.4);
    cu_write("b660.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050 * 3, CU_SINE, 660.0, 0.4);
    const char *script = "voice v clip\n"
                         "0:00 v play \"a440.wav\" fade=200ms\n"
                         "0:01 v play \"b660.wav\" pan=-1\n"
                         "0:02 v stop over 400ms\n"
                         "0:03 end\n";
    cu_render out;
    if (cu_render_script(script, RATE, LULL_RESAMPLER_BEST, 0, &out) < 0) {
        CHECK(0, "render failed");
        return;
    }
    float *l = cu_channel(&out, 0, 0, out.frames);
    float *r = cu_channel(&out, 1, 0, out.frames);
    /* Fade-in: 100 ms in, the raised cosine is at half. */
    double a = an_goertzel_amplitude(l + 4800 - 240, 480, 440.0, RATE);
    CHECK(fabs(a - 0.2) < 0.02, "fade-in midpoint %.4f, want 0.2", a);
    a = an_goertzel_amplitude(l + 24000, 4800, 440.0, RATE);
    CHECK(fabs(a - 0.4) < 0.003, "a440 level %.4f", a);
    /* At 1 s the 660 Hz clip starts at once, panned left; the 440 Hz one is
     * gone 50 ms later; the right channel holds only the fading 440. */
    a = an_goertzel_amplitude(l + 48000 + 2400, 4800, 660.0, RATE);
    CHECK(fabs(a - 0.4) < 0.003, "b660 level %.4f", a);
    a = an_goertzel_amplitude(r + 48000 + 2400, 4800, 660.0, RATE);
    CHECK(a < 1e-3, "b660 leaks right: %.4f", a);
    a = an_rms(r, 48000 + 2400, 96000);
    CHECK(a < 1e-4, "a440 still sounds after the crossfade: rms %.5f", a);
    size_t at;
    double j = an_max_jump(r, 96000, &at);
    CHECK(j < 0.4 * 2 * sin(CU_PI * 440.0 / RATE) * 1.05, "crossfade clicks: jump %.4f at %zu", j, at);
    /* Stop over 400 ms: half way (2.2 s) at half level, silent from 2.4 s. */
    a = an_goertzel_amplitude(l + 105600 - 240, 480, 660.0, RATE);
    CHECK(fabs(a - 0.2) < 0.02, "stop midpoint %.4f, want 0.2", a);
    a = an_rms(l, 115200, (size_t)out.frames);
    CHECK(a == 0.0, "sound after the stop: %.6f", a);
    free(l);
    free(r);
    free(out.lr);
}

/* ------------------------------------------------- block-size invariance */

static void test_blocks_and_seek(void)
{
    cu_write("n22.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050 * 2, CU_NOISE, 0.0, 0.3);
    cu_write("amb.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 44100, 2, 44100 / 2, CU_NOISE, 0.0, 0.2);
    const char *script = "voice guide clip duck=-12dB attack=50ms release=300ms\n"
                         "voice bed clip gain=-6dB\n"
                         "voice tone binaural carrier=200Hz beat=4Hz gain=-20dB\n"
                         "0:00 bed play \"amb.flac\" loop fade=1s\n"
                         "0:00.700 guide play \"n22.wav\"\n"
                         "+1.5s guide play \"n22.wav\" gain=-3dB pan=0.3\n"
                         "0:05 bed stop over 1s\n"
                         "0:06.5 end\n";
    cu_render a, b;
    if (cu_render_script(script, RATE, LULL_RESAMPLER_BEST, 4096, &a) < 0 ||
        cu_render_script(script, RATE, LULL_RESAMPLER_BEST, 0, &b) < 0) {
        CHECK(0, "render failed");
        return;
    }
    long diff = 0;
    for (long i = 0; i < 2 * a.frames; i++)
        diff += a.lr[i] != b.lr[i];
    CHECK(a.frames == b.frames && diff == 0, "block sizes change the output: %ld samples differ", diff);
    free(b.lr);
    free(a.lr);

    /* Seeking into the middle of a playing clip: after the de-click the
     * output matches the straight render (the converter restarts at the
     * new place, so allow its settling time and a small error).  No tone
     * voice here: seeking keeps oscillator phases running, by design. */
    script = "voice guide clip duck=-12dB attack=50ms release=300ms\n"
             "voice bed clip gain=-6dB\n"
             "0:00 bed play \"amb.flac\" loop fade=1s\n"
             "0:00.700 guide play \"n22.wav\"\n"
             "+1.5s guide play \"n22.wav\" gain=-3dB pan=0.3\n"
             "0:05 bed stop over 1s\n"
             "0:06.5 end\n";
    lull_script *s;
    lull_engine *e;
    if (cu_reference_and_engine(script, RATE, 4096, 1, &a, &s, &e) < 0) {
        CHECK(0, "render or engine failed");
        return;
    }
    const long seek_to = 3 * RATE + 1234;
    float *buf = calloc(2 * (size_t)RATE, sizeof(float));
    lull_engine_process(e, buf, 777);
    lull_engine_seek(e, seek_to);
    lull_engine_process(e, buf, RATE);
    double err = 0.0, ref = 0.0;
    for (long i = RATE / 10; i < RATE; i++) {
        for (int c = 0; c < 2; c++) {
            double d = buf[2 * i + c] - a.lr[2 * (seek_to + i) + c];
            err += d * d;
            ref += (double)a.lr[2 * (seek_to + i) + c] * a.lr[2 * (seek_to + i) + c];
        }
    }
    double snr = 10 * log10(ref / (err > 0 ? err : 1e-30));
    CHECK(snr > 60.0, "after a seek the output differs from the render: %.1f dB SNR", snr);
    /* Seek back to the start: identical to the render from frame 0. */
    lull_engine_seek(e, 0);
    lull_engine_process(e, buf, RATE);
    diff = 0;
    for (long i = 0; i < 2 * RATE; i++)
        diff += buf[i] != a.lr[i];
    CHECK(diff == 0, "seek to 0 differs from a fresh start in %ld samples", diff);
    free(buf);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    free(a.lr);
}

/* ------------------------------------------------------------- ducking */

/* A 300 Hz bed at -8 dB (with the clip, under the limiter's ceiling); a
 * clip voice with duck=-12dB attack=100ms release=400ms speaks from 2.0 s to 4.0 s (a 2 kHz tone).  The bed must be
 * down by 12 dB from 2.1 s to 4.0 s, half way (in dB) at 2.05 s and 4.2 s,
 * back from 4.4 s, move monotonically, and the speaking voice must not be
 * ducked itself. */
static void test_ducking(void)
{
    cu_write("speech.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 22050, 1, 22050 * 2, CU_SINE, 2000.0, 0.4);
    const char *script = "voice bed binaural carrier=300Hz beat=0Hz gain=-8dB\n"
                         "voice guide clip duck=-12dB attack=100ms release=400ms\n"
                         "0:02 guide play \"speech.wav\" pan=1\n"
                         "0:06 end\n";
    cu_render out;
    if (cu_render_script(script, RATE, LULL_RESAMPLER_BEST, 0, &out) < 0) {
        CHECK(0, "render failed");
        return;
    }
    float *l = cu_channel(&out, 0, 0, out.frames);
    const double full = pow(10.0, -8.0 / 20.0);
    /* Bed level in dB relative to undocked, 20 ms windows (6 cycles of
     * 300 Hz, 40 of 2 kHz: the two do not leak into each other). */
#define BED_DB(t0) (20.0 * log10(an_goertzel_amplitude(l + (long)((t0) * RATE), 960, 300.0, RATE) / full))
    CHECK(fabs(BED_DB(1.0)) < 0.02, "bed before: %.3f dB", BED_DB(1.0));
    CHECK(fabs(BED_DB(1.98)) < 0.02, "bed just before the clip: %.3f dB", BED_DB(1.98));
    CHECK(fabs(BED_DB(2.1) + 12.0) < 0.05, "bed fully ducked at 2.1 s: %.3f dB", BED_DB(2.1));
    CHECK(fabs(BED_DB(3.5) + 12.0) < 0.05, "bed ducked at 3.5 s: %.3f dB", BED_DB(3.5));
    CHECK(fabs(BED_DB(3.98) + 12.0) < 0.05, "bed ducked at the clip's end: %.3f dB", BED_DB(3.98));
    /* Half way in dB at the middle of attack and release (the window is
     * centred there: 2.05 s and 4.2 s). */
    CHECK(fabs(BED_DB(2.04) + 6.0) < 1.0, "attack midpoint %.3f dB, want about -6", BED_DB(2.04));
    CHECK(fabs(BED_DB(4.19) + 6.0) < 1.0, "release midpoint %.3f dB, want about -6", BED_DB(4.19));
    CHECK(fabs(BED_DB(4.42)) < 0.02, "bed back after the release: %.3f dB", BED_DB(4.42));
    /* Monotonic: down through the attack, up through the release. */
    double prev = 1.0;
    for (double t = 1.96; t < 2.12; t += 0.02) {
        double d = BED_DB(t);
        CHECK(d <= prev + 0.01, "attack not monotonic at %.2f s (%.3f after %.3f)", t, d, prev);
        prev = d;
    }
    prev = -100.0;
    for (double t = 3.98; t < 4.44; t += 0.02) {
        double d = BED_DB(t);
        CHECK(d >= prev - 0.01, "release not monotonic at %.2f s (%.3f after %.3f)", t, d, prev);
        prev = d;
    }
    /* The speaking voice (alone on the right with the bed) keeps its level. */
    float *r = cu_channel(&out, 1, 0, out.frames);
    double sp = an_goertzel_amplitude(r + (long)(3.0 * RATE), 960, 2000.0, RATE);
    CHECK(fabs(20 * log10(sp / 0.4)) < 0.05, "the ducking voice is %.4f, want 0.4", sp);
    free(r);
    /* No click in the ducked bed (left: the bed alone): its steps stay
     * within what a 300 Hz sine of its level makes. */
    size_t at = 0;
    double j = an_max_jump(l, (size_t)out.frames - 960, &at);
    double bound = full * 2 * sin(CU_PI * 300.0 / RATE);
    CHECK(j < bound * 1.01, "ducking clicks: jump %.5f > %.5f at frame %zu", j, bound, at);
#undef BED_DB
    free(l);
    free(out.lr);
}

/* --------------------------------------- live: the loader falling behind */

/* A live engine (offline = 0) processed as fast as the CPU allows, so the
 * loader may well fall behind.  Whatever happens, the other voices must be
 * untouched (the right channel only holds the tone), and every left-channel
 * sample that differs from the offline render must be accounted for by the
 * missing frames the engine reports. */
static void test_live_underrun(void)
{
    cu_write("long.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050 * 6, CU_NOISE, 0.0, 0.3);
    const char *script = "voice tone binaural carrier=300Hz beat=0Hz gain=-12dB\n"
                         "voice guide clip\n"
                         "0:00 guide play \"long.wav\" pan=-1\n"
                         "0:06 end\n";
    cu_render ref;
    lull_script *s;
    lull_engine *e;
    if (cu_reference_and_engine(script, RATE, 256, 0, &ref, &s, &e) < 0) {
        CHECK(0, "render or engine failed");
        return;
    }
    float *buf = calloc((size_t)ref.frames * 2, sizeof(float));
    for (long done = 0; done < ref.frames; done += 256)
        lull_engine_process(e, buf + 2 * done, (int)(ref.frames - done < 256 ? ref.frames - done : 256));
    lull_clip_stats st;
    lull_engine_clip_stats(e, &st);
    long right_diff = 0, left_diff = 0;
    for (long i = 0; i < ref.frames; i++) {
        right_diff += buf[2 * i + 1] != ref.lr[2 * i + 1];
        left_diff += buf[2 * i] != ref.lr[2 * i];
    }
    printf("live as fast as possible: %lld underruns, %lld missing frames, %ld left samples differ\n",
           (long long)st.underruns, (long long)st.missing_frames, left_diff);
    CHECK(right_diff == 0, "an underrun disturbed another voice: %ld samples", right_diff);
    CHECK(left_diff <= st.missing_frames + 4096 * st.underruns,
          "%ld samples differ but only %lld frames were reported missing", left_diff,
          (long long)st.missing_frames);
    CHECK((st.underruns == 0) == (st.missing_frames == 0), "inconsistent underrun counts");
    lull_engine_destroy(&e);

    /* Paced at about twice real time, as a live host would (with room to
     * spare), the loader keeps up: the output is the render's, sample for
     * sample (lull_engine_prepare lets it decode the first clip before
     * playback starts), unless the machine stalled the loader (then the gaps are
     * counted, and only they differ). */
    lull_engine_config ec = lull_engine_config_init();
    ec.rate_hz = RATE;
    ec.offline = 0;
    if (lull_engine_create(s, &ec, &e) != LULL_OK) {
        CHECK(0, "engine");
        return;
    }
    lull_engine_prepare(e);
    struct timespec pause = { 0, 2666667 }; /* 256 frames at 48 kHz, halved */
    for (long done = 0; done < ref.frames; done += 256) {
        lull_engine_process(e, buf + 2 * done, (int)(ref.frames - done < 256 ? ref.frames - done : 256));
        nanosleep(&pause, NULL);
    }
    lull_engine_clip_stats(e, &st);
    left_diff = right_diff = 0;
    for (long i = 0; i < ref.frames; i++) {
        right_diff += buf[2 * i + 1] != ref.lr[2 * i + 1];
        left_diff += buf[2 * i] != ref.lr[2 * i];
    }
    printf("live paced: %lld underruns, %lld missing frames, %ld left samples differ\n",
           (long long)st.underruns, (long long)st.missing_frames, left_diff);
    CHECK(right_diff == 0, "paced live run: another voice was disturbed");
    CHECK(left_diff <= st.missing_frames + 4096 * st.underruns, "paced live run: %ld samples differ", left_diff);
    free(buf);
    lull_engine_destroy(&e);
    lull_script_free(&s);
    free(ref.lr);
}

int main(void)
{
    cu_make_dir("clips");
    test_start_frame();
    test_formats();
    test_loops();
    test_loop_cache();
    test_loop_cache_seek();
    test_crossfade_and_stop();
    test_ducking();
    test_blocks_and_seek();
    test_live_underrun();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all clip tests passed\n");
    return 0;
}
