/* Shared by the fuzz targets of tests/fuzz/.
 *
 * Each target is one file with one FUZZ_TARGET(name) { ... } body that takes
 * (data, size) and returns 0. Built with -Dfuzz=true, the body is libFuzzer's
 * LLVMFuzzerTestOneInput; built with -DFUZZ_REPLAY (the unit test
 * test_fuzz_regressions), it is fuzz_<name>(), so that the inputs under
 * tests/fuzz/regressions/<name>/ run through the very same code under the
 * normal sanitizer build.
 *
 * A broken invariant is reported with FUZZ_CHECK, which aborts: libFuzzer
 * saves the input as a crash, and the replay test fails. State that is
 * costly to build (the configuration, the pipeline) is built once, on the
 * first input (struct fuzz_env). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/settings.h"
#include "pipeline/pipeline.h"
#include "pipeline/utf8.h"

#ifdef FUZZ_REPLAY
#define FUZZ_TARGET(name)                                       \
        int fuzz_##name(const uint8_t *data, size_t size);      \
        int fuzz_##name(const uint8_t *data, size_t size)
#else
#define FUZZ_TARGET(name)                                                \
        int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);    \
        int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
#endif

#define FUZZ_CHECK(cond, ...)                                                           \
        do {                                                                            \
                if (!(cond)) {                                                          \
                        fprintf(stderr, "%s:%d: invariant broken: %s: ", __FILE__, __LINE__, #cond); \
                        fprintf(stderr, __VA_ARGS__);                                   \
                        fputc('\n', stderr);                                            \
                        abort();                                                        \
                }                                                                       \
        } while (0)

/* The configuration as the daemon builds it (every key table), with
 * "section.key=value" overrides (NULL-terminated, or NULL). Aborts when it
 * cannot be built: that is a bug of the target, not a finding. */
static inline struct config *fuzz_config_new(const char *const *overrides) {
        struct config *cfg = config_new(settings_tables());
        char *err = NULL;
        if (!cfg || config_set(cfg, "ingestd", "instance", "fuzz", "fuzz", &err) < 0) {
                fprintf(stderr, "fuzz: cannot build the configuration: %s\n", err ? err : "out of memory");
                abort();
        }
        for (size_t i = 0; overrides && overrides[i]; i++)
                if (config_load_override(cfg, overrides[i], &err) < 0) {
                        fprintf(stderr, "fuzz: -o %s: %s\n", overrides[i], err ? err : "?");
                        abort();
                }
        return cfg;
}

/* What a target builds once: one stage, or the whole pipeline, with the
 * configuration it was built from (kept alive beside it, as the daemon
 * does). A target frees it at exit (atexit), so that LeakSanitizer reports
 * only what an input leaked. */
struct fuzz_env {
        struct config *cfg;
        const struct stage *stage;      /* NULL: the whole pipeline */
        void *state;                    /* the stage's state, or the struct pipeline */
};

static inline void fuzz_env_init(struct fuzz_env *e, const struct stage *st, const char *const *overrides) {
        e->cfg = fuzz_config_new(overrides);
        e->stage = st;
        char *err = NULL;
        if (st && st->init && st->init(e->cfg, &e->state, &err) < 0) {
                fprintf(stderr, "fuzz: stage %s: %s\n", st->name, err ? err : "cannot start");
                abort();
        }
        if (!st && !(e->state = pipeline_new(e->cfg, &err))) {
                fprintf(stderr, "fuzz: pipeline_new: %s\n", err ? err : "?");
                abort();
        }
}

static inline void fuzz_env_free(struct fuzz_env *e) {
        if (e->stage && e->stage->fini && e->state)
                e->stage->fini(e->state);
        else if (!e->stage)
                pipeline_free(e->state);
        config_free(e->cfg);
        memset(e, 0, sizeof(*e));
}

static inline struct arena *fuzz_arena(void) {
        static struct arena *arena;
        if (!arena && !(arena = arena_new(64 * 1024)))
                abort();
        arena_reset(arena);
        return arena;
}

/* Whether s (len bytes) is well-formed UTF-8 without NUL. */
static inline bool fuzz_is_text(const char *s, size_t len) {
        return utf8_scan((const uint8_t *)s, len, NULL) && !memchr(s, '\0', len);
}

/* What a rejected article must carry: a code, a message, and a stage once
 * the pipeline has run. */
static inline void fuzz_check_rejection(const struct article *a, bool want_stage) {
        FUZZ_CHECK(a->error && *a->error, "rejected without an error code");
        FUZZ_CHECK(a->error_message, "rejected without a message (%s)", a->error);
        FUZZ_CHECK(!want_stage || a->error_stage, "rejected without a stage (%s)", a->error);
}
