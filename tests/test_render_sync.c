/*
 * test_render_sync.c - what a render waits for before it returns
 * (engine/render.c, "Durability").
 *
 * fsync and sync_file_range are defined here, in the test program, so the
 * render's own calls (liblull is linked statically) come here first: each
 * call is recorded (which file it was for, and what stood at the target
 * path at that moment) and then made for real, or failed on purpose.
 * Nothing else is replaced: the render writes real files in a real folder.
 *
 *  - a new file: no fsync and no early writeback at all, and the file is
 *    complete and in place when the call returns;
 *  - replacing a file: the temporary file is fsynced (and its writeback
 *    started along the way) while the old file still stands, and only then
 *    renamed over it;
 *  - a new file with `sync`: the file is fsynced before the rename and its
 *    folder after it, when the new name is there;
 *  - a failed fsync while replacing: an error naming the file, the old file
 *    untouched, and no temporary file left behind.
 *
 * MIT licence; see LICENSE.
 */
#define _GNU_SOURCE /* sync_file_range */
#include "check.h"
#include "lull.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the recorder ------------------------------------------------------- */

#define MAX_CALLS 64

typedef struct sync_call {
    char path[512];      /* the file or folder synced */
    char target[16];     /* what the target held then: "old", "none" or "other" */
} sync_call;

static sync_call calls[MAX_CALLS];
static int n_fsync;
static int n_range;          /* sync_file_range calls */
static int fail_fsync;       /* fsync fails with EIO */
static const char *watch;    /* the render's target path */

static const char old_text[] = "an older render, to be kept safe\n";

static void what_stands(char *out, size_t cap)
{
    char buf[sizeof old_text];
    const int fd = watch ? open(watch, O_RDONLY) : -1;
    if (fd < 0) {
        snprintf(out, cap, "none");
        return;
    }
    const ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    snprintf(out, cap, n == (ssize_t)(sizeof old_text - 1) && !memcmp(buf, old_text, sizeof old_text - 1) ? "old"
                                                                                                       : "other");
}

int fsync(int fd)
{
    if (n_fsync < MAX_CALLS) {
        sync_call *c = &calls[n_fsync];
        char link[64];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        const ssize_t n = readlink(link, c->path, sizeof c->path - 1);
        c->path[n > 0 ? n : 0] = '\0';
        what_stands(c->target, sizeof c->target);
    }
    n_fsync++;
    if (fail_fsync) {
        errno = EIO;
        return -1;
    }
    return (int)syscall(SYS_fsync, fd);
}

int sync_file_range(int fd, off64_t offset, off64_t nbytes, unsigned int flags)
{
    n_range++;
    return (int)syscall(SYS_sync_file_range, fd, offset, nbytes, flags);
}

static void reset(const char *target)
{
    memset(calls, 0, sizeof calls);
    n_fsync = 0;
    n_range = 0;
    fail_fsync = 0;
    watch = target;
}

/* ---- helpers -------------------------------------------------------------- */

/* 60 s: 17 MB of 24-bit WAV, past the render's 8 MiB writeback step. */
static const char *script_text =
    "title \"sync test\"\n"
    "voice a binaural carrier=200Hz beat=6Hz gain=-14dB\n"
    "voice n noise color=pink gain=-24dB\n"
    "0:00 master fade-in 2s\n"
    "0:58 master fade-out 2s\n"
    "1:00 end\n";

static const int64_t expect_frames = 60 * 48000;

static int64_t wav_frames(const char *path)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return -1;
    sf_close(sf);
    return info.channels == 2 && info.samplerate == 48000 ? (int64_t)info.frames : -2;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return -1;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static int write_old(const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    fputs(old_text, f);
    return fclose(f);
}

static int is_temp_of(const char *synced, const char *dir)
{
    char prefix[600];
    snprintf(prefix, sizeof prefix, "%s/.out.wav.lull-", dir);
    return !strncmp(synced, prefix, strlen(prefix));
}

int main(void)
{
    lull_script *s = NULL;
    if (lull_script_load_string(script_text, strlen(script_text), "sync-test", NULL, &s) != LULL_OK) {
        printf("script did not load: %s\n", lull_last_error());
        return 1;
    }
    char dir[] = "/tmp/lull-test-sync-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char out[600];
    snprintf(out, sizeof out, "%s/out.wav", dir);
    lull_render_config rc = lull_render_config_init();

    /* A new file: handed to the kernel, not waited for. */
    reset(out);
    CHECK(lull_render_file(s, out, &rc) == LULL_OK, "new file: %s", lull_last_error());
    CHECK(n_fsync == 0, "new file: %d fsync call(s), expected none", n_fsync);
    CHECK(n_range == 0, "new file: %d sync_file_range call(s), expected none", n_range);
    CHECK(wav_frames(out) == expect_frames, "new file: %lld frames", (long long)wav_frames(out));
    CHECK(count_entries(dir) == 1, "new file: %d entries in the folder, expected only the output",
          count_entries(dir));

    /* Replacing a file: synced while the old one still stands. */
    CHECK(write_old(out) == 0, "could not write the old file");
    reset(out);
    CHECK(lull_render_file(s, out, &rc) == LULL_OK, "replace: %s", lull_last_error());
    CHECK(n_fsync == 1, "replace: %d fsync call(s), expected 1", n_fsync);
    CHECK(is_temp_of(calls[0].path, dir), "replace: fsync was for %s, not the temporary file", calls[0].path);
    CHECK(!strcmp(calls[0].target, "old"), "replace: at the fsync the target held %s, expected the old file",
          calls[0].target);
    CHECK(n_range >= 1, "replace: the writeback was never started early (%d sync_file_range)", n_range);
    CHECK(wav_frames(out) == expect_frames, "replace: %lld frames", (long long)wav_frames(out));
    CHECK(count_entries(dir) == 1, "replace: %d entries in the folder", count_entries(dir));

    /* A new file with sync: the file before the rename, the folder after. */
    CHECK(unlink(out) == 0, "unlink");
    reset(out);
    rc.sync = 1;
    CHECK(lull_render_file(s, out, &rc) == LULL_OK, "sync: %s", lull_last_error());
    CHECK(n_fsync == 2, "sync: %d fsync call(s), expected 2 (file, folder)", n_fsync);
    CHECK(is_temp_of(calls[0].path, dir) && !strcmp(calls[0].target, "none"),
          "sync: first fsync for %s with the target %s; expected the temporary file, no target yet",
          calls[0].path, calls[0].target);
    CHECK(!strcmp(calls[1].path, dir) && !strcmp(calls[1].target, "other"),
          "sync: second fsync for %s with the target %s; expected the folder, the new file in place",
          calls[1].path, calls[1].target);
    CHECK(n_range >= 1, "sync: the writeback was never started early");
    CHECK(wav_frames(out) == expect_frames, "sync: %lld frames", (long long)wav_frames(out));
    rc.sync = 0;

    /* The disk fails at the fsync while replacing: the old file stays. */
    CHECK(write_old(out) == 0, "could not write the old file");
    reset(out);
    fail_fsync = 1;
    const int r = lull_render_file(s, out, &rc);
    CHECK(r == LULL_ERR_IO, "failed fsync: returned %d (%s), expected LULL_ERR_IO", r, lull_strerror(r));
    CHECK(strstr(lull_last_error(), out) != NULL, "failed fsync: the error does not name the file: %s",
          lull_last_error());
    char now[16];
    what_stands(now, sizeof now);
    CHECK(!strcmp(now, "old"), "failed fsync: the target now holds %s, expected the old file", now);
    CHECK(count_entries(dir) == 1, "failed fsync: %d entries in the folder (a temporary file left?)",
          count_entries(dir));
    fail_fsync = 0;

    unlink(out);
    rmdir(dir);
    lull_script_free(&s);
    return check_done("test_render_sync");
}
