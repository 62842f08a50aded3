/*
 * spsc.c - the lock-free single-producer / single-consumer queue (spsc.h).
 *
 * Indices run freely (they are never wrapped, only masked to find a slot):
 * write_index - read_index is the number of elements waiting, correct across
 * the size_t wrap because the element count is a power of two, and a full
 * queue is told from an empty one without wasting a slot.
 *
 * Memory ordering, the whole argument:
 *   - The producer fills slots, then stores write_index with RELEASE.  The
 *     consumer loads write_index with ACQUIRE, so when it sees the new index
 *     it also sees the bytes written into those slots.
 *   - The consumer copies slots out, then stores read_index with RELEASE.  The
 *     producer loads read_index with ACQUIRE, so it never overwrites a slot
 *     the consumer is still copying.
 *   - Each side loads its own index RELAXED: only it ever writes that index.
 */
#include "spsc.h"

#include <string.h>

int lull_spsc_init(lull_spsc *q, size_t elem_size, size_t count, void *mem)
{
    if (!q || !mem || elem_size == 0 || count < 2 || (count & (count - 1)) != 0 ||
        count > ((size_t)-1 >> 1) / elem_size)
        return -1;
    q->data = mem;
    q->elem_size = elem_size;
    q->mask = count - 1;
    atomic_init(&q->write_index, 0);
    atomic_init(&q->read_index, 0);
    return 0;
}

size_t lull_spsc_write_available(lull_spsc *q)
{
    const size_t w = atomic_load_explicit(&q->write_index, memory_order_relaxed);
    /* ACQUIRE: pairs with the consumer's RELEASE store of read_index. */
    const size_t r = atomic_load_explicit(&q->read_index, memory_order_acquire);
    return q->mask + 1 - (w - r);
}

size_t lull_spsc_read_available(lull_spsc *q)
{
    const size_t r = atomic_load_explicit(&q->read_index, memory_order_relaxed);
    /* ACQUIRE: pairs with the producer's RELEASE store of write_index. */
    const size_t w = atomic_load_explicit(&q->write_index, memory_order_acquire);
    return w - r;
}

/* A ring copy from free-running index `at` is at most two pieces: up to the
 * end of the memory, then from its start. */
static size_t first_piece(const lull_spsc *q, size_t at, size_t n)
{
    const size_t to_end = q->mask + 1 - (at & q->mask);
    return n < to_end ? n : to_end;
}

static void copy_in(lull_spsc *q, size_t at, const unsigned char *src, size_t n)
{
    const size_t es = q->elem_size, a = first_piece(q, at, n);
    memcpy(q->data + (at & q->mask) * es, src, a * es);
    memcpy(q->data, src + a * es, (n - a) * es);
}

static void copy_out(const lull_spsc *q, size_t at, unsigned char *dst, size_t n)
{
    const size_t es = q->elem_size, a = first_piece(q, at, n);
    memcpy(dst, q->data + (at & q->mask) * es, a * es);
    memcpy(dst + a * es, q->data, (n - a) * es);
}

size_t lull_spsc_write(lull_spsc *q, const void *elems, size_t n)
{
    const size_t w = atomic_load_explicit(&q->write_index, memory_order_relaxed);
    /* ACQUIRE: the consumer has finished copying out every slot below r, so
     * those slots may be reused. */
    const size_t r = atomic_load_explicit(&q->read_index, memory_order_acquire);
    const size_t space = q->mask + 1 - (w - r);
    if (n > space)
        n = space;
    if (n == 0)
        return 0;
    copy_in(q, w, elems, n);
    /* RELEASE: the slot bytes written above become visible before the
     * consumer can see the larger index. */
    atomic_store_explicit(&q->write_index, w + n, memory_order_release);
    return n;
}

size_t lull_spsc_read(lull_spsc *q, void *elems, size_t n)
{
    const size_t r = atomic_load_explicit(&q->read_index, memory_order_relaxed);
    /* ACQUIRE: every slot below w has been completely written. */
    const size_t w = atomic_load_explicit(&q->write_index, memory_order_acquire);
    const size_t waiting = w - r;
    if (n > waiting)
        n = waiting;
    if (n == 0)
        return 0;
    copy_out(q, r, elems, n);
    /* RELEASE: our copies out of these slots are complete before the
     * producer may see them as free and overwrite them. */
    atomic_store_explicit(&q->read_index, r + n, memory_order_release);
    return n;
}
