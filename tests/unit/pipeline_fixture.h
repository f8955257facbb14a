/* Shared by the stage tests: the whole pipeline, built as the daemon builds
 * it (config_new(settings_tables()) plus `-o section.key=value` overrides),
 * and one article run through it.
 *
 * pf_run() copies the message into a heap buffer of exactly its length, so
 * that AddressSanitizer catches a stage reading one byte past the message
 * (a string literal's NUL would hide it).
 *
 * Usage with cmocka: `struct pf *f = *state = pf_new(...)` in the test and
 * pf_teardown as the test's teardown, so that a failing test frees too.
 * Include after <cmocka.h>. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/settings.h"
#include "pipeline/pipeline.h"

struct pf {
        struct config *cfg;
        struct pipeline *p;
        struct arena *arena;
        struct article a;
        void *raw;              /* the copy of the current message */
};

/* overrides: NULL-terminated "section.key=value" list, or NULL. */
static inline struct pf *pf_new(const char *const *overrides) {
        struct pf *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->cfg = config_new(settings_tables());
        assert_non_null(f->cfg);
        char *err = NULL;
        assert_int_equal(config_set(f->cfg, "ingestd", "instance", "unit-test", "test", &err), 0);
        for (size_t i = 0; overrides && overrides[i]; i++)
                if (config_load_override(f->cfg, overrides[i], &err) < 0)
                        fail_msg("-o %s: %s", overrides[i], err ? err : "?");
        f->p = pipeline_new(f->cfg, &err);
        if (!f->p)
                fail_msg("pipeline_new: %s", err ? err : "?");
        f->arena = arena_new(64 * 1024);
        assert_non_null(f->arena);
        return f;
}

static inline void pf_free(struct pf *f) {
        if (!f)
                return;
        pipeline_free(f->p);
        config_free(f->cfg);
        arena_free(f->arena);
        free(f->raw);
        free(f);
}

static inline int pf_teardown(void **state) {
        pf_free(*state);
        *state = NULL;
        return 0;
}

/* Runs one message; `src` (may be NULL) supplies the Kafka key, timestamp,
 * topic... */
static inline enum stage_verdict pf_run_src(struct pf *f, const void *raw, size_t len,
                                            const struct article_source *src) {
        free(f->raw);
        f->raw = malloc(len ? len : 1);
        assert_non_null(f->raw);
        if (len)
                memcpy(f->raw, raw, len);
        arena_reset(f->arena);
        article_init(&f->a, f->arena, f->raw, len);
        if (src)
                f->a.source = *src;
        return pipeline_process(f->p, &f->a);
}

static inline enum stage_verdict pf_run_src_str(struct pf *f, const char *s, const struct article_source *src) {
        return pf_run_src(f, s, strlen(s), src);
}

static inline enum stage_verdict pf_run(struct pf *f, const void *raw, size_t len) {
        return pf_run_src(f, raw, len, NULL);
}

static inline enum stage_verdict pf_run_str(struct pf *f, const char *s) {
        return pf_run(f, s, strlen(s));
}

/* Fails the test with the article's error unless it was accepted. */
static inline void pf_assert_accepted(const struct pf *f, enum stage_verdict v) {
        if (v != STAGE_CONTINUE)
                fail_msg("rejected by %s: %s (%s)", f->a.error_stage ? f->a.error_stage : "?",
                         f->a.error ? f->a.error : "?", f->a.error_message ? f->a.error_message : "");
}

static inline void pf_assert_rejected(const struct pf *f, enum stage_verdict v, const char *code, const char *stage) {
        if (v != STAGE_REJECT)
                fail_msg("accepted, expected %s from %s; body: \"%.80s\"", code, stage, f->a.body ? f->a.body : "");
        assert_string_equal(f->a.error, code);
        assert_string_equal(f->a.error_stage, stage);
        assert_non_null(f->a.error_message);
        assert_null(f->a.json);
}

/* The path in environment variable `name`, set by tests/unit/meson.build. */
static inline const char *pf_env_path(const char *name) {
        const char *p = getenv(name);
        if (!p || !*p)
                fail_msg("%s is not set (run the tests with `meson test`)", name);
        return p;
}

/* Reads a whole file into a malloc'd, NUL-terminated buffer. */
static inline char *pf_read_file(const char *path, size_t *ret_len) {
        FILE *fp = fopen(path, "rb");
        if (!fp)
                fail_msg("%s: %s", path, strerror(errno));
        char *buf = NULL;
        size_t len = 0, cap = 0;
        for (;;) {
                if (cap - len < 4096) {
                        cap = cap ? cap * 2 : 8192;
                        buf = realloc(buf, cap + 1);
                        assert_non_null(buf);
                }
                size_t n = fread(buf + len, 1, cap - len, fp);
                len += n;
                if (n == 0)
                        break;
        }
        fclose(fp);
        buf[len] = '\0';
        if (ret_len)
                *ret_len = len;
        return buf;
}

/* "name" → the path of tests/fixtures/unit/<name>, in a static buffer. */
static inline const char *pf_fixture(const char *name) {
        static char path[4096];
        snprintf(path, sizeof(path), "%s/%s", pf_env_path("INGESTD_TEST_FIXTURES"), name);
        return path;
}
