#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct arena_block {
        struct arena_block *next;
        size_t size;
        size_t used;
        max_align_t data[];
};

struct arena {
        struct arena_block *head;   /* current block; the first block is last in the list */
        struct arena_block *first;
        size_t block_size;
        size_t used_total;
};

static struct arena_block *block_new(size_t size) {
        if (size > SIZE_MAX - sizeof(struct arena_block))
                return NULL;
        struct arena_block *b = malloc(sizeof(*b) + size);
        if (!b)
                return NULL;
        b->next = NULL;
        b->size = size;
        b->used = 0;
        return b;
}

struct arena *arena_new(size_t block_size) {
        struct arena *a = calloc(1, sizeof(*a));
        if (!a)
                return NULL;
        a->block_size = block_size < 1024 ? 1024 : block_size;
        a->first = block_new(a->block_size);
        if (!a->first) {
                free(a);
                return NULL;
        }
        a->head = a->first;
        return a;
}

void arena_reset(struct arena *a) {
        if (!a)
                return;
        struct arena_block *b = a->head;
        while (b && b != a->first) {
                struct arena_block *next = b->next;
                free(b);
                b = next;
        }
        a->head = a->first;
        a->first->used = 0;
        a->used_total = 0;
}

void arena_free(struct arena *a) {
        if (!a)
                return;
        arena_reset(a);
        free(a->first);
        free(a);
}

void *arena_alloc(struct arena *a, size_t size) {
        const size_t align = _Alignof(max_align_t);
        if (size > SIZE_MAX - align)
                return NULL;
        size = (size + align - 1) & ~(align - 1);
        if (size == 0)
                size = align;

        struct arena_block *b = a->head;
        if (b->size - b->used < size) {
                size_t want = size > a->block_size ? size : a->block_size;
                struct arena_block *nb = block_new(want);
                if (!nb)
                        return NULL;
                nb->next = a->head;
                a->head = nb;
                b = nb;
        }
        void *p = (char *)b->data + b->used;
        b->used += size;
        a->used_total += size;
        return p;
}

void *arena_calloc(struct arena *a, size_t n, size_t size) {
        if (size && n > SIZE_MAX / size)
                return NULL;
        void *p = arena_alloc(a, n * size);
        if (p)
                memset(p, 0, n * size);
        return p;
}

char *arena_strndup(struct arena *a, const char *s, size_t len) {
        char *p = arena_alloc(a, len + 1);
        if (!p)
                return NULL;
        memcpy(p, s, len);
        p[len] = '\0';
        return p;
}

char *arena_strdup(struct arena *a, const char *s) {
        return arena_strndup(a, s, strlen(s));
}

char *arena_printf(struct arena *a, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0)
                return NULL;
        char *p = arena_alloc(a, (size_t)n + 1);
        if (!p)
                return NULL;
        va_start(ap, fmt);
        vsnprintf(p, (size_t)n + 1, fmt, ap);
        va_end(ap);
        return p;
}

size_t arena_used(const struct arena *a) {
        return a->used_total;
}
