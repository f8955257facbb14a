/* LSH band keys (see lsh.h). */
#include "lsh.h"

/* XXH3 inlined: most inputs here are a few dozen bytes. */
#define XXH_INLINE_ALL
#include <xxhash.h>

uint64_t dedup_lsh_seed(uint32_t shingle_words, uint32_t bands, uint32_t rows, uint32_t min_line_words,
                        uint32_t sig_bins, uint32_t sig_bits) {
        const uint32_t p[7] = { 1 /* layout version */, shingle_words, bands, rows, min_line_words, sig_bins,
                                sig_bits };
        return XXH3_64bits(p, sizeof(p));
}

void dedup_band_keys(const uint32_t *bins, uint32_t bands, uint32_t rows, uint64_t seed, uint64_t *keys) {
        for (uint32_t b = 0; b < bands; b++)
                keys[b] = (uint32_t)XXH3_64bits_withSeed(bins + (uint64_t)b * rows, rows * sizeof(uint32_t),
                                                         seed + b);
}
