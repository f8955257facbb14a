#include "utf8.h"

#include <string.h>

size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp) {
        if (len == 0)
                return 0;
        uint8_t b0 = s[0];
        if (b0 < 0x80) {
                *ret_cp = b0;
                return 1;
        }
        size_t n;
        uint32_t cp;
        uint8_t lo = 0x80, hi = 0xBF;   /* allowed range of the second byte */
        if (b0 >= 0xC2 && b0 <= 0xDF) {
                n = 2;
                cp = b0 & 0x1F;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
                n = 3;
                cp = b0 & 0x0F;
                if (b0 == 0xE0)
                        lo = 0xA0;          /* no overlong forms */
                else if (b0 == 0xED)
                        hi = 0x9F;          /* no surrogates */
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                n = 4;
                cp = b0 & 0x07;
                if (b0 == 0xF0)
                        lo = 0x90;          /* no overlong forms */
                else if (b0 == 0xF4)
                        hi = 0x8F;          /* nothing above U+10FFFF */
        } else {
                return 0;
        }
        if (len < n)
                return 0;
        if (s[1] < lo || s[1] > hi)
                return 0;
        cp = (cp << 6) | (s[1] & 0x3F);
        for (size_t i = 2; i < n; i++) {
                if ((s[i] & 0xC0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3F);
        }
        *ret_cp = cp;
        return n;
}

size_t utf8_encode(uint32_t cp, char *out) {
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xC0 | (cp >> 6));
                out[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xE0 | (cp >> 12));
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

/* Length of the maximal ill-formed subpart at s: the longest prefix of a
 * well-formed sequence that the bytes start, but at least one byte. */
static size_t ill_formed_length(const uint8_t *s, size_t len) {
        uint8_t b0 = s[0];
        size_t n;
        uint8_t lo = 0x80, hi = 0xBF;
        if (b0 >= 0xC2 && b0 <= 0xDF)
                n = 2;
        else if (b0 >= 0xE0 && b0 <= 0xEF) {
                n = 3;
                if (b0 == 0xE0)
                        lo = 0xA0;
                else if (b0 == 0xED)
                        hi = 0x9F;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
                n = 4;
                if (b0 == 0xF0)
                        lo = 0x90;
                else if (b0 == 0xF4)
                        hi = 0x8F;
        } else
                return 1;
        size_t i = 1;
        if (i < len && i < n && s[i] >= lo && s[i] <= hi) {
                i++;
                while (i < len && i < n && (s[i] & 0xC0) == 0x80)
                        i++;
        }
        return i;
}

bool utf8_scan(const uint8_t *s, size_t len, struct utf8_scan *ret_scan) {
        struct utf8_scan sc = { 0 };
        size_t i = 0;
        while (i < len) {
                if (s[i] < 0x80) {
                        if (s[i] == 0)
                                sc.nul_bytes++;
                        i++;
                        continue;
                }
                uint32_t cp;
                size_t n = utf8_decode(s + i, len - i, &cp);
                if (n) {
                        sc.multibyte_sequences++;
                        i += n;
                } else {
                        size_t bad = ill_formed_length(s + i, len - i);
                        sc.invalid_sequences++;
                        sc.invalid_bytes += bad;
                        i += bad;
                }
        }
        if (ret_scan)
                *ret_scan = sc;
        return sc.invalid_sequences == 0;
}

char *utf8_repair(struct arena *a, const uint8_t *s, size_t len, size_t *ret_len) {
        /* Worst case: every byte becomes a 3-byte U+FFFD. */
        char *out = arena_alloc(a, len * 3 + 1);
        if (!out)
                return NULL;
        size_t o = 0, i = 0;
        while (i < len) {
                uint32_t cp;
                size_t n = s[i] < 0x80 ? 1 : utf8_decode(s + i, len - i, &cp);
                if (n) {
                        memcpy(out + o, s + i, n);
                        o += n;
                        i += n;
                } else {
                        o += utf8_encode(0xFFFD, out + o);
                        i += ill_formed_length(s + i, len - i);
                }
        }
        out[o] = '\0';
        if (ret_len)
                *ret_len = o;
        return out;
}
