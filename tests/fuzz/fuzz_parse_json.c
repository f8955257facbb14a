/* The parse stage on any bytes read as a JSON article (parse.format =
 * json): either a rejection with a code and a message, or an article whose
 * body is a non-empty string and whose fields are NUL-terminated. */
#include "fuzz.h"

static struct fuzz_env env;

static void env_free(void) {
        fuzz_env_free(&env);
}

FUZZ_TARGET(parse_json) {
        if (!env.state) {
                static const char *const overrides[] = { "parse.format=json", NULL };
                fuzz_env_init(&env, &stage_parse, overrides);
                atexit(env_free);
        }
        struct article a;
        article_init(&a, fuzz_arena(), data, size);
        enum stage_verdict v = stage_parse.process(env.state, &a);
        if (v == STAGE_REJECT) {
                fuzz_check_rejection(&a, false);
                return 0;
        }
        FUZZ_CHECK(v == STAGE_CONTINUE, "verdict %d", (int)v);
        FUZZ_CHECK(a.format == ARTICLE_FORMAT_JSON, "format %d", (int)a.format);
        FUZZ_CHECK(a.body && a.body_len > 0 && a.body[a.body_len] == '\0', "body of %zu bytes", a.body_len);
        /* jansson hands out valid UTF-8 only (repaired before parsing). */
        FUZZ_CHECK(utf8_scan((const uint8_t *)a.body, a.body_len, NULL), "body is not UTF-8");
        FUZZ_CHECK(a.id && a.id_origin, "no id");
        FUZZ_CHECK(a.n_authors <= ARTICLE_MAX_AUTHORS, "%zu authors", a.n_authors);
        for (size_t i = 0; i < a.n_authors; i++)
                FUZZ_CHECK(a.authors[i], "author %zu is NULL", i);
        return 0;
}
