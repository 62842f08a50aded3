/*
 * test_spsc.c - the lock-free command queue (engine/spsc.c).
 *
 * Single-threaded: argument checks, capacity, wrap-around of slots and of the
 * free-running indices.  Then the stress test: one thread sends millions of
 * elements in batches of varying size to another; the receiver checks that
 * every element arrives exactly once, in order, with its payload intact.
 * The same file is built a second time with -fsanitize=thread
 * (test_spsc_tsan), which fails on any data race in the queue.
 *
 * Usage: test_spsc [COUNT]   (default 4,000,000 elements)
 *
 * MIT licence; see LICENSE.
 */
#include "spsc.h"

#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define CHECK(cond, ...)                                \
    do {                                                \
        if (!(cond)) {                                  \
            printf("FAIL %s:%d: ", __FILE__, __LINE__); \
            printf(__VA_ARGS__);                        \
            printf("\n");                               \
            failures++;                                 \
        }                                               \
    } while (0)

/* An element shaped like an engine command: a sequence number plus payload
 * derived from it, so a torn or stale copy is detected. */
typedef struct item {
    uint64_t seq;
    uint64_t payload;
    double value;
} item;

static uint64_t payload_of(uint64_t seq) { return seq * 0x9e3779b97f4a7c15ULL ^ 0xabcdefULL; }

static item make_item(uint64_t seq)
{
    return (item){ seq, payload_of(seq), (double)seq * 0.5 };
}

static void test_basics(void)
{
    item mem[8];
    lull_spsc q;
    CHECK(lull_spsc_init(&q, sizeof(item), 6, mem) != 0, "count 6 (not a power of two) accepted");
    CHECK(lull_spsc_init(&q, sizeof(item), 1, mem) != 0, "count 1 accepted");
    CHECK(lull_spsc_init(&q, 0, 8, mem) != 0, "element size 0 accepted");
    CHECK(lull_spsc_init(&q, sizeof(item), 8, NULL) != 0, "NULL memory accepted");
    CHECK(lull_spsc_init(&q, sizeof(item), 8, mem) == 0, "init");

    CHECK(lull_spsc_read_available(&q) == 0 && lull_spsc_write_available(&q) == 8, "empty");
    item in[10], out[10];
    for (int i = 0; i < 10; i++)
        in[i] = make_item((uint64_t)i);
    CHECK(lull_spsc_write(&q, in, 10) == 8, "a full queue takes only its capacity");
    CHECK(lull_spsc_write(&q, in, 1) == 0, "write to a full queue");
    CHECK(lull_spsc_read_available(&q) == 8 && lull_spsc_write_available(&q) == 0, "full");
    CHECK(lull_spsc_read(&q, out, 3) == 3 && out[0].seq == 0 && out[2].seq == 2, "read 3");
    /* This write wraps around the end of the memory. */
    CHECK(lull_spsc_write(&q, in + 8, 2) == 2, "wrapping write");
    CHECK(lull_spsc_read(&q, out, 10) == 7, "read the rest");
    for (int i = 0; i < 7; i++)
        CHECK(out[i].seq == (uint64_t)(i + 3), "order after wrap: %d -> %llu", i,
              (unsigned long long)out[i].seq);
    CHECK(lull_spsc_read(&q, out, 1) == 0, "read from an empty queue");

    /* Indices near SIZE_MAX: the free-running counters wrap cleanly. */
    atomic_store(&q.write_index, (size_t)-3);
    atomic_store(&q.read_index, (size_t)-3);
    uint64_t next = 0, want = 0;
    for (int round = 0; round < 20; round++) {
        item b[5];
        for (int i = 0; i < 5; i++)
            b[i] = make_item(next++);
        CHECK(lull_spsc_write(&q, b, 5) == 5, "write near the index wrap");
        CHECK(lull_spsc_read(&q, out, 5) == 5, "read near the index wrap");
        for (int i = 0; i < 5; i++)
            CHECK(out[i].seq == want++ && out[i].payload == payload_of(out[i].seq),
                  "order across the index wrap");
    }
}

typedef struct stress {
    lull_spsc q;
    uint64_t count;
    uint64_t received;
    uint64_t errors;
    uint64_t first_bad;
} stress;

static void *producer(void *arg)
{
    stress *s = arg;
    uint64_t next = 0, rng = 0x12345;
    item batch[37];
    while (next < s->count) {
        /* Batches of 1..37 elements: exercises partial writes and wraps. */
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = 1 + (size_t)((rng >> 33) % 37);
        if (n > s->count - next)
            n = (size_t)(s->count - next);
        for (size_t i = 0; i < n; i++)
            batch[i] = make_item(next + i);
        size_t sent = 0;
        while (sent < n) {
            size_t w = lull_spsc_write(&s->q, batch + sent, n - sent);
            sent += w;
            if (w == 0)
                sched_yield();
        }
        next += n;
    }
    return NULL;
}

static void *consumer(void *arg)
{
    stress *s = arg;
    uint64_t want = 0, rng = 0x777;
    item batch[29];
    while (want < s->count) {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t n = 1 + (size_t)((rng >> 33) % 29);
        size_t got = lull_spsc_read(&s->q, batch, n);
        if (got == 0) {
            sched_yield();
            continue;
        }
        for (size_t i = 0; i < got; i++, want++) {
            const item *it = &batch[i];
            if (it->seq != want || it->payload != payload_of(want) ||
                it->value != (double)want * 0.5) {
                if (!s->errors)
                    s->first_bad = want;
                s->errors++;
            }
        }
        s->received = want;
    }
    return NULL;
}

static void test_stress(uint64_t count)
{
    static item mem[64];
    stress s;
    memset(&s, 0, sizeof s);
    s.count = count;
    if (lull_spsc_init(&s.q, sizeof(item), 64, mem) != 0) {
        CHECK(0, "init");
        return;
    }
    pthread_t tp, tc;
    pthread_create(&tc, NULL, consumer, &s);
    pthread_create(&tp, NULL, producer, &s);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    CHECK(s.received == count, "received %llu of %llu", (unsigned long long)s.received,
          (unsigned long long)count);
    CHECK(s.errors == 0, "%llu elements lost, duplicated, reordered or torn (first at %llu)",
          (unsigned long long)s.errors, (unsigned long long)s.first_bad);
    CHECK(lull_spsc_read_available(&s.q) == 0, "queue not empty at the end");
    printf("stress: %llu elements through a 64-slot queue, in order\n",
           (unsigned long long)count);
}

int main(int argc, char **argv)
{
    uint64_t count = argc > 1 ? strtoull(argv[1], NULL, 10) : 4000000ULL;
    test_basics();
    test_stress(count);
    if (failures) {
        printf("%d failure(s)\n", failures);
        return 1;
    }
    printf("ok\n");
    return 0;
}
