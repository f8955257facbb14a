/* pipeline/utf8.c: decoding per Table 3-7 of the Unicode Standard and repair
 * by "maximal subparts" (Unicode 15, §3.9, U+FFFD substitution), checked
 * against the standard's own examples. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/arena.h"
#include "pipeline/utf8.h"

#define R "\xEF\xBF\xBD"   /* U+FFFD */

static int setup(void **state) {
        *state = arena_new(64 * 1024);
        return *state ? 0 : -1;
}

static int teardown(void **state) {
        arena_free(*state);
        return 0;
}

/* A copy of `len` bytes in a buffer of exactly that size, so that ASan
 * catches a read past the end. */
static uint8_t *exact(const char *s, size_t len) {
        uint8_t *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, s, len);
        return p;
}

static void hex(const uint8_t *s, size_t len, char *out, size_t size) {
        out[0] = '\0';
        for (size_t i = 0; i < len && (i + 1) * 3 < size; i++)
                snprintf(out + 3 * i, size - 3 * i, "%02X ", s[i]);
}

/* --- decoding ---------------------------------------------------------------- */

static void decode_valid_boundaries(void **state) {
        static const struct {
                const char *s;
                size_t len;
                uint32_t cp;
        } cases[] = {
                { "\x00", 1, 0x0 },                   { "\x7F", 1, 0x7F },
                { "\xC2\x80", 2, 0x80 },              { "\xDF\xBF", 2, 0x7FF },
                { "\xE0\xA0\x80", 3, 0x800 },         { "\xED\x9F\xBF", 3, 0xD7FF },   /* last before the surrogates */
                { "\xEE\x80\x80", 3, 0xE000 },        { "\xEF\xBF\xBD", 3, 0xFFFD },
                { "\xEF\xBF\xBF", 3, 0xFFFF },        { "\xF0\x90\x80\x80", 4, 0x10000 },
                { "\xF0\x9F\x98\x80", 4, 0x1F600 },   /* 😀 */
                { "\xF3\xA0\x80\x81", 4, 0xE0001 },   { "\xF4\x8F\xBF\xBF", 4, 0x10FFFF },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t *p = exact(cases[i].s, cases[i].len);
                uint32_t cp = 0xDEADBEEF;
                size_t n = utf8_decode(p, cases[i].len, &cp);
                free(p);
                if (n != cases[i].len || cp != cases[i].cp)
                        fail_msg("U+%04X: length %zu, code point U+%04X", cases[i].cp, n, cp);
                char enc[4];
                assert_int_equal(utf8_encode(cases[i].cp, enc), cases[i].len);
                assert_memory_equal(enc, cases[i].s, cases[i].len);
        }
}

static void decode_every_scalar_value_round_trips(void **state) {
        for (uint32_t cp = 0; cp <= 0x10FFFF; cp++) {
                if (cp >= 0xD800 && cp <= 0xDFFF)
                        continue;
                uint8_t buf[4];
                size_t n = utf8_encode(cp, (char *)buf);
                uint32_t back = 0;
                if (utf8_decode(buf, n, &back) != n || back != cp)
                        fail_msg("U+%04X does not round-trip", cp);
        }
}

static void decode_rejects_ill_formed(void **state) {
        static const struct {
                const char *what, *s;
                size_t len;
        } cases[] = {
                { "lone continuation", "\x80", 1 },
                { "lone continuation BF", "\xBF", 1 },
                { "overlong NUL", "\xC0\x80", 2 },
                { "overlong C1", "\xC1\xBF", 2 },
                { "overlong 3-byte", "\xE0\x80\x80", 3 },
                { "overlong U+07FF", "\xE0\x9F\xBF", 3 },
                { "overlong 4-byte", "\xF0\x80\x80\x80", 4 },
                { "overlong U+FFFF", "\xF0\x8F\xBF\xBF", 4 },
                { "surrogate D800", "\xED\xA0\x80", 3 },
                { "surrogate DFFF", "\xED\xBF\xBF", 3 },
                { "above U+10FFFF", "\xF4\x90\x80\x80", 4 },
                { "F5 lead", "\xF5\x80\x80\x80", 4 },
                { "FE", "\xFE", 1 },
                { "FF", "\xFF", 1 },
                { "truncated 2-byte", "\xC3", 1 },
                { "truncated 3-byte", "\xE2\x82", 2 },
                { "truncated 4-byte", "\xF0\x9F\x98", 3 },
                { "bad second byte", "\xC3\x41", 2 },
                { "bad third byte", "\xE2\x82\x41", 3 },
                { "bad fourth byte", "\xF0\x9F\x98\x41", 4 },
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                uint8_t *p = exact(cases[i].s, cases[i].len);
                uint32_t cp;
                size_t n = utf8_decode(p, cases[i].len, &cp);
                free(p);
                if (n != 0)
                        fail_msg("%s: decoded as %zu bytes, U+%04X", cases[i].what, n, cp);
        }
        /* The length given is respected: a valid sequence cut short is ill-formed. */
        uint32_t cp;
        assert_int_equal(utf8_decode((const uint8_t *)"\xF0\x9F\x98\x80", 3, &cp), 0);
        assert_int_equal(utf8_decode((const uint8_t *)"a", 0, &cp), 0);
}

/* --- repair: the number and place of U+FFFD ------------------------------------ */

struct repair_case {
        const char *what;
        const char *in;
        size_t in_len;
        const char *out;          /* expected, NUL-terminated */
        size_t replacements;      /* maximal subparts */
};

#define C(what, in, out, n) { what, in, sizeof(in) - 1, out, n }

static const struct repair_case repair_cases[] = {
        C("overlong 2-byte", "\xC0\x80", R R, 2),
        C("overlong 3-byte", "\xE0\x80\x80", R R R, 3),
        C("overlong 4-byte", "\xF0\x80\x80\x80", R R R R, 4),
        C("surrogate", "\xED\xA0\x80", R R R, 3),
        C("above U+10FFFF", "\xF4\x90\x80\x80", R R R R, 4),
        C("F5..FF leads", "\xF5\xFF", R R, 2),
        C("lone continuation", "a\x80" "b", "a" R "b", 1),
        C("two continuations", "\x80\xBF", R R, 2),
        /* A truncated sequence is one maximal subpart: one U+FFFD. */
        C("truncated 2-byte at end", "ab\xC3", "ab" R, 1),
        C("truncated 3-byte at end", "ab\xE2\x82", "ab" R, 1),
        C("truncated 4-byte at end", "ab\xF0\x9F\x98", "ab" R, 1),
        C("truncated 3-byte then ASCII", "\xE2\x82" "a", R "a", 1),
        C("truncated 4-byte then ASCII", "\xF0\x9F\x98" "a", R "a", 1),
        C("truncated then valid", "\xE2\x82\xE2\x82\xAC", R "\xE2\x82\xAC", 1),
        C("truncated then truncated", "\xF0\x9F\xF0\x9F", R R, 2),
        /* Unicode Standard, Table 3-8. */
        C("Table 3-8", "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64", "a" R R R "b" R "c" R R "d", 6),
        /* Unicode Standard §3.9, the examples for U+FFFD substitution. */
        C("Table 3-9 (not shortest form)", "\xC0\xAF\xE0\x80\xBF\xF0\x81\x82\x41", R R R R R R R R "A", 8),
        C("Table 3-10 (surrogates)", "\xED\xA0\x80\xED\xBF\xBF\xED\xAF\x41", R R R R R R R R "A", 8),
        C("Table 3-11 (invalid bytes)", "\xF4\x91\x92\x93\xFF\x41\x80\xBF\x42", R R R R R "A" R R "B", 7),
        C("Table 3-12 (truncated)", "\xE1\x80\xE2\xF0\x91\x92\xF1\xBF\x41", R R R R "A", 4),
        /* Valid text passes unchanged. */
        C("emoji", "ok \xF0\x9F\x98\x80 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", "ok \xF0\x9F\x98\x80 \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", 0),
        C("ZWJ sequence", "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB", "\xF0\x9F\x91\xA9\xE2\x80\x8D\xF0\x9F\x92\xBB", 0),
        C("Cyrillic and Greek", "\xD0\x9C\xD0\xB8\xD1\x80 \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xBF\xCF\x82",
          "\xD0\x9C\xD0\xB8\xD1\x80 \xCE\xBA\xCF\x8C\xCF\x83\xCE\xBC\xCE\xBF\xCF\x82", 0),
        C("U+FFFD itself", R, R, 0),
};

static void repair_maximal_subparts(void **state) {
        struct arena *a = *state;
        for (size_t i = 0; i < sizeof(repair_cases) / sizeof(repair_cases[0]); i++) {
                const struct repair_case *c = &repair_cases[i];
                uint8_t *in = exact(c->in, c->in_len);
                struct utf8_scan scan;
                bool valid = utf8_scan(in, c->in_len, &scan);
                size_t len = 0;
                char *out = utf8_repair(a, in, c->in_len, &len);
                char in_hex[128];
                hex(in, c->in_len, in_hex, sizeof(in_hex));
                free(in);
                assert_non_null(out);
                if (scan.invalid_sequences != c->replacements || valid != (c->replacements == 0))
                        fail_msg("%s (%s): scan counts %zu ill-formed subparts, expected %zu", c->what, in_hex,
                                 scan.invalid_sequences, c->replacements);
                if (len != strlen(c->out) || memcmp(out, c->out, len) != 0) {
                        char out_hex[256];
                        hex((const uint8_t *)out, len, out_hex, sizeof(out_hex));
                        fail_msg("%s (%s): repaired to %s", c->what, in_hex, out_hex);
                }
                assert_int_equal(out[len], '\0');
                assert_true(utf8_scan((const uint8_t *)out, len, NULL));
        }
}

static void scan_counts(void **state) {
        struct utf8_scan s;
        /* é (2 bytes), € (3), 😀 (4), a NUL, and two broken subparts of 1 and 2 bytes. */
        static const char in[] = "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \x00 \xFF \xE2\x82";
        assert_false(utf8_scan((const uint8_t *)in, sizeof(in) - 1, &s));
        assert_int_equal(s.multibyte_sequences, 3);
        assert_int_equal(s.invalid_sequences, 2);
        assert_int_equal(s.invalid_bytes, 3);
        assert_int_equal(s.nul_bytes, 1);

        assert_true(utf8_scan((const uint8_t *)"plain ASCII", 11, &s));
        assert_int_equal(s.multibyte_sequences, 0);
        assert_int_equal(s.invalid_sequences, 0);
        assert_true(utf8_scan((const uint8_t *)"", 0, &s));
        assert_true(utf8_scan((const uint8_t *)"x", 1, NULL));
}

/* Whatever the bytes, repair gives well-formed UTF-8 with one U+FFFD per
 * subpart the scan found, and leaves well-formed input alone. */
static void repair_random_bytes(void **state) {
        struct arena *a = *state;
        uint32_t seed = 12345;
        for (int round = 0; round < 200; round++) {
                size_t len = 1 + round * 7 % 500;
                uint8_t *in = malloc(len);
                assert_non_null(in);
                for (size_t i = 0; i < len; i++) {
                        seed = seed * 1103515245u + 12345u;
                        /* Favour bytes that start or continue sequences. */
                        uint8_t b = (uint8_t)(seed >> 16);
                        in[i] = round % 2 ? b : (uint8_t)(0x80 | (b & 0x7F));
                }
                struct utf8_scan scan;
                bool valid = utf8_scan(in, len, &scan);
                size_t fffd_in = 0;
                for (size_t i = 0; i + 2 < len; i++)
                        if (memcmp(in + i, R, 3) == 0)
                                fffd_in++;
                size_t out_len;
                char *out = utf8_repair(a, in, len, &out_len);
                assert_non_null(out);
                assert_true(utf8_scan((const uint8_t *)out, out_len, NULL));
                size_t fffd_out = 0;
                for (size_t i = 0; i + 2 < out_len; i++)
                        if (memcmp(out + i, R, 3) == 0)
                                fffd_out++;
                assert_int_equal(fffd_out, fffd_in + scan.invalid_sequences);
                if (valid) {
                        assert_int_equal(out_len, len);
                        assert_memory_equal(out, in, len);
                }
                free(in);
                arena_reset(a);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(decode_valid_boundaries),
                cmocka_unit_test(decode_every_scalar_value_round_trips),
                cmocka_unit_test(decode_rejects_ill_formed),
                cmocka_unit_test(repair_maximal_subparts),
                cmocka_unit_test(scan_counts),
                cmocka_unit_test(repair_random_bytes),
        };
        return cmocka_run_group_tests_name("utf8", tests, setup, teardown);
}
