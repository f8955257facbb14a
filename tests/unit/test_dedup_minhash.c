/* pipeline/dedup/minhash.c and lsh.c: shingles, one-permutation MinHash with
 * densification, b-bit signatures and their Jaccard estimate, containment,
 * and LSH band keys — similar texts share band keys and estimate close to
 * their true similarity, distinct texts do not. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedup/lsh.h"
#include "pipeline/dedup/minhash.h"
#include "pipeline/dedup/text_norm.h"

/* Texts of `n` words drawn from a vocabulary of 5000 made-up words, with a
 * fixed generator: word i of text `seed`. */
static uint64_t mix(uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

static void word(uint64_t r, char *out) {
        static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "zu", "pe", "do", "gra" };
        unsigned v = (unsigned)(r % 5000);
        out[0] = '\0';
        do {
                strcat(out, syl[v % 12]);
                v /= 12;
        } while (v);
}

/* A text of n words; every `edit_every`-th word (if not 0) replaced. */
static char *text(uint64_t seed, size_t n, size_t edit_every, size_t *ret_len) {
        char *t = malloc(n * 16 + 1);
        assert_non_null(t);
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
                char w[16];
                uint64_t r = mix(seed * 1000003 + i);
                if (edit_every && i % edit_every == edit_every / 2)
                        r = mix(r ^ 0xabcdef);
                word(r, w);
                len += (size_t)sprintf(t + len, "%s%s", i ? " " : "", w);
        }
        *ret_len = len;
        return t;
}

struct sk {
        struct dedup_norm norm;
        struct dedup_sketcher sketcher;
        struct dedup_sketch s;
};

static void sketch(struct sk *k, const char *t, size_t len, uint32_t shingle_words, uint32_t bins, uint32_t sig_bins,
                   uint32_t sig_bits) {
        assert_int_equal(dedup_text_normalize(&k->norm, t, len, 0), 0);
        assert_int_equal(dedup_sketch_text(&k->sketcher, &k->norm, shingle_words, bins, sig_bins, sig_bits, &k->s), 0);
}

static void sk_free(struct sk *k) {
        dedup_norm_free(&k->norm);
        dedup_sketcher_free(&k->sketcher);
}

/* The true Jaccard similarity of two texts' shingle sets, by brute force. */
static int cmp64(const void *a, const void *b) {
        uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
        return x < y ? -1 : x > y;
}

static size_t shingle_set(const char *t, size_t len, size_t k, uint64_t *out) {
        size_t starts[4096], n = 0, pos = 0;
        for (;;) {
                starts[n++] = pos;
                const char *sp = memchr(t + pos, ' ', len - pos);
                if (!sp)
                        break;
                pos = (size_t)(sp - t) + 1;
        }
        size_t m = 0;
        for (size_t i = 0; i + k <= n; i++) {
                size_t end = i + k < n ? starts[i + k] - 1 : len;
                uint64_t h = 1469598103934665603ULL;
                for (size_t j = starts[i]; j < end; j++)
                        h = (h ^ (uint8_t)t[j]) * 1099511628211ULL;
                out[m++] = h;
        }
        qsort(out, m, sizeof(*out), cmp64);
        size_t u = 0;
        for (size_t i = 0; i < m; i++)
                if (!u || out[u - 1] != out[i])
                        out[u++] = out[i];
        return u;
}

static double true_jaccard(const char *a, size_t al, const char *b, size_t bl, size_t k) {
        static uint64_t x[4096], y[4096];
        size_t nx = shingle_set(a, al, k, x), ny = shingle_set(b, bl, k, y), i = 0, j = 0, inter = 0;
        while (i < nx && j < ny) {
                if (x[i] == y[j]) {
                        inter++;
                        i++;
                        j++;
                } else if (x[i] < y[j]) {
                        i++;
                } else {
                        j++;
                }
        }
        return (double)inter / (double)(nx + ny - inter);
}

static void identical_texts(void **state) {
        (void)state;
        size_t la, lb;
        char *a = text(1, 400, 0, &la), *b = text(1, 400, 0, &lb);
        /* The same words with other case and punctuation. */
        for (size_t i = 0; i < lb; i += 37)
                if (b[i] >= 'a' && b[i] <= 'z')
                        b[i] = (char)(b[i] - 32);
        struct sk x = { 0 }, y = { 0 };
        sketch(&x, a, la, 5, 12, 256, 2);
        sketch(&y, b, lb, 5, 12, 256, 2);
        assert_int_equal(x.s.shingles, 396);
        assert_int_equal(y.s.shingles, 396);
        assert_memory_equal(x.s.bins, y.s.bins, 12 * sizeof(uint32_t));
        assert_memory_equal(x.s.sig, y.s.sig, 64);
        assert_true(dedup_sig_agreement(x.s.sig, y.s.sig, 256, 2) == 1.0);
        assert_true(dedup_sig_jaccard(x.s.sig, y.s.sig, 256, 2) == 1.0);
        free(a);
        free(b);
        sk_free(&x);
        sk_free(&y);
}

/* Estimates within four standard errors of the truth, for texts edited
 * more and more, in several signature layouts. */
static void jaccard_estimate(void **state) {
        (void)state;
        static const uint32_t layouts[][2] = { { 64, 8 }, { 128, 4 }, { 256, 2 }, { 512, 1 } };
        size_t la;
        char *a = text(7, 600, 0, &la);
        for (size_t e = 3; e <= 40; e += 6) {
                size_t lb;
                char *b = text(7, 600, e, &lb);
                struct sk x = { 0 }, y = { 0 };
                assert_int_equal(dedup_text_normalize(&x.norm, a, la, 0), 0);
                assert_int_equal(dedup_text_normalize(&y.norm, b, lb, 0), 0);
                double truth = true_jaccard(x.norm.text, x.norm.len, y.norm.text, y.norm.len, 5);
                for (size_t l = 0; l < sizeof(layouts) / sizeof(layouts[0]); l++) {
                        uint32_t bins = layouts[l][0], bits = layouts[l][1];
                        sketch(&x, a, la, 5, 16, bins, bits);
                        sketch(&y, b, lb, 5, 16, bins, bits);
                        double agree = dedup_sig_agreement(x.s.sig, y.s.sig, bins, bits);
                        double est = dedup_jaccard_of_agreement(agree, bits);
                        double se = dedup_jaccard_stderr(agree, bins, bits, x.s.shingles);
                        if (fabs(est - truth) > 4 * se + 0.01)
                                fail_msg("edit every %zu words, %u x %u bits: estimate %.3f, truth %.3f, stderr %.3f", e,
                                         bins, bits, est, truth, se);
                }
                free(b);
                sk_free(&x);
                sk_free(&y);
        }
        free(a);
}

static void distinct_texts(void **state) {
        (void)state;
        size_t la, lb;
        char *a = text(11, 500, 0, &la), *b = text(12, 500, 0, &lb);
        struct sk x = { 0 }, y = { 0 };
        sketch(&x, a, la, 5, 12, 256, 2);
        sketch(&y, b, lb, 5, 12, 256, 2);
        assert_true(dedup_sig_jaccard(x.s.sig, y.s.sig, 256, 2) < 0.1);
        uint64_t ka[12], kb[12];
        uint64_t seed = dedup_lsh_seed(5, 12, 1, 0, 256, 2);
        dedup_band_keys(x.s.bins, 12, 1, seed, ka);
        dedup_band_keys(y.s.bins, 12, 1, seed, kb);
        for (int i = 0; i < 12; i++)
                assert_true(ka[i] != kb[i]);
        free(a);
        free(b);
        sk_free(&x);
        sk_free(&y);
}

/* A copy with one word in ten replaced shares band keys (J ≈ 0.4 with
 * 5-word shingles: P(no band) = 0.6^12 ≈ 0.2 %), each below 2^32. */
static void lsh_bands(void **state) {
        (void)state;
        size_t la, lb;
        char *a = text(21, 500, 0, &la), *b = text(21, 500, 10, &lb);
        struct sk x = { 0 }, y = { 0 };
        sketch(&x, a, la, 5, 12, 256, 2);
        sketch(&y, b, lb, 5, 12, 256, 2);
        uint64_t ka[12], kb[12];
        uint64_t seed = dedup_lsh_seed(5, 12, 1, 5, 256, 2);
        dedup_band_keys(x.s.bins, 12, 1, seed, ka);
        dedup_band_keys(y.s.bins, 12, 1, seed, kb);
        int shared = 0;
        for (int i = 0; i < 12; i++) {
                assert_true(ka[i] <= UINT32_MAX);
                shared += ka[i] == kb[i];
        }
        assert_true(shared >= 1);
        /* Rows: a band of 2 rows matches only if both rows do. */
        uint64_t ra[6], rb[6];
        dedup_band_keys(x.s.bins, 6, 2, seed, ra);
        dedup_band_keys(y.s.bins, 6, 2, seed, rb);
        for (int i = 0; i < 6; i++)
                assert_int_equal(ra[i] == rb[i], x.s.bins[2 * i] == y.s.bins[2 * i] &&
                                                         x.s.bins[2 * i + 1] == y.s.bins[2 * i + 1]);
        /* Other parameters, other keys for the same bins. */
        uint64_t other[12];
        dedup_band_keys(x.s.bins, 12, 1, dedup_lsh_seed(4, 12, 1, 5, 256, 2), other);
        for (int i = 0; i < 12; i++)
                assert_true(other[i] != ka[i]);
        free(a);
        free(b);
        sk_free(&x);
        sk_free(&y);
}

/* Short texts: fewer shingles than bins; densification fills every bin, the
 * same way for the same text. */
static void short_texts(void **state) {
        (void)state;
        struct sk x = { 0 }, y = { 0 };
        sketch(&x, "one two three four five six seven", 33, 5, 64, 256, 2);
        sketch(&y, "One, two, three; four five six seven!", 37, 5, 64, 256, 2);
        assert_int_equal(x.s.shingles, 3);
        assert_memory_equal(x.s.bins, y.s.bins, 64 * sizeof(uint32_t));
        assert_memory_equal(x.s.sig, y.s.sig, 64);
        /* Every LSH bin holds one of the three shingles' values. */
        uint32_t distinct[64];
        size_t nd = 0;
        for (int i = 0; i < 64; i++) {
                size_t k = 0;
                while (k < nd && distinct[k] != x.s.bins[i])
                        k++;
                if (k == nd)
                        distinct[nd++] = x.s.bins[i];
        }
        assert_true(nd >= 1 && nd <= 3);
        /* Fewer words than a shingle: one shingle. */
        sketch(&x, "two words", 9, 5, 12, 256, 2);
        assert_int_equal(x.s.shingles, 1);
        /* No words at all. */
        sketch(&x, "...", 3, 5, 12, 256, 2);
        assert_int_equal(x.s.shingles, 0);
        /* Repeated shingles count once. */
        sketch(&x, "a b c a b c a b c", 17, 3, 12, 256, 2);
        assert_int_equal(x.s.shingles, 3);
        sk_free(&x);
        sk_free(&y);
}

static void containment_and_limits(void **state) {
        (void)state;
        assert_true(fabs(dedup_containment(0.25, 100, 100) - 0.4) < 1e-9);
        assert_true(fabs(dedup_containment(0.5, 100, 50) - 1.0) < 1e-9);
        assert_true(dedup_containment(0.9, 100, 10) == 1.0);        /* at most 1 */
        assert_true(dedup_containment(0.5, 0, 10) == 0.0);
        /* A text of 60 % of another, both whole: J = 0.6, containment 1. */
        assert_true(fabs(dedup_containment(0.6, 100, 60) - 1.0) < 1e-9);

        struct dedup_sketcher s = { 0 };
        struct dedup_norm ab = { 0 };
        static struct dedup_sketch out;
        assert_int_equal(dedup_text_normalize(&ab, "a b", 3, 0), 0);
        assert_int_equal(dedup_sketch_text(&s, &ab, 5, 12, 256, 3, &out), -EINVAL);   /* 3 bits */
        assert_int_equal(dedup_sketch_text(&s, &ab, 5, 12, 48, 1, &out), -EINVAL);    /* 48 bits */
        assert_int_equal(dedup_sketch_text(&s, &ab, 5, 0, 256, 2, &out), -EINVAL);
        assert_int_equal(dedup_sketch_text(&s, &ab, 5, DEDUP_MAX_LSH_BINS + 1, 256, 2, &out), -EINVAL);
        assert_int_equal(dedup_sketch_text(&s, &ab, 0, 12, 256, 2, &out), -EINVAL);
        assert_int_equal(dedup_sketch_text(&s, &ab, 5, DEDUP_MAX_LSH_BINS, DEDUP_MAX_SIG_BYTES * 8, 1, &out), 0);
        assert_int_equal(out.shingles, 1);
        assert_int_equal(dedup_sketch_text(&s, &ab, 5, 12, DEDUP_MAX_SIG_BYTES * 8 + 64, 1, &out), -EINVAL);
        dedup_norm_free(&ab);
        dedup_sketcher_free(&s);

        /* Chance agreement of b-bit values is taken out of the estimate. */
        assert_true(dedup_jaccard_of_agreement(0.25, 2) == 0.0);
        assert_true(dedup_jaccard_of_agreement(0.1, 2) == 0.0);
        assert_true(fabs(dedup_jaccard_of_agreement(0.625, 2) - 0.5) < 1e-9);
        assert_true(dedup_jaccard_stderr(0.5, 256, 2, 10) > dedup_jaccard_stderr(0.5, 256, 2, 1000));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(identical_texts),
                cmocka_unit_test(jaccard_estimate),
                cmocka_unit_test(distinct_texts),
                cmocka_unit_test(lsh_bands),
                cmocka_unit_test(short_texts),
                cmocka_unit_test(containment_and_limits),
        };
        return cmocka_run_group_tests_name("dedup_minhash", tests, NULL, NULL);
}
