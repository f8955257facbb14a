/* Normalization for deduplication: words, case-folded, boilerplate lines out
 * (see text_norm.h). */
#include "text_norm.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
/* XXH3 inlined: most inputs here are a few dozen bytes. */
#define XXH_INLINE_ALL
#include <xxhash.h>


/* ASCII: the lower-case letter or digit, 0 for a separator or a byte above
 * 0x7f (the start of a multi-byte character, looked at separately). */
static const char ascii_word[256] = {
        ['0'] = '0', ['1'] = '1', ['2'] = '2', ['3'] = '3', ['4'] = '4',
        ['5'] = '5', ['6'] = '6', ['7'] = '7', ['8'] = '8', ['9'] = '9',
        ['A'] = 'a', ['B'] = 'b', ['C'] = 'c', ['D'] = 'd', ['E'] = 'e', ['F'] = 'f', ['G'] = 'g',
        ['H'] = 'h', ['I'] = 'i', ['J'] = 'j', ['K'] = 'k', ['L'] = 'l', ['M'] = 'm', ['N'] = 'n',
        ['O'] = 'o', ['P'] = 'p', ['Q'] = 'q', ['R'] = 'r', ['S'] = 's', ['T'] = 't', ['U'] = 'u',
        ['V'] = 'v', ['W'] = 'w', ['X'] = 'x', ['Y'] = 'y', ['Z'] = 'z',
        ['a'] = 'a', ['b'] = 'b', ['c'] = 'c', ['d'] = 'd', ['e'] = 'e', ['f'] = 'f', ['g'] = 'g',
        ['h'] = 'h', ['i'] = 'i', ['j'] = 'j', ['k'] = 'k', ['l'] = 'l', ['m'] = 'm', ['n'] = 'n',
        ['o'] = 'o', ['p'] = 'p', ['q'] = 'q', ['r'] = 'r', ['s'] = 's', ['t'] = 't', ['u'] = 'u',
        ['v'] = 'v', ['w'] = 'w', ['x'] = 'x', ['y'] = 'y', ['z'] = 'z',
};

static bool is_word_cp(uint32_t cp) {
        switch (utf8proc_category((utf8proc_int32_t)cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME:
        case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO:
                return true;
        default:
                return false;
        }
}

static bool is_unspaced_script(uint32_t cp) {
        return (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) ||
               (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

/* The Basic Multilingual Plane, classified and case-folded once (utf8proc
 * per character is several times slower than the rest of the work):
 * 0 for a separator, else WORD | the folded character's UTF-8 bytes (bits
 * 0-23) and their count (bits 24-25), with UNSPACED for scripts without
 * spaces and SLOW for the few whose folding is longer than one code point
 * (ß → ss), which go through utf8proc. A BMP character folds within the
 * BMP: three bytes at most. */
#define BMP_WORD 0x80000000u
#define BMP_UNSPACED 0x40000000u
#define BMP_SLOW 0x20000000u
#define BMP_LINE 0x10000000u      /* a line separator */
#define BMP_BYTES 0x00ffffffu
#define BMP_LEN_SHIFT 24

static inline size_t encode(uint32_t cp, char *out) {
        if (cp < 0x80) {
                out[0] = (char)cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char)(0xC0 | cp >> 6);
                out[1] = (char)(0x80 | (cp & 0x3F));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char)(0xE0 | cp >> 12);
                out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
                out[2] = (char)(0x80 | (cp & 0x3F));
                return 3;
        }
        out[0] = (char)(0xF0 | cp >> 18);
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        return 4;
}

static uint32_t bmp[0x10000];
static pthread_once_t bmp_once = PTHREAD_ONCE_INIT;

static void bmp_init(void) {
        for (uint32_t cp = 0; cp < 0x10000; cp++) {
                if (cp == '\n' || cp == 0x2028 || cp == 0x2029 || cp == 0x85) {
                        bmp[cp] = BMP_LINE;
                        continue;
                }
                if ((cp >= 0xD800 && cp <= 0xDFFF) || !is_word_cp(cp)) {
                        bmp[cp] = 0;
                        continue;
                }
                utf8proc_int32_t folded[4];
                int bound = 0;
                utf8proc_ssize_t nf = utf8proc_decompose_char((utf8proc_int32_t)cp, folded, 4, UTF8PROC_CASEFOLD,
                                                              &bound);
                uint32_t v = BMP_WORD | (is_unspaced_script(cp) ? BMP_UNSPACED : 0);
                if (nf == 1 && folded[0] < 0x10000) {
                        char b[4] = { 0 };
                        size_t n = encode((uint32_t)folded[0], b);
                        v |= (uint32_t)(uint8_t)b[0] | (uint32_t)(uint8_t)b[1] << 8 | (uint32_t)(uint8_t)b[2] << 16 |
                             (uint32_t)n << BMP_LEN_SHIFT;
                } else {
                        v |= BMP_SLOW;
                }
                bmp[cp] = v;
        }
}

/* A well-formed UTF-8 sequence (Unicode Table 3-7) at s: its length, or 0. */
static inline size_t decode(const uint8_t *s, size_t len, uint32_t *ret) {
        uint8_t c = s[0];
        if (c >= 0xC2 && c <= 0xDF) {
                if (len < 2 || (s[1] & 0xC0) != 0x80)
                        return 0;
                *ret = (uint32_t)(c & 0x1F) << 6 | (s[1] & 0x3F);
                return 2;
        }
        if (c >= 0xE0 && c <= 0xEF) {
                if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (c == 0xE0 && s[1] < 0xA0) ||
                    (c == 0xED && s[1] > 0x9F))
                        return 0;
                *ret = (uint32_t)(c & 0x0F) << 12 | (uint32_t)(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
                return 3;
        }
        if (c >= 0xF0 && c <= 0xF4) {
                if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80 ||
                    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
                        return 0;
                *ret = (uint32_t)(c & 0x07) << 18 | (uint32_t)(s[1] & 0x3F) << 12 | (uint32_t)(s[2] & 0x3F) << 6 |
                       (s[3] & 0x3F);
                return 4;
        }
        return 0;
}


static int reserve(struct dedup_norm *n, size_t need) {
        if (n->cap >= need)
                return 0;
        size_t cap = n->cap ? n->cap : 4096;
        while (cap < need)
                cap *= 2;
        /* Nothing to keep: free first rather than copy. */
        free(n->text);
        n->text = NULL;
        n->cap = 0;
        char *t = malloc(cap);
        if (!t)
                return -ENOMEM;
        n->text = t;
        n->cap = cap;
        return 0;
}

struct run {
        size_t o;              /* bytes written */
        uint32_t words, dropped;
};

/* Output is at most three times the input, plus a little: a code point of
 * b bytes folds to at most 3b bytes (U+0390 'ΐ', two bytes, folds to three
 * code points of two), and a space is written only for a separator read. */
static size_t max_output(size_t len) {
        return 3 * len + 16;
}

static int normalize_pass(struct dedup_norm *n, const uint8_t *s, size_t len, uint32_t min_line_words,
                          struct run *r) {
        if (reserve(n, max_output(len)) < 0)
                return -ENOMEM;
        /* At most len/2 + 1 words: each but the last ends at a separator or
         * is a character of 3 bytes. */
        size_t max_words = len / 2 + 2;
        if (n->starts_cap < max_words) {
                free(n->starts);
                n->starts = malloc(max_words * sizeof(*n->starts));
                n->starts_cap = n->starts ? max_words : 0;
                if (!n->starts)
                        return -ENOMEM;
        }
        /* The state in locals (registers): stores through `out` could
         * otherwise alias a struct's fields. */
        uint32_t *starts = n->starts;
        char *out = n->text;
        size_t o = 0, line_start = 0;
        uint32_t words = 0, line_words = 0, dropped = 0;
        bool in_word = false;
#define START_WORD()                                    \
        do {                                            \
                if (o)                                  \
                        out[o++] = ' ';                 \
                starts[words++] = (uint32_t)o;          \
                line_words++;                           \
        } while (0)
#define END_LINE()                                      \
        do {                                            \
                if (line_words < min_line_words) {      \
                        o = line_start;                 \
                        words -= line_words;            \
                        dropped += line_words;          \
                }                                       \
                line_start = o;                         \
                line_words = 0;                         \
                in_word = false;                        \
        } while (0)
        for (size_t i = 0; i < len;) {
                uint8_t c = s[i];
                if (c < 0x80) {
                        char w = ascii_word[c];
                        if (w) {
                                if (!in_word) {
                                        START_WORD();
                                        in_word = true;
                                }
                                /* The rest of an ASCII word at once. */
                                const uint8_t *p = s + i, *end = s + len;
                                char *q = out + o;
                                do {
                                        *q++ = w;
                                        if (++p == end)
                                                break;
                                        w = ascii_word[*p];
                                } while (w);
                                i = (size_t)(p - s);
                                o = (size_t)(q - out);
                                continue;
                        }
                        i++;
                        if (c == '\n')
                                END_LINE();
                        else
                                in_word = false;
                        continue;
                }
                uint32_t cp;
                size_t nb;
                if (c >= 0xC2 && c <= 0xDF && i + 1 < len && (s[i + 1] & 0xC0) == 0x80) {
                        cp = (uint32_t)(c & 0x1F) << 6 | (s[i + 1] & 0x3F);    /* the common case */
                        nb = 2;
                } else {
                        nb = decode(s + i, len - i, &cp);
                }
                if (nb == 0) {          /* not UTF-8: a separator */
                        i++;
                        in_word = false;
                        continue;
                }
                i += nb;
                uint32_t v;
                if (cp < 0x10000)
                        v = bmp[cp];
                else
                        v = is_word_cp(cp) ? BMP_WORD | BMP_SLOW | (is_unspaced_script(cp) ? BMP_UNSPACED : 0) : 0;
                if (!(v & BMP_WORD)) {
                        if (v & BMP_LINE)
                                END_LINE();
                        else
                                in_word = false;
                        continue;
                }
                bool unspaced = v & BMP_UNSPACED;
                if (!in_word || unspaced)
                        START_WORD();
                in_word = !unspaced;
                if (!(v & BMP_SLOW)) {
                        uint32_t bytes = v & BMP_BYTES;
                        out[o] = (char)bytes;
                        out[o + 1] = (char)(bytes >> 8);
                        out[o + 2] = (char)(bytes >> 16);   /* overwritten next when not used */
                        o += (v >> BMP_LEN_SHIFT) & 3;
                        continue;
                }
                utf8proc_int32_t folded[4];
                int bound = 0;
                utf8proc_ssize_t nf = utf8proc_decompose_char((utf8proc_int32_t)cp, folded, 4, UTF8PROC_CASEFOLD,
                                                              &bound);
                if (nf <= 0 || nf > 4) {
                        folded[0] = (utf8proc_int32_t)cp;
                        nf = 1;
                }
                for (utf8proc_ssize_t k = 0; k < nf; k++)
                        o += encode((uint32_t)folded[k], out + o);
        }
        END_LINE();
#undef START_WORD
#undef END_LINE
        r->o = o;
        r->words = words;
        r->dropped = dropped;
        return 0;
}

int dedup_text_normalize(struct dedup_norm *n, const char *s, size_t len, uint32_t min_line_words) {
        pthread_once(&bmp_once, bmp_init);
        struct run r;
        int ret = normalize_pass(n, (const uint8_t *)s, len, min_line_words, &r);
        if (ret < 0)
                return ret;
        if (r.words == 0 && r.dropped > 0) {
                /* Nothing but short lines: keep them all. */
                ret = normalize_pass(n, (const uint8_t *)s, len, 0, &r);
                if (ret < 0)
                        return ret;
        }
        n->len = r.o;
        n->words = r.words;
        return 0;
}

void dedup_norm_free(struct dedup_norm *n) {
        free(n->text);
        free(n->starts);
        *n = (struct dedup_norm){ 0 };
}

void dedup_content_hash(const struct dedup_norm *n, uint64_t out[2]) {
        XXH128_hash_t h = XXH3_128bits(n->len ? n->text : "", n->len);
        out[0] = h.low64;
        out[1] = h.high64;
}

void dedup_hash_hex(const uint64_t h[2], char out[33]) {
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < 16; i++) {
                out[i] = hex[(h[1] >> (60 - 4 * i)) & 0xf];
                out[16 + i] = hex[(h[0] >> (60 - 4 * i)) & 0xf];
        }
        out[32] = '\0';
}
