/* Per-article bump allocator.
 *
 * Everything a stage allocates for one article comes from the article's arena
 * and is released at once by arena_reset() when the article is done, so the
 * hot path does not call malloc per token. The arena keeps its first block
 * across resets; blocks added for a large article are freed on reset so that
 * one huge message does not pin memory for the life of the process.
 *
 * Allocation failure is fatal for the article, not for the process: the
 * functions return NULL and the caller rejects the article. */
#pragma once

#include <stddef.h>
#include <stdarg.h>

struct arena;

struct arena *arena_new(size_t block_size);
void arena_free(struct arena *a);
void arena_reset(struct arena *a);

void *arena_alloc(struct arena *a, size_t size);
void *arena_calloc(struct arena *a, size_t n, size_t size);
char *arena_strndup(struct arena *a, const char *s, size_t len);
char *arena_strdup(struct arena *a, const char *s);
char *arena_printf(struct arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Bytes handed out since the last reset (for memory figures). */
size_t arena_used(const struct arena *a);
