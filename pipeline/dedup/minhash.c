/* Shingle hashing and one-permutation MinHash with densification (see
 * minhash.h). */
#include "minhash.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
/* XXH3 inlined: most inputs here are a few dozen bytes. */
#define XXH_INLINE_ALL
#include <xxhash.h>

/* splitmix64's finalizer: a bijective mix of all 64 bits. */
static inline uint64_t mix64(uint64_t x) {
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}

static inline uint32_t bin_of(uint64_t h, uint32_t k) {
        return (uint32_t)(((h >> 32) * (uint64_t)k) >> 32);
}

static int reserve_bins(struct dedup_sketcher *s, size_t n) {
        if (s->bins_cap >= n)
                return 0;
        uint64_t *lsh = realloc(s->lsh, n * sizeof(*lsh));
        if (!lsh)
                return -ENOMEM;
        s->lsh = lsh;
        uint64_t *sig = realloc(s->sig, n * sizeof(*sig));
        if (!sig)
                return -ENOMEM;
        s->sig = sig;
        uint8_t *filled = realloc(s->filled, n);
        if (!filled)
                return -ENOMEM;
        s->filled = filled;
        uint32_t *vals = realloc(s->vals, n * sizeof(*vals));
        if (!vals)
                return -ENOMEM;
        s->vals = vals;
        s->bins_cap = n;
        return 0;
}

/* Counts distinct shingle hashes, up to DEDUP_SHINGLES_MAX. */
struct distinct {
        uint64_t *slot;
        size_t mask;
        uint32_t count;
};

static void distinct_add(struct distinct *d, uint64_t h) {
        if (d->count >= DEDUP_SHINGLES_MAX)
                return;
        h |= 1;   /* 0 marks an empty slot; losing the low bit costs nothing here */
        size_t i = (size_t)((h >> 20) & d->mask);
        while (d->slot[i]) {
                if (d->slot[i] == h)
                        return;
                i = (i + 1) & d->mask;
        }
        d->slot[i] = h;
        d->count++;
}

static inline void bin_update(uint64_t *bins, uint32_t k, uint64_t h) {
        uint32_t b = bin_of(h, k);
        uint64_t v = (uint32_t)h, cur = bins[b];
        bins[b] = v < cur ? v : cur;    /* a conditional move: the branch would be a coin toss */
}

/* Optimal densification: bin i, when empty, takes the value of the first
 * non-empty bin among j_1, j_2, … drawn from a hash of (i, attempt). */
static void densify(const uint64_t *bins, uint8_t *filled, uint32_t k, uint32_t *out, uint64_t seed) {
        uint32_t nonempty = 0;
        for (uint32_t i = 0; i < k; i++) {
                filled[i] = bins[i] != UINT64_MAX;
                nonempty += filled[i];
        }
        if (nonempty == 0) {
                memset(out, 0, k * sizeof(*out));
                return;
        }
        for (uint32_t i = 0; i < k; i++) {
                if (filled[i]) {
                        out[i] = (uint32_t)bins[i];
                        continue;
                }
                for (uint64_t attempt = 1;; attempt++) {
                        uint32_t j = bin_of(mix64(seed ^ ((uint64_t)i << 32 | attempt)), k);
                        if (filled[j]) {
                                out[i] = (uint32_t)bins[j];
                                break;
                        }
                }
        }
}

int dedup_sketch_text(struct dedup_sketcher *s, const struct dedup_norm *norm, uint32_t shingle_words,
                      uint32_t lsh_bins, uint32_t sig_bins, uint32_t sig_bits, struct dedup_sketch *out) {
        if (shingle_words < 1 || lsh_bins < 1 || lsh_bins > DEDUP_MAX_LSH_BINS ||
            !(sig_bits == 1 || sig_bits == 2 || sig_bits == 4 || sig_bits == 8) || sig_bins == 0 ||
            (sig_bins * sig_bits) % 64 != 0 || sig_bins * sig_bits > DEDUP_MAX_SIG_BYTES * 8)
                return -EINVAL;
        out->n_bins = lsh_bins;
        out->sig_bins = sig_bins;
        out->sig_bits = sig_bits;
        size_t sig_bytes = sig_bins * sig_bits / 8;
        memset(out->sig, 0, sig_bytes);
        const char *text = norm->text;
        size_t len = norm->len;
        uint32_t words = norm->words;
        if (words == 0) {
                out->shingles = 0;
                memset(out->bins, 0, lsh_bins * sizeof(out->bins[0]));
                return 0;
        }
        if (reserve_bins(s, lsh_bins > sig_bins ? lsh_bins : sig_bins) < 0)
                return -ENOMEM;

        /* At most as many shingles as words: size the distinct set for that. */
        size_t max_shingles = words;
        if (max_shingles > DEDUP_SHINGLES_MAX)
                max_shingles = DEDUP_SHINGLES_MAX;
        size_t cap = 64;
        while (cap < 2 * max_shingles)
                cap *= 2;
        if (s->set_cap < cap) {
                free(s->set);
                s->set = malloc(cap * sizeof(*s->set));
                s->set_cap = s->set ? cap : 0;
                if (!s->set)
                        return -ENOMEM;
        }
        memset(s->set, 0, cap * sizeof(*s->set));
        struct distinct d = { s->set, cap - 1, 0 };

        for (uint32_t i = 0; i < lsh_bins; i++)
                s->lsh[i] = UINT64_MAX;
        for (uint32_t i = 0; i < sig_bins; i++)
                s->sig[i] = UINT64_MAX;

        /* Shingle j: words j … j+k-1, from the start of the first to the
         * end of the last (one space before the next word's start). */
        const uint32_t *starts = norm->starts;
        uint32_t k = shingle_words < words ? shingle_words : words;
        for (uint32_t j = 0; j + k <= words; j++) {
                size_t start = starts[j];
                size_t end = j + k < words ? starts[j + k] - 1 : len;
                uint64_t h = XXH3_64bits(text + start, end - start);
                distinct_add(&d, h);
                bin_update(s->lsh, lsh_bins, h);
                bin_update(s->sig, sig_bins, mix64(h));
        }
        out->shingles = d.count;

        densify(s->lsh, s->filled, lsh_bins, out->bins, 0x6c73682d62696e73ULL);
        densify(s->sig, s->filled, sig_bins, s->vals, 0x7369672d62696e73ULL);
        uint32_t mask = (1u << sig_bits) - 1;
        for (uint32_t i = 0; i < sig_bins; i++) {
                uint32_t bit = i * sig_bits;
                out->sig[bit / 8] |= (uint8_t)((s->vals[i] & mask) << (bit % 8));
        }
        return 0;
}

void dedup_sketcher_free(struct dedup_sketcher *s) {
        free(s->set);
        free(s->lsh);
        free(s->sig);
        free(s->filled);
        free(s->vals);
        *s = (struct dedup_sketcher){ 0 };
}

/* Without -mpopcnt the builtin is a library call; this is a few
 * instructions. */
static inline uint32_t popcount64(uint64_t x) {
        x = x - ((x >> 1) & 0x5555555555555555ULL);
        x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
        x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0fULL;
        return (uint32_t)((x * 0x0101010101010101ULL) >> 56);
}

double dedup_sig_agreement(const uint8_t *a, const uint8_t *b, uint32_t sig_bins, uint32_t sig_bits) {
        static const uint64_t lanes[9] = { 0, 0xffffffffffffffffULL, 0x5555555555555555ULL, 0,
                                           0x1111111111111111ULL, 0, 0, 0, 0x0101010101010101ULL };
        size_t bytes = (size_t)sig_bins * sig_bits / 8;
        uint32_t differ = 0;
        for (size_t i = 0; i + 8 <= bytes; i += 8) {
                uint64_t x, y;
                memcpy(&x, a + i, 8);
                memcpy(&y, b + i, 8);
                x ^= y;
                /* Fold each b-bit value's bits onto its lowest bit. */
                for (uint32_t s = 1; s < sig_bits; s <<= 1)
                        x |= x >> s;
                differ += popcount64(x & lanes[sig_bits]);
        }
        return (double)(sig_bins - differ) / sig_bins;
}

double dedup_jaccard_of_agreement(double agreement, uint32_t sig_bits) {
        double chance = 1.0 / (double)(1u << sig_bits);
        double j = (agreement - chance) / (1.0 - chance);
        return j < 0 ? 0 : j > 1 ? 1 : j;
}

double dedup_sig_jaccard(const uint8_t *a, const uint8_t *b, uint32_t sig_bins, uint32_t sig_bits) {
        return dedup_jaccard_of_agreement(dedup_sig_agreement(a, b, sig_bins, sig_bits), sig_bits);
}

double dedup_jaccard_stderr(double agreement, uint32_t sig_bins, uint32_t sig_bits, uint32_t shingles) {
        double n = (double)sig_bins * shingles / ((double)sig_bins + shingles);
        if (n < 1)
                n = 1;
        double chance = 1.0 / (double)(1u << sig_bits);
        return sqrt(agreement * (1 - agreement) / n) / (1.0 - chance);
}

double dedup_containment(double j, uint32_t a, uint32_t b) {
        uint32_t m = a < b ? a : b;
        if (m == 0)
                return 0;
        double c = j * ((double)a + (double)b) / ((1.0 + j) * (double)m);
        return c > 1 ? 1 : c;
}
