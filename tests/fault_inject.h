/*
 * fault_inject.h - slow reads of one clip file and slow audio callbacks, for
 * the live robustness tests (see fault_inject.c for what each fault does and
 * the environment variables that set them under LD_PRELOAD).
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_FAULT_INJECT_H
#define LULL_FAULT_INJECT_H

typedef struct fault_config {
    const char *file;        /* file name (last path component) whose reads are slowed */
    long long at_bytes;      /* only reads from this offset on */
    long long stall_ms;      /* the first such read blocks this long */
    long long bytes_per_sec; /* > 0: such reads deliver no faster than this */
    long long cb_spin_us;    /* > 0: every cb_every-th callback busy-waits this long */
    long long cb_every;
    const char *pace_file;   /* file name whose writes are paced (a capture file) */
    long long pace_bytes_per_sec;
} fault_config;

typedef struct fault_report {
    long stalls, throttled_reads, throttled_bytes, callbacks, slowed_callbacks;
} fault_report;

/* Set the faults (and zero the counts) before playing.  Not while playing. */
void fault_set(const fault_config *c);
void fault_counts(fault_report *r);

#endif
