/* The parse stage on any bytes read as plain text with a header
 * (parse.format = text): a message is either rejected with a code and a
 * message, or gives an article with an id and a body of at most the
 * message's bytes. */
#include "fuzz.h"

static struct fuzz_env env;

static void env_free(void) {
        fuzz_env_free(&env);
}

FUZZ_TARGET(parse_text) {
        if (!env.state) {
                static const char *const overrides[] = { "parse.format=text", NULL };
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
        FUZZ_CHECK(a.format == ARTICLE_FORMAT_TEXT, "format %d", (int)a.format);
        FUZZ_CHECK(a.body && a.body_len <= size && a.body[a.body_len] == '\0', "body of %zu bytes from %zu",
                   a.body_len, size);
        FUZZ_CHECK(a.id && a.id_origin, "no id");
        FUZZ_CHECK(!a.published_at || a.published_at_origin, "a date without its origin");
        return 0;
}
