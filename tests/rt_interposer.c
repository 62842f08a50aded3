/*
 * rt_interposer.c - see rt_interposer.h.
 *
 * The allocator is reached through glibc's __libc_malloc family (no dlsym,
 * which itself allocates); everything else through dlsym(RTLD_NEXT, ...)
 * resolved in a constructor, before any thread starts.
 */
#define _GNU_SOURCE
#include "rt_interposer.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static _Thread_local int in_callback;
static atomic_long violations;
static _Atomic(const char *) first_violation;
static atomic_long player_callbacks;
static atomic_int misbehave;

static void violation(const char *what)
{
    if (!in_callback)
        return;
    const char *none = NULL;
    atomic_compare_exchange_strong(&first_violation, &none, what);
    atomic_fetch_add(&violations, 1);
}

void rt_enter(void) { in_callback = 1; }
void rt_leave(void) { in_callback = 0; }
long rt_violations(void) { return atomic_load(&violations); }
const char *rt_first_violation(void)
{
    const char *w = atomic_load(&first_violation);
    return w ? w : "(none)";
}
void rt_reset(void)
{
    atomic_store(&violations, 0);
    atomic_store(&first_violation, NULL);
}
long rt_player_callbacks(void) { return atomic_load(&player_callbacks); }
void rt_player_misbehave_once(void) { atomic_store(&misbehave, 1); }

/* lull_player's test hooks (weak references in engine/player.c). */
void lull_rt_callback_enter(void);
void lull_rt_callback_leave(void);
void lull_rt_callback_enter(void)
{
    in_callback = 1;
    atomic_fetch_add(&player_callbacks, 1);
    if (atomic_exchange(&misbehave, 0)) {
        void *volatile p = malloc(64); /* deliberately wrong: must be caught */
        free(p);
    }
}
void lull_rt_callback_leave(void) { in_callback = 0; }

/* ------------------------------------------------------------ allocation */

void *malloc(size_t n)
{
    violation("malloc");
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    violation("calloc");
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    violation("realloc");
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (p)
        violation("free");
    __libc_free(p);
}
void *aligned_alloc(size_t a, size_t n)
{
    violation("aligned_alloc");
    return __libc_memalign(a, n);
}
int posix_memalign(void **out, size_t a, size_t n)
{
    violation("posix_memalign");
    void *p = __libc_memalign(a, n);
    if (!p)
        return ENOMEM;
    *out = p;
    return 0;
}

/* ------------------------------------------------ locks, waits and sleeps */

static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static int (*real_cond_timedwait)(pthread_cond_t *, pthread_mutex_t *, const struct timespec *);
static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_usleep)(useconds_t);
static int (*real_open)(const char *, int, ...);
static int (*real_openat)(int, const char *, int, ...);
static int (*real_open64)(const char *, int, ...);
static FILE *(*real_fopen64)(const char *, const char *);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_close)(int);
static FILE *(*real_fopen)(const char *, const char *);
static size_t (*real_fwrite)(const void *, size_t, size_t, FILE *);
static size_t (*real_fread)(void *, size_t, size_t, FILE *);
static int (*real_fputs)(const char *, FILE *);
static int (*real_puts)(const char *);
static int (*real_vfprintf)(FILE *, const char *, va_list);
static int (*real_fflush)(FILE *);

/* POSIX guarantees a dlsym result converts to a function pointer; memcpy
 * says so without tripping -Wpedantic. */
#define RESOLVE(var, name)                      \
    do {                                        \
        void *sym_ = dlsym(RTLD_NEXT, name);    \
        memcpy(&(var), &sym_, sizeof(var));     \
    } while (0)

__attribute__((constructor)) static void resolve_all(void)
{
    RESOLVE(real_mutex_lock, "pthread_mutex_lock");
    RESOLVE(real_cond_wait, "pthread_cond_wait");
    RESOLVE(real_cond_timedwait, "pthread_cond_timedwait");
    RESOLVE(real_nanosleep, "nanosleep");
    RESOLVE(real_usleep, "usleep");
    RESOLVE(real_open, "open");
    RESOLVE(real_openat, "openat");
    RESOLVE(real_open64, "open64");
    RESOLVE(real_fopen64, "fopen64");
    RESOLVE(real_read, "read");
    RESOLVE(real_write, "write");
    RESOLVE(real_close, "close");
    RESOLVE(real_fopen, "fopen");
    RESOLVE(real_fwrite, "fwrite");
    RESOLVE(real_fread, "fread");
    RESOLVE(real_fputs, "fputs");
    RESOLVE(real_puts, "puts");
    RESOLVE(real_vfprintf, "vfprintf");
    RESOLVE(real_fflush, "fflush");
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    violation("pthread_mutex_lock");
    return real_mutex_lock(m);
}
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    violation("pthread_cond_wait");
    return real_cond_wait(c, m);
}
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t)
{
    violation("pthread_cond_timedwait");
    return real_cond_timedwait(c, m, t);
}
int nanosleep(const struct timespec *req, struct timespec *rem)
{
    violation("nanosleep");
    return real_nanosleep(req, rem);
}
int usleep(useconds_t us)
{
    violation("usleep");
    return real_usleep(us);
}

/* ------------------------------------------------------------- file I/O */

int open(const char *path, int flags, ...)
{
    violation("open");
    int mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return real_open(path, flags, mode);
}
int openat(int dir, const char *path, int flags, ...)
{
    violation("openat");
    int mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return real_openat(dir, path, flags, mode);
}
int open64(const char *path, int flags, ...)
{
    violation("open64");
    int mode = 0;
    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, int);
        va_end(ap);
    }
    return real_open64(path, flags, mode);
}
FILE *fopen64(const char *path, const char *mode)
{
    violation("fopen64");
    return real_fopen64(path, mode);
}
ssize_t read(int fd, void *buf, size_t n)
{
    violation("read");
    return real_read(fd, buf, n);
}
ssize_t write(int fd, const void *buf, size_t n)
{
    violation("write");
    return real_write(fd, buf, n);
}
int close(int fd)
{
    violation("close");
    return real_close(fd);
}
FILE *fopen(const char *path, const char *mode)
{
    violation("fopen");
    return real_fopen(path, mode);
}
size_t fwrite(const void *p, size_t s, size_t n, FILE *f)
{
    violation("fwrite");
    return real_fwrite(p, s, n, f);
}
size_t fread(void *p, size_t s, size_t n, FILE *f)
{
    violation("fread");
    return real_fread(p, s, n, f);
}
int fputs(const char *s, FILE *f)
{
    violation("fputs");
    return real_fputs(s, f);
}
int puts(const char *s)
{
    violation("puts");
    return real_puts(s);
}
int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    violation("vfprintf");
    return real_vfprintf(f, fmt, ap);
}
int fprintf(FILE *f, const char *fmt, ...)
{
    violation("fprintf");
    va_list ap;
    va_start(ap, fmt);
    int r = real_vfprintf(f, fmt, ap);
    va_end(ap);
    return r;
}
int printf(const char *fmt, ...)
{
    violation("printf");
    va_list ap;
    va_start(ap, fmt);
    int r = real_vfprintf(stdout, fmt, ap);
    va_end(ap);
    return r;
}
int fflush(FILE *f)
{
    violation("fflush");
    return real_fflush(f);
}
