/* pipeline/dedup/fingerprint.c: the wire format of the fingerprints topic —
 * round trips, the capacity rule, and the rejection of truncated, extended,
 * malformed and unknown-version input, and of random bytes (which must
 * never be read past their end). */
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

#include "pipeline/dedup/dedup.h"
#include "pipeline/dedup/minhash.h"

static struct dedup_fingerprint *full(void) {
        struct dedup_fingerprint *fp = calloc(1, sizeof(*fp));
        assert_non_null(fp);
        fp->content_hash[0] = 0x0123456789abcdefULL;
        fp->content_hash[1] = 0xfedcba9876543210ULL;
        fp->url_hash[0] = 0x1111111111111111ULL;
        fp->url_hash[1] = 0xffffffffffffffffULL;
        fp->has_url = true;
        fp->n_bands = 12;
        for (uint32_t i = 0; i < fp->n_bands; i++)
                fp->band_keys[i] = 0xfffffff0u + i;
        fp->shingles = 426;
        fp->n_minhash = 64;
        for (uint32_t i = 0; i < fp->n_minhash; i++)
                fp->minhash[i] = (uint8_t)(i * 37);
        fp->event_time_ms = 1613260800123LL;
        snprintf(fp->id, sizeof(fp->id), "seed-1 \xc3\xa9t\xc3\xa9");
        snprintf(fp->topic, sizeof(fp->topic), "articles.raw");
        fp->partition = 7;
        fp->offset = 1234567890123LL;
        fp->status = DEDUP_NEAR_DUPLICATE;
        snprintf(fp->duplicate_of, sizeof(fp->duplicate_of), "reuters-2021-02-14-1");
        fp->similarity = 0.8125f;
        return fp;
}

static void round_trip_one(const struct dedup_fingerprint *fp) {
        uint8_t buf[DEDUP_FINGERPRINT_MAX_BYTES];
        size_t n = dedup_fingerprint_encode(fp, buf, sizeof(buf));
        assert_true(n > 0 && n <= DEDUP_FINGERPRINT_MAX_BYTES);
        struct dedup_fingerprint *back = malloc(sizeof(*back));
        assert_non_null(back);
        memset(back, 0xa5, sizeof(*back));
        /* Decode from a buffer of exactly n bytes. */
        uint8_t *exact = malloc(n);
        assert_non_null(exact);
        memcpy(exact, buf, n);
        assert_int_equal(dedup_fingerprint_decode(exact, n, back), 0);
        assert_memory_equal(fp, back, sizeof(*fp));
        /* Every shorter prefix is truncated; one more byte is too many. */
        for (size_t k = 0; k < n; k++) {
                uint8_t *p = malloc(k ? k : 1);
                memcpy(p, buf, k);
                if (dedup_fingerprint_decode(p, k, back) != -EINVAL)
                        fail_msg("a prefix of %zu of %zu bytes was accepted", k, n);
                free(p);
        }
        uint8_t *longer = malloc(n + 1);
        memcpy(longer, buf, n);
        longer[n] = 0;
        assert_int_equal(dedup_fingerprint_decode(longer, n + 1, back), -EINVAL);
        /* The capacity: exactly n bytes suffice, n - 1 do not. */
        assert_int_equal(dedup_fingerprint_encode(fp, exact, n), n);
        assert_int_equal(dedup_fingerprint_encode(fp, exact, n - 1), 0);
        free(longer);
        free(exact);
        free(back);
}

static void round_trip(void **state) {
        (void)state;
        struct dedup_fingerprint *fp = full();
        round_trip_one(fp);

        /* Unique: no duplicate_of, no similarity. */
        fp->status = DEDUP_UNIQUE;
        memset(fp->duplicate_of, 0, sizeof(fp->duplicate_of));
        fp->similarity = 0;
        round_trip_one(fp);
        /* No URL, no position (enrich), no sketch (a short text). */
        fp->has_url = false;
        fp->url_hash[0] = fp->url_hash[1] = 0;
        memset(fp->topic, 0, sizeof(fp->topic));
        fp->partition = 0;
        fp->offset = 0;
        fp->n_bands = 0;
        memset(fp->band_keys, 0, sizeof(fp->band_keys));
        fp->n_minhash = 0;
        memset(fp->minhash, 0, sizeof(fp->minhash));
        round_trip_one(fp);
        /* Extremes: negative times and offsets, the longest strings, every
         * band, the largest signature. */
        free(fp);
        fp = full();
        fp->status = DEDUP_DUPLICATE;
        fp->similarity = 1.0f;
        fp->event_time_ms = INT64_MIN;
        fp->partition = INT32_MIN;
        fp->offset = INT64_MAX;
        memset(fp->id, 'i', DEDUP_MAX_ID);
        memset(fp->duplicate_of, 'd', DEDUP_MAX_ID);
        memset(fp->topic, 't', DEDUP_MAX_TOPIC);
        fp->n_bands = DEDUP_MAX_BANDS;
        for (uint32_t i = 0; i < DEDUP_MAX_BANDS; i++)
                fp->band_keys[i] = UINT32_MAX - i;
        fp->n_minhash = DEDUP_MAX_SIG_BYTES;
        memset(fp->minhash, 0x5a, DEDUP_MAX_SIG_BYTES);
        fp->shingles = UINT32_MAX;
        round_trip_one(fp);
        free(fp);
}

static void refused_by_encode(void **state) {
        (void)state;
        uint8_t buf[DEDUP_FINGERPRINT_MAX_BYTES];
        struct dedup_fingerprint *fp = full();
        fp->id[0] = '\0';
        assert_int_equal(dedup_fingerprint_encode(fp, buf, sizeof(buf)), 0);       /* no id */
        free(fp);
        fp = full();
        fp->n_bands = DEDUP_MAX_BANDS + 1;
        assert_int_equal(dedup_fingerprint_encode(fp, buf, sizeof(buf)), 0);
        free(fp);
        fp = full();
        fp->n_minhash = DEDUP_MAX_SIG_BYTES + 1;
        assert_int_equal(dedup_fingerprint_encode(fp, buf, sizeof(buf)), 0);
        free(fp);
        fp = full();
        fp->status = (enum dedup_status)3;
        assert_int_equal(dedup_fingerprint_encode(fp, buf, sizeof(buf)), 0);
        free(fp);
}

static size_t encode_full(uint8_t *buf) {
        struct dedup_fingerprint *fp = full();
        size_t n = dedup_fingerprint_encode(fp, buf, DEDUP_FINGERPRINT_MAX_BYTES);
        free(fp);
        assert_true(n > 0);
        return n;
}

static void malformed(void **state) {
        (void)state;
        uint8_t buf[DEDUP_FINGERPRINT_MAX_BYTES], b[DEDUP_FINGERPRINT_MAX_BYTES];
        struct dedup_fingerprint *out = malloc(sizeof(*out));
        size_t n = encode_full(buf);
        assert_int_equal(dedup_fingerprint_decode(buf, n, out), 0);

        /* Unknown versions. */
        for (int v = 0; v < 256; v++) {
                if (v == 1)
                        continue;
                memcpy(b, buf, n);
                b[0] = (uint8_t)v;
                assert_int_equal(dedup_fingerprint_decode(b, n, out), -EINVAL);
        }
        /* Unknown flag bits and status 3. */
        for (int bit = 4; bit < 8; bit++) {
                memcpy(b, buf, n);
                b[1] |= (uint8_t)(1 << bit);
                assert_int_equal(dedup_fingerprint_decode(b, n, out), -EINVAL);
        }
        memcpy(b, buf, n);
        b[1] |= 0x0c;
        assert_int_equal(dedup_fingerprint_decode(b, n, out), -EINVAL);
        /* Nothing, and NULL. */
        assert_int_equal(dedup_fingerprint_decode(buf, 0, out), -EINVAL);
        assert_int_equal(dedup_fingerprint_decode(NULL, 0, out), -EINVAL);

        /* Hand-made: version, flags (unique, no URL, no position), hash, then
         * the rest; each case breaks one field. */
        struct {
                const char *what;
                uint8_t tail[16];
                size_t len;
        } cases[] = {
                { "an empty id", { 0x00, 0x00, 0x00, 0x00, 0x00 }, 5 },
                { "an id of 257 bytes", { 0x00, 0x81, 0x02 }, 3 },
                { "an id with a NUL", { 0x00, 0x02, 'a', 0x00, 0x00, 0x00, 0x00 }, 7 },
                { "an id past the end", { 0x00, 0x05, 'a', 'b' }, 4 },
                { "a varint of 11 bytes", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01 }, 11 },
                { "a varint above 64 bits", { 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02 }, 10 },
                { "65 bands", { 0x00, 0x01, 'a', 0x00, 65 }, 5 },
                { "a signature of 513 bytes", { 0x00, 0x01, 'a', 0x00, 0x00, 0x81, 0x04 }, 7 },
                { "shingles above 2^32", { 0x00, 0x01, 'a', 0x80, 0x80, 0x80, 0x80, 0x10, 0x00, 0x00 }, 10 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                size_t len = 2 + 16 + cases[i].len;
                uint8_t *p = calloc(1, len);
                p[0] = 1;
                memcpy(p + 18, cases[i].tail, cases[i].len);
                if (dedup_fingerprint_decode(p, len, out) != -EINVAL)
                        fail_msg("%s was accepted", cases[i].what);
                free(p);
        }
        /* The smallest valid one, for contrast. */
        uint8_t ok[2 + 16 + 6] = { 1, 0 };
        memcpy(ok + 18, (uint8_t[]){ 0x00, 0x01, 'a', 0x00, 0x00, 0x00 }, 6);
        assert_int_equal(dedup_fingerprint_decode(ok, sizeof(ok), out), 0);
        assert_string_equal(out->id, "a");

        /* A similarity that is not a number in [0, 1]. */
        float bad[] = { NAN, -0.5f, 1.5f, INFINITY };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct dedup_fingerprint *fp = full();
                fp->similarity = bad[i];
                size_t m = dedup_fingerprint_encode(fp, b, sizeof(b));
                assert_true(m > 0);
                assert_int_equal(dedup_fingerprint_decode(b, m, out), -EINVAL);
                free(fp);
        }
        free(out);
}

/* Random bytes, and valid fingerprints with random bytes flipped: decode
 * either refuses or returns a fingerprint that encodes and decodes to
 * itself. AddressSanitizer watches the reads. */
static void random_input(void **state) {
        (void)state;
        uint64_t s = 12345;
        uint8_t valid[DEDUP_FINGERPRINT_MAX_BYTES];
        size_t vn = encode_full(valid);
        struct dedup_fingerprint *out = malloc(sizeof(*out)), *again = malloc(sizeof(*again));
        uint8_t re[DEDUP_FINGERPRINT_MAX_BYTES];
        size_t accepted = 0;
        for (int iter = 0; iter < 20000; iter++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                size_t len;
                uint8_t *p;
                if (iter % 2) {
                        len = (size_t)(s >> 33) % 300;
                        p = malloc(len ? len : 1);
                        for (size_t i = 0; i < len; i++) {
                                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                                p[i] = (uint8_t)(s >> 56);
                        }
                        if (len)
                                p[0] = 1;        /* get past the version now and then */
                } else {
                        len = vn;
                        p = malloc(len);
                        memcpy(p, valid, len);
                        for (int k = 0; k < 3; k++) {
                                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                                p[(s >> 33) % len] ^= (uint8_t)(1u << ((s >> 20) & 7));
                        }
                }
                if (dedup_fingerprint_decode(p, len, out) == 0) {
                        accepted++;
                        size_t m = dedup_fingerprint_encode(out, re, sizeof(re));
                        assert_true(m > 0);
                        assert_int_equal(dedup_fingerprint_decode(re, m, again), 0);
                        assert_memory_equal(out, again, sizeof(*out));
                }
                free(p);
        }
        assert_true(accepted > 0);      /* flips in hashes and keys are still fingerprints */
        free(out);
        free(again);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(round_trip),
                cmocka_unit_test(refused_by_encode),
                cmocka_unit_test(malformed),
                cmocka_unit_test(random_input),
        };
        return cmocka_run_group_tests_name("dedup_fingerprint", tests, NULL, NULL);
}
