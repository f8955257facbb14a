/* The clean stage on any text, as it receives it: the bytes go through
 * normalize first (the clean stage works on normalized text), then clean.
 * An accepted article keeps a body that is well-formed UTF-8 without NUL,
 * no longer than before (lines are removed, mojibake is repaired to the
 * shorter original), with its length right; a title stays well-formed. */
#include "fuzz.h"

static struct fuzz_env normalize, clean;

static void env_free(void) {
        fuzz_env_free(&normalize);
        fuzz_env_free(&clean);
}

FUZZ_TARGET(clean) {
        if (!clean.state) {
                fuzz_env_init(&normalize, &stage_normalize, NULL);
                fuzz_env_init(&clean, &stage_clean, NULL);
                atexit(env_free);
        }
        struct arena *ar = fuzz_arena();
        struct article a;
        article_init(&a, ar, data, size);
        a.body = arena_strndup(ar, (const char *)data, size);
        a.body_len = size;
        const uint8_t *nl = memchr(data, '\n', size);
        a.title = arena_strndup(ar, (const char *)data, nl ? (size_t)(nl - data) : size < 200 ? size : 200);
        a.id = arena_strdup(ar, "fuzz-id");
        FUZZ_CHECK(a.body && a.title && a.id, "out of memory");
        if (stage_normalize.process(normalize.state, &a) != STAGE_CONTINUE)
                return 0;

        size_t before = a.body_len;
        enum stage_verdict v = stage_clean.process(clean.state, &a);
        if (v == STAGE_REJECT) {
                fuzz_check_rejection(&a, false);
                return 0;
        }
        FUZZ_CHECK(v == STAGE_CONTINUE, "verdict %d", (int)v);
        FUZZ_CHECK(a.clean.done, "the stage did not say it ran");
        FUZZ_CHECK(a.body && a.body_len > 0 && a.body[a.body_len] == '\0' && strlen(a.body) == a.body_len,
                   "body of %zu bytes", a.body_len);
        FUZZ_CHECK(a.body_len <= before, "the body grew from %zu to %zu bytes", before, a.body_len);
        FUZZ_CHECK(fuzz_is_text(a.body, a.body_len), "the body is not UTF-8");
        FUZZ_CHECK(!a.title || fuzz_is_text(a.title, strlen(a.title)), "the title is not UTF-8");
        FUZZ_CHECK(!a.clean.dateline || fuzz_is_text(a.clean.dateline, strlen(a.clean.dateline)),
                   "the dateline is not UTF-8");
        return 0;
}
