/*
 * spsc.h - a lock-free single-producer / single-consumer queue of fixed-size
 * elements in caller-owned memory (not installed).
 *
 * This is how the non-real-time side talks to the audio thread and back:
 * commands (pause, seek, volume ...) go in, notices (section changed,
 * finished ...) come out.  One thread writes, one other thread reads; each
 * side's calls are wait-free (a bounded copy and two atomic operations), never
 * allocate, never lock and never block, so either side may be the audio
 * thread.
 *
 * The shape follows PortAudio's pa_ringbuffer.c (a power-of-two element count
 * so an index wraps with a mask, indices that run freely and are masked only
 * to address a slot, the memory handed in by the caller) but is written with
 * C11 <stdatomic.h> acquire/release instead of platform barriers.
 *
 * Threads: lull_spsc_init [NRT] before either side starts;
 * lull_spsc_write / lull_spsc_write_available only from the producer [RT];
 * lull_spsc_read / lull_spsc_read_available only from the consumer [RT].
 */
#ifndef LULL_SPSC_H
#define LULL_SPSC_H

#include <stdatomic.h>
#include <stddef.h>

/* A cache line.  The two indices sit at least this far apart so the producer
 * and the consumer do not invalidate each other's line on every operation.
 * (Padding rather than alignas: the queue lives inside heap objects that
 * malloc aligns to 16 bytes only.) */
#define LULL_CACHE_LINE 64

typedef struct lull_spsc {
    /* Written only by the producer; read by both. */
    atomic_size_t write_index;
    unsigned char pad_write[LULL_CACHE_LINE];
    /* Written only by the consumer; read by both. */
    atomic_size_t read_index;
    unsigned char pad_read[LULL_CACHE_LINE];
    /* Fixed by lull_spsc_init; never written afterwards. */
    unsigned char *data;
    size_t elem_size;  /* bytes per element */
    size_t mask;       /* element count - 1 (count is a power of two) */
} lull_spsc;

/* Prepare a queue of `count` elements of `elem_size` bytes over `mem`, which
 * must hold count * elem_size bytes and outlive the queue.  count must be a
 * power of two (>= 2).  Returns 0, or -1 on a bad argument.  [NRT] */
int lull_spsc_init(lull_spsc *q, size_t elem_size, size_t count, void *mem);

/* Copy up to n elements in; returns how many fit (0 when full).  Producer
 * only.  [RT] */
size_t lull_spsc_write(lull_spsc *q, const void *elems, size_t n);
/* Copy up to n elements out; returns how many there were.  Consumer only.
 * [RT] */
size_t lull_spsc_read(lull_spsc *q, void *elems, size_t n);

/* Free slots (producer) / waiting elements (consumer).  A snapshot: the other
 * side may change it a moment later, only ever in the caller's favour. */
size_t lull_spsc_write_available(lull_spsc *q);
size_t lull_spsc_read_available(lull_spsc *q);

#endif
