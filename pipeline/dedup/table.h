/* The index's one hash table: 32-bit tags to 32-bit entry numbers, eight
 * bytes a slot, open addressing with Robin Hood linear probing.
 *
 * Every key of an entry (its id, content hash, URL hash, LSH band keys) is
 * reduced to a 32-bit tag; a tag may occur many times (one LSH bucket is
 * all the entries with that band key) and different keys may share a tag,
 * so a lookup yields candidates that the index checks against the entry.
 *
 * A slot's home is derived from its tag alone ((tag × cap) >> 32), so the
 * table can be rebuilt, and dead slots swept out, without the keys: entries
 * are removed lazily, by dedup_table_rebuild() with a bitmap of dead entry
 * numbers. Robin Hood ordering keeps probe sequences short at high load and
 * ends an unsuccessful lookup early. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DEDUP_TABLE_EMPTY 0

struct dedup_table {
        uint64_t *slot;          /* tag << 32 | (entry + 1); DEDUP_TABLE_EMPTY when free */
        uint32_t cap;
        uint32_t count;
};

struct dedup_probe {
        uint32_t pos, dist, tag;
};

/* cap >= 1. Returns 0 or -ENOMEM. */
int dedup_table_init(struct dedup_table *t, uint32_t cap);
void dedup_table_free(struct dedup_table *t);

/* Inserts (tag, entry); the caller keeps count below cap. */
void dedup_table_insert(struct dedup_table *t, uint32_t tag, uint32_t entry);
/* The same, unless `max` slots hold the tag already: then returns false and
 * changes nothing. */
bool dedup_table_insert_max(struct dedup_table *t, uint32_t tag, uint32_t entry, uint32_t max);

/* Starts loading the memory where `tag` would be, for a lookup or insert
 * soon after: several prefetched lookups wait for memory together. */
void dedup_table_prefetch(const struct dedup_table *t, uint32_t tag);

/* Finds the slots holding `tag`: start, then next() until it returns false. */
void dedup_table_probe_start(const struct dedup_table *t, uint32_t tag, struct dedup_probe *p);
bool dedup_table_probe_next(const struct dedup_table *t, struct dedup_probe *p, uint32_t *ret_entry);

/* Rebuilds the table with `cap` slots (the same or another size), leaving
 * out every slot whose entry has its bit set in `dead`. cap must exceed the
 * slots kept. Returns 0, or -ENOMEM with the table unchanged (when cap
 * differs) — an in-place rebuild at the same cap cannot fail. */
int dedup_table_rebuild(struct dedup_table *t, uint32_t cap, const uint64_t *dead);

/* Removes the slots of dead entries in place (cap unchanged). */
void dedup_table_sweep(struct dedup_table *t, const uint64_t *dead);

static inline bool dedup_bit(const uint64_t *bits, uint32_t i) {
        return (bits[i >> 6] >> (i & 63)) & 1;
}
