/* LSH banding: the LSH bins of a sketch (minhash.h) are cut into `bands`
 * bands of `rows` consecutive values, and each band is hashed into a 32-bit
 * key. Two texts with Jaccard similarity J share at least one band key with
 * probability 1 - (1 - J^rows)^bands, and then become candidates, to be
 * confirmed on their signatures.
 *
 * The keys are seeded with the band number and with every parameter that
 * shapes the sketch (shingle length, bands, rows, the boilerplate line
 * length, the signature layout), so that fingerprints made with other
 * settings — another instance mid-reload — never share a key by accident. */
#pragma once

#include <stdint.h>

uint64_t dedup_lsh_seed(uint32_t shingle_words, uint32_t bands, uint32_t rows, uint32_t min_line_words,
                        uint32_t sig_bins, uint32_t sig_bits);

/* keys[i] for i < bands, each below 2^32, from bins[0 .. bands × rows). */
void dedup_band_keys(const uint32_t *bins, uint32_t bands, uint32_t rows, uint64_t seed, uint64_t *keys);
