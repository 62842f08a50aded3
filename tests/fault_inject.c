/*
 * fault_inject.c - faults for the live robustness tests (issue 7): a slow
 * disk, a stalled clip loader, and an audio callback that is too slow.
 *
 * Built twice: as a shared library that `LD_PRELOAD` puts in front of the
 * real `lull play` (tests/test_play_faults.sh), and linked with -rdynamic
 * into test_live_faults, which sets the same faults through fault_set().
 * Nothing here is a stand-in for lull: the real loader reads the real file
 * through libsndfile, and the real player's callback runs on the real
 * backend; this only makes some of those reads, or some callbacks, slow.
 *
 * The faults (environment, read once at load; fault_set overrides):
 *   LULL_FAULT_FILE=NAME       reads of files whose name ends in /NAME (or
 *                              is NAME) are affected; nothing else is
 *   LULL_FAULT_AT=BYTES        only reads starting at or past this offset
 *                              (the script loader's probe of the file's
 *                              header and first samples stays fast)
 *   LULL_FAULT_STALL_MS=MS     the first such read blocks this long: a
 *                              stalled disk or loader
 *   LULL_FAULT_BYTES_PER_SEC=N from the first such read on, reads are held
 *                              back so that no more than N bytes a second
 *                              arrive: a throttled reader (a slow network
 *                              disk) - slower than real time when N is under
 *                              the file's byte rate
 *   LULL_FAULT_CB_SPIN_US=US   every LULL_FAULT_CB_EVERY-th callback (default
 *                              every one) busy-waits this long inside lull's
 *                              audio callback, through the player's test
 *                              hook lull_rt_callback_enter: a callback too
 *                              slow for its block, however fast the machine
 *   LULL_FAULT_PACE_FILE=NAME  writes to files named NAME are held back to
 *   LULL_FAULT_PACE_BPS=N      N bytes a second: ALSA's file plugin, writing
 *                              what the player plays into a capture file in
 *                              front of a null sink, then paces the stream
 *                              like a real device (the null sink alone runs
 *                              as fast as the CPU).  The wait is in the
 *                              backend's write, outside lull's callback.
 *   LULL_FAULT_REPORT=PATH     at exit, what was done: "stalls N",
 *                              "throttled_reads N", "throttled_bytes N",
 *                              "callbacks N", "slowed_callbacks N"
 *
 * MIT licence; see LICENSE.
 */
#define _GNU_SOURCE
#include "fault_inject.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define MAX_FD 4096

static int (*real_open)(const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);

/* Settings: written before the faults matter (constructor, or the test's
 * own thread before it starts playing), read by the loader and audio
 * threads. */
static char fault_file[256], pace_file[256];
static _Atomic long long pace_bps;
static _Atomic long long fault_at, stall_ms, bytes_per_sec, cb_spin_us, cb_every = 1;

/* Which descriptors are the faulty file (FAULTY) or the paced capture file
 * (PACED): set on open, cleared on close. */
enum { FAULTY = 1, PACED = 2 };
static atomic_char faulty_fd[MAX_FD];

static atomic_long n_stalls, n_throttled_reads, n_throttled_bytes, n_callbacks, n_slowed;
static atomic_int stalled_once;
/* The throttle's clock: when the first throttled read began, and the bytes
 * read since.  Only the loader thread reads the file, so plain fields
 * guarded by that would do; atomics keep TSan builds quiet at no cost. */
static _Atomic long long throttle_t0_ns = -1, throttle_bytes;
static _Atomic long long pace_t0_ns = -1, pace_bytes;

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ns(long long ns)
{
    if (ns <= 0)
        return;
    struct timespec ts = { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static long long env_ll(const char *name, long long dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoll(v) : dflt;
}

static void resolve(void)
{
    if (real_read)
        return;
    void *p;
    p = dlsym(RTLD_NEXT, "open");
    memcpy(&real_open, &p, sizeof p);
    p = dlsym(RTLD_NEXT, "open64");
    memcpy(&real_open64, &p, sizeof p);
    p = dlsym(RTLD_NEXT, "close");
    memcpy(&real_close, &p, sizeof p);
    p = dlsym(RTLD_NEXT, "read");
    memcpy(&real_read, &p, sizeof p);
    p = dlsym(RTLD_NEXT, "write");
    memcpy(&real_write, &p, sizeof p);
}

static void write_report(void)
{
    const char *path = getenv("LULL_FAULT_REPORT");
    if (!path || !*path)
        return;
    FILE *f = fopen(path, "w");
    if (!f)
        return;
    fprintf(f, "stalls %ld\nthrottled_reads %ld\nthrottled_bytes %ld\ncallbacks %ld\nslowed_callbacks %ld\n",
            atomic_load(&n_stalls), atomic_load(&n_throttled_reads), atomic_load(&n_throttled_bytes),
            atomic_load(&n_callbacks), atomic_load(&n_slowed));
    fclose(f);
}

__attribute__((constructor)) static void fault_init(void)
{
    resolve();
    const char *f = getenv("LULL_FAULT_FILE");
    if (f)
        snprintf(fault_file, sizeof fault_file, "%s", f);
    atomic_store(&fault_at, env_ll("LULL_FAULT_AT", 0));
    atomic_store(&stall_ms, env_ll("LULL_FAULT_STALL_MS", 0));
    atomic_store(&bytes_per_sec, env_ll("LULL_FAULT_BYTES_PER_SEC", 0));
    atomic_store(&cb_spin_us, env_ll("LULL_FAULT_CB_SPIN_US", 0));
    atomic_store(&cb_every, env_ll("LULL_FAULT_CB_EVERY", 1));
    const char *pf = getenv("LULL_FAULT_PACE_FILE");
    if (pf)
        snprintf(pace_file, sizeof pace_file, "%s", pf);
    atomic_store(&pace_bps, env_ll("LULL_FAULT_PACE_BPS", 0));
    atexit(write_report);
}

void fault_set(const fault_config *c)
{
    snprintf(fault_file, sizeof fault_file, "%s", c->file ? c->file : "");
    atomic_store(&fault_at, c->at_bytes);
    atomic_store(&stall_ms, c->stall_ms);
    atomic_store(&bytes_per_sec, c->bytes_per_sec);
    atomic_store(&cb_spin_us, c->cb_spin_us);
    atomic_store(&cb_every, c->cb_every > 0 ? c->cb_every : 1);
    snprintf(pace_file, sizeof pace_file, "%s", c->pace_file ? c->pace_file : "");
    atomic_store(&pace_bps, c->pace_bytes_per_sec);
    atomic_store(&pace_t0_ns, -1);
    atomic_store(&pace_bytes, 0);
    atomic_store(&stalled_once, 0);
    atomic_store(&throttle_t0_ns, -1);
    atomic_store(&throttle_bytes, 0);
    atomic_store(&n_stalls, 0);
    atomic_store(&n_throttled_reads, 0);
    atomic_store(&n_throttled_bytes, 0);
    atomic_store(&n_callbacks, 0);
    atomic_store(&n_slowed, 0);
}

void fault_counts(fault_report *r)
{
    r->stalls = atomic_load(&n_stalls);
    r->throttled_reads = atomic_load(&n_throttled_reads);
    r->throttled_bytes = atomic_load(&n_throttled_bytes);
    r->callbacks = atomic_load(&n_callbacks);
    r->slowed_callbacks = atomic_load(&n_slowed);
}

/* ------------------------------------------------------------- file I/O */

static int name_is(const char *path, const char *name)
{
    const size_t n = strlen(name), m = strlen(path);
    if (!n || m < n || strcmp(path + m - n, name) != 0)
        return 0;
    return m == n || path[m - n - 1] == '/';
}

static int track(int fd, const char *path)
{
    if (fd >= 0 && fd < MAX_FD)
        atomic_store(&faulty_fd[fd], (char)(name_is(path, fault_file) ? FAULTY
                                            : name_is(path, pace_file) ? PACED
                                                                       : 0));
    return fd;
}

/* Hold the caller back so that no more than bps bytes a second have gone
 * through since the first call. */
static void throttle(_Atomic long long *t0p, _Atomic long long *bytes, long long bps, long long n)
{
    long long t0 = atomic_load(t0p);
    if (t0 < 0) {
        t0 = now_ns();
        atomic_store(t0p, t0);
    }
    const long long total = atomic_fetch_add(bytes, n) + n;
    sleep_ns(t0 + total * 1000000000LL / bps - now_ns());
}

int open(const char *path, int flags, ...)
{
    resolve();
    int mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return track(real_open(path, flags, mode), path);
}

int open64(const char *path, int flags, ...)
{
    resolve();
    int mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return track(real_open64(path, flags, mode), path);
}

int close(int fd)
{
    resolve();
    if (fd >= 0 && fd < MAX_FD)
        atomic_store(&faulty_fd[fd], 0);
    return real_close(fd);
}

ssize_t read(int fd, void *buf, size_t n)
{
    resolve();
    if (fd < 0 || fd >= MAX_FD || atomic_load(&faulty_fd[fd]) != FAULTY)
        return real_read(fd, buf, n);
    const off_t at = lseek(fd, 0, SEEK_CUR);
    if (at < (off_t)atomic_load(&fault_at))
        return real_read(fd, buf, n);
    const long long stall = atomic_load(&stall_ms);
    if (stall > 0 && !atomic_exchange(&stalled_once, 1)) {
        atomic_fetch_add(&n_stalls, 1);
        sleep_ns(stall * 1000000LL);
    }
    const long long bps = atomic_load(&bytes_per_sec);
    ssize_t got = real_read(fd, buf, n);
    if (bps > 0 && got > 0) {
        throttle(&throttle_t0_ns, &throttle_bytes, bps, got);
        atomic_fetch_add(&n_throttled_reads, 1);
        atomic_fetch_add(&n_throttled_bytes, got);
    }
    return got;
}

ssize_t write(int fd, const void *buf, size_t n)
{
    resolve();
    ssize_t put = real_write(fd, buf, n);
    const long long bps = atomic_load(&pace_bps);
    if (put > 0 && bps > 0 && fd >= 0 && fd < MAX_FD && atomic_load(&faulty_fd[fd]) == PACED)
        throttle(&pace_t0_ns, &pace_bytes, bps, put);
    return put;
}

/* ------------------------------------------------------ the slow callback */

void lull_rt_callback_enter(void);
void lull_rt_callback_leave(void);

void lull_rt_callback_enter(void)
{
    const long cb = atomic_fetch_add(&n_callbacks, 1) + 1;
    const long long spin = atomic_load(&cb_spin_us), every = atomic_load(&cb_every);
    if (spin <= 0 || cb % every != 0)
        return;
    /* Busy-wait on the clock: the callback takes at least this long however
     * fast the machine is, and longer if it is preempted. */
    const long long until = now_ns() + spin * 1000LL;
    while (now_ns() < until)
        ;
    atomic_fetch_add(&n_slowed, 1);
}

void lull_rt_callback_leave(void) {}
