/* pipeline/dedup/index.c: verdicts (exact by content, by URL, by id; near;
 * unique), replays and re-deliveries, expiry by event time, eviction under
 * the memory cap, batches, fingerprints shared between two indexes, and
 * parameter changes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/dedup/dedup.h"

#define HOUR (3600LL * 1000)
#define T0 1613260800000LL       /* 2021-02-14 */

static struct dedup_params params(void) {
        return (struct dedup_params){
                .shingle_words = 4,      /* the defaults of dedup_config.c */
                .bands = 8,
                .rows = 1,
                .min_jaccard = 1,
                .min_containment = 0.25,
                .min_shingles = 20,
                .ttl_ms = 72 * HOUR,
                .max_memory_bytes = 256 << 20,
                .url_exact = true,
                .min_line_words = 5,
        };
}

/* Article `n`: 300 words of its own. Variant v > 0 has every v-th word
 * replaced. */
static uint64_t mix(uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

static char *body(uint64_t n, size_t words, size_t every) {
        static const char *const syl[] = { "ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "zu", "pe", "do", "gra" };
        char *t = malloc(words * 24 + 1);
        assert_non_null(t);
        size_t len = 0;
        for (size_t i = 0; i < words; i++) {
                uint64_t r = mix(n * 7919 + i);
                if (every && i % every == every / 2)
                        r = mix(r + 12345);
                unsigned v = (unsigned)(r % 20000);
                if (i)
                        t[len++] = i % 60 == 0 ? '\n' : ' ';
                do {
                        len += (size_t)sprintf(t + len, "%s", syl[v % 12]);
                        v /= 12;
                } while (v);
        }
        t[len] = '\0';
        return t;
}

struct fx {
        struct dedup_index *idx;
        struct dedup_fingerprint fp;
        struct dedup_verdict v;
        char *bodies[64];
        size_t n_bodies;
};

static int setup(void **state) {
        struct fx *f = calloc(1, sizeof(*f));
        struct dedup_params p = params();
        f->idx = dedup_index_new(&p);
        *state = f;
        return f && f->idx ? 0 : -1;
}

static int teardown(void **state) {
        struct fx *f = *state;
        dedup_index_free(f->idx);
        for (size_t i = 0; i < f->n_bodies; i++)
                free(f->bodies[i]);
        free(f);
        return 0;
}

static const char *keep(struct fx *f, char *b) {
        assert_true(f->n_bodies < 64);
        f->bodies[f->n_bodies++] = b;
        return b;
}

static enum dedup_status check(struct fx *f, const char *text, const char *url, const char *id, int64_t t,
                               int32_t partition, int64_t offset) {
        struct dedup_input in = {
                .body = text,
                .body_len = strlen(text),
                .url = url,
                .id = id,
                .event_time_ms = t,
                .topic = "articles.raw",
                .partition = partition,
                .offset = offset,
        };
        assert_int_equal(dedup_index_check(f->idx, &in, &f->v, &f->fp), 0);
        /* The fingerprint carries the verdict. */
        assert_int_equal(f->fp.status, f->v.status);
        assert_string_equal(f->fp.id, id);
        if (f->v.status == DEDUP_UNIQUE)
                assert_null(f->v.duplicate_of);
        else
                assert_string_equal(f->v.duplicate_of, f->fp.duplicate_of);
        return f->v.status;
}

static uint64_t entries(struct fx *f) {
        struct dedup_stats s;
        dedup_index_stats(f->idx, &s);
        return s.entries;
}

static void exact(void **state) {
        struct fx *f = *state;
        const char *a = keep(f, body(1, 300, 0));
        assert_int_equal(check(f, a, NULL, "a", T0, 0, 0), DEDUP_UNIQUE);
        char hash[33];
        memcpy(hash, f->v.content_hash, sizeof(hash));
        assert_int_equal(strlen(hash), 32);
        assert_true(f->v.similarity == 0);

        /* The same text with another id, other case and a menu line. */
        char *b = malloc(strlen(a) + 32);
        sprintf(b, "Menu\n%s", a);
        for (size_t i = 5; b[i]; i++)
                if (i % 50 == 0 && b[i] >= 'a' && b[i] <= 'z')
                        b[i] = (char)(b[i] - 32);
        keep(f, b);
        assert_int_equal(check(f, b, NULL, "b", T0 + 1000, 0, 1), DEDUP_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "a");
        assert_string_equal(f->v.content_hash, hash);
        assert_true(f->v.similarity == 1.0);
        assert_false(f->v.replay);

        /* Another text at the same URL (tracking parameters aside). */
        const char *c = keep(f, body(2, 300, 0));
        assert_int_equal(check(f, c, "https://www.example.com/news/1?utm_source=x", "c", T0, 0, 2), DEDUP_UNIQUE);
        const char *d = keep(f, body(3, 300, 0));
        assert_int_equal(check(f, d, "HTTPS://www.example.com:443/news/1#top", "d", T0, 0, 3), DEDUP_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "c");

        /* Not with url_exact off. */
        struct dedup_params p = params();
        p.url_exact = false;
        assert_int_equal(dedup_index_set_params(f->idx, &p), 0);
        const char *e = keep(f, body(4, 300, 0));
        assert_int_equal(check(f, e, "https://www.example.com/news/1", "e", T0, 0, 4), DEDUP_UNIQUE);
        assert_int_equal(entries(f), 5);
}

static void near(void **state) {
        struct fx *f = *state;
        const char *a = keep(f, body(10, 400, 0));
        assert_int_equal(check(f, a, NULL, "a", T0, 0, 0), DEDUP_UNIQUE);
        /* One word in twenty replaced. */
        const char *b = keep(f, body(10, 400, 20));
        assert_int_equal(check(f, b, NULL, "b", T0, 0, 1), DEDUP_NEAR_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "a");
        assert_true(f->v.similarity > 0.5 && f->v.similarity < 1.0);
        /* The first 60 % of it: contained. */
        char *c = strdup(a);
        c[strlen(c) * 6 / 10] = '\0';
        keep(f, c);
        assert_int_equal(check(f, c, NULL, "c", T0, 0, 2), DEDUP_NEAR_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "a");
        /* A copy of the near duplicate points at the first article too. */
        const char *d = keep(f, body(10, 400, 19));
        assert_int_equal(check(f, d, NULL, "d", T0, 0, 3), DEDUP_NEAR_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "a");
        /* Other texts are not. */
        for (int i = 0; i < 20; i++) {
                char id[16];
                snprintf(id, sizeof(id), "x%d", i);
                char *x = body(100 + (uint64_t)i, 400, 0);
                assert_int_equal(check(f, x, NULL, id, T0, 1, i), DEDUP_UNIQUE);
                free(x);
        }
        /* Too short for near matching: exact only. */
        const char *s1 = "one two three four five six seven eight nine ten eleven twelve";
        const char *s2 = "one two three four five six seven eight nine ten eleven twelve thirteen";
        assert_int_equal(check(f, s1, NULL, "s1", T0, 2, 0), DEDUP_UNIQUE);
        assert_int_equal(check(f, s2, NULL, "s2", T0, 2, 1), DEDUP_UNIQUE);
        assert_int_equal(check(f, s1, NULL, "s3", T0, 2, 2), DEDUP_DUPLICATE);
}

/* The same source position again gets the first verdict, whatever the index
 * learnt since; an article is never a duplicate of itself. */
static void replay(void **state) {
        struct fx *f = *state;
        const char *a = keep(f, body(20, 300, 0)), *b = keep(f, body(20, 300, 25));
        assert_int_equal(check(f, a, NULL, "a", T0, 3, 100), DEDUP_UNIQUE);
        assert_int_equal(check(f, a, NULL, "a2", T0, 3, 101), DEDUP_DUPLICATE);
        assert_int_equal(check(f, b, NULL, "b", T0, 3, 102), DEDUP_NEAR_DUPLICATE);
        double sim = f->v.similarity;
        uint64_t n = entries(f);

        assert_int_equal(check(f, a, NULL, "a", T0, 3, 100), DEDUP_UNIQUE);
        assert_true(f->v.replay);
        assert_int_equal(check(f, a, NULL, "a2", T0, 3, 101), DEDUP_DUPLICATE);
        assert_true(f->v.replay);
        assert_string_equal(f->v.duplicate_of, "a");
        assert_int_equal(check(f, b, NULL, "b", T0, 3, 102), DEDUP_NEAR_DUPLICATE);
        assert_true(f->v.replay);
        assert_string_equal(f->v.duplicate_of, "a");
        assert_true(f->v.similarity > sim - 1e-4 && f->v.similarity < sim + 1e-4);
        assert_int_equal(entries(f), n);       /* replays add nothing */

        /* Another topic at the same partition and offset is not a replay. */
        struct dedup_input in = { .body = a, .body_len = strlen(a), .id = "a", .event_time_ms = T0,
                                  .topic = "other", .partition = 3, .offset = 100 };
        assert_int_equal(dedup_index_check(f->idx, &in, &f->v, &f->fp), 0);
        assert_false(f->v.replay);
        assert_int_equal(f->v.status, DEDUP_DUPLICATE);
}

/* The same id at another position: a re-delivery, a duplicate of the first,
 * even with another text. */
static void redelivery(void **state) {
        struct fx *f = *state;
        const char *a = keep(f, body(30, 300, 0)), *z = keep(f, body(31, 300, 0));
        assert_int_equal(check(f, a, NULL, "same-id", T0, 0, 10), DEDUP_UNIQUE);
        assert_int_equal(check(f, a, NULL, "same-id", T0, 1, 10), DEDUP_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "same-id");
        assert_false(f->v.replay);
        assert_int_equal(check(f, z, NULL, "same-id", T0, 0, 11), DEDUP_DUPLICATE);
        assert_string_equal(f->v.duplicate_of, "same-id");
        /* Both re-deliveries replay as duplicates. */
        assert_int_equal(check(f, a, NULL, "same-id", T0, 1, 10), DEDUP_DUPLICATE);
        assert_true(f->v.replay);
        assert_int_equal(check(f, a, NULL, "same-id", T0, 0, 10), DEDUP_UNIQUE);
        assert_true(f->v.replay);
        /* Without a source position (ingestd enrich) there are no replays. */
        struct dedup_input in = { .body = a, .body_len = strlen(a), .id = "noposition", .event_time_ms = T0 };
        assert_int_equal(dedup_index_check(f->idx, &in, &f->v, &f->fp), 0);
        assert_int_equal(f->v.status, DEDUP_DUPLICATE);     /* of the text */
        assert_int_equal(dedup_index_check(f->idx, &in, &f->v, &f->fp), 0);
        assert_int_equal(f->v.status, DEDUP_DUPLICATE);
        assert_false(f->v.replay);
}

static void expiry(void **state) {
        struct fx *f = *state;
        const char *a = keep(f, body(40, 300, 0)), *b = keep(f, body(41, 300, 0)), *c = keep(f, body(42, 300, 0));
        assert_int_equal(check(f, a, NULL, "a", T0, 0, 0), DEDUP_UNIQUE);
        assert_int_equal(check(f, b, NULL, "b", T0 + 70 * HOUR, 0, 1), DEDUP_UNIQUE);
        assert_int_equal(entries(f), 2);
        /* 73 h after a: a is gone, b (3 h old) is not. */
        assert_int_equal(check(f, c, NULL, "c", T0 + 73 * HOUR, 0, 2), DEDUP_UNIQUE);
        struct dedup_stats s;
        dedup_index_stats(f->idx, &s);
        assert_int_equal(s.expired, 1);
        assert_int_equal(s.entries, 2);
        assert_int_equal(check(f, a, NULL, "a-again", T0 + 73 * HOUR, 0, 3), DEDUP_UNIQUE);
        assert_int_equal(check(f, b, NULL, "b-again", T0 + 73 * HOUR, 0, 4), DEDUP_DUPLICATE);
        /* An article older than the window gets a verdict but is not kept. */
        const char *old = keep(f, body(43, 300, 0));
        assert_int_equal(check(f, old, NULL, "old", T0, 0, 5), DEDUP_UNIQUE);
        assert_int_equal(check(f, old, NULL, "old-copy", T0 + 73 * HOUR, 0, 6), DEDUP_UNIQUE);
}

/* A date far in the future is taken as the clock's: it expires nothing that
 * the clock would keep. */
static void future_dates(void **state) {
        struct fx *f = *state;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t now = (int64_t)ts.tv_sec * 1000;
        const char *a = keep(f, body(45, 300, 0)), *future = keep(f, body(46, 300, 0));
        assert_int_equal(check(f, a, NULL, "recent", now - HOUR, 0, 0), DEDUP_UNIQUE);
        assert_int_equal(check(f, future, NULL, "future", 4102444800000LL /* 2100 */, 0, 1), DEDUP_UNIQUE);
        assert_int_equal(check(f, a, NULL, "recent-copy", now, 0, 2), DEDUP_DUPLICATE);
        assert_int_equal(entries(f), 3);
}

static void eviction(void **state) {
        struct fx *f = *state;
        dedup_index_free(f->idx);
        struct dedup_params p = params();
        p.max_memory_bytes = 1 << 20;
        f->idx = dedup_index_new(&p);
        assert_non_null(f->idx);
        char id[32];
        uint64_t n = 6000;
        for (uint64_t i = 0; i < n; i++) {
                char *t = body(1000 + i, 200, 0);
                snprintf(id, sizeof(id), "article-%llu", (unsigned long long)i);
                /* Event times in order, so the oldest are the first. */
                assert_int_equal(check(f, t, NULL, id, T0 + (int64_t)i * 1000, 0, (int64_t)i), DEDUP_UNIQUE);
                free(t);
        }
        struct dedup_stats s;
        dedup_index_stats(f->idx, &s);
        assert_true(s.memory_bytes <= p.max_memory_bytes);
        assert_true(s.evicted > 0);
        assert_int_equal(s.entries + s.evicted, n);
        /* The first ones are gone, the last ones are there. */
        char *first = body(1000, 200, 0), *last = body(1000 + n - 1, 200, 0);
        assert_int_equal(check(f, first, NULL, "first-again", T0 + (int64_t)n * 1000, 1, 0), DEDUP_UNIQUE);
        assert_int_equal(check(f, last, NULL, "last-again", T0 + (int64_t)n * 1000, 1, 1), DEDUP_DUPLICATE);
        free(first);
        free(last);
}

static void batches(void **state) {
        struct fx *f = *state;
        const char *a = keep(f, body(50, 300, 0)), *b = keep(f, body(51, 300, 0)), *c = keep(f, body(52, 300, 0));
        assert_int_equal(check(f, a, NULL, "a", T0, 0, 0), DEDUP_UNIQUE);

        dedup_index_begin(f->idx);
        assert_int_equal(check(f, b, NULL, "b", T0, 0, 1), DEDUP_UNIQUE);
        assert_int_equal(check(f, b, NULL, "b-copy", T0, 0, 2), DEDUP_DUPLICATE);
        assert_int_equal(entries(f), 3);
        dedup_index_abort(f->idx);
        assert_int_equal(entries(f), 1);
        /* Processed again after the abort: first-time verdicts, no replay. */
        assert_int_equal(check(f, b, NULL, "b-copy", T0, 0, 2), DEDUP_UNIQUE);
        assert_false(f->v.replay);
        assert_int_equal(check(f, a, NULL, "a", T0, 0, 0), DEDUP_UNIQUE);
        assert_true(f->v.replay);                 /* from before the batch: kept */

        dedup_index_begin(f->idx);
        assert_int_equal(check(f, c, NULL, "c", T0, 0, 3), DEDUP_UNIQUE);
        dedup_index_commit(f->idx);
        dedup_index_abort(f->idx);                /* nothing left to abort */
        assert_int_equal(check(f, c, NULL, "c", T0, 0, 3), DEDUP_UNIQUE);
        assert_true(f->v.replay);

        /* Fingerprints applied in a batch go too. */
        struct dedup_fingerprint fp = f->fp;
        snprintf(fp.id, sizeof(fp.id), "remote");
        fp.offset = 99;
        dedup_index_begin(f->idx);
        assert_int_equal(dedup_index_apply(f->idx, &fp), 1);
        assert_int_equal(entries(f), 4);
        dedup_index_abort(f->idx);
        assert_int_equal(entries(f), 3);
}

/* Two instances: what one saw, the other learns from its fingerprints. */
static void shared(void **state) {
        struct fx *f = *state;
        struct dedup_params p = params();
        struct dedup_index *other = dedup_index_new(&p);
        assert_non_null(other);
        const char *a = keep(f, body(60, 300, 0)), *a2 = keep(f, body(60, 300, 30));
        assert_int_equal(check(f, a, "https://example.com/a", "a", T0, 0, 0), DEDUP_UNIQUE);

        uint8_t buf[DEDUP_FINGERPRINT_MAX_BYTES];
        size_t len = dedup_fingerprint_encode(&f->fp, buf, sizeof(buf));
        assert_true(len > 0);
        struct dedup_fingerprint fp;
        assert_int_equal(dedup_fingerprint_decode(buf, len, &fp), 0);
        assert_int_equal(dedup_index_apply(other, &fp), 1);
        assert_int_equal(dedup_index_apply(other, &fp), 0);    /* idempotent */
        assert_int_equal(dedup_index_apply(f->idx, &fp), 0);   /* its own: known */

        struct dedup_verdict v;
        struct dedup_fingerprint out;
        struct dedup_input in = { .body = a2, .body_len = strlen(a2), .id = "a2", .event_time_ms = T0,
                                  .topic = "articles.raw", .partition = 1, .offset = 0 };
        assert_int_equal(dedup_index_check(other, &in, &v, &out), 0);
        assert_int_equal(v.status, DEDUP_NEAR_DUPLICATE);
        assert_string_equal(v.duplicate_of, "a");
        /* The other instance replays a's position after a rebalance: a's
         * verdict. */
        struct dedup_input ra = { .body = a, .body_len = strlen(a), .id = "a", .event_time_ms = T0,
                                  .topic = "articles.raw", .partition = 0, .offset = 0 };
        assert_int_equal(dedup_index_check(other, &ra, &v, &out), 0);
        assert_true(v.replay);
        assert_int_equal(v.status, DEDUP_UNIQUE);

        /* Out of the window: ignored. */
        fp.event_time_ms = T0 - 100 * HOUR;
        snprintf(fp.id, sizeof(fp.id), "ancient");
        assert_int_equal(dedup_index_apply(other, &fp), 0);
        struct dedup_stats s;
        dedup_index_stats(other, &s);
        assert_int_equal(s.applied, 1);
        assert_int_equal(s.ignored, 2);
        dedup_index_free(other);
}

static void parameters(void **state) {
        struct fx *f = *state;
        struct dedup_params p = params();
        p.bands = 0;
        assert_null(dedup_index_new(&p));
        p = params();
        p.bands = 64;
        p.rows = 17;
        assert_null(dedup_index_new(&p));

        const char *a = keep(f, body(70, 300, 0));
        assert_int_equal(check(f, a, NULL, "a", T0, 0, 0), DEDUP_UNIQUE);
        p = params();
        p.shingle_words = 5;
        assert_int_equal(dedup_index_set_params(f->idx, &p), -EBUSY);
        p = params();
        p.min_containment = 0.9;
        p.ttl_ms = 24 * HOUR;
        assert_int_equal(dedup_index_set_params(f->idx, &p), 0);
        p.min_jaccard = 2;
        assert_int_equal(dedup_index_set_params(f->idx, &p), -EINVAL);

        struct dedup_index *empty = dedup_index_new(&p);
        assert_null(empty);
        p = params();
        empty = dedup_index_new(&p);
        p.shingle_words = 3;
        assert_int_equal(dedup_index_set_params(empty, &p), 0);
        dedup_index_free(empty);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(exact),
                T(near),
                T(replay),
                T(redelivery),
                T(expiry),
                T(future_dates),
                T(eviction),
                T(batches),
                T(shared),
                T(parameters),
#undef T
        };
        return cmocka_run_group_tests_name("dedup_index", tests, NULL, NULL);
}
