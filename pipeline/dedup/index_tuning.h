/* Knobs and counters of the index that are not part of its interface, for
 * bench/dedup_eval: the signature layout (a constant in production, chosen
 * with this) and the work done by LSH lookups. */
#pragma once

#include <stdint.h>

#include "dedup.h"

/* Sets the b-bit signature to `bins` values of `bits` bits (see
 * minhash.h for the constraints). Only on an empty index: returns -EBUSY
 * otherwise, -EINVAL for a layout minhash.c does not take. */
int dedup_index_set_signature(struct dedup_index *idx, uint32_t bins, uint32_t bits);

/* The confirmation rule compares the estimated similarity less z standard
 * errors with the thresholds (index.c); z is DEDUP_CONFIDENCE_Z. */
void dedup_index_set_confidence(struct dedup_index *idx, double z);
double dedup_index_confidence(void);     /* the default */

struct dedup_lookup_counts {
        uint64_t near_lookups;     /* articles looked up by their band keys */
        uint64_t candidates;       /* distinct live candidates compared */
};

void dedup_index_lookup_counts(const struct dedup_index *idx, struct dedup_lookup_counts *ret);

/* Bytes allocated, by structure. */
struct dedup_memory {
        uint64_t entries, table, strings, heap, other;
};

void dedup_index_memory(const struct dedup_index *idx, struct dedup_memory *ret);
