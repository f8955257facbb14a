/* utf8_decode, utf8_scan and utf8_repair on any bytes:
 *  - decode accepts exactly the well-formed sequences: what it decodes
 *    encodes back to the same bytes, and never a surrogate or a code point
 *    above U+10FFFF;
 *  - scan accounts for every byte and agrees with decode;
 *  - repair's output is always well-formed UTF-8, equals the input when the
 *    input was well-formed, and holds one U+FFFD per invalid sequence. */
#include "fuzz.h"

/* Occurrences of U+FFFD (EF BF BD) in s. */
static size_t count_fffd(const uint8_t *s, size_t len) {
        size_t n = 0;
        for (size_t i = 0; i + 3 <= len; i++)
                if (s[i] == 0xEF && s[i + 1] == 0xBF && s[i + 2] == 0xBD) {
                        n++;
                        i += 2;
                }
        return n;
}

FUZZ_TARGET(utf8) {
        size_t valid_bytes = 0, multibyte = 0;
        for (size_t i = 0; i < size;) {
                uint32_t cp = UINT32_MAX;
                size_t n = utf8_decode(data + i, size - i, &cp);
                if (n == 0) {
                        i++;
                        continue;
                }
                FUZZ_CHECK(n <= 4 && n <= size - i, "decoded %zu bytes at %zu", n, i);
                FUZZ_CHECK(cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF), "code point U+%X", (unsigned)cp);
                char enc[4];
                size_t el = utf8_encode(cp, enc);
                FUZZ_CHECK(el == n && memcmp(enc, data + i, n) == 0, "U+%X does not encode back to its %zu bytes",
                           (unsigned)cp, n);
                valid_bytes += n;
                multibyte += n > 1;
                i += n;
        }

        struct utf8_scan scan;
        bool ok = utf8_scan(data, size, &scan);
        FUZZ_CHECK(ok == (scan.invalid_sequences == 0), "scan result and count disagree");
        FUZZ_CHECK(scan.invalid_bytes <= size && (scan.invalid_bytes == 0) == (scan.invalid_sequences == 0),
                   "%zu invalid bytes in %zu sequences", scan.invalid_bytes, scan.invalid_sequences);
        FUZZ_CHECK(scan.invalid_sequences <= scan.invalid_bytes, "more invalid sequences than bytes");
        size_t nul = 0;
        for (size_t i = 0; i < size; i++)
                nul += data[i] == 0;
        FUZZ_CHECK(scan.nul_bytes == nul, "%zu NUL bytes counted, %zu present", scan.nul_bytes, nul);
        if (ok)
                FUZZ_CHECK(valid_bytes == size && scan.multibyte_sequences == multibyte,
                           "well-formed input, but decode accepted %zu of %zu bytes", valid_bytes, size);

        struct arena *ar = fuzz_arena();
        size_t rl = SIZE_MAX;
        char *r = utf8_repair(ar, data, size, &rl);
        FUZZ_CHECK(r, "repair failed");
        FUZZ_CHECK(r[rl] == '\0' && rl <= size * 3, "repair gave %zu bytes from %zu", rl, size);
        struct utf8_scan rscan;
        FUZZ_CHECK(utf8_scan((const uint8_t *)r, rl, &rscan), "repaired text is not UTF-8");
        FUZZ_CHECK(rscan.nul_bytes == nul, "repair changed the NUL bytes");
        if (ok)
                FUZZ_CHECK(rl == size && memcmp(r, data, size) == 0, "repair changed well-formed text");
        FUZZ_CHECK(count_fffd((const uint8_t *)r, rl) == count_fffd(data, size) + scan.invalid_sequences,
                   "%zu invalid sequences, but %zu U+FFFD added", scan.invalid_sequences,
                   count_fffd((const uint8_t *)r, rl) - count_fffd(data, size));
        /* Repairing again changes nothing. */
        size_t rl2;
        char *r2 = utf8_repair(ar, (const uint8_t *)r, rl, &rl2);
        FUZZ_CHECK(r2 && rl2 == rl && memcmp(r, r2, rl) == 0, "repair is not idempotent");
        return 0;
}
