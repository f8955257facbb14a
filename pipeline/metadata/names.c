/* People, organizations and places, by rule.
 *
 * 1. Candidates are runs of capitalized words (any script with case: Latin,
 *    Cyrillic, Greek) within a sentence, across name particles ("von der",
 *    "de"), across "of"/"de" inside an organization's name ("Bank of
 *    England", "Ministerio de Sanidad") and across square brackets (the
 *    leftovers of translation: "[Presidentti Vladimir] Putin"). Month and
 *    weekday names and a few capitalized non-names are not candidates.
 * 2. In each run, from the left: a news agency or outlet (rules.c) or the
 *    longest place in the gazetteer (tables from packages: gen_tables.py)
 *    is taken out first, unless the run is an organization as a whole (it
 *    ends in an organization suffix, "Inc", "Party", "Ministry", a German
 *    compound such as "Wetterdienst", or starts with a head word followed by
 *    "of", "Ministry of …"). What is left is classified:
 *    - after a title or honorific ("President", "Mr.", "ministre",
 *      "Oberbürgermeisterin", "Presidentti"): a person;
 *    - an organization cue: an organization; an acronym (2-6 capitals): an
 *      organization;
 *    - two to four capitalized words: a person;
 *    - one word: a person when a speech verb follows or precedes it
 *      ("Putin said", "said Volkov"), or when it names a person found
 *      elsewhere (below); a place after a place preposition ("in Siberia";
 *      not in German, where every noun is capitalized); an organization after
 *      a determiner ("the Kremlin"); else nothing. A capitalized stop word
 *      that opens a sentence is never a name.
 *    A city that opens a sentence, or follows a determiner, must be large
 *    (metadata.sentence_start_min_population) to count: "Police" is a town.
 * 3. Mentions merge: a person's one-word mentions and spelling variants
 *    ("Navalny", "Navalny's", "Navalnyi", "Navalnyin", Russian case endings)
 *    and glued words ("Navalnyheld") join the person whose surname they
 *    vary; the name shown is the longest mention's first names with the
 *    surname's most frequent form (in Cyrillic and Greek, the longest
 *    mention's, usually the nominative). Organizations and places merge by
 *    name. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"
#include "pipeline/utf8.h"

#define NO_ENTITY UINT32_MAX

static uint32_t cls(const struct md_doc *d, const struct md_token *t) {
        return t->rule ? t->rule->classes[d->lang] : 0;
}

/* Titles, honorifics and organization words count in any language: a
 * translated article keeps them from its source ("Presidentti"). */
static uint32_t cls_any(const struct md_token *t) {
        return t->rule ? t->rule->classes[MD_LANG_OTHER] : 0;
}

static bool is_word(const struct md_token *t) {
        return (t->flags & MD_T_WORD) != 0;
}

static bool is_name_token(const struct md_doc *d, const struct md_token *t) {
        if (!is_word(t) || !(t->flags & MD_T_CAP) || (t->flags & MD_T_NUM))
                return false;
        uint32_t c = cls(d, t);
        /* "Jan" is a name unless written "Jan." (a month) */
        bool dot = t + 1 < d->tok + d->n_tok && (t[1].flags & MD_T_PUNCT) && t[1].cp == '.' && !(t[1].flags & MD_T_SPACE_BEFORE);
        if ((c & MD_C_MONTH) && (c & MD_C_ABBREV) && !dot && t->rule->value && !(t->flags & MD_T_UPPER) && t->len > 2)
                c &= ~(uint32_t)MD_C_MONTH;
        if (c & (MD_C_MONTH | MD_C_WEEKDAY | MD_C_NOT_NAME | MD_C_REL_DAY))
                return false;
        return true;
}

static bool is_punct(const struct md_token *t, uint32_t cp) {
        return (t->flags & MD_T_PUNCT) && t->cp == cp;
}

static size_t cp_count(const char *s, size_t len) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++)
                n += ((unsigned char)s[i] & 0xC0) != 0x80;
        return n;
}

/* « „ “ " ‘: a name in quotation marks after its kind ("компания «Газпром»") */
static bool is_opening_quote(const struct md_token *t) {
        return (t->flags & MD_T_PUNCT) &&
               (t->cp == 0xAB || t->cp == 0x201E || t->cp == 0x201C || t->cp == '"' || t->cp == 0x2018);
}

/* Russian company names built on a word for the trade: "Сбербанк", "Аэрофлот",
 * "Газпром", "Роснефть" (with case endings: "Сбербанка"). */
static bool cyrillic_org_word(const struct md_doc *d, const struct md_token *t) {
        static const char *const parts[] = { "банк", "флот", "пром", "нефть", "энерго", "авиа", "строй", NULL };
        if (d->lang != MD_LANG_RU || !(t->flags & MD_T_CAP) || (t->flags & MD_T_UPPER))
                return false;
        const char *w = d->text + t->start;
        for (size_t i = 0; parts[i]; i++) {
                size_t n = strlen(parts[i]);
                /* after a first part of two bytes or more ("Банк" alone is a common noun),
                 * and ending the word but for a case ending of up to two letters */
                if (t->len <= n + 2)
                        continue;
                for (size_t k = 2; k + n <= t->len; k++)
                        if (memcmp(w + k, parts[i], n) == 0 && k + n + 4 >= t->len)
                                return true;
        }
        return false;
}

static size_t lower_token(const struct md_doc *d, const struct md_token *t, char *out) {
        memcpy(out, d->lower + t->low, t->low_len);
        out[t->low_len] = '\0';
        return t->low_len;
}

static bool ends_with(const char *s, size_t len, const char *suffix) {
        size_t n = strlen(suffix);
        return len > n && memcmp(s + len - n, suffix, n) == 0;
}

/* German compounds that name an organization ("Wetterdienst",
 * "Gesundheitsministerium") or a title ("Oberbürgermeisterin"). */
static bool german_org_compound(const char *low, size_t len) {
        static const char *const suffixes[] = { "ministerium", "amt", "dienst", "agentur", "partei", "bank",
                                                "verband", "gericht", "regierung", "polizei", "behörde", "institut",
                                                "gesellschaft", "konzern", "werke", "stiftung", "verein", "kommission",
                                                "gewerkschaft", "bundestag", "landtag", "bundesrat", "union",
                                                "universität", "hochschule", "klinik", "klinikum", "bahn",
                                                "wehr", "kammer", "senat", "bündnis", "fraktion", "zentrale", NULL };
        /* Alone, most of these are common nouns ("der Konzern", "die Partei");
         * these few name one institution each. */
        static const char *const alone[] = { "bundestag", "landtag", "bundesrat", "bahn", NULL };
        for (size_t i = 0; suffixes[i]; i++)
                if (ends_with(low, len, suffixes[i]))
                        return true;
        for (size_t i = 0; alone[i]; i++)
                if (strlen(alone[i]) == len && memcmp(low, alone[i], len) == 0)
                        return true;
        return false;
}

static bool german_title_compound(const char *low, size_t len) {
        static const char *const suffixes[] = { "minister", "ministerin", "präsident", "präsidentin", "meister",
                                                "meisterin", "kanzler", "kanzlerin", "sprecher", "sprecherin", "chef",
                                                "chefin", "direktor", "direktorin", "vorsitzende", "vorsitzender",
                                                "kritiker", "kritikerin", "politiker", "politikerin", NULL };
        /* also in the genitive: "des Oppositionspolitikers" */
        size_t n = len > 1 && (low[len - 1] == 's' || low[len - 1] == 'n') ? len - 1 : len;
        for (size_t i = 0; suffixes[i]; i++)
                if (ends_with(low, len, suffixes[i]) || ends_with(low, n, suffixes[i]))
                        return true;
        return false;
}

static bool is_title(const struct md_doc *d, const struct md_token *t) {
        if (!is_word(t))
                return false;
        if (cls_any(t) & (MD_C_TITLE | MD_C_HONORIFIC))
                return true;
        if (d->lang == MD_LANG_DE && (t->flags & MD_T_CAP)) {
                char low[256];
                if (t->len < 120)
                        return german_title_compound(low, lower_token(d, t, low));
        }
        return false;
}

static bool is_org_word(const struct md_doc *d, const struct md_token *t, uint32_t which) {
        if (!is_word(t))
                return false;
        if (cls_any(t) & which)
                return true;
        if (d->lang == MD_LANG_DE && (which & MD_C_ORG_SUFFIX) && (t->flags & MD_T_CAP) && t->len < 120 &&
            !(cls(d, t) & (MD_C_ORG_TYPE | MD_C_AGENCY_CUE))) {
                char low[256];
                return german_org_compound(low, lower_token(d, t, low));
        }
        return false;
}

/* English adjectives of nationality before a title: "Russian President". */
static bool is_demonym(const struct md_doc *d, const struct md_token *t) {
        const char *w = d->text + t->start;
        size_t n = t->stem_len;
        return d->lang == MD_LANG_EN && (ends_with(w, n, "ian") || ends_with(w, n, "ean") || ends_with(w, n, "ese") ||
                                         ends_with(w, n, "ish") || ends_with(w, n, "ch") || ends_with(w, n, "an"));
}

/* --- entities and mentions --------------------------------------------------------- */

static int grow(struct md_doc *d, void **arr, size_t *cap, size_t n, size_t size) {
        if (n < *cap)
                return 0;
        size_t nc = *cap ? *cap * 2 : 32;
        void *na = arena_alloc(d->arena, nc * size);
        if (!na)
                return -ENOMEM;
        if (*arr)
                memcpy(na, *arr, n * size);
        *arr = na;
        *cap = nc;
        return 0;
}

static int64_t new_entity(struct md_doc *d, enum md_entity_type type, uint32_t first_token) {
        if (grow(d, (void **)&d->ents, &d->cap_ents, d->n_ents, sizeof(*d->ents)) < 0)
                return -ENOMEM;
        d->ents[d->n_ents] = (struct md_entity){ .type = type, .first_token = first_token, .merged_into = NO_ENTITY };
        return (int64_t)d->n_ents++;
}

static int add_mention(struct md_doc *d, uint32_t first, uint32_t last, uint32_t entity) {
        if (grow(d, (void **)&d->mentions, &d->cap_mentions, d->n_mentions, sizeof(*d->mentions)) < 0)
                return -ENOMEM;
        d->mentions[d->n_mentions] = (struct md_mention){ .first = first, .last = last, .entity = entity };
        for (uint32_t i = first; i <= last; i++)
                d->tok[i].mention = (int32_t)d->n_mentions;
        d->n_mentions++;
        d->ents[entity].count++;
        if (last - first + 1 > d->ents[entity].n_tokens)
                d->ents[entity].n_tokens = last - first + 1;
        return 0;
}

uint32_t md_entity_root(const struct md_doc *d, uint32_t e) {
        while (d->ents[e].merged_into != NO_ENTITY)
                e = d->ents[e].merged_into;
        return e;
}

int64_t md_entity_at(const struct md_doc *d, size_t i) {
        if (i >= d->n_tok || d->tok[i].mention < 0)
                return -1;
        return md_entity_root(d, d->mentions[d->tok[i].mention].entity);
}

/* The entity of `type` named `name` (exact), or a new one. */
static int64_t named_entity(struct md_doc *d, enum md_entity_type type, const char *name, uint32_t first_token) {
        for (size_t i = 0; i < d->n_ents; i++)
                if (d->ents[i].type == type && d->ents[i].name && strcmp(d->ents[i].name, name) == 0)
                        return (int64_t)i;
        int64_t e = new_entity(d, type, first_token);
        if (e < 0)
                return e;
        d->ents[e].name = arena_strdup(d->arena, name);
        return d->ents[e].name ? e : -ENOMEM;
}

/* "first names" + ' ' + surname, in the arena (printf-free: it runs for
 * every person). */
static char *join_name(struct md_doc *d, const char *first_names, const char *surname, size_t surname_len) {
        size_t fl = strlen(first_names);
        char *out = arena_alloc(d->arena, fl + 1 + surname_len + 1);
        if (!out)
                return NULL;
        memcpy(out, first_names, fl);
        out[fl] = ' ';
        memcpy(out + fl + 1, surname, surname_len);
        out[fl + 1 + surname_len] = '\0';
        return out;
}

/* The text of tokens first..last as written, brackets left out. */
static char *span_text(struct md_doc *d, uint32_t first, uint32_t last, bool stem_last) {
        size_t cap = 1;
        for (uint32_t i = first; i <= last; i++)
                cap += d->tok[i].len + 3;   /* a space or an apostrophe */
        char *out = arena_alloc(d->arena, cap);
        if (!out)
                return NULL;
        size_t o = 0;
        for (uint32_t i = first; i <= last; i++) {
                const struct md_token *t = &d->tok[i];
                if (is_punct(t, '[') || is_punct(t, ']'))
                        continue;
                if (o && (t->flags & MD_T_SPACE_BEFORE))
                        out[o++] = ' ';
                else if (o && i > first && (t->flags & MD_T_AFTER_ELISION)) {
                        /* the apostrophe the tokenizer skipped, as written: "d'État", "d’État" */
                        size_t gap = t->start - (d->tok[i - 1].start + d->tok[i - 1].len);
                        memcpy(out + o, d->text + t->start - gap, gap);
                        o += gap;
                }
                size_t n = i == last && stem_last ? t->stem_len : t->len;
                memcpy(out + o, d->text + t->start, n);
                o += n;
        }
        out[o] = '\0';
        return out;
}

static int add_org(struct md_doc *d, uint32_t first, uint32_t last, const char *canonical, bool agency) {
        char *name = canonical ? (char *)canonical : span_text(d, first, last, true);
        if (!name)
                return -ENOMEM;
        int64_t e = named_entity(d, MD_ENT_ORG, name, first);
        if (e < 0)
                return (int)e;
        if (agency)
                d->ents[e].agency = true;
        /* in Cyrillic or Greek, as the text writes it ("ТАСС", not TASS) */
        unsigned char lead = (unsigned char)d->text[d->tok[first].start];
        if (canonical && agency && !d->ents[e].written && lead >= 0xCD && lead <= 0xD3) {
                d->ents[e].written = span_text(d, first, last, true);
                if (!d->ents[e].written)
                        return -ENOMEM;
        }
        return add_mention(d, first, last, (uint32_t)e);
}

static int add_place(struct md_doc *d, uint32_t first, uint32_t last, const struct md_place_hit *h) {
        char *name = h ? (char *)h->name : span_text(d, first, last, true);
        if (!name)
                return -ENOMEM;
        int64_t e = named_entity(d, MD_ENT_PLACE, name, first);
        if (e < 0)
                return (int)e;
        d->ents[e].place_kind = h ? h->kind : "place";
        if (h)
                memcpy(d->ents[e].country, h->country, 3);
        return add_mention(d, first, last, (uint32_t)e);
}

static int add_person(struct md_doc *d, uint32_t first, uint32_t last) {
        int64_t e = new_entity(d, MD_ENT_PERSON, first);
        if (e < 0)
                return (int)e;
        return add_mention(d, first, last, (uint32_t)e);
}

/* --- classification ------------------------------------------------------------------ */

/* A single word waiting for the people found elsewhere (pass 2). */
struct single {
        uint32_t tok;
        bool loc_prep, determiner;
};

struct pass {
        struct single *singles;
        size_t n_singles, cap_singles;
};

static bool speech_after(const struct md_doc *d, uint32_t i) {
        /* "Putin said", "Volkov wrote", "Putin has said", "Merkel sagte" */
        for (uint32_t j = i + 1; j < d->n_tok && j <= i + 2; j++) {
                const struct md_token *t = &d->tok[j];
                if (!is_word(t))
                        return false;
                if (cls(d, t) & MD_C_SPEECH)
                        return true;
        }
        return false;
}

static bool speech_before(const struct md_doc *d, uint32_t i) {
        /* "said Volkov", "a déclaré Dupont", "sagte Reker" */
        if (i == 0)
                return false;
        const struct md_token *t = &d->tok[i - 1];
        return is_word(t) && (cls(d, t) & MD_C_SPEECH) && !(t->flags & MD_T_CAP);
}

/* Longest agency alias at first..≤last; returns its last token or -1. */
static int64_t agency_at(struct md_doc *d, uint32_t first, uint32_t last, const char **ret_name) {
        if (!(cls_any(&d->tok[first]) & MD_C_AGENCY_START))
                return -1;
        for (uint32_t q = first + 4 < last ? first + 4 : last;; q--) {
                size_t n = md_span_lower(d, first, q, d->buf);
                const char *c = md_rules_agency(d->rules, d->buf, n);
                if (c) {
                        *ret_name = c;
                        return q;
                }
                if (q == first)
                        return -1;
        }
}

/* Longest place at first..≤last; returns its last token or -1. */
static int64_t place_at(struct md_doc *d, uint32_t first, uint32_t last, struct md_place_hit *ret) {
        for (uint32_t q = first + 3 < last ? first + 3 : last;; q--) {
                bool caps = true;
                for (uint32_t i = first; i <= q; i++)
                        if (is_word(&d->tok[i]) && !(d->tok[i].flags & MD_T_UPPER))
                                caps = false;
                size_t n = md_span_lower(d, first, q, d->buf);
                if (n && md_gazetteer_find(d, d->buf, n, caps, ret))
                        return q;
                if (q == first)
                        return -1;
        }
}

static bool prev_is_determiner(const struct md_doc *d, uint32_t i) {
        return i > 0 && is_word(&d->tok[i - 1]) && (cls(d, &d->tok[i - 1]) & MD_C_DETERMINER) &&
               d->tok[i - 1].sentence == d->tok[i].sentence;
}

static bool prev_is_loc_prep(const struct md_doc *d, uint32_t i) {
        return i > 0 && is_word(&d->tok[i - 1]) && (cls(d, &d->tok[i - 1]) & MD_C_LOC_PREP) &&
               (!(d->tok[i - 1].flags & MD_T_CAP) || (d->tok[i - 1].flags & MD_T_SENT_START));
}

/* Whether a one-word city hit at i is weak evidence: at a sentence's start,
 * after a determiner, or a German noun not after a place preposition. */
static bool weak_city(const struct md_doc *d, uint32_t i, const struct md_place_hit *h) {
        if (h->kind[1] != 'i' || h->population >= (uint64_t)d->set->sentence_start_min_population)
                return false;
        return (d->tok[i].flags & MD_T_SENT_START) || prev_is_determiner(d, i) ||
               (d->lang == MD_LANG_DE && !prev_is_loc_prep(d, i));
}

static int push_single(struct md_doc *d, struct pass *p, uint32_t tok) {
        /* a word for a kind of organization is no name: "Die Gewerkschaft fordert" */
        if (cls(d, &d->tok[tok]) & (MD_C_ORG_TYPE | MD_C_AGENCY_CUE | MD_C_ORG_HEAD))
                return 0;
        if (grow(d, (void **)&p->singles, &p->cap_singles, p->n_singles, sizeof(*p->singles)) < 0)
                return -ENOMEM;
        p->singles[p->n_singles++] = (struct single){ .tok = tok, .loc_prep = prev_is_loc_prep(d, tok),
                                                      .determiner = prev_is_determiner(d, tok) };
        return 0;
}

/* A German word for a kind of organization before its name: "Gewerkschaft",
 * "Technologiekonzern" (but not "Universität", which is part of the name). */
static bool german_org_type(const struct md_doc *d, const struct md_token *t) {
        if (!is_word(t) || (cls_any(t) & (MD_C_ORG_HEAD | MD_C_ORG_PREFIX)))
                return false;
        if (cls(d, t) & MD_C_ORG_TYPE)
                return true;
        const char *w = d->text + t->start;
        return ends_with(w, t->stem_len, "konzern") || ends_with(w, t->stem_len, "gewerkschaft") ||
               ends_with(w, t->stem_len, "unternehmen");
}

static bool is_conjunction(const struct md_doc *d, const struct md_token *t) {
        return is_punct(t, '&') || (is_word(t) && !(t->flags & MD_T_CAP) && (cls(d, t) & MD_C_AND));
}

/* German nouns that are not names: "Beginn der Pandemie", "Zeitung". */
static bool german_common_noun(const struct md_doc *d, const struct md_token *t) {
        static const char *const suffixes[] = { "ung", "heit", "keit", "schaft", "tion", "ität", "ismus", "nis",
                                                "tum", "ment", "ei", NULL };
        const char *w = d->text + t->start;
        for (size_t i = 0; suffixes[i]; i++)
                if (ends_with(w, t->stem_len, suffixes[i]))
                        return true;
        return false;
}

/* German role nouns before a name: "Bahnsprecherin", "Personalvorstand", "Jurist". */
static bool german_role(const struct md_doc *d, const struct md_token *t) {
        static const char *const suffixes[] = { "in", "er", "ent", "ist", "loge", "vorstand", "chef", "leiter",
                                                "trainer", "sprecher", NULL };
        const char *w = d->text + t->start;
        for (size_t i = 0; suffixes[i]; i++)
                if (ends_with(w, t->stem_len, suffixes[i]))
                        return true;
        return false;
}

/* A Russian patronymic: "Владимирович", "Сергеевна". */
static bool patronymic(const struct md_doc *d, const struct md_token *t) {
        const char *w = d->text + t->start;
        size_t n = t->stem_len;
        return ends_with(w, n, "вич") || ends_with(w, n, "вна") || ends_with(w, n, "чна") || ends_with(w, n, "вича") ||
               ends_with(w, n, "вны");
}

static bool prev_is_in(const struct md_doc *d, uint32_t i) {
        return i > 0 && is_word(&d->tok[i - 1]) && (cls(d, &d->tok[i - 1]) & MD_C_IN) &&
               (!(d->tok[i - 1].flags & MD_T_CAP) || (d->tok[i - 1].flags & MD_T_SENT_START)) &&
               d->tok[i - 1].sentence == d->tok[i].sentence;
}

static int classify_chunk(struct md_doc *d, struct pass *p, uint32_t first, uint32_t last);

/* A club opening the run: its name ends at its place when two or more
 * names follow ("l'Olympique de Marseille Yanis Kaboré"). */
static int add_club(struct md_doc *d, struct pass *p, uint32_t first, uint32_t last) {
        for (uint32_t i = first + 1; i < last; i++) {
                struct md_place_hit h;
                int64_t pl = (d->tok[i].flags & MD_T_CAP) ? place_at(d, i, last, &h) : -1;
                if (pl >= 0 && pl < (int64_t)last && last - (uint32_t)pl >= 2) {
                        int r = add_org(d, first, (uint32_t)pl, NULL, false);
                        return r < 0 ? r : classify_chunk(d, p, (uint32_t)pl + 1, last);
                }
        }
        return add_org(d, first, last, NULL, false);
}

/* Classifies the name chunk first..last (no agencies or places in it). */
static int classify_chunk(struct md_doc *d, struct pass *p, uint32_t first, uint32_t last) {
        /* Leading determiners, sentence-opening stop words, nationality adjectives before a title. */
        while (first <= last) {
                const struct md_token *t = &d->tok[first];
                if (is_punct(t, '[') || is_punct(t, ']')) {
                        first++;
                        continue;
                }
                if (is_title(d, t))
                        break;
                bool stop = (t->flags & MD_T_STOP) && ((t->flags & MD_T_SENT_START) || !(t->flags & MD_T_CAP) ||
                                                       (cls(d, t) & (MD_C_DETERMINER | MD_C_PRONOUN)));
                bool demonym = first < last && is_demonym(d, t) && is_title(d, &d->tok[first + 1]);
                bool particle = !(t->flags & MD_T_CAP);
                if (!(cls(d, t) & MD_C_DETERMINER) && !stop && !demonym && !particle)
                        break;
                first++;
        }
        while (last >= first && (!is_word(&d->tok[last]) || !(d->tok[last].flags & MD_T_CAP)))
                last--;
        if (last < first || first >= d->n_tok)
                return 0;

        /* A club: "FC Bayern München", "Real Madrid". */
        if (first < last && (cls_any(&d->tok[first]) & MD_C_ORG_PREFIX))
                return add_club(d, p, first, last);
        /* German: the kind of organization, then its name: "Gewerkschaft Verdi" */
        if (d->lang == MD_LANG_DE && first < last && last - first <= 3 && german_org_type(d, &d->tok[first]) &&
            !is_title(d, &d->tok[first + 1]))
                return add_org(d, first + 1, last, NULL, false);
        /* An organization as a whole: a cue word at its end or head. */
        bool org = is_org_word(d, &d->tok[last], MD_C_ORG_SUFFIX) ||
                   (first < last && is_org_word(d, &d->tok[first], MD_C_ORG_HEAD) && !is_title(d, &d->tok[last]) &&
                    ((cls_any(&d->tok[first + 1]) & MD_C_OF) || !(d->tok[first + 1].flags & MD_T_CAP)));
        for (uint32_t i = first; !org && i <= last; i++) {
                org = d->lang == MD_LANG_DE && is_org_word(d, &d->tok[i], MD_C_ORG_SUFFIX);
                if (org && i < last && i > first && !german_org_type(d, &d->tok[first])) {
                        /* German: the organization ends at its word ("die Polizei Dutzende Menschen") */
                        int r = add_org(d, first, i, NULL, false);
                        return r < 0 ? r : classify_chunk(d, p, i + 1, last);
                }
                if (org && i == first && first < last && !german_org_type(d, &d->tok[first])) {
                        int r = add_org(d, first, first, NULL, false);
                        return r < 0 ? r : classify_chunk(d, p, first + 1, last);
                }
        }
        if (org && !is_title(d, &d->tok[first])) {
                /* German: "Technologiekonzern Siemens", "Gewerkschaft IG Metall": the type, then the name */
                if (d->lang == MD_LANG_DE && first < last && german_org_type(d, &d->tok[first]) &&
                    !is_org_word(d, &d->tok[last], MD_C_ORG_SUFFIX))
                        first++;
                return add_org(d, first, last, NULL, false);
        }

        /* "la analista de Banorte Lucía Garza", "the head of Airbus Guillaume Faury": a title, "of",
         * an organization's one word, a person's two or three */
        if (first >= 2 && last - first >= 2 && last - first <= 3 && is_word(&d->tok[first - 1]) &&
            !(d->tok[first - 1].flags & MD_T_CAP) && (cls(d, &d->tok[first - 1]) & MD_C_OF) &&
            is_title(d, &d->tok[first - 2]) && !is_title(d, &d->tok[first]) && !(d->tok[first].flags & MD_T_STOP)) {
                int r = add_org(d, first, first, NULL, false);
                return r < 0 ? r : add_person(d, first + 1, last);
        }
        /* After a title: a person (the words after the last title word). */
        int64_t title = -1;
        for (uint32_t i = first; i <= last; i++)
                /* a title word that ends a name is a surname: "Jonas Richter", "Anna König" */
                if (is_title(d, &d->tok[i]) &&
                    !(i == last && i > first && !is_title(d, &d->tok[i - 1]) && !(cls_any(&d->tok[i]) & MD_C_HONORIFIC)))
                        title = i;
        if (title < 0 && first > 0 && is_title(d, &d->tok[first - 1]) &&
            d->tok[first - 1].sentence == d->tok[first].sentence)
                title = (int64_t)first - 1;
        if (title >= 0) {
                uint32_t f = (uint32_t)title + 1;
                while (f <= last && !(d->tok[f].flags & MD_T_CAP))
                        f++;
                /* "Мэр Москвы Сергей Собянин": three words after a title, no patronymic */
                if (d->lang == MD_LANG_RU && f + 2 <= last && !patronymic(d, &d->tok[f + 1]))
                        f++;
                if (f <= last && !(d->tok[f].flags & MD_T_UPPER))
                        return add_person(d, f, last);
                return 0;
        }

        /* A noun before a name: "der Jurist Thomas Keller", "Le Français Lucas
         * Fontaine", "Bahnsprecherin Katrin Weber", "Аналитик Ольга Смирнова". */
        uint32_t words = 0;
        for (uint32_t i = first; i <= last; i++)
                words += is_word(&d->tok[i]) && (d->tok[i].flags & MD_T_CAP);
        if (words >= 2 && (prev_is_determiner(d, first) ||
                           (words >= 3 && ((d->lang == MD_LANG_DE && german_role(d, &d->tok[first])) ||
                                           (d->lang == MD_LANG_RU && !patronymic(d, &d->tok[first + 1])) ||
                                           (d->tok[first].flags & MD_T_SENT_START))))) {
                first++;
                words--;
                if (words >= 3 && d->lang == MD_LANG_RU && !patronymic(d, &d->tok[first + 1])) {
                        first++;   /* "Мэр Москвы Сергей Собянин" */
                        words--;
                }
        }

        bool any_upper = false, any_stop = false, common_noun = false;
        for (uint32_t i = first; i <= last; i++) {
                if (!is_word(&d->tok[i]) || !(d->tok[i].flags & MD_T_CAP))
                        continue;
                any_upper |= (d->tok[i].flags & MD_T_UPPER) != 0;
                any_stop |= (d->tok[i].flags & MD_T_STOP) != 0;
                common_noun |= d->lang == MD_LANG_DE && german_common_noun(d, &d->tok[i]);
        }
        if (words == 1) {
                const struct md_token *t = &d->tok[first];
                if (t->flags & MD_T_UPPER) {
                        size_t letters = cp_count(d->text + t->start, t->len);
                        if (letters >= 2 && letters <= 6)   /* "NATO", "ЦСКА" */
                                return add_org(d, first, first, NULL, false);
                        return 0;
                }
                if ((t->flags & MD_T_SENT_START) && (t->flags & MD_T_STOP))
                        return 0;
                return push_single(d, p, first);
        }
        if (any_upper) {
                /* "NATO Secretary": an acronym with words is an organization */
                return add_org(d, first, last, NULL, false);
        }
        /* several words after "in", "at", "à", "en", "в", or a word such as
         * "stadium": a place ("at Old Trafford", "estadio Camp Nou") */
        bool place_type = first > 0 && is_word(&d->tok[first - 1]) && !(d->tok[first - 1].flags & MD_T_CAP) &&
                          (cls(d, &d->tok[first - 1]) & MD_C_PLACE_TYPE);
        if ((prev_is_in(d, first) || place_type) && !speech_after(d, last))
                return add_place(d, first, last, NULL);
        if (words <= 4 && !common_noun && !(any_stop && d->lang == MD_LANG_DE))
                return add_person(d, first, last);
        return 0;
}

/* Whether run first..last is an organization as a whole; *ret_from is where
 * its name starts (after words that open the run but are not part of it:
 * "Científicos de la Universidad de Buenos Aires"). */
static bool run_is_org(struct md_doc *d, uint32_t first, uint32_t last, uint32_t *ret_from) {
        *ret_from = first;
        if (first >= last)
                return false;
        if (cls_any(&d->tok[first]) & MD_C_ORG_PREFIX)
                return true;
        if (is_org_word(d, &d->tok[last], MD_C_ORG_SUFFIX) && !(cls(d, &d->tok[last]) & MD_C_AGENCY_CUE))
                return true;
        /* Romance languages and Russian put the head first: "Fondo Monetario Internacional" */
        if ((d->lang == MD_LANG_FR || d->lang == MD_LANG_ES || d->lang == MD_LANG_IT || d->lang == MD_LANG_PT ||
             d->lang == MD_LANG_RU) &&
            is_org_word(d, &d->tok[first], MD_C_ORG_HEAD) && (d->tok[first].flags & MD_T_CAP) &&
            !(d->tok[first].flags & MD_T_UPPER))
                return true;
        int64_t head = -1;
        for (uint32_t i = first; i < last; i++) {
                if (!is_org_word(d, &d->tok[i], MD_C_ORG_HEAD) || !(d->tok[i].flags & MD_T_CAP))
                        continue;
                if (head < 0)
                        head = i;
                const struct md_token *nx = &d->tok[i + 1];
                struct md_place_hit h;
                /* "Ministry of Defence", "Banque mondiale", "Universität Leipzig",
                 * "Agencia Estatal de Meteorología" */
                bool of_later = false;
                for (uint32_t k = i + 2; k < last && !of_later && head == (int64_t)i; k++)
                        of_later = is_word(&d->tok[k]) && !(d->tok[k].flags & MD_T_CAP) && (cls_any(&d->tok[k]) & MD_C_OF);
                if ((cls_any(nx) & MD_C_OF) || of_later || (is_word(nx) && !(nx->flags & MD_T_CAP) && !(nx->flags & MD_T_STOP)) ||
                    (i + 1 <= last && place_at(d, i + 1, last, &h) == (int64_t)last)) {
                        *ret_from = (uint32_t)head;
                        return true;
                }
        }
        return false;
}

static int classify_run(struct md_doc *d, struct pass *p, uint32_t first, uint32_t last) {
        const struct md_token *t0 = &d->tok[first];
        /* One word that an organization word follows or precedes: "Toyota spokesman", "carmaker Tesla",
         * "Авиакомпания «Аэрофлот»"; before a role and a name, mid-sentence: "Greenpeace campaigner Carlos Mendes" */
        if (first == last && !(t0->flags & MD_T_STOP)) {
                const struct md_token *nx = last + 1 < d->n_tok ? &d->tok[last + 1] : NULL;
                const struct md_token *pv = first > 0 ? &d->tok[first - 1] : NULL;
                if (pv && first > 1 && is_opening_quote(pv) && !(t0->flags & MD_T_SPACE_BEFORE))
                        pv = &d->tok[first - 2];
                struct md_place_hit h;
                if ((nx && is_word(nx) && !(nx->flags & MD_T_CAP) && (cls(d, nx) & MD_C_ORG_ROLE)) ||
                    (pv && is_word(pv) && (cls(d, pv) & MD_C_ORG_TYPE) && pv->sentence == t0->sentence) ||
                    (d->lang == MD_LANG_EN && nx && is_word(nx) && !(nx->flags & MD_T_CAP) && is_title(d, nx) &&
                     !(t0->flags & (MD_T_SENT_START | MD_T_UPPER | MD_T_POSSESSIVE)) && !is_demonym(d, t0) &&
                     last + 2 < d->n_tok && is_name_token(d, &d->tok[last + 2]) &&
                     place_at(d, first, last, &h) < 0) ||
                    cyrillic_org_word(d, t0))
                        return add_org(d, first, last, NULL, false);
        }
        /* Several words after a kind of organization, or in English before
         * one: "the medical charity Médecins Sans Frontières", "the United
         * Auto Workers union" */
        if (first < last && last - first <= 5 && !(t0->flags & MD_T_SENT_START)) {
                const struct md_token *pv = first > 0 ? &d->tok[first - 1] : NULL;
                const struct md_token *nx = last + 1 < d->n_tok ? &d->tok[last + 1] : NULL;
                const struct md_token *pv2 = first > 1 ? &d->tok[first - 2] : NULL;
                /* (not "вице-президент банка Андрей Соколов": a title before the kind) */
                bool type_before = pv && is_word(pv) && !(pv->flags & MD_T_CAP) && (cls(d, pv) & MD_C_ORG_TYPE) &&
                                   pv->sentence == t0->sentence && !is_title(d, &d->tok[first]) &&
                                   !(pv2 && is_title(d, pv2));
                bool type_after = d->lang == MD_LANG_EN && nx && is_word(nx) && !(nx->flags & MD_T_CAP) &&
                                  (cls(d, nx) & MD_C_ORG_TYPE) && pv && is_word(pv) && (cls(d, pv) & MD_C_DETERMINER) &&
                                  !(pv2 && is_word(pv2) && (cls(d, pv2) & MD_C_SPEECH));
                struct md_place_hit ph;
                if ((type_before || type_after) && place_at(d, first, last, &ph) != (int64_t)last)
                        return add_org(d, first, last, NULL, false);
        }
        /* The whole run a place ("Russian Federation", "New York")? */
        struct md_place_hit h;
        int64_t q = place_at(d, first, last, &h);
        bool one_word = first == last;
        if (q == (int64_t)last && (last > first || !weak_city(d, first, &h)))
                return add_place(d, first, last, &h);
        /* An outlet whose name has its article: "Le Monde", "El País" */
        if (first < last && (cls(d, t0) & MD_C_DETERMINER)) {
                const char *canon;
                int64_t a = agency_at(d, first, last, &canon);
                if (a > (int64_t)first) {
                        int r = add_org(d, first, (uint32_t)a, canon, true);
                        return r < 0 || a == (int64_t)last ? r : classify_run(d, p, (uint32_t)a + 1, last);
                }
        }
        /* "Der FC Bayern München", "El Banco Central de Chile": the article is not part of it */
        while (first < last && is_word(&d->tok[first]) && (cls(d, &d->tok[first]) & MD_C_DETERMINER))
                first++;
        /* A capitalized word for an outlet opening the name: "Cadena SER", "Radio Classique" */
        if (first < last && d->lang != MD_LANG_DE && (cls(d, &d->tok[first]) & MD_C_AGENCY_CUE) &&
            !(d->tok[first].flags & MD_T_SENT_START)) {
                const char *canon;
                if (agency_at(d, first + 1, last, &canon) < 0)
                        return add_org(d, first, last, NULL, true);
        }
        uint32_t from;
        if (run_is_org(d, first, last, &from)) {
                if (from > first) {
                        int r = classify_run(d, p, first, from - 1);
                        if (r < 0)
                                return r;
                        first = from;
                }
                /* Leading determiners and stop words stay out of it. */
                while (first < last && ((cls(d, &d->tok[first]) & MD_C_DETERMINER) ||
                                        ((d->tok[first].flags & MD_T_STOP) && (d->tok[first].flags & MD_T_SENT_START))))
                        first++;
                const char *canon = NULL;
                if (agency_at(d, first, last, &canon) == (int64_t)last)
                        return add_org(d, first, last, canon, true);
                /* German: "Technologiekonzern Siemens", "Gewerkschaft IG Metall": the type, then the name */
                if (d->lang == MD_LANG_DE && first < last && german_org_type(d, &d->tok[first]) &&
                    !is_org_word(d, &d->tok[last], MD_C_ORG_SUFFIX))
                        first++;
                if (first < last && (cls_any(&d->tok[first]) & MD_C_ORG_PREFIX))
                        return add_club(d, p, first, last);
                return add_org(d, first, last, NULL, false);
        }
        /* Not an organization: "Putin and Merkel" are two names. */
        for (uint32_t i = first + 1; i < last; i++) {
                if (is_conjunction(d, &d->tok[i])) {
                        int r = classify_run(d, p, first, i - 1);
                        return r < 0 ? r : classify_run(d, p, i + 1, last);
                }
        }
        /* German: an acronym ends a name ("GDL Tausende Züge") */
        for (uint32_t i = first; d->lang == MD_LANG_DE && i + 2 <= last; i++) {
                if (d->tok[i].flags & MD_T_UPPER) {
                        int r = classify_run(d, p, first, i);
                        return r < 0 ? r : classify_run(d, p, i + 1, last);
                }
        }
        uint32_t chunk = first;
        for (uint32_t i = first; i <= last;) {
                const struct md_token *t = &d->tok[i];
                if (!is_word(t) || !(t->flags & MD_T_CAP)) {
                        i++;
                        continue;
                }
                const char *canon;
                int64_t a = agency_at(d, i, last, &canon);
                /* (a one-word run was looked up as a whole above) */
                int64_t pl = a < 0 && (!one_word || q == (int64_t)last) ? place_at(d, i, last, &h) : -1;
                if (pl == (int64_t)i && weak_city(d, i, &h))
                        pl = -1;
                if (pl >= 0 && pl == (int64_t)i) {
                        /* a place inside a name: "Paris Hilton", "Amina Bello", "President Vladimir Putin" */
                        uint32_t nx = i + 1, pv = i;
                        while (nx <= last && !is_word(&d->tok[nx]))
                                nx++;
                        while (pv > first && !is_word(&d->tok[pv - 1]))
                                pv--;
                        const struct md_token *before = pv > first ? &d->tok[pv - 1] : NULL;
                        if ((nx <= last && (d->tok[nx].flags & MD_T_CAP) && !is_title(d, &d->tok[nx])) ||
                            (before && is_title(d, before)) ||
                            (before && (before->flags & MD_T_CAP) && before->mention < 0 && !(before->flags & MD_T_UPPER) &&
                             !(before->flags & MD_T_STOP) && !(cls(d, before) & MD_C_DETERMINER) &&
                             d->lang != MD_LANG_DE && strcmp(h.kind, "country") != 0) ||
                            (pv == first && first > 0 && is_title(d, &d->tok[first - 1])))
                                pl = -1;
                }
                if (a < 0 && pl < 0) {
                        i++;
                        continue;
                }
                if (i > chunk) {
                        int r = classify_chunk(d, p, chunk, i - 1);
                        if (r < 0)
                                return r;
                }
                int r = a >= 0 ? add_org(d, i, (uint32_t)a, canon, true) : add_place(d, i, (uint32_t)pl, &h);
                if (r < 0)
                        return r;
                i = (uint32_t)(a >= 0 ? a : pl) + 1;
                chunk = i;
        }
        if (chunk <= last)
                return classify_chunk(d, p, chunk, last);
        return 0;
}

/* --- merging --------------------------------------------------------------------------- */

/* The surname key of a person mention: its last word, lower-cased, stemmed. */
static size_t surname_key(const struct md_doc *d, uint32_t last, char *out) {
        size_t n = lower_token(d, &d->tok[last], out);
        return md_stem(out, n);
}


/* Whether two surname keys are one name: equal, or one the other plus at
 * most three letters ("navalny", "navalnyi", "navalnyin"). */
static bool surname_variant(const char *a, size_t al, const char *b, size_t bl) {
        if (al > bl) {
                const char *t = a;
                a = b;
                b = t;
                size_t tl = al;
                al = bl;
                bl = tl;
        }
        if (memcmp(a, b, al) != 0)
                return false;
        if (al == bl)
                return true;
        return cp_count(a, al) >= 4 && cp_count(b + al, bl - al) <= 3;
}

/* Whether the lower-cased word occurs in the text as a word of its own, or
 * is a stop word: the second half of a glued word ("navalny" + "held"). */
static bool is_known_word(const struct md_doc *d, const char *w, size_t len) {
        if (cp_count(w, len) < 2)
                return false;
        if (md_rules_is_stop(d->rules, d->stop_bit, w, len))
                return true;
        char buf[256];
        for (size_t i = 0; i < d->n_tok; i++) {
                const struct md_token *t = &d->tok[i];
                if (!is_word(t) || t->len != len || (t->flags & MD_T_CAP))
                        continue;
                md_lower(d->text + t->start, t->len, buf);
                if (memcmp(buf, w, len) == 0)
                        return true;
        }
        return false;
}

struct person {
        uint32_t entity;
        char key[128];
        size_t key_len;
};

/* The person (index into people) that the one-word token i names, or -1. */
static int64_t person_for_word(const struct md_doc *d, const struct person *people, size_t n_people, uint32_t i,
                               bool glued) {
        char k[256];
        if (d->tok[i].len >= 120)
                return -1;
        size_t kl = surname_key(d, i, k);
        for (size_t j = 0; j < n_people; j++) {
                if (surname_variant(k, kl, people[j].key, people[j].key_len))
                        return (int64_t)j;
                /* the first name alone, when it is unambiguous: rare in news, left out */
        }
        if (!glued)
                return -1;
        for (size_t j = 0; j < n_people; j++) {
                size_t pl = people[j].key_len;
                if (kl > pl + 2 && cp_count(people[j].key, pl) >= 4 && memcmp(k, people[j].key, pl) == 0 &&
                    is_known_word(d, k + pl, kl - pl))
                        return (int64_t)j;
        }
        return -1;
}

static int merge_people(struct md_doc *d, struct pass *p) {
        /* The people: one entry per surname, longest mention first. */
        size_t n_people = 0, cap_people = d->n_ents + p->n_singles + 1;
        struct person *people = arena_alloc(d->arena, cap_people * sizeof(*people));
        if (!people)
                return -ENOMEM;
        for (size_t pass = 0; pass < 2; pass++) {
                for (size_t m = 0; m < d->n_mentions; m++) {
                        const struct md_mention *mm = &d->mentions[m];
                        struct md_entity *e = &d->ents[mm->entity];
                        if (e->type != MD_ENT_PERSON || e->merged_into != NO_ENTITY)
                                continue;
                        /* pass 0: several words; pass 1: one word */
                        bool multi = mm->last > mm->first;
                        if ((pass == 0) != multi)
                                continue;
                        char k[256];
                        size_t kl = d->tok[mm->last].len < 120 ? surname_key(d, mm->last, k) : 0;
                        if (!kl)
                                continue;
                        int64_t found = -1;
                        for (size_t j = 0; j < n_people && found < 0; j++)
                                if (surname_variant(k, kl, people[j].key, people[j].key_len))
                                        found = (int64_t)j;
                        if (found >= 0) {
                                uint32_t into = people[found].entity;
                                if (into != mm->entity) {
                                        e->merged_into = into;
                                        d->ents[into].count += e->count;
                                        e->count = 0;
                                }
                                continue;
                        }
                        if (kl >= sizeof(people[0].key))
                                continue;
                        people[n_people].entity = mm->entity;
                        memcpy(people[n_people].key, k, kl);
                        people[n_people].key_len = kl;
                        n_people++;
                }
        }

        /* The single words: people first (variants and glued words), then
         * places after a preposition, organizations after a determiner. */
        for (size_t s = 0; s < p->n_singles; s++) {
                const struct single *sg = &p->singles[s];
                uint32_t i = sg->tok;
                const struct md_token *t = &d->tok[i];
                int64_t j = person_for_word(d, people, n_people, i, true);
                if (j >= 0) {
                        int r = add_mention(d, i, i, people[j].entity);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* "the Russian leadership", "Russian authorities warned", "in Russian" */
                if (is_demonym(d, t) && !(i + 1 < d->n_tok && is_word(&d->tok[i + 1]) &&
                                          (d->tok[i + 1].flags & MD_T_CAP || cls(d, &d->tok[i + 1]) & MD_C_SPEECH)))
                        continue;
                /* a name that was already an organization or place */
                char *text = span_text(d, i, i, true);
                if (!text)
                        return -ENOMEM;
                bool done = false;
                for (size_t e = 0; e < d->n_ents && !done; e++) {
                        if (d->ents[e].type != MD_ENT_PERSON && d->ents[e].name && strcmp(d->ents[e].name, text) == 0) {
                                int r = add_mention(d, i, i, (uint32_t)e);
                                if (r < 0)
                                        return r;
                                done = true;
                        }
                }
                if (done)
                        continue;
                if (speech_after(d, i) || speech_before(d, i)) {
                        int64_t e = new_entity(d, MD_ENT_PERSON, i);
                        if (e < 0)
                                return (int)e;
                        int r = add_mention(d, i, i, (uint32_t)e);
                        if (r < 0)
                                return r;
                        if (n_people < cap_people && t->len < 120) {
                                people[n_people].entity = (uint32_t)e;
                                people[n_people].key_len = surname_key(d, i, people[n_people].key);
                                n_people++;
                        }
                        continue;
                }
                if ((t->flags & MD_T_SENT_START) && !sg->loc_prep)
                        continue;
                if (is_demonym(d, t) && i + 1 < d->n_tok && (!is_word(&d->tok[i + 1]) || !(d->tok[i + 1].flags & MD_T_CAP)))
                        continue;   /* "the Russian leadership", "in Russian" */
                if (sg->loc_prep && d->lang != MD_LANG_DE && !(t->flags & MD_T_STOP)) {
                        int r = add_place(d, i, i, NULL);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* "dans les Yvelines", "en la isla": a preposition and an article */
                if (sg->determiner && i >= 2 && prev_is_loc_prep(d, i - 1) && d->lang != MD_LANG_DE &&
                    !(t->flags & MD_T_STOP)) {
                        int r = add_place(d, i, i, NULL);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* "the Kremlin", "the Pentagon" (in other languages places take articles too) */
                if (sg->determiner && d->lang == MD_LANG_EN && !(t->flags & MD_T_STOP)) {
                        int r = add_org(d, i, i, NULL, false);
                        if (r < 0)
                                return r;
                }
        }

        /* One-word places that are a person's surname: "Raúl Medina" … "Medina, que regresó" */
        for (size_t m = 0; m < d->n_mentions; m++) {
                struct md_mention *mm = &d->mentions[m];
                struct md_entity *e = &d->ents[mm->entity];
                if (mm->first != mm->last || e->type != MD_ENT_PLACE || strcmp(e->place_kind, "country") == 0)
                        continue;
                int64_t j = person_for_word(d, people, n_people, mm->first, false);
                if (j < 0)
                        continue;
                e->count--;
                mm->entity = people[j].entity;
                d->ents[people[j].entity].count++;
        }

        /* Names to show. */
        uint32_t *root = arena_alloc(d->arena, (d->n_mentions + 1) * sizeof(*root));
        if (!root)
                return -ENOMEM;
        for (size_t m = 0; m < d->n_mentions; m++)
                root[m] = md_entity_root(d, d->mentions[m].entity);
        for (size_t j = 0; j < n_people; j++) {
                uint32_t e = people[j].entity;
                /* the longest mention, and the surname's most frequent form */
                uint32_t longest = UINT32_MAX, best_form = UINT32_MAX, best_count = 0;
                for (size_t m = 0; m < d->n_mentions; m++) {
                        const struct md_mention *mm = &d->mentions[m];
                        if (root[m] != e)
                                continue;
                        if (longest == UINT32_MAX ||
                            mm->last - mm->first > d->mentions[longest].last - d->mentions[longest].first)
                                longest = (uint32_t)m;
                        const struct md_token *st = &d->tok[mm->last];
                        uint32_t count = 0;
                        for (size_t m2 = 0; m2 < d->n_mentions; m2++) {
                                const struct md_token *t2 = &d->tok[d->mentions[m2].last];
                                if (root[m2] == e && t2->stem_len == st->stem_len &&
                                    memcmp(d->text + t2->start, d->text + st->start, st->stem_len) == 0)
                                        count++;
                        }
                        if (count > best_count) {
                                best_count = count;
                                best_form = (uint32_t)m;
                        }
                }
                if (longest == UINT32_MAX)
                        continue;
                const struct md_mention *lm = &d->mentions[longest];
                bool inflected = d->tok[lm->last].flags & (MD_T_CYRILLIC | MD_T_GREEK);
                const struct md_token *sur = &d->tok[d->mentions[inflected ? longest : best_form].last];
                char *first_names = lm->last > lm->first ? span_text(d, lm->first, lm->last - 1, false) : NULL;
                if (lm->last > lm->first && !first_names)
                        return -ENOMEM;
                d->ents[e].name = first_names
                        ? join_name(d, first_names, d->text + sur->start, sur->stem_len)
                        : arena_strndup(d->arena, d->text + sur->start, sur->stem_len);
                if (!d->ents[e].name)
                        return -ENOMEM;
        }
        return 0;
}

/* Whether the lower-case word t may join two capitalized words of a run. */
static bool joins_run(const struct md_doc *d, uint32_t j, bool head) {
        const struct md_token *t = &d->tok[j];
        if (is_punct(t, '&'))
                return true;
        if (!is_word(t) || (t->flags & MD_T_CAP))
                return false;
        uint32_t c = cls(d, t);
        if (c & MD_C_AND)
                return true;
        if (head && (c & (MD_C_OF | MD_C_DETERMINER)))
                return true;
        if (!(c & MD_C_PARTICLE))
                return false;
        /* German "der" only in "von der" ("Beginn der Pandemie" is no name) */
        if (d->lang == MD_LANG_DE && t->len == 3 && j > 0) {
                const struct md_token *pv = &d->tok[j - 1];
                return pv->len == 3 && memcmp(d->text + pv->start, "von", 3) == 0;
        }
        return true;
}

/* German compounds of a name and a role: "Verdi-Sprecher", "SPD-Abgeordnete",
 * "Siemens-Chef": the name before the hyphen is an organization, unless it
 * is a place or a person of the article ("Merkel-Sprecher"). */
static int german_role_compounds(struct md_doc *d) {
        if (d->lang != MD_LANG_DE)
                return 0;
        for (uint32_t i = 0; i < d->n_tok; i++) {
                const struct md_token *t = &d->tok[i];
                if (!is_word(t) || !(t->flags & MD_T_CAP) || t->len >= 120)
                        continue;
                const char *w = d->text + t->start;
                const char *hy = memchr(w, '-', t->len);
                if (!hy || hy - w < 2 || (size_t)(hy - w) + 3 > t->len)
                        continue;
                char low[256];
                size_t rest = lower_token(d, t, low) - (size_t)(hy - w) - 1;
                const char *role = low + (hy - w) + 1;
                const struct md_rule *rule = md_rules_find(d->rules, role, rest);
                if (!german_title_compound(role, rest) && !(rule && (rule->classes[MD_LANG_DE] & MD_C_TITLE)))
                        continue;
                size_t n = (size_t)(hy - w);
                struct md_place_hit h;
                if (md_gazetteer_find(d, low, n, false, &h))
                        continue;
                bool person = false;
                for (size_t e = 0; e < d->n_ents && !person; e++) {
                        const char *name = d->ents[e].name;
                        if (d->ents[e].type != MD_ENT_PERSON || !name)
                                continue;
                        const char *sp = strrchr(name, ' ');
                        sp = sp ? sp + 1 : name;
                        person = strlen(sp) == n && memcmp(sp, w, n) == 0;
                }
                if (person)
                        continue;
                char *name = arena_strndup(d->arena, w, n);
                if (!name)
                        return -ENOMEM;
                /* counted, but the token stays the role's: "sagte der
                 * SPD-Abgeordnete Jonas Richter" quotes Richter, not the SPD */
                int64_t e = named_entity(d, MD_ENT_ORG, name, i);
                if (e < 0)
                        return (int)e;
                d->ents[e].count++;
        }
        return 0;
}

/* Lower-case words (news agencies such as "dpa") named as sources. */
static int lowercase_agencies(struct md_doc *d) {
        for (uint32_t i = 0; i < d->n_tok; i++) {
                const struct md_token *t = &d->tok[i];
                /* only a word whose one rule is opening an agency's name: not a rule word of another kind */
                if (!is_word(t) || (t->flags & (MD_T_CAP | MD_T_STOP | MD_T_NUM)) || t->mention >= 0 || t->len > 8 ||
                    cls_any(t) != MD_C_AGENCY_START)
                        continue;
                const char *c = md_rules_agency(d->rules, d->lower + t->low, t->low_len);
                if (c && strlen(c) == t->len && memcmp(c, d->text + t->start, t->len) == 0) {
                        int r = add_org(d, i, i, c, true);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* Acronyms and short forms join the organization they abbreviate: "WHO" the
 * World Health Organization, "Bahn" the Deutsche Bahn. */
static void merge_organizations(struct md_doc *d) {
        for (size_t a = 0; a < d->n_ents; a++) {
                struct md_entity *s = &d->ents[a];
                if (s->type != MD_ENT_ORG || s->merged_into != NO_ENTITY || !s->name || strchr(s->name, ' '))
                        continue;
                size_t sl = strlen(s->name);
                bool acronym = sl >= 2 && sl <= 6;
                for (size_t i = 0; i < sl && acronym; i++)
                        acronym = s->name[i] >= 'A' && s->name[i] <= 'Z';
                for (size_t b = 0; b < d->n_ents; b++) {
                        struct md_entity *l = &d->ents[b];
                        if (b == a || l->type != MD_ENT_ORG || l->merged_into != NO_ENTITY || !l->name ||
                            !strchr(l->name, ' '))
                                continue;
                        bool match = false;
                        if (acronym) {
                                char initials[16];
                                size_t n = 0;
                                for (const char *w = l->name; *w && n < sizeof(initials) - 1;) {
                                        if (*w >= 'A' && *w <= 'Z')
                                                initials[n++] = *w;
                                        while (*w && *w != ' ' && *w != '-')
                                                w++;
                                        while (*w == ' ' || *w == '-')
                                                w++;
                                }
                                match = n == sl && memcmp(initials, s->name, n) == 0;
                        } else {
                                size_t ll = strlen(l->name);
                                match = ll > sl && l->name[ll - sl - 1] == ' ' && strcmp(l->name + ll - sl, s->name) == 0;
                        }
                        if (match) {
                                s->merged_into = (uint32_t)b;
                                l->count += s->count;
                                s->count = 0;
                                l->agency |= s->agency;
                                if (s->first_token < l->first_token)
                                        l->first_token = s->first_token;
                                break;
                        }
                }
        }
}

int md_names(struct md_doc *d) {
        struct pass p = { 0 };
        bool romance_or_ru = d->lang == MD_LANG_FR || d->lang == MD_LANG_ES || d->lang == MD_LANG_IT ||
                             d->lang == MD_LANG_PT || d->lang == MD_LANG_RU;
        for (uint32_t i = 0; i < d->n_tok;) {
                if (!is_name_token(d, &d->tok[i])) {
                        i++;
                        continue;
                }
                uint32_t first = i, last = i;
                uint32_t j = i + 1;
                bool head = is_org_word(d, &d->tok[i], MD_C_ORG_HEAD), extended = false;
                while (j < d->n_tok && d->tok[j].sentence == d->tok[first].sentence &&
                       !(d->tok[last].flags & MD_T_POSSESSIVE)) {
                        const struct md_token *t = &d->tok[j];
                        if (is_name_token(d, t) && (t->flags & (MD_T_SPACE_BEFORE | MD_T_AFTER_ELISION))) {
                                last = j++;
                                head |= is_org_word(d, t, MD_C_ORG_HEAD);
                                continue;
                        }
                        /* brackets: "[Presidentti Vladimir] Putin" */
                        if ((is_punct(t, '[') || is_punct(t, ']')) && j + 1 < d->n_tok && is_name_token(d, &d->tok[j + 1])) {
                                j++;
                                continue;
                        }
                        /* particles and conjunctions: "Ursula von der Leyen", "Securities and Exchange Commission" */
                        uint32_t k = j;
                        while (k < d->n_tok && k < j + 3 && joins_run(d, k, head))
                                k++;
                        if (k > j && k < d->n_tok && is_name_token(d, &d->tok[k]) &&
                            d->tok[k].sentence == d->tok[first].sentence &&
                            !(!head && !(cls(d, &d->tok[j]) & MD_C_AND) && is_org_word(d, &d->tok[k], MD_C_ORG_HEAD | MD_C_ORG_SUFFIX))) {
                                j = k;
                                continue;
                        }
                        /* an organization's head, "of" and a lower-case noun: "Conseil de sécurité",
                         * "Confédération générale des entreprises" */
                        if (head && romance_or_ru && (last == j - 1) && is_word(t) && !(t->flags & MD_T_CAP) &&
                            (cls(d, t) & MD_C_OF) && (extended || is_org_word(d, &d->tok[last], MD_C_ORG_HEAD)) &&
                            j + 1 < d->n_tok && is_word(&d->tok[j + 1]) &&
                            !(d->tok[j + 1].flags & (MD_T_CAP | MD_T_STOP | MD_T_NUM)) &&
                            d->tok[j + 1].sentence == d->tok[first].sentence &&
                            !(cls(d, &d->tok[j + 1]) & (MD_C_SPEECH | MD_C_MONTH | MD_C_WEEKDAY | MD_C_ORG_TYPE))) {
                                last = j + 1;
                                j += 2;
                                extended = true;
                                continue;
                        }
                        /* an organization's head and its adjectives: "Assemblée nationale", "Министерство обороны" */
                        if (head && romance_or_ru && is_word(t) && !(t->flags & (MD_T_CAP | MD_T_STOP)) &&
                            !(cls(d, t) & (MD_C_SPEECH | MD_C_LOC_PREP | MD_C_MONTH | MD_C_WEEKDAY)) && j < last + 3 &&
                            (extended || is_org_word(d, &d->tok[last], MD_C_ORG_HEAD))) {
                                last = j++;
                                extended = true;
                                continue;
                        }
                        break;
                }
                int r = classify_run(d, &p, first, last);
                if (r < 0)
                        return r;
                i = last + 1;
        }
        int r = lowercase_agencies(d);
        if (r == 0)
                r = german_role_compounds(d);
        if (r < 0)
                return r;
        r = merge_people(d, &p);
        if (r < 0)
                return r;
        merge_organizations(d);
        return 0;
}
