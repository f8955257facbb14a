/* The text that deduplication compares: the body's words, case-folded, one
 * space between them.
 *
 * A word is a run of letters, marks and digits (Unicode categories L, M, N);
 * everything else (punctuation, symbols, whitespace) separates words, so
 * "Navalny’s" and "Navalny's" both give "navalny s". In scripts written
 * without spaces (Han, Hiragana, Katakana) each character is a word, as in
 * the counts stage. Case folding is Unicode full case folding (utf8proc):
 * "Straße" and "STRASSE" are the same word.
 *
 * (utf8proc is asked once per process for the whole Basic Multilingual
 * Plane, a 256 KiB table, then only for the rare characters that fold to
 * several.)
 *
 * Boilerplate: a line (text between line breaks) with fewer than
 * min_line_words words is left out — menus ("Skip to content"), share
 * buttons, photo credits ("Image: Yuri Maltsev/REUTERS"), datelines. When
 * that would leave nothing, every line is kept. Longer boilerplate is the
 * clean stage's business; near-duplicate matching tolerates it. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct dedup_norm {
        char *text;        /* words separated by one space; not NUL-terminated */
        size_t len;
        size_t cap;
        uint32_t words;
        uint32_t *starts;  /* where each word starts in text */
        size_t starts_cap;
};

/* Normalizes s[0..len) into n->text (grown as needed; keep n between calls
 * to reuse the buffer). Returns 0 or -ENOMEM. */
int dedup_text_normalize(struct dedup_norm *n, const char *s, size_t len, uint32_t min_line_words);
void dedup_norm_free(struct dedup_norm *n);

/* XXH3-128 of the normalized text: out[0] the low, out[1] the high 64 bits. */
void dedup_content_hash(const struct dedup_norm *n, uint64_t out[2]);

/* 32 lowercase hex digits and a NUL: the high 64 bits first, as
 * XXH128_canonicalFromHash() orders them. */
void dedup_hash_hex(const uint64_t h[2], char out[33]);
