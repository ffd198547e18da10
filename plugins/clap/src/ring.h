/* A single-producer single-consumer ring of fixed-size items, lock-free (C11 atomics).
 * The storage is allocated once (lemm_ring_init, on the main thread at activate) and
 * freed at deactivate; push and pop never allocate, lock or wait, so the audio thread
 * may call them. */
#ifndef LEMM_RING_H
#define LEMM_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct lemm_ring {
    unsigned char *data;
    size_t item_size;
    size_t capacity;              /* a power of two */
    _Atomic size_t head;          /* next slot to write; written by the producer only */
    _Atomic size_t tail;          /* next slot to read; written by the consumer only */
} lemm_ring;

static inline bool lemm_ring_init(lemm_ring *ring, size_t item_size, size_t capacity) {
    size_t cap = 1;
    while (cap < capacity) cap <<= 1;
    ring->data = (unsigned char *)calloc(cap, item_size);
    ring->item_size = item_size;
    ring->capacity = cap;
    atomic_init(&ring->head, 0);
    atomic_init(&ring->tail, 0);
    return ring->data != NULL;
}

static inline void lemm_ring_destroy(lemm_ring *ring) {
    free(ring->data);
    ring->data = NULL;
}

/* Copy item in; false (and nothing written) when full. Producer side only. */
static inline bool lemm_ring_push(lemm_ring *ring, const void *item) {
    size_t head = atomic_load_explicit(&ring->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_acquire);
    if (head - tail >= ring->capacity) return false;
    memcpy(ring->data + (head & (ring->capacity - 1)) * ring->item_size, item, ring->item_size);
    atomic_store_explicit(&ring->head, head + 1, memory_order_release);
    return true;
}

/* Copy the oldest item out; false when empty. Consumer side only. */
static inline bool lemm_ring_pop(lemm_ring *ring, void *item) {
    size_t tail = atomic_load_explicit(&ring->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&ring->head, memory_order_acquire);
    if (tail == head) return false;
    memcpy(item, ring->data + (tail & (ring->capacity - 1)) * ring->item_size, ring->item_size);
    atomic_store_explicit(&ring->tail, tail + 1, memory_order_release);
    return true;
}

#endif
