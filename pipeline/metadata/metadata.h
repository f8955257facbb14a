/* The metadata stage's parts and what they share (internal to pipeline/metadata/).
 *
 * stage_metadata.c is the adapter (configuration, init/process/fini, title
 * and lead). It tokenizes the body once (text.c) into a struct md_doc; then
 * names.c finds people, organizations and places (with gazetteer.c's
 * generated tables and rules.c's word lists), quotes.c the quotations, their
 * speakers and the cited sources, dates.c the dates, keywords.c the keywords,
 * hashtags, links and e-mail addresses. Everything per article is allocated
 * from the article's arena; the rule tables are built once, in init. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "pipeline/arena.h"
#include "pipeline/article.h"

/* Languages with rules of their own; the others get the union of them. */
enum md_lang {
        MD_LANG_OTHER = 0,
        MD_LANG_EN,
        MD_LANG_FR,
        MD_LANG_DE,
        MD_LANG_ES,
        MD_LANG_IT,
        MD_LANG_PT,
        MD_LANG_RU,
        MD_LANG_EL,
        MD_LANG_FI,
        MD_N_LANGS,
};

/* Classes of rule words (rules.c). */
enum md_class {
        MD_C_HONORIFIC = 1u << 0,   /* Mr, Dr, Mme, Herr: a person follows */
        MD_C_TITLE = 1u << 1,       /* President, ministre, Bürgermeisterin: a person may follow */
        MD_C_ORG_SUFFIX = 1u << 2,  /* Inc, GmbH, Party, Ministry: ends an organization */
        MD_C_ORG_HEAD = 1u << 3,    /* Ministry (of), Banco (de), Université: starts one */
        MD_C_SPEECH = 1u << 4,      /* said, a déclaré, sagte, dijo, заявил */
        MD_C_ACCORDING = 1u << 5,   /* according (to), selon, laut, según, по данным */
        MD_C_DETERMINER = 1u << 6,  /* the, der, la, el */
        MD_C_LOC_PREP = 1u << 7,    /* in, from, à, nach, en, в */
        MD_C_MONTH = 1u << 8,       /* value: 1-12 */
        MD_C_WEEKDAY = 1u << 9,     /* value: 1 Monday … 7 Sunday */
        MD_C_REL_DAY = 1u << 10,    /* today, hier, morgen: value = days from publication + 8 */
        MD_C_PRONOUN = 1u << 11,    /* he, she, il, er, он: a speaker earlier in the text */
        MD_C_PARTICLE = 1u << 12,   /* de, van, von, bin: inside a name */
        MD_C_ABBREV = 1u << 13,     /* Mr, Dr, Gen, Jan: a full stop after it ends no sentence */
        MD_C_NEXT = 1u << 14,       /* next, prochain, nächsten */
        MD_C_LAST = 1u << 15,       /* last, dernier, letzten */
        MD_C_YEAR_PREP = 1u << 16,  /* in, since, en, seit, в: before a year */
        MD_C_YEAR_WORD = 1u << 17,  /* года, году, год, Jahr */
        MD_C_OF = 1u << 18,         /* of, de, des, für: inside an organization's name */
        MD_C_NOT_NAME = 1u << 19,   /* capitalized words that are not names (days of the week excluded) */
        MD_C_AGENCY_CUE = 1u << 20, /* agency, agence, Agentur, агентство: an outlet follows or precedes */
        MD_C_AGENCY_START = 1u << 21, /* the first word of a news agency's or outlet's name (any language) */
        MD_C_FUTURE = 1u << 22,     /* will, until, jusqu'à, wird, hasta: a weekday ahead, not behind */
        MD_C_ORG_TYPE = 1u << 23,   /* company, carmaker, Konzern, empresa: an organization follows */
        MD_C_ORG_ROLE = 1u << 24,   /* spokesman, shares: an organization precedes */
        MD_C_ORG_PREFIX = 1u << 25, /* FC, Real, Borussia: opens a club's name */
        MD_C_AND = 1u << 26,        /* and, et, und, y: inside an organization's name */
        MD_C_IN = 1u << 27,         /* in, at, à, en, в: a place of several words may follow */
        MD_C_PLACE_TYPE = 1u << 28, /* stadium, estadio, island, province: a place's name follows */
        MD_C_THAT = 1u << 29,       /* that, que, dass, что: reported speech follows */
};

struct md_rule {
        uint32_t classes[MD_N_LANGS];   /* per language; [MD_LANG_OTHER] is the union */
        int16_t value;
};

/* A set of rule words and the agencies, built in init (rules.c). */
struct md_rules;
struct md_rules *md_rules_new(void);
void md_rules_free(struct md_rules *r);
/* The rule entry of a lower-cased word, or NULL. */
const struct md_rule *md_rules_find(const struct md_rules *r, const char *lower, size_t len);
/* The same, and in *ret_stop the languages it is a stop word in (bits of
 * md_rules_stop_bit()); one hash look-up for both. */
const struct md_rule *md_rules_lookup(const struct md_rules *r, const char *lower, size_t len, uint64_t *ret_stop);
/* The hash the rule table uses (never 0), and a lookup by it: the tokenizer
 * hashes each word once and keeps the hash for later passes. Inline: it
 * runs for every word. */
static inline uint64_t md_rules_hash(const char *lower, size_t len) {
        uint64_t h = XXH3_64bits(lower, len);
        return h ? h : 1;
}
/* The same, in the 32 bits a token keeps (md_token.hash; never 0). */
static inline uint32_t md_word_hash(uint64_t rules_hash) {
        return (uint32_t)rules_hash | 1;
}
const struct md_rule *md_rules_lookup_hashed(const struct md_rules *r, const char *lower, size_t len, uint64_t h,
                                             uint64_t *ret_stop);
/* The canonical name of a news agency or outlet named by the lower-cased
 * span (one of its aliases: "afp", "france-presse", "deutschen presse-agentur"), or NULL. */
const char *md_rules_agency(const struct md_rules *r, const char *lower, size_t len);
enum md_lang md_lang_from_code(const char *code);
/* The bit of a language in md_rule.stop (0 when the stop-word lists do not
 * have it: no word is a stop word then). */
uint64_t md_rules_stop_bit(const struct md_rules *r, const char *code);
/* Whether the lower-cased word is a stop word of the language of `bit`. */
bool md_rules_is_stop(const struct md_rules *r, uint64_t bit, const char *lower, size_t len);

/* --- tokens --------------------------------------------------------------------- */

enum md_token_flags {
        MD_T_WORD = 1u << 0,        /* letters, digits, marks (joined across ' and -) */
        MD_T_NUM = 1u << 1,         /* digits only */
        MD_T_CAP = 1u << 2,         /* begins with an upper-case letter */
        MD_T_UPPER = 1u << 3,       /* two or more letters, all upper case */
        MD_T_SENT_START = 1u << 4,  /* first word of a sentence */
        MD_T_PARA_START = 1u << 5,  /* first token of a paragraph */
        MD_T_POSSESSIVE = 1u << 6,  /* ended in 's, ’s or s' (stem_len leaves it out) */
        MD_T_PUNCT = 1u << 7,
        MD_T_CYRILLIC = 1u << 8,
        MD_T_GREEK = 1u << 9,
        MD_T_SPACE_BEFORE = 1u << 10,
        MD_T_LINE_START = 1u << 11,
        MD_T_STOP = 1u << 12,       /* a stop word of the article's language */
        MD_T_IN_DATE = 1u << 13,    /* part of a date expression (dates.c) */
        MD_T_IN_QUOTE = 1u << 14,   /* inside a quotation (quotes.c) */
        MD_T_AFTER_ELISION = 1u << 15, /* right after an elided word whose apostrophe the tokenizer
                                          skipped: "État" in "d'État" (the apostrophe is the gap) */
};

struct md_token {
        uint32_t start, len;        /* bytes in md_doc.text */
        uint32_t stem_len;          /* len without a possessive ending */
        uint32_t sentence, paragraph;
        uint32_t flags;
        uint32_t cp;                /* MD_T_PUNCT: the character */
        const struct md_rule *rule; /* rule word, or NULL */
        int32_t mention;            /* index into md_doc.mentions, or -1 */
        uint32_t low, low_len;      /* words: the lower-cased stem_len bytes, at md_doc.lower + low */
        uint32_t hash;              /* words but numbers: md_word_hash() of the lower-cased stem; else 0 */
        uint32_t letters;           /* words: letters in the stem (a possessive's s left out) */
};

enum md_entity_type {
        MD_ENT_NONE = 0,
        MD_ENT_PERSON,
        MD_ENT_ORG,
        MD_ENT_PLACE,
};

/* A span of tokens that names an entity. */
struct md_mention {
        uint32_t first, last;       /* token indexes, inclusive */
        uint32_t entity;
};

struct md_entity {
        enum md_entity_type type;
        char *name;                 /* canonical (arena) */
        const char *written;        /* an agency in Cyrillic or Greek: its name as the text first
                                       writes it ("ТАСС" for TASS); NULL: as name (md_entity_shown) */
        uint32_t count;
        uint32_t first_token;
        uint32_t n_tokens;          /* tokens of the longest mention */
        bool agency;                /* a news agency or outlet */
        bool cited;                 /* given as a source */
        const char *place_kind;     /* places: "country", "region", "city", "place" */
        char country[3];
        uint32_t merged_into;       /* UINT32_MAX, or the entity this one was merged into */
};

struct md_settings {
        int64_t max_people, max_organizations, max_locations, max_quotes, max_keywords, max_dates;
        int64_t max_text_bytes;
        int64_t quote_min_words, speaker_window_tokens;
        int64_t keyword_min_letters;
        double keyword_title_weight, keyword_lead_weight;
        int64_t sentence_start_min_population, city_min_population;
        int64_t future_window_days;
        int64_t dateline_tokens;
        int64_t title_max_chars, lead_max_chars;
        int64_t max_hashtags, max_urls, max_emails;
};

struct md_doc {
        struct arena *arena;
        const struct md_rules *rules;
        const struct md_settings *set;
        enum md_lang lang;
        const char *lang_code;      /* ISO 639-1 of the article, or "" */
        const char *text;
        size_t len;
        struct md_token *tok;
        size_t n_tok;
        size_t n_sentences;
        uint32_t *sentence_first;   /* per sentence, its first token */
        struct md_mention *mentions;
        size_t n_mentions, cap_mentions;
        struct md_entity *ents;
        size_t n_ents, cap_ents;
        uint64_t stop_bit;          /* md_rules_stop_bit() of the article's language */
        int pub_y, pub_m, pub_d;    /* publication date; pub_d 0 when unknown */
        char *buf;                  /* scratch of 2 × len + 64 bytes */
        char *lower;                /* the words lower-cased, NUL-separated (2 × len + 64 bytes) */
};

/* text.c */
int md_tokenize(struct md_doc *d);
/* Lower-cases s (per code point) into out, ’ as '; returns the length.
 * out has room for 2 × len + 1 bytes. */
size_t md_lower(const char *s, size_t len, char *out);
/* Strips Cyrillic or Greek case endings of a lower-cased word in place;
 * returns the new length (the rule of gen_tables.py's stem()). */
size_t md_stem(char *w, size_t len);
bool md_is_quote_cp(uint32_t cp);
/* The lower-cased span of tokens first..last (spaces between words as in
 * the text, collapsed to one) into d->buf; returns its length. */
size_t md_span_lower(const struct md_doc *d, uint32_t first, uint32_t last, char *out);

/* gazetteer.c */
struct md_place_hit {
        const char *name;           /* in the article's language where the tables have it */
        const char *kind;           /* "country", "region", "city" */
        char country[3];
        uint32_t population;
};
/* Looks up the lower-cased key (words separated by one space); `caps` says
 * whether the text was written in capitals. */
bool md_gazetteer_find(const struct md_doc *d, const char *key, size_t len, bool caps, struct md_place_hit *ret);

/* names.c */
int md_names(struct md_doc *d);
/* The name an entity is listed and quoted under: as written for an agency
 * in Cyrillic or Greek, else its canonical name (cited_sources keeps that). */
static inline const char *md_entity_shown(const struct md_entity *e) {
        return e->written ? e->written : e->name;
}
uint32_t md_entity_root(const struct md_doc *d, uint32_t e);
/* The entity of the mention at token i (its root after merging), or -1. */
int64_t md_entity_at(const struct md_doc *d, size_t i);

/* quotes.c: quotations with speakers, and cited sources */
int md_quotes(struct md_doc *d, struct article_metadata *m);

/* dates.c */
int md_dates(struct md_doc *d, struct article_metadata *m);
/* The first full date (day, month and year) in the first
 * metadata.dateline_tokens tokens: YYYY-MM-DD into out. */
bool md_dateline_in_doc(struct md_doc *d, char out[11]);

/* keywords.c: keywords, hashtags, links, e-mail addresses */
int md_keywords(struct md_doc *d, const char *title, struct article_metadata *m);
int md_links(struct md_doc *d, struct article_metadata *m);
