/* pipeline/dedup/dedup_config.c: the [dedup] keys — documented, defaults
 * that validate and make a working index — and their reading into struct
 * dedup_params, overrides and refusals included. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedup/dedup_config.h"

static const struct config_key *const tables[] = { dedup_config_keys, NULL };

static void defaults(void **state) {
        (void)state;
        struct config *c = config_new(tables);
        assert_non_null(c);
        size_t n = 0;
        char *err = NULL;
        for (const struct config_key *k = dedup_config_keys; k->section; k++, n++) {
                assert_string_equal(k->section, "dedup");
                if (!k->doc || !*k->doc || !k->default_value)
                        fail_msg("dedup.%s: no documentation or default", k->name);
                if (config_set(c, k->section, k->name, k->default_value, "default", &err) < 0)
                        fail_msg("dedup.%s: the default does not validate: %s", k->name, err);
        }
        assert_true(n >= 13);
        struct dedup_params p;
        assert_int_equal(dedup_params_from_config(c, &p, &err), 0);
        assert_true(p.shingle_words >= 1 && p.bands >= 1 && p.rows >= 1);
        assert_int_equal(p.ttl_ms, 72LL * 3600 * 1000);
        assert_int_equal(p.max_memory_bytes, 1ULL << 30);
        assert_true(p.url_exact);
        struct dedup_index *idx = dedup_index_new(&p);
        assert_non_null(idx);
        dedup_index_free(idx);
        /* The policy keys are declared. */
        assert_string_equal(config_get_string(c, "dedup", "on_duplicate"), "publish");
        assert_string_equal(config_get_string(c, "dedup", "on_near_duplicate"), "publish");
        assert_string_equal(config_get_string(c, "dedup", "duplicates_topic"), "");
        config_free(c);
}

static void overrides(void **state) {
        (void)state;
        struct config *c = config_new(tables);
        char *err = NULL;
        assert_int_equal(config_load_string(c,
                                            "[dedup]\n"
                                            "shingle_words = 3\n"
                                            "bands = 20\n"
                                            "rows = 2\n"
                                            "min_jaccard = 0.6\n"
                                            "min_containment = 0.8\n"
                                            "ttl_hours = 24\n"
                                            "max_memory = 512MiB\n"
                                            "url_exact = no\n"
                                            "min_line_words = 0\n"
                                            "on_duplicate = drop\n",
                                            "test", &err),
                         0);
        struct dedup_params p;
        assert_int_equal(dedup_params_from_config(c, &p, &err), 0);
        assert_int_equal(p.shingle_words, 3);
        assert_int_equal(p.bands, 20);
        assert_int_equal(p.rows, 2);
        assert_true(p.min_jaccard == 0.6 && p.min_containment == 0.8);
        assert_int_equal(p.ttl_ms, 24LL * 3600 * 1000);
        assert_int_equal(p.max_memory_bytes, 512ULL << 20);
        assert_false(p.url_exact);
        assert_int_equal(p.min_line_words, 0);
        assert_string_equal(config_get_string(c, "dedup", "on_duplicate"), "drop");

        /* Out of range, or not a choice. */
        assert_int_equal(config_load_override(c, "dedup.bands=65", &err), -ERANGE);
        free(err);
        err = NULL;
        assert_int_equal(config_load_override(c, "dedup.on_near_duplicate=discard", &err), -EINVAL);
        free(err);
        err = NULL;
        assert_int_equal(config_load_override(c, "dedup.min_containment=1.5", &err), -ERANGE);
        free(err);
        err = NULL;

        /* Valid alone, not together: 64 bands of 32 rows. */
        assert_int_equal(config_load_override(c, "dedup.bands=64", &err), 0);
        assert_int_equal(config_load_override(c, "dedup.rows=32", &err), 0);
        assert_int_equal(dedup_params_from_config(c, &p, &err), -EINVAL);
        assert_non_null(err);
        assert_non_null(strstr(err, "dedup"));
        free(err);
        config_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(defaults),
                cmocka_unit_test(overrides),
        };
        return cmocka_run_group_tests_name("dedup_config", tests, NULL, NULL);
}
