/* Decoding a fingerprint read from the shared fingerprints topic, where any
 * bytes may turn up: dedup_fingerprint_decode() either refuses them or
 * gives a fingerprint whose strings are terminated and whose counts are in
 * range, and that encodes and decodes back to the same fingerprint (and to
 * the same bytes). */
#include "fuzz.h"
#include "pipeline/dedup/dedup.h"

static void check_sane(const struct dedup_fingerprint *fp) {
        FUZZ_CHECK(fp->n_bands <= DEDUP_MAX_BANDS, "%u bands", (unsigned)fp->n_bands);
        FUZZ_CHECK(fp->n_minhash <= sizeof(fp->minhash), "%u minhash values", (unsigned)fp->n_minhash);
        FUZZ_CHECK(memchr(fp->id, '\0', sizeof(fp->id)), "id not terminated");
        FUZZ_CHECK(memchr(fp->topic, '\0', sizeof(fp->topic)), "topic not terminated");
        FUZZ_CHECK(memchr(fp->duplicate_of, '\0', sizeof(fp->duplicate_of)), "duplicate_of not terminated");
        FUZZ_CHECK(fp->status == DEDUP_UNIQUE || fp->status == DEDUP_DUPLICATE || fp->status == DEDUP_NEAR_DUPLICATE,
                   "status %d", (int)fp->status);
}

static void check_equal(const struct dedup_fingerprint *a, const struct dedup_fingerprint *b) {
        FUZZ_CHECK(memcmp(a->content_hash, b->content_hash, sizeof(a->content_hash)) == 0, "content_hash");
        FUZZ_CHECK(a->has_url == b->has_url, "has_url");
        FUZZ_CHECK(!a->has_url || memcmp(a->url_hash, b->url_hash, sizeof(a->url_hash)) == 0, "url_hash");
        FUZZ_CHECK(a->n_bands == b->n_bands &&
                           memcmp(a->band_keys, b->band_keys, a->n_bands * sizeof(a->band_keys[0])) == 0,
                   "band keys");
        FUZZ_CHECK(a->shingles == b->shingles, "shingles");
        FUZZ_CHECK(a->n_minhash == b->n_minhash, "n_minhash");
        FUZZ_CHECK(memcmp(a->minhash, b->minhash, sizeof(a->minhash)) == 0, "minhash");
        FUZZ_CHECK(a->event_time_ms == b->event_time_ms, "event_time_ms");
        FUZZ_CHECK(strcmp(a->id, b->id) == 0, "id");
        FUZZ_CHECK(strcmp(a->topic, b->topic) == 0, "topic");
        FUZZ_CHECK(a->partition == b->partition && a->offset == b->offset, "source position");
        FUZZ_CHECK(a->status == b->status, "status");
        FUZZ_CHECK(strcmp(a->duplicate_of, b->duplicate_of) == 0, "duplicate_of");
        FUZZ_CHECK(memcmp(&a->similarity, &b->similarity, sizeof(a->similarity)) == 0, "similarity");
}

FUZZ_TARGET(dedup_fingerprint) {
        static struct dedup_fingerprint fp, fp2, fp3;
        memset(&fp, 0, sizeof(fp));
        if (dedup_fingerprint_decode(data, size, &fp) != 0)
                return 0;
        check_sane(&fp);

        static uint8_t buf[DEDUP_FINGERPRINT_MAX_BYTES], buf2[DEDUP_FINGERPRINT_MAX_BYTES];
        size_t n = dedup_fingerprint_encode(&fp, buf, sizeof(buf));
        FUZZ_CHECK(n > 0 && n <= sizeof(buf), "a decoded fingerprint does not encode (%zu bytes)", n);
        memset(&fp2, 0, sizeof(fp2));
        FUZZ_CHECK(dedup_fingerprint_decode(buf, n, &fp2) == 0, "an encoded fingerprint does not decode");
        check_equal(&fp, &fp2);

        size_t n2 = dedup_fingerprint_encode(&fp2, buf2, sizeof(buf2));
        FUZZ_CHECK(n2 == n && memcmp(buf, buf2, n) == 0, "encoding is not stable");
        /* Cut short, the encoding is refused, never read past its end. */
        if (n > 1) {
                memset(&fp3, 0, sizeof(fp3));
                FUZZ_CHECK(dedup_fingerprint_decode(buf, n - 1, &fp3) != 0, "a truncated fingerprint decodes");
        }
        return 0;
}
