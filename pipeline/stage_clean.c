/* clean: boilerplate out of the body, mojibake repaired.
 *
 * Runs after normalize (so the body is NFC with tidy lines, paragraphs
 * separated by one blank line) and before dedup and language, so that two
 * copies of a story under different site chrome look alike and English menus
 * do not vote on a French article. Every later stage, and the record's body,
 * see the cleaned text.
 *
 * Mojibake: UTF-8 that was once decoded as Windows-1252 or Latin-1 ("â€œ",
 * "Ã©") is decoded back, in the body and the title. A sequence is repaired
 * only when every character maps back to a byte and the bytes form one
 * well-formed UTF-8 character; "â€" whose third byte was a C1 control that
 * normalize dropped is taken as ” (its most common source).
 *
 * Then line by line, a line goes when it is
 * - one of the known boilerplate phrases (menus, share buttons, ad and paywall
 *   markers, "Live", "You may also like"; English, French, German, Spanish,
 *   Italian, Portuguese, Russian; clean.extra_phrases adds more), compared
 *   lower-cased with punctuation ignored;
 * - a short line (at most clean.max_boilerplate_words words) that starts with
 *   a known boilerplate opening ("Read more", "Subscribe to", "Updated" with a
 *   date…; clean.extra_prefixes adds more). A "Published …" line goes too,
 *   and its text is kept in article->clean.dateline for the metadata stage;
 * - a photo caption or credit ("… Image: Yuri Maltsev/REUTERS",
 *   "Photo: …", a line ending in "/AFP" or "Getty Images");
 * - an embedded tweet (pic.twitter.com, or "— Name (@handle) March 23, 2021");
 * - a table row flattened into `|` cells;
 * - part of a numbered list of links (clean.link_list_min_lines or more short
 *   lines "1. …", "2. …" in a row);
 * - a row of share buttons ("Facebook Twitter WhatsApp Email");
 * - a headline in a "You may also like" / "Read more" block (short lines
 *   without a full stop after such a header);
 * - in a paragraph that repeats an earlier one word for word.
 * The count is article->clean.removed_lines. A body that would be left empty
 * is rejected (empty_body): it held nothing but boilerplate. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include <xxhash.h>

#include "stage.h"
#include "utf8.h"

/* --- rules: lines that are boilerplate in the major languages ------------------ */

/* Whole lines, as keys (lower case, punctuation as spaces). */
static const char *const builtin_phrases[] = {
        /* en */
        "skip to content", "skip to main content", "skip to main menu", "skip to navigation", "skip to search",
        "skip to footer", "accessibility links", "accessibility help", "live", "live updates", "menu", "main menu",
        "search", "close", "home", "share", "share this", "share this article", "share this story", "share on facebook",
        "share on twitter", "share via email", "tweet", "email", "print", "copy link", "link copied", "advertisement",
        "advertising", "ad", "sponsored", "sponsored content", "paid content", "you may also like",
        "you might also like", "related", "related articles", "related stories", "related content",
        "related topics", "more on this story", "more from", "read more", "read next", "most read", "most popular",
        "trending", "trending now", "recommended", "recommended for you", "top stories", "sign up", "subscribe",
        "subscribe now", "log in", "sign in", "register", "newsletter", "sign up for our newsletter", "comments",
        "show comments", "view comments", "back to top", "next article", "previous article", "watch", "listen",
        "watch live", "listen to this article", "cookie settings", "accept cookies", "continue reading",
        "this article is for subscribers only", "already a subscriber", "already a subscriber log in",
        "breaking news", "image", "photo", "video", "gallery", "getty images",
        /* fr */
        "aller au contenu", "aller au contenu principal", "passer au contenu", "publicité", "partager",
        "partager cet article", "lire aussi", "à lire aussi", "lire la suite", "vous aimerez aussi",
        "sur le même sujet", "abonnez vous", "s abonner", "se connecter", "connexion", "rechercher", "en direct",
        "direct", "les plus lus", "newsletter", "contenu sponsorisé", "réservé aux abonnés",
        "article réservé aux abonnés", "déjà abonné", "commentaires", "retour en haut",
        /* de */
        "zum inhalt springen", "zum hauptinhalt springen", "zum inhalt", "zur navigation", "anzeige", "werbung",
        "teilen", "artikel teilen", "mehr zum thema", "das könnte sie auch interessieren", "auch interessant",
        "meistgelesen", "jetzt abonnieren", "abonnieren", "anmelden", "einloggen", "suche", "liveticker",
        "newsletter abonnieren", "kommentare", "nach oben", "weiterlesen", "artikel anhören", "bild vergrößern",
        /* es */
        "saltar al contenido", "ir al contenido", "ir al contenido principal", "publicidad", "compartir",
        "compartir en facebook", "compartir en twitter", "te puede interesar", "también te puede interesar",
        "lee también", "lea también", "noticias relacionadas", "suscríbete", "suscribirse", "iniciar sesión",
        "en directo", "en vivo", "lo más leído", "más información", "comentarios", "contenido patrocinado",
        /* it, pt */
        "vai al contenuto", "pubblicità", "condividi", "leggi anche", "potrebbe interessarti", "abbonati",
        "accedi", "ir para o conteúdo", "publicidade", "partilhar", "compartilhar", "leia também", "leia mais",
        "assine", "entrar",
        /* ru */
        "перейти к содержанию", "реклама", "поделиться", "читайте также", "смотрите также", "подписаться",
        "подпишитесь", "войти", "поиск", "прямой эфир", "самое читаемое", "комментарии",
        NULL,
};

/* Openings of short boilerplate lines, as keys. */
enum {
        PFX_PLAIN = 0,
        PFX_NEEDS_DIGIT = 1,   /* only with a digit in the line (a date or time) */
        PFX_DATELINE = 2,      /* a publication date: kept for metadata */
        PFX_RELATED = 4,       /* a block of headlines follows */
};
static const struct {
        const char *key;
        int flags;
} builtin_prefixes[] = {
        { "read more", PFX_RELATED }, { "read also", PFX_RELATED }, { "see also", PFX_RELATED },
        { "related", PFX_RELATED }, { "more from", PFX_RELATED }, { "you may also like", PFX_RELATED },
        { "lire aussi", PFX_RELATED }, { "à lire aussi", PFX_RELATED }, { "a lire aussi", PFX_RELATED },
        { "sur le même sujet", PFX_RELATED }, { "lesen sie auch", PFX_RELATED }, { "mehr zum thema", PFX_RELATED },
        { "das könnte sie auch interessieren", PFX_RELATED }, { "lea también", PFX_RELATED },
        { "lee también", PFX_RELATED }, { "te puede interesar", PFX_RELATED }, { "leggi anche", PFX_RELATED },
        { "leia também", PFX_RELATED }, { "читайте также", PFX_RELATED }, { "смотрите также", PFX_RELATED },
        { "subscribe to", 0 }, { "sign up for", 0 }, { "sign up to", 0 }, { "already a subscriber", 0 },
        { "to continue reading", 0 }, { "continue reading", 0 }, { "this article is for subscribers", 0 },
        { "this content is for subscribers", 0 }, { "become a member", 0 }, { "support our journalism", 0 },
        { "follow us on", 0 }, { "share on", 0 }, { "click here", 0 }, { "abonnez vous", 0 }, { "déjà abonné", 0 },
        { "suivez nous", 0 }, { "cet article est réservé", 0 }, { "jetzt abonnieren", 0 }, { "jetzt weiterlesen", 0 },
        { "folgen sie uns", 0 }, { "dieser artikel ist", 0 }, { "suscríbete", 0 }, { "ya eres suscriptor", 0 },
        { "síguenos en", 0 }, { "este contenido es exclusivo", 0 }, { "подпишитесь на", 0 },
        { "copyright", 0 }, { "all rights reserved", 0 }, { "tous droits réservés", 0 }, { "alle rechte vorbehalten", 0 },
        { "todos los derechos reservados", 0 }, { "все права защищены", 0 },
        { "updated", PFX_NEEDS_DIGIT }, { "last updated", PFX_NEEDS_DIGIT }, { "last modified", PFX_NEEDS_DIGIT },
        { "mis à jour", PFX_NEEDS_DIGIT }, { "mis à jour le", PFX_NEEDS_DIGIT }, { "aktualisiert", PFX_NEEDS_DIGIT },
        { "zuletzt aktualisiert", PFX_NEEDS_DIGIT }, { "actualizado", PFX_NEEDS_DIGIT },
        { "aggiornato", PFX_NEEDS_DIGIT }, { "atualizado", PFX_NEEDS_DIGIT }, { "обновлено", PFX_NEEDS_DIGIT },
        { "published", PFX_NEEDS_DIGIT | PFX_DATELINE }, { "first published", PFX_NEEDS_DIGIT | PFX_DATELINE },
        { "posted", PFX_NEEDS_DIGIT | PFX_DATELINE }, { "publié le", PFX_NEEDS_DIGIT | PFX_DATELINE },
        { "publié", PFX_NEEDS_DIGIT | PFX_DATELINE }, { "veröffentlicht", PFX_NEEDS_DIGIT | PFX_DATELINE },
        { "veröffentlicht am", PFX_NEEDS_DIGIT | PFX_DATELINE }, { "publicado", PFX_NEEDS_DIGIT | PFX_DATELINE },
        { "publicado el", PFX_NEEDS_DIGIT | PFX_DATELINE }, { "pubblicato", PFX_NEEDS_DIGIT | PFX_DATELINE },
        { "опубликовано", PFX_NEEDS_DIGIT | PFX_DATELINE },
        { NULL, 0 },
};

/* Words of a row of share buttons. */
static const char *const share_words[] = {
        "share", "facebook", "twitter", "whatsapp", "email", "e", "mail", "linkedin", "telegram", "reddit",
        "pinterest", "print", "copy", "link", "messenger", "x", "vk", "tweet", "partager", "imprimer", "teilen",
        "drucken", "compartir", "imprimir", "поделиться", "flipboard", "pocket", "threads", "bluesky", NULL,
};

/* Words that introduce a photo credit when followed by ':'. */
static const char *const credit_words[] = {
        "image", "images", "photo", "photos", "photograph", "picture", "pictures", "credit", "credits", "foto",
        "fotos", "bild", "imagen", "crédit", "crédito", "illustration", "source", "фото", "снимок", NULL,
};

/* --- configuration -------------------------------------------------------------- */

static const struct config_key clean_keys[] = {
        { "clean", "builtin_phrases", CONFIG_BOOL, "true",
          "Remove lines that are one of the built-in boilerplate phrases (menus, share buttons, ad and paywall markers, related-article headers) in English, French, German, Spanish, Italian, Portuguese and Russian." },
        { "clean", "extra_phrases", CONFIG_STRING, "",
          "More boilerplate lines, separated by '|': a line equal to one of them (ignoring case and punctuation) is removed." },
        { "clean", "extra_prefixes", CONFIG_STRING, "",
          "More boilerplate openings, separated by '|': a line of at most max_boilerplate_words words that starts with one of them is removed." },
        { "clean", "max_boilerplate_words", CONFIG_INT, "12",
          "Longest line, in words, that a boilerplate opening (\"Read more\", \"Subscribe to\", \"Updated\") removes; longer lines are text.",
          .min = 1, .max = 1000 },
        { "clean", "caption_max_words", CONFIG_INT, "40",
          "Longest line, in words, that a photo credit (\"Image: …/REUTERS\") marks as a caption.",
          .min = 1, .max = 1000 },
        { "clean", "headline_max_words", CONFIG_INT, "18",
          "Longest line, in words, taken for a headline in a related-articles block or a numbered list of links.",
          .min = 1, .max = 1000 },
        { "clean", "link_list_min_lines", CONFIG_INT, "2",
          "Numbered short lines (\"1. …\") in a row that make a list of links to remove.",
          .min = 1, .max = 1000 },
        { "clean", "table_min_pipes", CONFIG_INT, "2",
          "A line with at least this many '|' is a flattened table row and is removed; 0 keeps them.",
          .min = 0, .max = 1000 },
        { "clean", "repeated_min_words", CONFIG_INT, "4",
          "A paragraph of at least this many words that repeats an earlier one word for word is removed; 0 keeps repeats.",
          .min = 0, .max = 100000 },
        { "clean", "repair_mojibake", CONFIG_BOOL, "true",
          "Repair UTF-8 that was decoded as Windows-1252 or Latin-1 (\"â€œ\" back to “), in the body and the title." },
        CONFIG_KEY_END,
};

/* A set of keys by XXH3-64 (open addressing, power-of-two size). */
struct key_set {
        uint64_t *hashes;      /* 0 is empty */
        int *flags;
        size_t mask;
};

struct clean_state {
        struct key_set phrases, prefixes, share, credit;
        int64_t max_boilerplate_words, caption_max_words, headline_max_words;
        int64_t link_list_min_lines, table_min_pipes, repeated_min_words;
        bool repair_mojibake;
};

static uint64_t key_hash(const char *k, size_t len) {
        uint64_t h = XXH3_64bits(k, len);
        return h ? h : 1;
}

static int set_init(struct key_set *s, size_t n) {
        size_t size = 16;
        while (size < n * 2)
                size *= 2;
        s->hashes = calloc(size, sizeof(*s->hashes));
        s->flags = calloc(size, sizeof(*s->flags));
        s->mask = size - 1;
        return s->hashes && s->flags ? 0 : -ENOMEM;
}

static void set_add(struct key_set *s, const char *k, size_t len, int flags) {
        uint64_t h = key_hash(k, len);
        size_t i = h & s->mask;
        while (s->hashes[i] && s->hashes[i] != h)
                i = (i + 1) & s->mask;
        s->hashes[i] = h;
        s->flags[i] |= flags;
}

/* Returns the key's flags + 1, or 0 when it is not in the set. */
static int set_find(const struct key_set *s, const char *k, size_t len) {
        uint64_t h = key_hash(k, len);
        for (size_t i = h & s->mask; s->hashes[i]; i = (i + 1) & s->mask)
                if (s->hashes[i] == h)
                        return s->flags[i] + 1;
        return 0;
}

static void set_free(struct key_set *s) {
        free(s->hashes);
        free(s->flags);
}

static bool is_key_cp(uint32_t cp) {
        switch (utf8proc_category((utf8proc_int32_t)cp)) {
        case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LL: case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: case UTF8PROC_CATEGORY_ND:
        case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC:
                return true;
        default:
                return false;
        }
}

/* The comparison key of s: lower case, every run of other characters one
 * space, trimmed. out has room for 2 × len + 1 bytes (lower-casing can grow
 * a character by a byte). Returns the key's length and its word count. */
static size_t make_key(const char *s, size_t len, char *out, size_t *ret_words) {
        size_t o = 0, words = 0;
        bool space = false;
        for (size_t i = 0; i < len;) {
                uint32_t cp;
                unsigned char b = (unsigned char)s[i];
                size_t n = b < 0x80 ? (cp = b, 1) : utf8_decode((const uint8_t *)s + i, len - i, &cp);
                if (n == 0) {
                        i++;
                        continue;
                }
                i += n;
                bool key_cp = cp < 0x80 ? (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')
                                        : is_key_cp(cp);
                if (cp < 0x80 && key_cp) {   /* ASCII: no table look-up */
                        if (space || o == 0)
                                words++;
                        if (space)
                                out[o++] = ' ';
                        space = false;
                        out[o++] = (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp);
                        continue;
                }
                if (!key_cp) {
                        space = o > 0;
                        continue;
                }
                if (space || o == 0)
                        words++;
                if (space)
                        out[o++] = ' ';
                space = false;
                o += utf8_encode((uint32_t)utf8proc_tolower((utf8proc_int32_t)cp), out + o);
        }
        out[o] = '\0';
        *ret_words = words;
        return o;
}

/* Adds each '|'-separated entry of list to set. */
static void add_list(struct key_set *set, const char *list, int flags) {
        const char *p = list;
        while (*p) {
                const char *end = strchr(p, '|');
                size_t len = end ? (size_t)(end - p) : strlen(p);
                char buf[1024];
                size_t words;
                if (len < sizeof(buf) / 2) {
                        size_t k = make_key(p, len, buf, &words);
                        if (k)
                                set_add(set, buf, k, flags);
                }
                p += len + (end ? 1 : 0);
        }
}

static size_t count_entries(const char *list) {
        size_t n = 1;
        for (const char *p = list; *p; p++)
                n += *p == '|';
        return n;
}

static void clean_fini(void *state) {
        struct clean_state *s = state;
        if (!s)
                return;
        set_free(&s->phrases);
        set_free(&s->prefixes);
        set_free(&s->share);
        set_free(&s->credit);
        free(s);
}

static int clean_init(const struct config *cfg, void **ret_state, char **ret_error) {
        (void)ret_error;
        struct clean_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->max_boilerplate_words = config_get_int(cfg, "clean", "max_boilerplate_words");
        s->caption_max_words = config_get_int(cfg, "clean", "caption_max_words");
        s->headline_max_words = config_get_int(cfg, "clean", "headline_max_words");
        s->link_list_min_lines = config_get_int(cfg, "clean", "link_list_min_lines");
        s->table_min_pipes = config_get_int(cfg, "clean", "table_min_pipes");
        s->repeated_min_words = config_get_int(cfg, "clean", "repeated_min_words");
        s->repair_mojibake = config_get_bool(cfg, "clean", "repair_mojibake");
        bool builtin = config_get_bool(cfg, "clean", "builtin_phrases");
        const char *extra = config_get_string(cfg, "clean", "extra_phrases");
        const char *extra_prefixes = config_get_string(cfg, "clean", "extra_prefixes");

        size_t n_phrases = sizeof(builtin_phrases) / sizeof(builtin_phrases[0]);
        size_t n_prefixes = sizeof(builtin_prefixes) / sizeof(builtin_prefixes[0]);
        if (set_init(&s->phrases, n_phrases + count_entries(extra)) < 0 ||
            set_init(&s->prefixes, n_prefixes + count_entries(extra_prefixes)) < 0 ||
            set_init(&s->share, sizeof(share_words) / sizeof(share_words[0])) < 0 ||
            set_init(&s->credit, sizeof(credit_words) / sizeof(credit_words[0])) < 0) {
                clean_fini(s);
                return -ENOMEM;
        }
        /* Related-block headers and dateline openings work whether or not the
         * phrase lists are on: they are structure, not vocabulary. */
        for (size_t i = 0; builtin_prefixes[i].key; i++)
                if (builtin || (builtin_prefixes[i].flags & PFX_DATELINE))
                        add_list(&s->prefixes, builtin_prefixes[i].key, builtin_prefixes[i].flags);
        for (size_t i = 0; builtin && builtin_phrases[i]; i++)
                add_list(&s->phrases, builtin_phrases[i], 0);
        add_list(&s->phrases, extra, 0);
        add_list(&s->prefixes, extra_prefixes, 0);
        for (size_t i = 0; share_words[i]; i++)
                add_list(&s->share, share_words[i], 0);
        for (size_t i = 0; credit_words[i]; i++)
                add_list(&s->credit, credit_words[i], 0);
        *ret_state = s;
        return 0;
}

/* --- mojibake ------------------------------------------------------------------ */

/* Windows-1252's characters for bytes 0x80-0x9F (0 where it has none). */
static const uint16_t cp1252_high[32] = {
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
        0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0,
};

/* The byte that Windows-1252 (or Latin-1) shows as cp, or -1. */
static int cp1252_byte(uint32_t cp) {
        if (cp >= 0xA0 && cp <= 0xFF)
                return (int)cp;
        if (cp >= 0x80 && cp < 0xA0)
                return (int)cp;   /* Latin-1's C1 range, should one survive */
        for (int i = 0; i < 32; i++)
                if (cp1252_high[i] && cp1252_high[i] == cp)
                        return 0x80 + i;
        return -1;
}

/* Repairs mojibake in s into the arena; returns s itself when nothing was
 * repaired, NULL when out of memory. */
static char *repair_mojibake(struct arena *ar, const char *s, size_t len, size_t *ret_len, uint32_t *ret_repairs) {
        char *out = NULL;
        size_t o = 0, copied = 0;
        uint32_t repairs = 0;
        /* Mojibake starts with one of Ã Â â ð etc., which UTF-8 writes with
         * the lead byte 0xC3 (or 0xC2). The next of each is kept and sought
         * again only once passed: accented text has a 0xC3 every few words,
         * and a fresh search for both each time would rescan to the end. */
        const char *end = s + len, *next_c3 = memchr(s, 0xC3, len), *next_c2 = memchr(s, 0xC2, len);
        for (size_t i = 0; i < len;) {
                if ((unsigned char)s[i] != 0xC3 && (unsigned char)s[i] != 0xC2) {
                        if (next_c3 && next_c3 < s + i)
                                next_c3 = memchr(s + i, 0xC3, (size_t)(end - (s + i)));
                        if (next_c2 && next_c2 < s + i)
                                next_c2 = memchr(s + i, 0xC2, (size_t)(end - (s + i)));
                        const char *next = !next_c3 ? next_c2 : !next_c2 ? next_c3 : next_c2 < next_c3 ? next_c2 : next_c3;
                        if (!next)
                                break;
                        i = (size_t)(next - s);
                        continue;
                }
                uint32_t cp;
                size_t n = utf8_decode((const uint8_t *)s + i, len - i, &cp);
                if (n == 0) {
                        i++;
                        continue;
                }
                int lead = cp >= 0xC2 && cp <= 0xF4 ? (int)cp : -1;
                if (lead < 0) {
                        i += n;
                        continue;
                }
                size_t need = lead < 0xE0 ? 1 : lead < 0xF0 ? 2 : 3;
                uint8_t bytes[4] = { (uint8_t)lead };
                size_t j = i + n, got = 0;
                while (got < need && j < len) {
                        uint32_t c2;
                        size_t n2 = utf8_decode((const uint8_t *)s + j, len - j, &c2);
                        int b = n2 ? cp1252_byte(c2) : -1;
                        if (b < 0x80 || b > 0xBF)
                                break;
                        bytes[1 + got++] = (uint8_t)b;
                        j += n2;
                }
                uint32_t fixed = 0;
                size_t fixed_len = 0;
                if (got == need) {
                        fixed_len = utf8_decode(bytes, need + 1, &fixed);
                        if (fixed_len && fixed < 0xA0)
                                fixed_len = 0;
                } else if (lead == 0xE2 && got == 1 && bytes[1] == 0x80) {
                        fixed = 0x201D;   /* "â€" + a dropped 0x9D */
                        fixed_len = 3;
                } else if (lead == 0xC2 && got == 0 && j < len && s[j] == ' ') {
                        fixed = ' ';      /* "Â" + a no-break space that normalize made a space */
                        fixed_len = 1;
                        j++;
                }
                if (!fixed_len) {
                        i += n;
                        continue;
                }
                if (!out) {
                        out = arena_alloc(ar, len + 1);
                        if (!out)
                                return NULL;
                }
                memcpy(out + o, s + copied, i - copied);
                o += i - copied;
                o += utf8_encode(fixed, out + o);
                copied = i = j;
                repairs++;
        }
        if (!out) {
                *ret_len = len;
                *ret_repairs = 0;
                return (char *)s;
        }
        memcpy(out + o, s + copied, len - copied);
        o += len - copied;
        out[o] = '\0';
        *ret_len = o;
        *ret_repairs = repairs;
        return out;
}

/* --- line rules ------------------------------------------------------------------ */

struct line {
        const char *s;
        size_t len;
        size_t words;          /* words of the key */
        size_t paragraph;
        bool drop;
        bool numbered;         /* "1. …" short, no full stop */
        bool headline;         /* short, no full stop */
};

static bool has_digit(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] >= '0' && s[i] <= '9')
                        return true;
        return false;
}

/* Whether the line ends like a sentence (or a clause: ':' ';' ','), after
 * closing quotes and brackets. A headline ends otherwise (a question mark
 * included). */
static bool ends_sentence(const char *s, size_t len) {
        for (;;) {
                while (len && (s[len - 1] == ' ' || s[len - 1] == '"' || s[len - 1] == '\'' || s[len - 1] == ')' ||
                               s[len - 1] == ']'))
                        len--;
                if (len >= 3 && (memcmp(s + len - 3, "\xE2\x80\x9D", 3) == 0 || memcmp(s + len - 3, "\xE2\x80\x99", 3) == 0 ||
                                 memcmp(s + len - 3, "\xE2\x80\x9C", 3) == 0)) {
                        len -= 3;
                        continue;
                }
                if (len >= 2 && memcmp(s + len - 2, "\xC2\xBB", 2) == 0) {
                        len -= 2;
                        continue;
                }
                break;
        }
        if (!len)
                return false;
        if (len >= 3 && memcmp(s + len - 3, "\xE2\x80\xA6", 3) == 0)
                return true;
        char c = s[len - 1];
        return c == '.' || c == '!' || c == ':' || c == ';' || c == ',';
}

/* A photo credit: "… Image: Name/AGENCY", "Photo: …", a line that ends in
 * "/AGENCY" or "Getty Images". */
static bool is_caption(const struct clean_state *st, const char *s, size_t len, size_t words, char *scratch) {
        if ((int64_t)words > st->caption_max_words)
                return false;
        /* "Word:" where Word is a credit word, with few words after it. */
        for (const char *colon = memchr(s, ':', len); colon; colon = memchr(colon + 1, ':', len - (size_t)(colon + 1 - s))) {
                size_t i = (size_t)(colon - s);
                size_t b = i;
                while (b > 0 && s[b - 1] == ' ')
                        b--;
                size_t a = b;
                while (a > 0 && s[a - 1] != ' ' && s[a - 1] != '(' && s[a - 1] != '[')
                        a--;
                size_t w;
                size_t k = make_key(s + a, b - a, scratch, &w);
                if (k && w == 1 && set_find(&st->credit, scratch, k)) {
                        size_t rest;
                        make_key(s + i + 1, len - i - 1, scratch, &rest);
                        if (rest >= 1 && rest <= 8)
                                return true;
                }
        }
        /* ".../AGENCY" or "/Getty Images" at the end. */
        size_t e = len;
        while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == ')' || s[e - 1] == ']'))
                e--;
        if (e >= 12 && memcmp(s + e - 12, "Getty Images", 12) == 0)
                return true;
        size_t slash = e;
        while (slash > 0 && s[slash - 1] != '/' && s[slash - 1] != ' ')
                slash--;
        if (slash > 1 && s[slash - 1] == '/' && s[slash - 2] != '/' && e - slash >= 2) {
                bool caps = true;
                for (size_t i = slash; i < e; i++)
                        if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '-'))
                                caps = false;
                return caps;
        }
        return false;
}

/* "pic.twitter.com/…", a link to a tweet, or "— Name (@handle) March 23, 2021". */
static bool is_embedded_tweet(const char *s, size_t len) {
        if (!memchr(s, '/', len) && !memchr(s, '@', len))
                return false;
        if (memmem(s, len, "pic.twitter.com/", 16))
                return true;
        if ((memmem(s, len, "twitter.com/", 12) || memmem(s, len, "://x.com/", 9)) && memmem(s, len, "/status/", 8))
                return true;
        const char *at = memmem(s, len, "(@", 2);
        const char *close = at ? memchr(at, ')', len - (size_t)(at - s)) : NULL;
        if (!close)
                return false;
        /* a year (19xx or 20xx) after the handle */
        for (const char *p = close; p + 4 <= s + len; p++)
                if ((p[0] == '1' || p[0] == '2') && (p[1] == '9' || p[1] == '0') && p[2] >= '0' && p[2] <= '9' &&
                    p[3] >= '0' && p[3] <= '9')
                        return true;
        return false;
}

static bool is_share_row(const struct clean_state *st, const char *key, size_t klen, size_t words) {
        if (words < 2)
                return false;
        for (size_t i = 0; i < klen;) {
                size_t e = i;
                while (e < klen && key[e] != ' ')
                        e++;
                if (!set_find(&st->share, key + i, e - i))
                        return false;
                i = e + 1;
        }
        return true;
}

static bool is_numbered(const char *s, size_t len) {
        size_t i = 0;
        while (i < len && i < 3 && s[i] >= '0' && s[i] <= '9')
                i++;
        return i > 0 && i + 1 < len && (s[i] == '.' || s[i] == ')') && s[i + 1] == ' ';
}

/* Looks up the line's first 1-6 words among the openings; returns their
 * flags + 1, or 0. */
static int find_prefix(const struct clean_state *st, const char *key, size_t klen, size_t *ret_prefix_len) {
        int found = 0;
        for (size_t i = 0, words = 0; i <= klen && words < 6; i++) {
                if (i == klen || key[i] == ' ') {
                        words++;
                        int f = set_find(&st->prefixes, key, i);
                        if (f) {
                                found = f;
                                *ret_prefix_len = i;
                        }
                }
        }
        return found;
}

/* The text of a dateline after its opening words: the line from the first
 * digit or letter after `prefix_words` words. */
static const char *dateline_text(struct arena *ar, const char *s, size_t len, size_t prefix_words) {
        size_t i = 0, words = 0;
        bool in_word = false;
        for (; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                bool word_char = c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
                if (word_char && !in_word) {
                        if (words == prefix_words)
                                break;
                        words++;
                }
                in_word = word_char;
        }
        return arena_strndup(ar, s + i, len - i);
}

static size_t count_words(const char *k, size_t len) {
        size_t w = 0;
        for (size_t i = 0; i < len; i++)
                if (k[i] == ' ')
                        w++;
        return len ? w + 1 : 0;
}

static enum stage_verdict clean_process(void *state, struct article *a) {
        struct clean_state *st = state;
        a->clean = (struct article_clean){ .done = true };
        if (!a->body)
                return STAGE_CONTINUE;

        if (st->repair_mojibake) {
                uint32_t r = 0, rt = 0;
                size_t len;
                char *body = repair_mojibake(a->arena, a->body, a->body_len, &len, &r);
                if (!body)
                        return article_reject(a, "out_of_memory", "cannot repair the body");
                a->body = body;
                a->body_len = len;
                if (a->title) {
                        char *t = repair_mojibake(a->arena, a->title, strlen(a->title), &len, &rt);
                        if (!t)
                                return article_reject(a, "out_of_memory", "cannot repair the title");
                        a->title = t;
                }
                a->clean.mojibake_repairs = r + rt;
        }

        /* The lines. */
        const char *b = a->body;
        size_t blen = a->body_len, n_lines = 1, longest = 0;
        for (const char *nl = memchr(b, '\n', blen); nl; nl = memchr(nl + 1, '\n', blen - (size_t)(nl + 1 - b)))
                n_lines++;
        struct line *lines = arena_calloc(a->arena, n_lines, sizeof(*lines));
        if (!lines)
                return article_reject(a, "out_of_memory", "cannot split the body into lines");
        size_t n = 0, paragraph = 0;
        for (size_t i = 0; i <= blen;) {
                const char *nl = i < blen ? memchr(b + i, '\n', blen - i) : NULL;
                size_t e = nl ? (size_t)(nl - b) : blen;
                if (e > i) {
                        lines[n] = (struct line){ .s = b + i, .len = e - i, .paragraph = paragraph };
                        if (e - i > longest)
                                longest = e - i;
                        n++;
                } else if (n) {
                        paragraph = lines[n - 1].paragraph + 1;
                }
                i = e + 1;
        }
        char *key = arena_alloc(a->arena, 2 * longest + 2);
        char *scratch = arena_alloc(a->arena, 2 * longest + 2);
        if (!key || !scratch)
                return article_reject(a, "out_of_memory", "cannot clean the body");

        bool in_related = false;
        size_t related_paragraph = 0;
        /* Phrases, openings and headlines are short: a longer line needs no
         * key (captions, tweets and tables are checked on the line itself). */
        int64_t longest_rule = st->max_boilerplate_words;
        if (st->headline_max_words > longest_rule)
                longest_rule = st->headline_max_words;
        for (size_t i = 0; i < n; i++) {
                struct line *l = &lines[i];
                size_t words, spaces = 0;
                for (size_t k = 0; k < l->len; k++)
                        spaces += l->s[k] == ' ';
                size_t klen;
                if ((int64_t)spaces >= longest_rule) {
                        /* Longer than a phrase, an opening or a headline: the
                         * word count (spaces stand in) is all a key would give. */
                        klen = 0;
                        words = spaces + 1;
                        l->words = words;
                        in_related = false;
                        if (is_embedded_tweet(l->s, l->len) || is_caption(st, l->s, l->len, words, scratch))
                                l->drop = true;
                        else if (st->table_min_pipes > 0) {
                                int64_t pipes = 0;
                                for (size_t k = 0; k < l->len; k++)
                                        pipes += l->s[k] == '|';
                                l->drop = pipes >= st->table_min_pipes;
                        }
                        continue;
                }
                klen = make_key(l->s, l->len, key, &words);
                l->words = words;
                l->headline = (int64_t)words <= st->headline_max_words && !ends_sentence(l->s, l->len);
                l->numbered = l->headline && is_numbered(l->s, l->len);
                if (in_related) {
                        /* Headlines after a "You may also like" header, up to the
                         * first line of text or the second paragraph of text. */
                        if (l->headline && l->paragraph <= related_paragraph + 8) {
                                l->drop = true;
                                continue;
                        }
                        in_related = false;
                }
                if (klen == 0)
                        continue;
                /* "© 2021 Example News", "(c) Example" */
                if ((l->len >= 2 && memcmp(l->s, "\xC2\xA9", 2) == 0) || (l->len >= 3 && memcmp(l->s, "(c)", 3) == 0) ||
                    (l->len >= 3 && memcmp(l->s, "(C)", 3) == 0)) {
                        l->drop = true;
                        continue;
                }
                if (set_find(&st->phrases, key, klen)) {
                        l->drop = true;
                        size_t pl;
                        int f = find_prefix(st, key, klen, &pl);
                        if (f && ((f - 1) & PFX_RELATED)) {
                                in_related = true;
                                related_paragraph = l->paragraph;
                        }
                        continue;
                }
                if ((int64_t)words <= st->max_boilerplate_words) {
                        size_t pl = 0;
                        int f = find_prefix(st, key, klen, &pl);
                        if (f) {
                                int flags = f - 1;
                                if (!(flags & PFX_NEEDS_DIGIT) || has_digit(l->s, l->len)) {
                                        l->drop = true;
                                        if ((flags & PFX_DATELINE) && !a->clean.dateline)
                                                a->clean.dateline = dateline_text(a->arena, l->s, l->len, count_words(key, pl));
                                        if (flags & PFX_RELATED) {
                                                in_related = true;
                                                related_paragraph = l->paragraph;
                                        }
                                        continue;
                                }
                        }
                }
                if (is_share_row(st, key, klen, words) || is_embedded_tweet(l->s, l->len) ||
                    is_caption(st, l->s, l->len, words, scratch)) {
                        l->drop = true;
                        continue;
                }
                if (st->table_min_pipes > 0) {
                        int64_t pipes = 0;
                        for (size_t j = 0; j < l->len; j++)
                                pipes += l->s[j] == '|';
                        if (pipes >= st->table_min_pipes) {
                                l->drop = true;
                                continue;
                        }
                }
        }
        /* Numbered lists of links: runs of numbered short lines. */
        for (size_t i = 0; i < n;) {
                size_t j = i;
                while (j < n && lines[j].numbered)
                        j++;
                if ((int64_t)(j - i) >= st->link_list_min_lines)
                        for (size_t k = i; k < j; k++)
                                lines[k].drop = true;
                i = j > i ? j : i + 1;
        }

        /* Repeated paragraphs: the second copy of a paragraph of enough words. */
        uint64_t *seen = st->repeated_min_words > 0 ? arena_calloc(a->arena, paragraph + 1, sizeof(*seen)) : NULL;
        size_t n_seen = 0;
        for (size_t i = 0; seen && i < n;) {
                size_t j = i, words = 0;
                while (j < n && lines[j].paragraph == lines[i].paragraph)
                        words += lines[j++].words;
                if ((int64_t)words >= st->repeated_min_words) {
                        uint64_t h = XXH3_64bits(lines[i].s, (size_t)(lines[j - 1].s + lines[j - 1].len - lines[i].s));
                        bool repeat = false;
                        for (size_t k = 0; k < n_seen && !repeat; k++)
                                repeat = seen[k] == h;
                        if (repeat) {
                                a->clean.repeated_paragraphs++;
                                for (size_t k = i; k < j; k++)
                                        lines[k].drop = true;
                        } else {
                                seen[n_seen++] = h;
                        }
                }
                i = j;
        }

        /* The kept lines, paragraphs apart by a blank line. */
        char *out = arena_alloc(a->arena, blen + 1);
        if (!out)
                return article_reject(a, "out_of_memory", "cannot clean the body");
        size_t o = 0, last_paragraph = 0;
        bool any = false;
        for (size_t i = 0; i < n; i++) {
                if (lines[i].drop) {
                        a->clean.removed_lines++;
                        continue;
                }
                if (any) {
                        out[o++] = '\n';
                        if (lines[i].paragraph != last_paragraph)
                                out[o++] = '\n';
                }
                memcpy(out + o, lines[i].s, lines[i].len);
                o += lines[i].len;
                last_paragraph = lines[i].paragraph;
                any = true;
        }
        out[o] = '\0';
        if (!any)
                return article_reject(a, "empty_body", "nothing but boilerplate (%u lines) in the body",
                                      a->clean.removed_lines);
        if (a->clean.removed_lines) {
                a->body = out;
                a->body_len = o;
        }
        return STAGE_CONTINUE;
}

const struct stage stage_clean = {
        .name = "clean",
        .config_keys = clean_keys,
        .init = clean_init,
        .process = clean_process,
        .fini = clean_fini,
};
