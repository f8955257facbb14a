/* The normalize stage on any bytes as the body (as the text parser hands
 * it over: raw, possibly not UTF-8), with the first line also as the title.
 * An accepted article has a body that is well-formed UTF-8 in NFC, without
 * NUL or control characters other than line breaks, without blank runs,
 * trimmed; the title is one such line; and normalizing again changes
 * nothing. */
#include <utf8proc.h>

#include "fuzz.h"

static void check_tidy(const char *what, const char *s, size_t len, bool one_line) {
        FUZZ_CHECK(s[len] == '\0' && strlen(s) == len, "%s: length %zu, strlen %zu", what, len, strlen(s));
        FUZZ_CHECK(utf8_scan((const uint8_t *)s, len, NULL), "%s is not UTF-8", what);
        FUZZ_CHECK(len > 0 && s[0] != ' ' && s[0] != '\n' && s[len - 1] != ' ' && s[len - 1] != '\n',
                   "%s is not trimmed", what);
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                FUZZ_CHECK(c >= 0x20 || c == '\n', "%s holds control character 0x%02x at %zu", what, c, i);
                FUZZ_CHECK(c != 0x7F, "%s holds DEL at %zu", what, i);
                FUZZ_CHECK(!one_line || c != '\n', "%s holds a line break", what);
                if (i + 1 < len) {
                        FUZZ_CHECK(!(c == ' ' && (s[i + 1] == ' ' || s[i + 1] == '\n')), "%s: blank run at %zu",
                                   what, i);
                        FUZZ_CHECK(!(c == '\n' && s[i + 1] == ' '), "%s: line starts with a space at %zu", what, i);
                }
                if (i + 2 < len)
                        FUZZ_CHECK(!(c == '\n' && s[i + 1] == '\n' && s[i + 2] == '\n'), "%s: 3 line breaks at %zu",
                                   what, i);
        }
        for (size_t i = 0; i < len;) {
                uint32_t cp = 0;
                size_t n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
                FUZZ_CHECK(n, "%s: undecodable byte at %zu", what, i);
                FUZZ_CHECK(!(cp >= 0x80 && cp < 0xA0) && cp != 0x200B && cp != 0xFEFF && cp != 0xAD &&
                                   cp != 0x2028 && cp != 0x2029 && cp != 0xA0 && cp != 0x3000,
                           "%s holds U+%04X at %zu", what, (unsigned)cp, i);
                i += n;
        }
        utf8proc_uint8_t *n = utf8proc_NFC((const utf8proc_uint8_t *)s);
        FUZZ_CHECK(n, "utf8proc cannot read the %s", what);
        bool same = strcmp((const char *)n, s) == 0;
        free(n);
        FUZZ_CHECK(same, "%s is not in NFC", what);
}

static struct fuzz_env env;

static void env_free(void) {
        fuzz_env_free(&env);
}

FUZZ_TARGET(normalize) {
        if (!env.state) {
                fuzz_env_init(&env, &stage_normalize, NULL);
                atexit(env_free);
        }
        struct arena *ar = fuzz_arena();
        struct article a;
        article_init(&a, ar, data, size);
        /* As parse leaves it: a NUL-terminated copy in the arena. */
        a.body = arena_strndup(ar, (const char *)data, size);
        a.body_len = size;
        const uint8_t *nl = memchr(data, '\n', size);
        a.title = arena_strndup(ar, (const char *)data, nl ? (size_t)(nl - data) : size < 200 ? size : 200);
        a.id = arena_strdup(ar, "fuzz-id");
        FUZZ_CHECK(a.body && a.title && a.id, "out of memory");

        enum stage_verdict v = stage_normalize.process(env.state, &a);
        if (v == STAGE_REJECT) {
                fuzz_check_rejection(&a, false);
                return 0;
        }
        FUZZ_CHECK(v == STAGE_CONTINUE, "verdict %d", (int)v);
        check_tidy("body", a.body, a.body_len, false);
        if (a.title)
                check_tidy("title", a.title, strlen(a.title), true);
        FUZZ_CHECK(a.id && strcmp(a.id, "fuzz-id") == 0, "the id changed");

        /* Idempotent: the result goes through unchanged. */
        struct article b;
        article_init(&b, ar, (const uint8_t *)a.body, a.body_len);
        b.body = a.body;
        b.body_len = a.body_len;
        b.title = a.title;
        b.id = a.id;
        v = stage_normalize.process(env.state, &b);
        FUZZ_CHECK(v == STAGE_CONTINUE, "normalized body rejected the second time: %s", b.error);
        FUZZ_CHECK(b.body_len == a.body_len && memcmp(a.body, b.body, a.body_len) == 0,
                   "normalizing twice changes the body");
        FUZZ_CHECK((!a.title && !b.title) || (a.title && b.title && strcmp(a.title, b.title) == 0),
                   "normalizing twice changes the title");
        FUZZ_CHECK(b.utf8_replacements == 0 && !b.transcoded, "the normalized body was repaired again");
        return 0;
}
