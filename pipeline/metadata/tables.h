/* The metadata stage's generated tables (gazetteer_data.c, written at build
 * time by gen_tables.py from packaged data; see that script for the sources
 * and their licences).
 *
 * Strings live in one pool, NUL-separated, addressed by byte offset. The two
 * hash tables use FNV-1a 64 over the key's bytes and linear probing; a slot
 * holds an index + 1 into its key array, 0 is empty. Keys are lower-cased
 * per code point (utf8proc_tolower), ’ written as ', words separated by one
 * space; stemmed keys of Cyrillic and Greek names start with "\x01". Stop
 * word keys are "lang\x1fword". All of it is read-only. */
#pragma once

#include <stdint.h>

#define MD_TABLE_LANGS 15
#define MD_NO_NAME 0xFFFFFFFFu
#define MD_KEY_CAPS_ONLY 0x80000000u   /* in md_place_key_place: an abbreviation ("US") */

enum md_place_kind {
        MD_PLACE_COUNTRY = 1,
        MD_PLACE_REGION = 2,
        MD_PLACE_CITY = 3,
};

struct md_place {
        uint32_t name;          /* pool offset: the name (English for a country) */
        uint32_t population;    /* cities; 0 for countries and regions */
        uint16_t country;       /* countries: index + 1 into md_country_names */
        char cc[2];             /* ISO 3166-1 alpha-2 of the place's country */
        uint8_t kind;           /* enum md_place_kind */
};

extern const char md_tables_langs[MD_TABLE_LANGS][3];
extern const char md_pool[];
extern const struct md_place md_places[];
extern const uint32_t md_n_places;
/* Per country, its display name per md_tables_langs (pool offset or MD_NO_NAME). */
extern const uint32_t md_country_names[][MD_TABLE_LANGS];

extern const uint32_t md_place_key_offs[];
extern const uint32_t md_place_key_place[];
extern const uint32_t md_place_slots[];
extern const uint32_t md_place_slot_mask;

extern const uint32_t md_stop_offs[];
extern const uint32_t md_stop_slots[];
extern const uint32_t md_stop_slot_mask;
extern const uint32_t md_stop_n_langs;
extern const char md_stop_langs[][3];
