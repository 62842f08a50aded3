/*
 * test_clip_files.c - what lull says about the audio files a script names:
 * every bad-file case as file:line:column with the file and the reason,
 * clip syntax errors, the clip list and warnings of `lull check`, paths
 * relative to the (included) script's folder, and a render that fails
 * cleanly when a file breaks after loading.
 *
 * MIT licence; see LICENSE.
 */
#include "clip_util.h"

#include <sys/stat.h>
#include <sys/wait.h>

#define MAX_DIAGS 64

typedef struct diag_log {
    int n;
    int severity[MAX_DIAGS];
    int line[MAX_DIAGS], column[MAX_DIAGS];
    char file[MAX_DIAGS][1200];
    char message[MAX_DIAGS][1024];
} diag_log;

static void collect(void *user, const lull_diag *d)
{
    diag_log *log = user;
    if (log->n == MAX_DIAGS)
        return;
    log->severity[log->n] = d->severity;
    log->line[log->n] = d->line;
    log->column[log->n] = d->column;
    snprintf(log->file[log->n], sizeof log->file[0], "%s", d->file);
    snprintf(log->message[log->n], sizeof log->message[0], "%s", d->message);
    log->n++;
}

static int load_logged(const char *text, diag_log *log, lull_script **out)
{
    memset(log, 0, sizeof *log);
    lull_load_config lc = lull_load_config_init();
    lc.on_diag = collect;
    lc.user = log;
    return lull_script_load_string(text, strlen(text), cu_path("test.lull"), &lc, out);
}

/* Find the diagnostic on `line`; check its column, severity and that its
 * message holds both needles. */
static void expect(const diag_log *log, int sev, int line, int col, const char *a, const char *b)
{
    for (int i = 0; i < log->n; i++) {
        if (log->line[i] != line)
            continue;
        CHECK(log->severity[i] == sev, "line %d: wrong severity", line);
        CHECK(log->column[i] == col, "line %d: column %d, want %d (%s)", line, log->column[i], col,
              log->message[i]);
        CHECK(strstr(log->message[i], a) != NULL, "line %d: '%s' lacks '%s'", line, log->message[i], a);
        CHECK(!b || strstr(log->message[i], b) != NULL, "line %d: '%s' lacks '%s'", line, log->message[i],
              b);
        return;
    }
    CHECK(0, "no diagnostic on line %d (want '%s')", line, a);
}

static void test_bad_files(void)
{
    /* empty: 0 bytes */
    cu_write_text("empty.wav", "");
    /* not audio at all */
    cu_write_text("notes.wav", "these are my notes, not a recording\n");
    /* a valid WAV header with no frames */
    cu_write("silent.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, 0, CU_SINE, 0, 0);
    /* six channels */
    cu_write("six.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, 6, 4800, CU_SINE, 440, 0.5);
    /* a FLAC whose audio is garbage after a good header */
    cu_write("broken.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, 1, 44100, CU_NOISE, 0, 0.5);
    {
        FILE *f = fopen(cu_path("broken.flac"), "r+b");
        CHECK(f != NULL, "open broken.flac");
        if (f) {
            fseek(f, 100, SEEK_SET);
            uint32_t x = 7;
            for (int i = 0; i < 20000; i++) {
                x = x * 1664525u + 1013904223u;
                fputc((int)(x >> 24), f);
            }
            fclose(f);
        }
    }
    /* a folder, and a pipe (it would block a reader forever) */
    mkdir(cu_path("folder.wav"), 0777);
    unlink(cu_path("pipe.wav"));
    CHECK(mkfifo(cu_path("pipe.wav"), 0666) == 0, "mkfifo");
    /* unreadable: only meaningful when not root (root reads anything) */
    cu_write("locked.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 44100, 1, 100, CU_SINE, 440, 0.5);
    chmod(cu_path("locked.wav"), 0);
    const int root = geteuid() == 0;

    const char *script = "voice v clip\n"                      /* 1 */
                         "0:00 v play \"missing.wav\"\n"       /* 2 */
                         "0:01 v play \"empty.wav\"\n"         /* 3 */
                         "0:02 v play \"notes.wav\" loop\n"    /* 4 */
                         "0:03 v play \"silent.wav\"\n"        /* 5 */
                         "0:04   v play \"six.wav\"\n"         /* 6 */
                         "0:05 v play \"broken.flac\"\n"       /* 7 */
                         "0:06 v play \"folder.wav\"\n"        /* 8 */
                         "0:07 v play \"pipe.wav\"\n"          /* 9 */
                         "0:08 v play \"locked.wav\"\n"        /* 10 */
                         "0:09 v play \"sub/none.ogg\"\n"      /* 11 */
                         "0:20 end\n";
    diag_log log;
    lull_script *s = NULL;
    int r = load_logged(script, &log, &s);
    CHECK(r == LULL_ERR_SCRIPT && !s, "a script with bad files loaded (%d)", r);
    expect(&log, LULL_SEVERITY_ERROR, 2, 13, "'missing.wav'", "is missing");
    expect(&log, LULL_SEVERITY_ERROR, 3, 13, "'empty.wav'", "is empty");
    expect(&log, LULL_SEVERITY_ERROR, 4, 13, "'notes.wav'", "libsndfile: ");
    expect(&log, LULL_SEVERITY_ERROR, 5, 13, "'silent.wav'", "no audio");
    expect(&log, LULL_SEVERITY_ERROR, 6, 15, "'six.wav'", "6 channels");
    expect(&log, LULL_SEVERITY_ERROR, 7, 13, "'broken.flac'", "cannot be decoded (libsndfile: ");
    expect(&log, LULL_SEVERITY_ERROR, 8, 13, "'folder.wav'", "folder");
    expect(&log, LULL_SEVERITY_ERROR, 9, 13, "'pipe.wav'", "not a regular file");
    if (!root)
        expect(&log, LULL_SEVERITY_ERROR, 10, 13, "'locked.wav'", "cannot be read");
    expect(&log, LULL_SEVERITY_ERROR, 11, 13, "'sub/none.ogg'", "is missing");
    /* The resolved path is named too, since the script is not in the
     * current folder. */
    for (int i = 0; i < log.n; i++)
        if (log.line[i] == 2)
            CHECK(strstr(log.message[i], cu_path("missing.wav")) != NULL, "no resolved path in '%s'",
                  log.message[i]);
    CHECK(log.n == (root ? 9 : 10), "%d diagnostics, want one per bad line", log.n);
    chmod(cu_path("locked.wav"), 0644);

    /* The command: exit 2, file:line:column on stderr, nothing rendered. */
    cu_write_text("bad.lull", script);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s/lull' check '%s' 2>&1", LULL_BINARY_DIR, cu_path("bad.lull"));
    FILE *p = popen(cmd, "r");
    char out[16384] = "";
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    int status = p ? pclose(p) : -1;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2, "lull check exit %d, want 2", WEXITSTATUS(status));
    char want[1400];
    snprintf(want, sizeof want, "%s:7:13: error: audio file 'broken.flac'", cu_path("bad.lull"));
    CHECK(strstr(out, want) != NULL, "lull check output lacks '%s':\n%s", want, out);
    unlink(cu_path("out.wav"));
    snprintf(cmd, sizeof cmd, "'%s/lull' render -q '%s' -o '%s' 2>/dev/null", LULL_BINARY_DIR,
             cu_path("bad.lull"), cu_path("out.wav"));
    status = system(cmd);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2, "lull render exit %d, want 2", WEXITSTATUS(status));
    CHECK(access(cu_path("out.wav"), F_OK) != 0, "a render with bad files left a file");
}

static void test_syntax(void)
{
    cu_write("ok.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050, CU_SINE, 440, 0.5);
    const char *script = "voice v clip duck=-10dB attack=30ms release=1s\n"   /* 1 */
                         "voice t binaural\n"                                   /* 2 */
                         "0:00 t play \"ok.wav\"\n"                             /* 3 */
                         "0:01 v play ok.wav\n"                                 /* 4 */
                         "0:02 v play \"ok.wav\" speed=2\n"                     /* 5 */
                         "0:03 v play \"ok.wav\" loop loop\n"                   /* 6 */
                         "0:04 v play \"ok.wav\" pan=2\n"                       /* 7 */
                         "0:05 v stop now\n"                                    /* 8 */
                         "0:06 v stop over\n"                                   /* 9 */
                         "0:07 v play \"ok.wav\" gain=-3dB pan=-0.5 fade=2x\n"  /* 10 */
                         "0:08 v play \"\"\n"                                   /* 11 */
                         "0:09 end\n";
    diag_log log;
    lull_script *s = NULL;
    int r = load_logged(script, &log, &s);
    CHECK(r == LULL_ERR_SCRIPT, "bad clip syntax accepted");
    expect(&log, LULL_SEVERITY_ERROR, 3, 8, "clip voices", "binaural");
    expect(&log, LULL_SEVERITY_ERROR, 4, 13, "quoted file name", NULL);
    expect(&log, LULL_SEVERITY_ERROR, 5, 22, "no option 'speed'", "loop, gain, pan, fade");
    expect(&log, LULL_SEVERITY_ERROR, 6, 27, "'loop' is given twice", NULL);
    expect(&log, LULL_SEVERITY_ERROR, 7, 26, "pan", "out of range");
    expect(&log, LULL_SEVERITY_ERROR, 8, 13, "expected 'over DUR'", NULL);
    expect(&log, LULL_SEVERITY_ERROR, 9, 18, "duration after 'over'", NULL);
    expect(&log, LULL_SEVERITY_ERROR, 10, 46, "fade", NULL);
    expect(&log, LULL_SEVERITY_ERROR, 11, 13, "empty", NULL);
    /* duck and friends are checked like any parameter */
    r = load_logged("voice v clip duck=+3dB\n0:01 end\n", &log, &s);
    CHECK(r == LULL_ERR_SCRIPT, "duck=+3dB accepted");
    expect(&log, LULL_SEVERITY_ERROR, 1, 19, "duck", NULL);
    r = load_logged("voice v clip attack=20s\n0:01 end\n", &log, &s);
    CHECK(r == LULL_ERR_SCRIPT, "attack=20s accepted");
}

static void test_check_output(void)
{
    cu_write("one.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 22050, 1, 22050 * 3 / 2, CU_SINE, 440, 0.5);
    cu_write("bed.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, 2, 44100 * 2, CU_NOISE, 0, 0.2);
    const char *script = "voice guide clip duck=-8dB\n"           /* 1 */
                         "voice bed clip\n"                       /* 2 */
                         "0:00 bed play \"bed.flac\" loop\n"      /* 3 */
                         "0:01 guide play \"one.wav\"\n"          /* 4: 1.5 s, next at 2.5: fine */
                         "0:02.500 guide play \"one.wav\"\n"      /* 5: runs 1 s past 0:03 */
                         "0:03 guide play \"one.wav\"\n"          /* 6: stopped early: fine */
                         "0:03.500 guide stop over 1s\n"          /* 7 */
                         "0:09 guide play \"one.wav\"\n"          /* 8: runs past the end */
                         "0:10 end\n";
    diag_log log;
    lull_script *s = NULL;
    int r = load_logged(script, &log, &s);
    CHECK(r == LULL_OK && s, "script did not load");
    expect(&log, LULL_SEVERITY_WARNING, 5, 21, "runs 1.000 s past the next clip", "at 0:03");
    expect(&log, LULL_SEVERITY_WARNING, 8, 17, "runs 0.500 s past the session's end", NULL);
    CHECK(log.n == 2, "%d diagnostics, want 2 warnings", log.n);
    CHECK(lull_script_clip_count(s) == 5, "%d clips", lull_script_clip_count(s));
    lull_clip_desc c;
    CHECK(lull_script_clip_info(s, 1, &c) == LULL_OK && fabs(c.duration_sec - 1.5) < 1e-9 &&
              fabs(c.start_sec - 1.0) < 1e-9 && c.rate_hz == 22050 && c.channels == 1 && !c.loop,
          "clip 1 info: %g s at %g", c.duration_sec, c.start_sec);
    CHECK(lull_script_clip_info(s, 0, &c) == LULL_OK && c.loop && c.channels == 2, "clip 0 info");
    lull_script_free(&s);

    /* Without `end` the session lasts until the last clip has finished. */
    r = load_logged("voice guide clip\n0:01 guide play \"one.wav\"\n", &log, &s);
    CHECK(r == LULL_OK && s && fabs(lull_script_duration_sec(s) - 2.5) < 1e-6, "length %g, want 2.5",
          s ? lull_script_duration_sec(s) : -1.0);
    lull_script_free(&s);

    cu_write_text("list.lull", script);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "'%s/lull' check '%s' 2>&1", LULL_BINARY_DIR, cu_path("list.lull"));
    FILE *p = popen(cmd, "r");
    char out[16384] = "";
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    int status = p ? pclose(p) : -1;
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0, "lull check exit %d", WEXITSTATUS(status));
    CHECK(strstr(out, "0:01.500") && strstr(out, "one.wav") && strstr(out, "bed.flac loop"),
          "lull check does not list the clips with their durations:\n%s", out);
    CHECK(strstr(out, "list.lull:5:21: warning: clip 'one.wav'"), "no overlap warning:\n%s", out);
}

/* Paths are relative to the file that names them, also inside includes. */
static void test_paths_and_late_failure(void)
{
    char sub[1200];
    snprintf(sub, sizeof sub, "%s", cu_path("parts"));
    mkdir(sub, 0777);
    cu_write("parts/hello.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, 1, 4800, CU_SINE, 440, 0.5);
    cu_write_text("parts/intro.lull", "0:00 v play \"hello.wav\"\n");
    diag_log log;
    lull_script *s = NULL;
    int r = load_logged("voice v clip\ninclude \"parts/intro.lull\"\n0:01 end\n", &log, &s);
    CHECK(r == LULL_OK && s && lull_script_clip_count(s) == 1, "clip in an included file (%d)", r);
    lull_clip_desc c;
    if (s && lull_script_clip_info(s, 0, &c) == LULL_OK)
        CHECK(!strcmp(c.path, cu_path("parts/hello.wav")), "resolved to %s", c.path);
    lull_script_free(&s);

    /* A file that breaks after the script was checked: the render fails
     * with the file and the reason, and leaves no output behind. */
    cu_write("fragile.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 44100, 1, 44100 * 2, CU_NOISE, 0, 0.5);
    r = load_logged("voice v clip\n0:00.5 v play \"fragile.flac\"\n0:03 end\n", &log, &s);
    CHECK(r == LULL_OK && s, "fragile did not load");
    if (!s)
        return;
    cu_write_text("fragile.flac", "gone");
    unlink(cu_path("late.wav"));
    r = lull_render_file(s, cu_path("late.wav"), NULL);
    CHECK(r == LULL_ERR_IO, "render with a broken clip returned %d", r);
    CHECK(strstr(lull_last_error(), "fragile.flac") != NULL, "error '%s' does not name the file",
          lull_last_error());
    CHECK(access(cu_path("late.wav"), F_OK) != 0, "a failed render left a file");
    lull_script_free(&s);
}

int main(void)
{
    cu_make_dir("files");
    test_bad_files();
    test_syntax();
    test_check_output();
    test_paths_and_late_failure();
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("all clip file tests passed\n");
    return 0;
}
