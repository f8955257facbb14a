/* Places and stop words, looked up in the generated tables (tables.h).
 *
 * A place key is tried as written (lower-cased); for Cyrillic and Greek also
 * stemmed, word by word, so that "в Германии" finds Германия; for other
 * scripts also without a final genitive s ("Deutschlands"). A place's name
 * is given in the article's language when the tables have one (countries),
 * else as the tables have it. (Stop words are looked up with the rule words:
 * rules.c.) */
#include <string.h>

#include "metadata.h"
#include "tables.h"

static uint64_t fnv1a(const char *s, size_t len) {
        uint64_t h = 0xCBF29CE484222325ull;
        for (size_t i = 0; i < len; i++) {
                h ^= (unsigned char)s[i];
                h *= 0x100000001B3ull;
        }
        return h;
}

/* The index of key in the place table, or -1. */
static int64_t place_key(const char *key, size_t len) {
        uint64_t h = fnv1a(key, len) & md_place_slot_mask;
        for (uint32_t slot; (slot = md_place_slots[h]) != 0; h = (h + 1) & md_place_slot_mask) {
                const char *k = md_pool + md_place_key_offs[slot - 1];
                if (strncmp(k, key, len) == 0 && k[len] == '\0')
                        return slot - 1;
        }
        return -1;
}

static int lang_index(const char *code) {
        for (int i = 0; i < MD_TABLE_LANGS; i++)
                if (strcmp(md_tables_langs[i], code) == 0)
                        return i;
        return 0;
}

static bool hit(const struct md_doc *d, int64_t k, bool caps, struct md_place_hit *ret) {
        if (k < 0)
                return false;
        uint32_t v = md_place_key_place[k];
        if ((v & MD_KEY_CAPS_ONLY) && !caps)
                return false;
        const struct md_place *p = &md_places[v & ~MD_KEY_CAPS_ONLY];
        if (p->kind == MD_PLACE_CITY && p->population < (uint64_t)d->set->city_min_population)
                return false;
        ret->name = md_pool + p->name;
        if (p->country) {
                uint32_t off = md_country_names[p->country - 1][lang_index(d->lang_code)];
                if (off != MD_NO_NAME)
                        ret->name = md_pool + off;
        }
        ret->kind = p->kind == MD_PLACE_COUNTRY ? "country" : p->kind == MD_PLACE_REGION ? "region" : "city";
        ret->country[0] = p->cc[0];
        ret->country[1] = p->cc[1];
        ret->country[2] = '\0';
        ret->population = p->population;
        return true;
}

static bool has_cyrillic_or_greek(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c >= 0xCE && c <= 0xD4)   /* lead bytes of U+0380-U+053F */
                        return true;
        }
        return false;
}

bool md_gazetteer_find(const struct md_doc *d, const char *key, size_t len, bool caps, struct md_place_hit *ret) {
        if (hit(d, place_key(key, len), caps, ret))
                return true;
        if (len + 2 > 256)
                return false;
        char buf[256];
        if (has_cyrillic_or_greek(key, len)) {
                size_t o = 0;
                buf[o++] = '\x01';
                for (size_t i = 0; i < len;) {
                        size_t e = i;
                        while (e < len && key[e] != ' ')
                                e++;
                        memcpy(buf + o, key + i, e - i);
                        o += md_stem(buf + o, e - i);
                        if (e < len)
                                buf[o++] = ' ';
                        i = e + 1;
                }
                return hit(d, place_key(buf, o), caps, ret);
        }
        /* German genitive: Deutschlands, Berlins */
        if (d->lang == MD_LANG_DE && len > 4 && key[len - 1] == 's')
                return hit(d, place_key(key, len - 1), caps, ret);
        return false;
}
