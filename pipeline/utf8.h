/* UTF-8 checks and repair, per the Unicode standard's well-formed byte
 * sequences (Table 3-7): no overlong forms, no surrogates, nothing above
 * U+10FFFF. Repair replaces each maximal ill-formed subpart with U+FFFD, as
 * the standard recommends, so the count of replacements is well defined. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"

/* Length of the well-formed sequence starting at s (1-4), or 0 when the bytes
 * there are ill-formed; *ret_cp receives the code point. */
size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *ret_cp);
/* Writes cp as UTF-8 into out (room for 4 bytes); returns the length. */
size_t utf8_encode(uint32_t cp, char *out);

struct utf8_scan {
        size_t invalid_sequences;   /* maximal ill-formed subparts */
        size_t invalid_bytes;
        size_t multibyte_sequences; /* well-formed sequences of 2-4 bytes */
        size_t nul_bytes;
};

/* Returns true when s is entirely well-formed UTF-8. */
bool utf8_scan(const uint8_t *s, size_t len, struct utf8_scan *ret_scan);

/* Copies s into the arena with every ill-formed subpart replaced by U+FFFD;
 * NUL-terminated. Returns NULL when out of memory. */
char *utf8_repair(struct arena *a, const uint8_t *s, size_t len, size_t *ret_len);
