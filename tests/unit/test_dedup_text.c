/* pipeline/dedup/text_norm.c: the words that the exact hash and the shingles
 * are made of (case folding, punctuation and whitespace, boilerplate lines,
 * scripts without spaces, broken UTF-8), and the content hash: the same for
 * renditions that differ only in those, different otherwise. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/dedup/text_norm.h"

/* Normalizes a copy of exactly `len` bytes (ASan sees a read past it). */
static char *norm_n(struct dedup_norm *n, const char *s, size_t len, uint32_t min_line_words) {
        char *copy = malloc(len ? len : 1);
        assert_non_null(copy);
        memcpy(copy, s, len);
        assert_int_equal(dedup_text_normalize(n, copy, len, min_line_words), 0);
        free(copy);
        char *out = malloc(n->len + 1);
        assert_non_null(out);
        memcpy(out, n->text, n->len);
        out[n->len] = '\0';
        return out;
}

static void check(const char *in, uint32_t min_line_words, const char *want, uint32_t words) {
        struct dedup_norm n = { 0 };
        char *got = norm_n(&n, in, strlen(in), min_line_words);
        if (strcmp(got, want) != 0 || n.words != words)
                fail_msg("\"%s\" → \"%s\" (%u words); expected \"%s\" (%u)", in, got, n.words, want, words);
        free(got);
        dedup_norm_free(&n);
}

static void words_and_case(void **state) {
        (void)state;
        check("Hello, World!", 0, "hello world", 2);
        check("  Street   demonstrations\thave\r\nbeen suspended.  ", 0, "street demonstrations have been suspended", 5);
        check("Navalny\xe2\x80\x99s allies", 0, "navalny s allies", 3);        /* ’ */
        check("Navalny's allies", 0, "navalny s allies", 3);
        check("well-known \xe2\x80\x94 2021-02-14", 0, "well known 2021 02 14", 5);  /* — */
        check("STRASSE Stra\xc3\x9f" "e", 0, "strasse strasse", 2);                 /* ß folds to ss */
        check("\xc3\x89T\xc3\x89 \xc3\xa9t\xc3\xa9", 0, "\xc3\xa9t\xc3\xa9 \xc3\xa9t\xc3\xa9", 2); /* ÉTÉ été */
        check("\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2, \xd0\xbc\xd0\xb8\xd1\x80", 0,
              "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80", 2);   /* ПРИВЕТ, мир */
        check("\xce\xa3\xce\x9f\xce\xa6\xce\x99\xce\x91", 0, "\xcf\x83\xce\xbf\xcf\x86\xce\xb9\xce\xb1", 1); /* ΣΟΦΙΑ */
        check("", 0, "", 0);
        check("... !!! ---", 0, "", 0);
        check("a_b", 0, "a b", 2);      /* '_' is punctuation */
}

static void unspaced_scripts(void **state) {
        (void)state;
        /* 東京は晴れ: one word per character. */
        check("\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xaf\xe6\x99\xb4\xe3\x82\x8c", 0,
              "\xe6\x9d\xb1 \xe4\xba\xac \xe3\x81\xaf \xe6\x99\xb4 \xe3\x82\x8c", 5);
        check("abc\xe6\x9d\xb1" "def", 0, "abc \xe6\x9d\xb1 def", 3);
}

static void broken_utf8(void **state) {
        (void)state;
        check("ab\xff" "cd", 0, "ab cd", 2);                 /* an invalid byte separates */
        check("ab\xc3", 0, "ab", 1);                         /* truncated sequence at the end */
        check("\xed\xa0\x80x", 0, "x", 1);                   /* a surrogate is not a character */
        check("\xc0\xaf" "x", 0, "x", 1);                    /* overlong */
}

static void boilerplate_lines(void **state) {
        (void)state;
        const char *text = "Skip to content\n"
                           "Menu\n"
                           "Street demonstrations have been suspended due to harsh police grips.\n"
                           "Image: Yuri Maltsev/REUTERS\n"
                           "\n"
                           "Protesters want to express support for Navalny.\n"
                           "Share this article\n";
        check(text, 5, "street demonstrations have been suspended due to harsh police grips "
                       "protesters want to express support for navalny", 17);
        check(text, 0, "skip to content menu street demonstrations have been suspended due to harsh police grips "
                       "image yuri maltsev reuters protesters want to express support for navalny share this article",
              28);
        /* Only short lines: all are kept rather than none. */
        check("Breaking news\nMore soon\n", 5, "breaking news more soon", 4);
        /* U+2028 LINE SEPARATOR ends a line too. */
        check("Menu\xe2\x80\xa8One two three four five", 5, "one two three four five", 5);
}

static void content_hash(void **state) {
        (void)state;
        struct dedup_norm n = { 0 };
        uint64_t a[2], b[2], c[2];
        char *t;

        t = norm_n(&n, "Street demonstrations have been suspended.", 42, 5);
        dedup_content_hash(&n, a);
        free(t);
        /* Other case, punctuation, spacing, quotes and menu lines. */
        const char *v = "Menu\n  STREET demonstrations -- have been \xe2\x80\x9csuspended\xe2\x80\x9d!\nShare";
        t = norm_n(&n, v, strlen(v), 5);
        dedup_content_hash(&n, b);
        free(t);
        assert_memory_equal(a, b, sizeof(a));
        /* One word more is another text. */
        t = norm_n(&n, "Street demonstrations have been suspended again.", 48, 5);
        dedup_content_hash(&n, c);
        free(t);
        assert_memory_not_equal(a, c, sizeof(a));

        char hex[33];
        uint64_t h[2] = { 0x0123456789abcdefULL, 0xfedcba9876543210ULL };
        dedup_hash_hex(h, hex);
        assert_string_equal(hex, "fedcba98765432100123456789abcdef");
        dedup_norm_free(&n);
}

/* The seed article against words counted independently here: ASCII letters
 * and digits, and everything else above 0x7f taken as part of a word (the
 * seed's only non-ASCII characters are punctuation: ’ “ ” —). */
static void seed_article(void **state) {
        (void)state;
        const char *path = getenv("INGESTD_TEST_SEED");
        if (!path)
                skip();
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        static char buf[1 << 16];
        size_t len = fread(buf, 1, sizeof(buf), f);
        fclose(f);
        uint32_t words = 0;
        bool in = false;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)buf[i];
                bool w = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
                if (w && !in)
                        words++;
                in = w;
        }
        struct dedup_norm n = { 0 };
        char *t = norm_n(&n, buf, len, 0);
        assert_int_equal(n.words, words);
        free(t);
        dedup_norm_free(&n);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(words_and_case),
                cmocka_unit_test(unspaced_scripts),
                cmocka_unit_test(broken_utf8),
                cmocka_unit_test(boilerplate_lines),
                cmocka_unit_test(content_hash),
                cmocka_unit_test(seed_article),
        };
        return cmocka_run_group_tests_name("dedup_text", tests, NULL, NULL);
}
