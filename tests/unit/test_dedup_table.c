/* pipeline/dedup/table.c: the index's Robin Hood table of (tag, entry)
 * slots — lookups of repeated tags, the per-tag cap, sweeping dead entries
 * out, rebuilding to other sizes — checked against a plain list after every
 * step of random workloads (few tags and many; loads up to 95 %). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pipeline/dedup/table.h"

#define N 2000

static uint64_t rng = 42;

static uint64_t next(void) {
        uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

struct model {
        uint32_t tag[N];
        bool alive[N], slotted[N];
        uint64_t dead[(N + 63) / 64];
        uint32_t n;
};

static void set_dead(struct model *m, uint32_t i) {
        m->dead[i >> 6] |= 1ULL << (i & 63);
}

/* Every live entry is found under its tag, exactly once; nothing else is. */
static void verify(const struct dedup_table *t, const struct model *m) {
        uint32_t slots = 0;
        for (uint32_t i = 0; i < m->n; i++) {
                if (!m->slotted[i])
                        continue;
                slots++;
                struct dedup_probe p;
                uint32_t e, found = 0;
                dedup_table_probe_start(t, m->tag[i], &p);
                while (dedup_table_probe_next(t, &p, &e)) {
                        assert_int_equal(m->tag[e], m->tag[i]);
                        found += e == i;
                }
                if (found != 1)
                        fail_msg("entry %u (tag %08x) found %u times", i, m->tag[i], found);
        }
        assert_int_equal(t->count, slots);
}

static void sweep_model(struct model *m) {
        for (uint32_t i = 0; i < m->n; i++)
                if (m->dead[i >> 6] >> (i & 63) & 1)
                        m->slotted[i] = false;
        memset(m->dead, 0, sizeof(m->dead));
}

static void workload(uint32_t n_tags, double max_load) {
        struct model *m = calloc(1, sizeof(*m));
        struct dedup_table t;
        assert_int_equal(dedup_table_init(&t, 64), 0);
        int checks = 0;
        for (int step = 0; step < 8000; step++) {
                uint64_t r = next() % 100;
                if (r < 60 && m->n < N) {
                        if (t.count + 1 > max_load * t.cap) {
                                uint32_t keep = 0;
                                for (uint32_t i = 0; i < m->n; i++)
                                        keep += m->slotted[i] && !(m->dead[i >> 6] >> (i & 63) & 1);
                                uint32_t cap = (uint32_t)((keep + 1) / (max_load * 0.8)) + 2;
                                if (cap < t.cap)
                                        cap = t.cap;
                                assert_int_equal(dedup_table_rebuild(&t, cap, m->dead), 0);
                                sweep_model(m);
                        }
                        uint32_t i = m->n++;
                        m->tag[i] = n_tags ? (uint32_t)(next() % n_tags) * 0x9e3779b1u : (uint32_t)next();
                        m->alive[i] = m->slotted[i] = true;
                        dedup_table_insert(&t, m->tag[i], i);
                } else if (r < 85 && m->n) {
                        uint32_t i = (uint32_t)(next() % m->n);
                        if (m->alive[i]) {
                                m->alive[i] = false;
                                set_dead(m, i);
                        }
                } else if (r < 93) {
                        dedup_table_sweep(&t, m->dead);
                        sweep_model(m);
                        if (++checks % 8 == 0)
                                verify(&t, m);
                } else {
                        uint32_t keep = 0;
                        for (uint32_t i = 0; i < m->n; i++)
                                keep += m->slotted[i] && !(m->dead[i >> 6] >> (i & 63) & 1);
                        uint32_t cap = keep + 2 + (uint32_t)(next() % (2 * keep + 8));
                        assert_int_equal(dedup_table_rebuild(&t, cap, m->dead), 0);
                        sweep_model(m);
                        if (++checks % 8 == 0)
                                verify(&t, m);
                }
        }
        dedup_table_sweep(&t, m->dead);
        sweep_model(m);
        verify(&t, m);
        dedup_table_free(&t);
        free(m);
}

static void random_tags(void **state) {
        (void)state;
        workload(0, 0.85);
        workload(0, 0.95);
}

static void repeated_tags(void **state) {
        (void)state;
        workload(3, 0.85);        /* long runs of one tag */
        workload(50, 0.9);
        workload(1000, 0.95);
}

static void capped_insert(void **state) {
        (void)state;
        struct dedup_table t;
        assert_int_equal(dedup_table_init(&t, 1000), 0);
        for (uint32_t i = 0; i < 40; i++)
                dedup_table_insert(&t, 7 + (i % 2) * 0x80000000u, 1000 + i);   /* two tags, 20 each */
        assert_true(dedup_table_insert_max(&t, 7, 1, 21));
        assert_false(dedup_table_insert_max(&t, 7, 2, 21));    /* 21 there now */
        assert_true(dedup_table_insert_max(&t, 8, 3, 1));
        assert_false(dedup_table_insert_max(&t, 8, 4, 1));
        assert_int_equal(t.count, 42);
        struct dedup_probe p;
        uint32_t e, n = 0;
        dedup_table_probe_start(&t, 7, &p);
        while (dedup_table_probe_next(&t, &p, &e))
                n++;
        assert_int_equal(n, 21);
        /* Tags at the top of the range wrap around the end of the table. */
        for (uint32_t i = 0; i < 30; i++)
                dedup_table_insert(&t, 0xffffffffu - i, 2000 + i);
        uint64_t dead[64] = { 0 };
        assert_int_equal(dedup_table_rebuild(&t, 97, dead), 0);
        for (uint32_t i = 0; i < 30; i++) {
                dedup_table_probe_start(&t, 0xffffffffu - i, &p);
                assert_true(dedup_table_probe_next(&t, &p, &e));
                assert_int_equal(e, 2000 + i);
        }
        assert_int_equal(t.count, 72);
        dedup_table_free(&t);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(random_tags),
                cmocka_unit_test(repeated_tags),
                cmocka_unit_test(capped_insert),
        };
        return cmocka_run_group_tests_name("dedup_table", tests, NULL, NULL);
}
