/* normalize: valid UTF-8 in Unicode NFC with tidy whitespace.
 *
 * Encoding: a body that is well-formed UTF-8 is kept; one with no valid
 * multi-byte sequence at all but with high bytes is taken to be in the legacy
 * 8-bit encoding of normalize.fallback_encoding and converted (iconv); one
 * with a few broken sequences has them replaced by U+FFFD; one where more
 * than normalize.max_invalid_utf8_ratio of the bytes are broken is binary or
 * in an unknown encoding, and is rejected (invalid_utf8).
 *
 * Then: control characters, NUL and zero-width characters out; Unicode
 * spaces to ' '; CR LF and CR to LF; NFC (utf8proc); runs of spaces to one;
 * lines trimmed; three or more line breaks to one blank line. A body left
 * empty is rejected (empty_body). The title and the other short fields get
 * the same treatment on one line. A body longer than
 * normalize.max_body_bytes is rejected (body_too_large) before any of this. */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#include "stage.h"
#include "utf8.h"

struct normalize_state {
        int64_t max_body_bytes;
        double max_invalid_ratio;
        double max_control_ratio;
        char *fallback_encoding;   /* NULL: none */
};

static const struct config_key normalize_keys[] = {
        { "normalize", "max_body_bytes", CONFIG_INT, "512KiB",
          "Bodies longer than this (in bytes, before any decoding or repair) are dead-lettered (error body_too_large) before any work on them: normalizing takes up to some 10 bytes of memory per byte of body.",
          .min = 1, .max = 1073741824 },
        { "normalize", "max_invalid_utf8_ratio", CONFIG_DOUBLE, "0.01",
          "Largest share of bytes in broken UTF-8 sequences that is repaired (with U+FFFD); above it the message is dead-lettered as invalid_utf8.",
          .min = 0, .max = 1 },
        { "normalize", "max_control_ratio", CONFIG_DOUBLE, "0.05",
          "Largest share of control characters (NUL and other non-whitespace C0/C1 codes) in the decoded body; above it the message is binary data and is dead-lettered as binary.",
          .min = 0, .max = 1 },
        { "normalize", "fallback_encoding", CONFIG_STRING, "WINDOWS-1252",
          "Encoding (an iconv name) assumed for text with no valid UTF-8 multi-byte sequence; empty to reject such text instead." },
        CONFIG_KEY_END,
};

static int normalize_init(const struct config *cfg, void **ret_state, char **ret_error) {
        struct normalize_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->max_body_bytes = config_get_int(cfg, "normalize", "max_body_bytes");
        s->max_invalid_ratio = config_get_double(cfg, "normalize", "max_invalid_utf8_ratio");
        s->max_control_ratio = config_get_double(cfg, "normalize", "max_control_ratio");
        const char *enc = config_get_string(cfg, "normalize", "fallback_encoding");
        if (*enc) {
                iconv_t cd = iconv_open("UTF-8", enc);
                if (cd == (iconv_t)-1) {
                        if (asprintf(ret_error, "normalize.fallback_encoding: iconv does not know '%s'", enc) < 0)
                                *ret_error = NULL;
                        free(s);
                        return -EINVAL;
                }
                iconv_close(cd);
                s->fallback_encoding = strdup(enc);
                if (!s->fallback_encoding) {
                        free(s);
                        return -ENOMEM;
                }
        }
        *ret_state = s;
        return 0;
}

static void normalize_fini(void *state) {
        struct normalize_state *s = state;
        if (!s)
                return;
        free(s->fallback_encoding);
        free(s);
}

/* Converts from a legacy encoding into the arena. Returns NULL when iconv
 * cannot (a byte that has no mapping). */
static char *transcode(struct arena *ar, const char *encoding, const char *in, size_t len, size_t *ret_len) {
        iconv_t cd = iconv_open("UTF-8", encoding);
        if (cd == (iconv_t)-1)
                return NULL;
        /* An 8-bit encoding needs at most 3 UTF-8 bytes per byte. */
        size_t cap = len * 3 + 1;
        char *out = arena_alloc(ar, cap);
        char *ip = (char *)in, *op = out;
        size_t il = len, ol = cap - 1;
        size_t r = out ? iconv(cd, &ip, &il, &op, &ol) : (size_t)-1;
        iconv_close(cd);
        if (r == (size_t)-1)
                return NULL;
        *op = '\0';
        *ret_len = (size_t)(op - out);
        return out;
}

static bool is_space_cp(uint32_t cp) {
        return cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
               cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static bool is_dropped_cp(uint32_t cp) {
        /* C0 controls but tab and line breaks, DEL, C1 controls, the
         * zero-width space, word joiner and BOM, soft hyphens,
         * non-characters. The zero-width (non-)joiners stay: they spell
         * Persian and Indic words and join emoji sequences. */
        if (cp < 0x20)
                return cp != '\t' && cp != '\n' && cp != '\r';
        if (cp >= 0x7F && cp < 0xA0)
                return true;
        if (cp == 0x200B || cp == 0x2060 || cp == 0xFEFF || cp == 0xAD)
                return true;
        return (cp & 0xFFFE) == 0xFFFE || (cp >= 0xFDD0 && cp <= 0xFDEF);
}

/* Counts code points and, among them, control characters that are not
 * whitespace: text has few, binary data many. */
static void count_controls(const char *s, size_t len, size_t *ret_controls, size_t *ret_total) {
        size_t controls = 0, total = 0;
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
                if (n == 0)
                        n = 1;
                else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r' && cp != '\f' && cp != '\v') ||
                         (cp >= 0x7F && cp < 0xA0))
                        controls++;
                total++;
                i += n;
        }
        *ret_controls = controls;
        *ret_total = total;
}

/* Cleans well-formed UTF-8 `in` into the arena: drops controls, maps spaces
 * and line breaks, collapses whitespace. With `one_line`, line breaks become
 * spaces. Returns the new length through *ret_len. */
static char *tidy(struct arena *ar, const char *in, size_t len, bool one_line, size_t *ret_len) {
        char *out = arena_alloc(ar, len + 1);
        if (!out)
                return NULL;
        size_t o = 0;
        unsigned pending_newlines = 0;
        bool pending_space = false;
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                size_t n = utf8_decode((const uint8_t *)in + i, len - i, &cp);
                if (n == 0) {   /* cannot happen after repair; skip the byte */
                        i++;
                        continue;
                }
                if (cp == '\r') {
                        cp = '\n';
                        if (i + 1 < len && in[i + 1] == '\n')
                                n = 2;
                }
                if (cp == 0x2028 || cp == 0x2029 || cp == 0x85)
                        cp = '\n';
                i += n;
                if (cp == '\n' && !one_line) {
                        pending_newlines++;
                        pending_space = false;   /* trailing spaces of a line go */
                        continue;
                }
                if (cp == '\n' || is_space_cp(cp)) {
                        pending_space = true;
                        continue;
                }
                if (is_dropped_cp(cp))
                        continue;
                if (o > 0) {
                        if (pending_newlines)
                                out[o++] = '\n';
                        if (pending_newlines > 1)
                                out[o++] = '\n';
                        if (!pending_newlines && pending_space)
                                out[o++] = ' ';
                }
                pending_newlines = 0;
                pending_space = false;
                o += utf8_encode(cp, out + o);
        }
        out[o] = '\0';
        *ret_len = o;
        return out;
}

/* NFC into the arena, without malloc: utf8proc decomposes into a code point
 * buffer, composes and re-encodes in place. ASCII is already NFC. */
/* Whether NFC can change text holding this code point. Letters of the
 * Latin, Greek and Cyrillic blocks and the common punctuation and currency
 * signs are all NFC_Quick_Check=Yes and never compose with what precedes
 * them (Unicode's DerivedNormalizationProps), except three Greek singletons;
 * for anything else (combining marks, Hangul, Indic scripts, …) the text
 * goes through utf8proc. */
static bool nfc_may_change(uint32_t cp) {
        if (cp < 0x300)
                return false;
        if (cp >= 0x370 && cp <= 0x3FF)
                return cp == 0x374 || cp == 0x37E || cp == 0x387;
        if (cp >= 0x400 && cp <= 0x52F)
                return false;
        if ((cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205E) || (cp >= 0x20A0 && cp <= 0x20C0))
                return false;
        return true;
}

static char *nfc(struct arena *ar, char *s, size_t len, size_t *ret_len) {
        /* Most text is already in NFC: skip the decompose-and-compose round
         * trip when no code point can change. */
        bool stable = true;
        for (size_t i = 0; i < len && stable;) {
                if ((unsigned char)s[i] < 0x80) {
                        i++;
                        continue;
                }
                uint32_t cp;
                size_t n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
                stable = n && !nfc_may_change(cp);
                i += n ? n : 1;
        }
        if (stable) {
                *ret_len = len;
                return s;
        }
        const utf8proc_option_t opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE;
        utf8proc_ssize_t need = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, NULL, 0, opts);
        if (need < 0)
                return NULL;
        /* Room for the code points and, re-encoded in place, their UTF-8. */
        utf8proc_int32_t *buf = arena_alloc(ar, ((size_t)need + 1) * sizeof(utf8proc_int32_t));
        if (!buf)
                return NULL;
        utf8proc_ssize_t n = utf8proc_decompose((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)len, buf, need, opts);
        if (n < 0 || n > need)
                return NULL;
        n = utf8proc_reencode(buf, n, opts);
        if (n < 0)
                return NULL;
        *ret_len = (size_t)n;
        return (char *)buf;
}

static char *clean_field(struct arena *ar, char *s) {
        if (!s)
                return NULL;
        size_t len = strlen(s), l2;
        if (!utf8_scan((const uint8_t *)s, len, NULL)) {
                s = utf8_repair(ar, (const uint8_t *)s, len, &len);
                if (!s)
                        return NULL;
        }
        char *t = tidy(ar, s, len, true, &l2);
        if (!t)
                return NULL;
        t = nfc(ar, t, l2, &l2);
        return t && *t ? t : NULL;
}

static enum stage_verdict normalize_process(void *state, struct article *a) {
        struct normalize_state *s = state;
        const char *text = a->body;
        size_t len = a->body_len;
        if ((int64_t)len > s->max_body_bytes)
                return article_reject(a, "body_too_large", "the body has %zu bytes; normalize.max_body_bytes is %lld",
                                      len, (long long)s->max_body_bytes);

        struct utf8_scan scan;
        if (!utf8_scan((const uint8_t *)text, len, &scan)) {
                if (scan.multibyte_sequences == 0 && s->fallback_encoding) {
                        text = transcode(a->arena, s->fallback_encoding, text, len, &len);
                        if (!text)
                                return article_reject(a, "invalid_utf8",
                                                      "not UTF-8, and not %s either", s->fallback_encoding);
                        a->transcoded = true;
                } else if ((double)scan.invalid_bytes <= s->max_invalid_ratio * (double)len) {
                        text = utf8_repair(a->arena, (const uint8_t *)text, len, &len);
                        if (!text)
                                return article_reject(a, "out_of_memory", "cannot repair the body");
                        a->utf8_replacements += (uint32_t)scan.invalid_sequences;
                } else {
                        return article_reject(a, "invalid_utf8",
                                              "%zu of %zu bytes are in broken UTF-8 sequences (limit %.1f%%)",
                                              scan.invalid_bytes, len, s->max_invalid_ratio * 100);
                }
        }

        size_t controls, total;
        count_controls(text, len, &controls, &total);
        if ((double)controls > s->max_control_ratio * (double)total)
                return article_reject(a, "binary", "%zu of %zu characters are control characters (limit %.1f%%)",
                                      controls, total, s->max_control_ratio * 100);

        size_t tl;
        char *t = tidy(a->arena, text, len, false, &tl);
        if (t)
                t = nfc(a->arena, t, tl, &tl);
        if (!t)
                return article_reject(a, "out_of_memory", "cannot normalize the body");
        if (tl == 0)
                return article_reject(a, "empty_body", "the body is empty once whitespace and control characters are removed");
        a->body = t;
        a->body_len = tl;

        a->title = clean_field(a->arena, a->title);
        a->url = clean_field(a->arena, a->url);
        a->id = clean_field(a->arena, a->id);
        a->publisher = clean_field(a->arena, a->publisher);
        a->language_hint = clean_field(a->arena, a->language_hint);
        size_t kept = 0;
        for (size_t i = 0; i < a->n_authors; i++) {
                char *au = clean_field(a->arena, a->authors[i]);
                if (au)
                        a->authors[kept++] = au;
        }
        a->n_authors = kept;
        if (!a->id)
                return article_reject(a, "no_id", "the article id is empty once normalized");
        return STAGE_CONTINUE;
}

const struct stage stage_normalize = {
        .name = "normalize",
        .config_keys = normalize_keys,
        .init = normalize_init,
        .process = normalize_process,
        .fini = normalize_fini,
};
