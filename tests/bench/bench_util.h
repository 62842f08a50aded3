/*
 * bench_util.h - clocks and memory figures shared by the benchmark programs
 * (lull-bench, lull-bench-clips).  Header only.
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_BENCH_UTIL_H
#define LULL_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double now_sec(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* CPU seconds (user + system) of every thread of this process so far,
 * joined ones included: what a timed call costs, whatever this machine's
 * host did meanwhile (wall time counts the moments it gave the cores to
 * someone else). */
static inline double cpu_sec(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 + (double)u.ru_stime.tv_sec +
           (double)u.ru_stime.tv_usec * 1e-6;
}

/* The peak resident size of this process's own image (VmHWM), KiB; -1 if
 * unknown.  Not ru_maxrss: across exec Linux keeps the larger of the old
 * and new images' high-water marks, and the old one is the parent's copy
 * made by fork, assets and renders included. */
static inline long own_peak_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

#endif
