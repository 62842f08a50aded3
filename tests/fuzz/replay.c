/*
 * replay.c - feed files through the fuzz target without libFuzzer: every
 * crash the fuzzer ever found (tests/fuzz/regressions/) and the seed
 * corpus (the shipped scripts) replayed by an ordinary ctest, in every build
 * (plain, ASan+UBSan, TSan).
 *
 * usage: test_fuzz_replay PATH...   (files, or folders walked recursively)
 * Exits non-zero if a path cannot be read or nothing was replayed; a bad
 * input aborts inside LLVMFuzzerTestOneInput.
 *
 * MIT licence; see LICENSE.
 */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replayed, failures;

static void replay_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "test_fuzz_replay: cannot open %s\n", path);
        failures++;
        return;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
        len += got;
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        failures++;
        return;
    }
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    replayed++;
}

static void replay_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "test_fuzz_replay: no such file or folder: %s\n", path);
        failures++;
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        replay_file(path);
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        failures++;
        return;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        size_t n = strlen(path) + strlen(de->d_name) + 2;
        char *sub = malloc(n);
        if (!sub)
            break;
        snprintf(sub, n, "%s/%s", path, de->d_name);
        replay_path(sub);
        free(sub);
    }
    closedir(d);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        replay_path(argv[i]);
    printf("test_fuzz_replay: %d input(s) replayed, %d unreadable\n", replayed, failures);
    return failures || replayed == 0;
}
