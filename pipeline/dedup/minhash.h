/* MinHash sketches of a normalized text's word shingles.
 *
 * A shingle is `shingle_words` consecutive words (a text with fewer words
 * is one shingle); its hash is XXH3-64 of the shingle's normalized bytes.
 *
 * The sketches are one-permutation MinHash (Li, Owen, Zhang 2012): the hash
 * space is cut into K bins and each bin keeps the least hash that falls in
 * it, so one hash per shingle and one comparison update all K values —
 * O(shingles + K) rather than O(shingles × K). Empty bins (short texts) are
 * filled by optimal densification (Shrivastava 2017): an empty bin takes the
 * value of the first non-empty bin that a hash sequence of its number
 * visits, the same in every text, so that the probability of two texts
 * agreeing in a bin stays their Jaccard similarity.
 *
 * Two sketches come from the same shingle hashes:
 *  - the LSH bins (bands × rows, 32-bit values), from which lsh.c makes the
 *    band keys;
 *  - the confirmation signature: sig_bins values of which only the lowest
 *    sig_bits bits are kept (b-bit MinHash, Li and König 2010), packed. Two
 *    texts agree on a value with probability J + (1 - J) / 2^b, from which
 *    dedup_sig_jaccard() estimates J. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "text_norm.h"

#define DEDUP_MAX_LSH_BINS 1024          /* bands × rows */
#define DEDUP_MAX_SIG_BYTES 512          /* so that a fingerprint fits DEDUP_FINGERPRINT_MAX_BYTES */

/* The index's signature layout: 96 values of 4 bits, 48 bytes (chosen with
 * bench/dedup_eval's sweep, see docs/benchmarks.md). */
#define DEDUP_SIG_BINS 96
#define DEDUP_SIG_BITS 4
#define DEDUP_SIG_BYTES (DEDUP_SIG_BINS * DEDUP_SIG_BITS / 8)

struct dedup_sketch {
        uint32_t shingles;               /* distinct shingles, saturating at UINT16_MAX */
        uint32_t n_bins;
        uint32_t bins[DEDUP_MAX_LSH_BINS];
        uint32_t sig_bins, sig_bits;
        uint8_t sig[DEDUP_MAX_SIG_BYTES];
};

/* Scratch memory, reused between calls. */
struct dedup_sketcher {
        uint64_t *set;                   /* distinct shingle hashes */
        size_t set_cap;
        uint64_t *lsh, *sig;             /* bin minima before densification */
        uint8_t *filled;
        uint32_t *vals;
        size_t bins_cap;
};

#define DEDUP_SHINGLES_MAX UINT16_MAX

/* Sketches a normalized text (text_norm.h). Requires 1 <= lsh_bins <=
 * DEDUP_MAX_LSH_BINS, sig_bits one of 1, 2, 4, 8 and sig_bins × sig_bits a
 * multiple of 64 up to DEDUP_MAX_SIG_BYTES × 8. A text without words gives
 * shingles 0 and zeroed bins. Returns 0, -EINVAL or -ENOMEM. */
int dedup_sketch_text(struct dedup_sketcher *s, const struct dedup_norm *text, uint32_t shingle_words,
                      uint32_t lsh_bins, uint32_t sig_bins, uint32_t sig_bits, struct dedup_sketch *out);
void dedup_sketcher_free(struct dedup_sketcher *s);

/* Share of the values on which two signatures of the same layout agree. */
double dedup_sig_agreement(const uint8_t *a, const uint8_t *b, uint32_t sig_bins, uint32_t sig_bits);

/* Estimated Jaccard similarity of two signatures of the same layout, in
 * [0, 1]: (agreement - 2^-b) / (1 - 2^-b). */
double dedup_sig_jaccard(const uint8_t *a, const uint8_t *b, uint32_t sig_bins, uint32_t sig_bits);
double dedup_jaccard_of_agreement(double agreement, uint32_t sig_bits);

/* The standard error of that estimate for texts whose smaller one has
 * `shingles` distinct shingles: the signature's values are as many
 * independent samples as the smaller text fills bins, about
 * bins × shingles / (bins + shingles). */
double dedup_jaccard_stderr(double agreement, uint32_t sig_bins, uint32_t sig_bits, uint32_t shingles);

/* Containment (shared shingles / shingles of the smaller text) implied by a
 * Jaccard similarity j and the two shingle counts: j(a+b) / ((1+j) min(a,b)),
 * at most 1. */
double dedup_containment(double j, uint32_t a, uint32_t b);
