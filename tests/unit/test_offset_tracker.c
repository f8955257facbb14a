/* daemon/offset_tracker.c: at-least-once bookkeeping. A position is stored
 * only over contiguously acknowledged offsets, as last offset + 1; revoked
 * partitions store nothing and survive late acknowledgements (run under ASan
 * to catch a use after free); an abandoned offset blocks its partition. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/offset_tracker.h"

#define MAX_STORES 64

/* What the tracker asked to store, in order. */
struct stores {
        struct {
                char topic[64];
                int32_t partition;
                int64_t next_offset;
        } s[MAX_STORES];
        size_t n;
};

struct ctx {
        struct offset_tracker *t;
        struct stores stores;
};

static void on_store(const char *topic, int32_t partition, int64_t next_offset, void *userdata) {
        struct stores *st = userdata;
        assert_true(st->n < MAX_STORES);
        snprintf(st->s[st->n].topic, sizeof(st->s[0].topic), "%s", topic);
        st->s[st->n].partition = partition;
        st->s[st->n].next_offset = next_offset;
        st->n++;
}

static int setup(void **state) {
        struct ctx *x = calloc(1, sizeof(*x));
        if (!x)
                return -1;
        x->t = offset_tracker_new(on_store, &x->stores);
        *state = x;
        return x->t ? 0 : -1;
}

static int teardown(void **state) {
        struct ctx *x = *state;
        offset_tracker_free(x->t);
        free(x);
        return 0;
}

static struct offset_handle *begin(struct ctx *x, const char *topic, int32_t partition, int64_t offset) {
        struct offset_handle *h = offset_tracker_begin(x->t, topic, partition, offset);
        assert_non_null(h);
        return h;
}

static void assert_last_store(const struct ctx *x, const char *topic, int32_t partition, int64_t next) {
        assert_true(x->stores.n > 0);
        const char *t = x->stores.s[x->stores.n - 1].topic;
        int32_t p = x->stores.s[x->stores.n - 1].partition;
        int64_t o = x->stores.s[x->stores.n - 1].next_offset;
        if (strcmp(t, topic) != 0 || p != partition || o != next)
                fail_msg("last store %s/%d @%lld, expected %s/%d @%lld", t, p, (long long)o, topic, partition,
                         (long long)next);
}

static void stores_offset_plus_one(void **state) {
        struct ctx *x = *state;
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), -1);
        struct offset_handle *h = begin(x, "in", 0, 41);
        assert_int_equal(x->stores.n, 0);
        offset_tracker_done(x->t, h);
        assert_int_equal(x->stores.n, 1);
        /* The next offset to read, as rd_kafka_offsets_store() wants. */
        assert_last_store(x, "in", 0, 42);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), 42);
}

static void advances_contiguously(void **state) {
        struct ctx *x = *state;
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);
        struct offset_handle *h5 = begin(x, "in", 0, 5), *h6 = begin(x, "in", 0, 6), *h7 = begin(x, "in", 0, 7);
        offset_tracker_done(x->t, h5);
        assert_int_equal(x->stores.n, 1);
        assert_last_store(x, "in", 0, 6);
        offset_tracker_done(x->t, h7);   /* 6 is outstanding: 7 cannot be committed yet */
        assert_int_equal(x->stores.n, 1);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), 6);
        offset_tracker_done(x->t, h6);   /* 6 and 7 at once */
        assert_int_equal(x->stores.n, 2);
        assert_last_store(x, "in", 0, 8);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void out_of_order_from_the_start(void **state) {
        struct ctx *x = *state;
        struct offset_handle *h[3];
        for (int i = 0; i < 3; i++)
                h[i] = begin(x, "in", 0, 5 + i);
        offset_tracker_done(x->t, h[0]);   /* 5 */
        offset_tracker_done(x->t, h[2]);   /* 7 */
        assert_int_equal(x->stores.n, 1);
        assert_last_store(x, "in", 0, 6);
        offset_tracker_done(x->t, h[1]);   /* 6 → 8 */
        assert_last_store(x, "in", 0, 8);
}

static void gaps_in_offsets(void **state) {
        struct ctx *x = *state;
        /* Compacted topics and transaction markers leave holes. */
        struct offset_handle *a = begin(x, "in", 0, 10), *b = begin(x, "in", 0, 15);
        offset_tracker_done(x->t, b);
        assert_int_equal(x->stores.n, 0);
        offset_tracker_done(x->t, a);
        assert_last_store(x, "in", 0, 16);
}

static void many_offsets_reverse_order(void **state) {
        struct ctx *x = *state;
        enum { N = 1000 };   /* more than the ring's first capacity */
        struct offset_handle **h = calloc(N, sizeof(*h));
        assert_non_null(h);
        for (int i = 0; i < N; i++)
                h[i] = begin(x, "in", 3, 100 + i);
        assert_int_equal(offset_tracker_in_flight(x->t), N);
        for (int i = N - 1; i > 0; i--)
                offset_tracker_done(x->t, h[i]);
        assert_int_equal(x->stores.n, 0);
        assert_int_equal(offset_tracker_in_flight(x->t), 1);
        offset_tracker_done(x->t, h[0]);
        free(h);
        assert_int_equal(x->stores.n, 1);
        assert_last_store(x, "in", 3, 100 + N);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void partitions_are_independent(void **state) {
        struct ctx *x = *state;
        struct offset_handle *a0 = begin(x, "in", 0, 1), *a1 = begin(x, "in", 1, 1), *b0 = begin(x, "other", 0, 1);
        struct offset_handle *a0b = begin(x, "in", 0, 2);
        assert_int_equal(offset_tracker_in_flight(x->t), 4);
        offset_tracker_done(x->t, a1);
        assert_last_store(x, "in", 1, 2);
        offset_tracker_done(x->t, b0);
        assert_last_store(x, "other", 0, 2);
        offset_tracker_done(x->t, a0b);   /* in/0 still waits for offset 1 */
        assert_int_equal(x->stores.n, 2);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), -1);
        offset_tracker_done(x->t, a0);
        assert_last_store(x, "in", 0, 3);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void revoke_with_outstanding_handles(void **state) {
        struct ctx *x = *state;
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);
        struct offset_handle *h10 = begin(x, "in", 0, 10), *h11 = begin(x, "in", 0, 11), *h12 = begin(x, "in", 0, 12);
        offset_tracker_done(x->t, h10);
        assert_int_equal(x->stores.n, 1);
        offset_tracker_revoke(x->t, "in", 0);
        assert_int_equal(offset_tracker_in_flight(x->t), 2);
        /* Late delivery reports for a partition we no longer own: no store,
         * and no touching freed memory. */
        offset_tracker_done(x->t, h11);
        offset_tracker_done(x->t, h12);
        assert_int_equal(x->stores.n, 1);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
        /* Revoking again, or an unknown partition, is harmless. */
        offset_tracker_revoke(x->t, "in", 0);
        offset_tracker_revoke(x->t, "nosuch", 9);
}

static void revoke_then_reassign(void **state) {
        struct ctx *x = *state;
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);
        struct offset_handle *old = begin(x, "in", 0, 20);
        offset_tracker_revoke(x->t, "in", 0);
        /* The partition comes back before the old record is acknowledged,
         * and offset 20 is delivered again. */
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);
        struct offset_handle *again = begin(x, "in", 0, 20);
        offset_tracker_done(x->t, again);
        assert_int_equal(x->stores.n, 1);
        assert_last_store(x, "in", 0, 21);
        offset_tracker_done(x->t, old);   /* belongs to the revoked assignment: nothing stored */
        assert_int_equal(x->stores.n, 1);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), 21);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void revoke_then_free_with_nothing_outstanding(void **state) {
        struct ctx *x = *state;
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);
        assert_int_equal(offset_tracker_assign(x->t, "in", 0), 0);   /* idempotent */
        offset_tracker_done(x->t, begin(x, "in", 0, 1));
        offset_tracker_revoke(x->t, "in", 0);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void abandon_blocks_the_partition(void **state) {
        struct ctx *x = *state;
        struct offset_handle *h1 = begin(x, "in", 0, 1), *h2 = begin(x, "in", 0, 2), *h3 = begin(x, "in", 0, 3);
        struct offset_handle *other = begin(x, "in", 1, 1);
        offset_tracker_done(x->t, h1);
        assert_last_store(x, "in", 0, 2);
        offset_tracker_abandon(x->t, h2);
        assert_int_equal(offset_tracker_in_flight(x->t), 2);
        offset_tracker_done(x->t, h3);
        /* 2 was never acknowledged: neither it nor 3 may be committed. */
        assert_int_equal(x->stores.n, 1);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), 2);
        struct offset_handle *h4 = begin(x, "in", 0, 4);
        offset_tracker_done(x->t, h4);
        assert_int_equal(x->stores.n, 1);
        /* Other partitions go on. */
        offset_tracker_done(x->t, other);
        assert_last_store(x, "in", 1, 2);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void abandon_first(void **state) {
        struct ctx *x = *state;
        struct offset_handle *h1 = begin(x, "in", 0, 1), *h2 = begin(x, "in", 0, 2);
        offset_tracker_abandon(x->t, h1);
        offset_tracker_done(x->t, h2);
        assert_int_equal(x->stores.n, 0);
        assert_int_equal(offset_tracker_stored(x->t, "in", 0), -1);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void in_flight_counts(void **state) {
        struct ctx *x = *state;
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
        struct offset_handle *a = begin(x, "in", 0, 1);
        struct offset_handle *b = begin(x, "in", 1, 1);
        struct offset_handle *c = begin(x, "in", 0, 2);
        assert_int_equal(offset_tracker_in_flight(x->t), 3);
        offset_tracker_done(x->t, c);
        assert_int_equal(offset_tracker_in_flight(x->t), 2);
        offset_tracker_abandon(x->t, b);
        assert_int_equal(offset_tracker_in_flight(x->t), 1);
        offset_tracker_revoke(x->t, "in", 0);
        assert_int_equal(offset_tracker_in_flight(x->t), 1);
        offset_tracker_done(x->t, a);
        assert_int_equal(offset_tracker_in_flight(x->t), 0);
}

static void no_store_callback(void **state) {
        struct offset_tracker *t = offset_tracker_new(NULL, NULL);
        assert_non_null(t);
        struct offset_handle *h = offset_tracker_begin(t, "in", 0, 7);
        assert_non_null(h);
        offset_tracker_done(t, h);
        assert_int_equal(offset_tracker_stored(t, "in", 0), 8);
        offset_tracker_free(t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(stores_offset_plus_one),
                T(advances_contiguously),
                T(out_of_order_from_the_start),
                T(gaps_in_offsets),
                T(many_offsets_reverse_order),
                T(partitions_are_independent),
                T(revoke_with_outstanding_handles),
                T(revoke_then_reassign),
                T(revoke_then_free_with_nothing_outstanding),
                T(abandon_blocks_the_partition),
                T(abandon_first),
                T(in_flight_counts),
                cmocka_unit_test(no_store_callback),
#undef T
        };
        return cmocka_run_group_tests_name("offset_tracker", tests, NULL, NULL);
}
