/* The normalize stage (pipeline/stage_normalize.c), through the pipeline:
 * encodings (Windows-1252 fallback, U+FFFD repair, rejection), NFC, and
 * whitespace and invisible characters in the body and the short fields. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pipeline_fixture.h"

/* Runs `in` as a text message (no header) and checks the normalized body. */
static void body_is(struct pf *f, const char *in, size_t in_len, const char *want) {
        enum stage_verdict v = pf_run(f, in, in_len);
        pf_assert_accepted(f, v);
        if (strcmp(f->a.body, want) != 0)
                fail_msg("body \"%s\", expected \"%s\"", f->a.body, want);
        assert_int_equal(f->a.body_len, strlen(want));
}

#define BODY_IS(f, in, want) body_is(f, in, sizeof(in) - 1, want)

/* --- encodings --------------------------------------------------------------- */

static void latin1_is_transcoded(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "caf\xe9", "caf\xc3\xa9");
        assert_true(f->a.transcoded);
        assert_int_equal(f->a.utf8_replacements, 0);
        BODY_IS(f, "Le caf\xe9 est tr\xe8s bon \xe0 Paris, o\xf9 il fait beau. Gr\xfc\xdf" "e, a\xf1o.",
                "Le caf\xc3\xa9 est tr\xc3\xa8s bon \xc3\xa0 Paris, o\xc3\xb9 il fait beau. Gr\xc3\xbc\xc3\x9f" "e, a\xc3\xb1o.");
        assert_true(f->a.transcoded);
}

static void windows1252_is_transcoded(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* Curly quotes, the euro sign and an en dash live in 0x80-0x9F. */
        BODY_IS(f, "\x93Hello\x94 costs \x80" "5 \x96 cheap", "\xe2\x80\x9cHello\xe2\x80\x9d costs \xe2\x82\xac" "5 \xe2\x80\x93 cheap");
        assert_true(f->a.transcoded);
}

static void utf8_is_not_transcoded(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "caf\xc3\xa9 Navalny\xe2\x80\x99s", "caf\xc3\xa9 Navalny\xe2\x80\x99s");
        assert_false(f->a.transcoded);
        assert_int_equal(f->a.utf8_replacements, 0);
}

static void without_fallback_latin1_is_rejected(void **state) {
        static const char *const o[] = { "normalize.fallback_encoding=", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_rejected(f, pf_run_str(f, "caf\xe9"), "invalid_utf8", "normalize");
}

static void bytes_undefined_in_windows1252_are_rejected(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run_str(f, "caf\xe9 \x81\x8d\x8f\x90\x9d"), "invalid_utf8", "normalize");
}

static void few_broken_bytes_are_replaced(void **state) {
        struct pf *f = *state = pf_new(NULL);
        char text[512] = "";
        for (int i = 0; i < 10; i++)
                strcat(text, "Navalny\xe2\x80\x99s allies have suspended protests. ");
        strcat(text, "Broken: \xff end.");
        pf_assert_accepted(f, pf_run_str(f, text));
        assert_int_equal(f->a.utf8_replacements, 1);
        assert_false(f->a.transcoded);
        assert_non_null(strstr(f->a.body, "Broken: \xef\xbf\xbd end."));
}

static void many_broken_bytes_are_rejected(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run_str(f, "Navalny\xe2\x80\x99s \xff\xfe\xfd allies"), "invalid_utf8", "normalize");
}

static void binary_garbage_is_rejected(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* Pseudo-random bytes, as in a compressed or encrypted payload. */
        uint8_t junk[4096];
        uint32_t seed = 2021;
        for (size_t i = 0; i < sizeof(junk); i++) {
                seed = seed * 1664525u + 1013904223u;
                junk[i] = (uint8_t)(seed >> 24);
        }
        junk[0] = 0x1f;   /* gzip magic, and not '{' */
        junk[1] = 0x8b;
        pf_assert_rejected(f, pf_run(f, junk, sizeof(junk)), "invalid_utf8", "normalize");

        /* A 1x1 PNG. */
        static const uint8_t png[] = {
                0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
                0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
                0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
                0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
                0x42, 0x60, 0x82,
        };
        pf_assert_rejected(f, pf_run(f, png, sizeof(png)), "invalid_utf8", "normalize");
}

/* --- Unicode normalization ------------------------------------------------------ */

static void nfd_becomes_nfc(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "Cafe\xcc\x81", "Caf\xc3\xa9");                          /* e + U+0301 → é */
        BODY_IS(f, "\xce\xb1\xcc\x81\xce\xb8\xce\xae\xce\xbd\xce\xb1",        /* α + U+0301 → ά */
                "\xce\xac\xce\xb8\xce\xae\xce\xbd\xce\xb1");
        BODY_IS(f, "\xe2\x84\xab", "\xc3\x85");                              /* ANGSTROM SIGN → Å */
        BODY_IS(f, "\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab", "\xed\x95\x9c");  /* Hangul jamo → 한 */
        BODY_IS(f, "\xd0\x98\xcc\x86", "\xd0\x99");                          /* И + U+0306 → Й */
        /* NFC, not NFKC: compatibility characters stay. */
        BODY_IS(f, "\xef\xac\x81le 2\xc2\xb2", "\xef\xac\x81le 2\xc2\xb2");  /* ﬁ, ² */
}

/* --- whitespace and invisible characters ----------------------------------------- */

static void line_breaks(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "Line one\r\nLine two\r\n\r\nPara two\rend", "Line one\nLine two\n\nPara two\nend");
        BODY_IS(f, "one\xe2\x80\xa8two\xe2\x80\xa9three", "one\ntwo\nthree");   /* U+2028, U+2029 */
}

static void spaces(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "10\xc2\xa0km", "10 km");                                   /* NBSP */
        BODY_IS(f, "a\xe2\x80\x89thin\xe3\x80\x80wide\ttab\xe2\x80\xafnarrow", "a thin wide tab narrow");
        BODY_IS(f, "a    b \t  c", "a b c");
        BODY_IS(f, "  leading and trailing  \n  on every line  ", "leading and trailing\non every line");
        BODY_IS(f, "word \xc2\xa0 \xc2\xa0 word", "word word");
}

static void blank_lines(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "First.\n\n\n\n\nSecond.", "First.\n\nSecond.");
        BODY_IS(f, "First.\n \n\t\n  \nSecond.", "First.\n\nSecond.");
        BODY_IS(f, "First.\n\nSecond.", "First.\n\nSecond.");
        BODY_IS(f, "First.\nSecond.", "First.\nSecond.");
        BODY_IS(f, "\n\n\nFirst.\n\n\n", "First.");
}

static void invisible_characters(void **state) {
        struct pf *f = *state = pf_new(NULL);
        BODY_IS(f, "zero\xe2\x80\x8bwidth", "zerowidth");                       /* U+200B */
        /* The joiners stay: a Persian word with U+200C, an emoji ZWJ sequence. */
        BODY_IS(f, "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xb1\xd9\x88\xd9\x85", "\xd9\x85\xdb\x8c\xe2\x80\x8c\xd8\xb1\xd9\x88\xd9\x85");
        BODY_IS(f, "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb", "\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x92\xbb");
        BODY_IS(f, "word\xe2\x81\xa0joiner", "wordjoiner");                     /* U+2060 */
        BODY_IS(f, "mid\xef\xbb\xbftext", "midtext");                           /* U+FEFF */
        BODY_IS(f, "soft\xc2\xadhyphen", "softhyphen");                         /* U+00AD */
        BODY_IS(f, "a \xe2\x80\x8b b", "a b");
}

static void control_characters_and_nul(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* One stray NUL or control byte in ordinary text goes; the text stays. */
        BODY_IS(f, "Hello\0 world, this sentence is long enough to carry a stray byte.",
                "Hello world, this sentence is long enough to carry a stray byte.");
        BODY_IS(f, "Bell\x07 and escape\x1b removed from a sentence of ordinary length here.",
                "Bell and escape removed from a sentence of ordinary length here.");
        BODY_IS(f, "C1 control \xc2\x85next line and \xc2\x9c" "dropped in a long enough sentence.",
                "C1 control\nnext line and dropped in a long enough sentence.");
}

/* --- empty bodies --------------------------------------------------------------- */

static void whitespace_only_is_rejected(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run_str(f, " \t\r\n \n"), "empty_body", "normalize");
        pf_assert_rejected(f, pf_run_str(f, "\xe2\x80\x8b\xe2\x80\x8b\xc2\xa0"), "empty_body", "normalize");
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"  \\n\\t \\u00a0 \"}"), "empty_body", "normalize");
        pf_assert_rejected(f, pf_run_str(f, " date 2021-02-14 \n\n"), "empty_body", "normalize");
}

static void rejects_body_too_large(void **state) {
        static const char *const o[] = { "normalize.max_body_bytes=1KiB", NULL };
        struct pf *f = *state = pf_new(o);
        char body[1026];
        for (size_t i = 0; i < sizeof(body); i++)
                body[i] = i % 8 == 7 ? ' ' : 'w';
        pf_assert_accepted(f, pf_run(f, body, 1024));   /* the limit itself is allowed */
        pf_assert_rejected(f, pf_run(f, body, 1025), "body_too_large", "normalize");
        /* A JSON body counts the same, as parse hands it over. */
        char json[1200];
        snprintf(json, sizeof(json), "{\"body\": \"%.1025s\"}", body);
        pf_assert_rejected(f, pf_run_str(f, json), "body_too_large", "normalize");
}

/* --- the short fields -------------------------------------------------------------- */

static void fields_on_one_line(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"b\", \"title\": \"  Line\\nbreak \\u00a0 title\\u200b  \","
                                            " \"authors\": [\"  \", \"Ann\\u200b Author\", \"\\u0000\"],"
                                            " \"source\": \"Cafe\\u0301 News\", \"id\": \" id-1 \"}"));
        assert_string_equal(f->a.title, "Line break title");
        assert_int_equal(f->a.n_authors, 1);
        assert_string_equal(f->a.authors[0], "Ann Author");
        assert_string_equal(f->a.publisher, "Caf\xc3\xa9 News");
        assert_string_equal(f->a.id, "id-1");

        /* A field left empty is absent. */
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"b\", \"title\": \" \\u200b \"}"));
        assert_null(f->a.title);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, pf_teardown)
                T(latin1_is_transcoded),
                T(windows1252_is_transcoded),
                T(utf8_is_not_transcoded),
                T(without_fallback_latin1_is_rejected),
                T(bytes_undefined_in_windows1252_are_rejected),
                T(few_broken_bytes_are_replaced),
                T(many_broken_bytes_are_rejected),
                T(binary_garbage_is_rejected),
                T(nfd_becomes_nfc),
                T(line_breaks),
                T(spaces),
                T(blank_lines),
                T(invisible_characters),
                T(control_characters_and_nul),
                T(whitespace_only_is_rejected),
                T(rejects_body_too_large),
                T(fields_on_one_line),
#undef T
        };
        return cmocka_run_group_tests_name("stage_normalize", tests, NULL, NULL);
}
