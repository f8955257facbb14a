/* metadata: what an analyst wants to know about an article, by rules and
 * packaged data (no model): title, lead and publication date when the input
 * lacks them; people, organizations and places; quotations with their
 * speakers; cited sources; dates mentioned; keywords, hashtags, links and
 * e-mail addresses. It runs after language (the rules depend on the
 * detected language: docs on each part in names.c, quotes.c, dates.c,
 * keywords.c) on the cleaned body.
 *
 * - title (article->metadata.title; the input's stays in article->title):
 *   the input's, else the body's first line when it reads as a
 *   headline (no full stop, at most title_headline_max_words words), else its
 *   first sentence; cut at metadata.title_max_chars.
 * - lead: the first paragraph (the one after a headline taken as the title,
 *   or after a first line equal to the title), cut at metadata.lead_max_chars.
 * - published_at: the input's (header or JSON field) when it has one; else a
 *   "Published …" line that the clean stage took out, or the first full date
 *   in the body's first metadata.dateline_tokens tokens (a dateline),
 *   published_at_origin "text"; else the Kafka timestamp, as parse left it.
 *
 * Only the first metadata.max_text_bytes of a body are analysed. Output
 * arrays are capped by the max_* keys and ordered deterministically:
 * entities by mentions (descending), then first mention; quotations, dates,
 * sources, hashtags, links and addresses in text order; keywords by score. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "metadata.h"
#include "pipeline/stage.h"
#include "pipeline/utf8.h"

struct metadata_state {
        struct md_rules *rules;
        struct md_settings set;
        int64_t title_headline_max_words;
};

static const struct config_key metadata_keys[] = {
        { "metadata", "max_people", CONFIG_INT, "50", "Most people listed per article (the most mentioned first).",
          .min = 0, .max = 100000 },
        { "metadata", "max_organizations", CONFIG_INT, "50", "Most organizations listed per article.",
          .min = 0, .max = 100000 },
        { "metadata", "max_locations", CONFIG_INT, "50", "Most places listed per article.", .min = 0, .max = 100000 },
        { "metadata", "max_quotes", CONFIG_INT, "30", "Most quotations listed per article (the first ones).",
          .min = 0, .max = 100000 },
        { "metadata", "max_keywords", CONFIG_INT, "10", "Keywords listed per article (the best scored).",
          .min = 0, .max = 100000 },
        { "metadata", "max_dates", CONFIG_INT, "30", "Most dates listed per article (the first ones).",
          .min = 0, .max = 100000 },
        { "metadata", "max_hashtags", CONFIG_INT, "20", "Most hashtags listed per article.", .min = 0, .max = 100000 },
        { "metadata", "max_urls", CONFIG_INT, "20", "Most links listed per article.", .min = 0, .max = 100000 },
        { "metadata", "max_emails", CONFIG_INT, "20", "Most e-mail addresses listed per article.",
          .min = 0, .max = 100000 },
        { "metadata", "max_text_bytes", CONFIG_INT, "256KiB",
          "Only this much of a body (cut at a line break or space) is analysed: bounds the stage's time and memory.",
          .min = 1024, .max = 1073741824 },
        { "metadata", "quote_min_words", CONFIG_INT, "3",
          "Fewest words in quotation marks that make a quotation; shorter quoted text is a term (“defendant”).",
          .min = 1, .max = 1000 },
        { "metadata", "speaker_window_tokens", CONFIG_INT, "14",
          "How far after a quotation (in words and punctuation) a speech verb and its speaker are looked for.",
          .min = 1, .max = 1000 },
        { "metadata", "keyword_min_letters", CONFIG_INT, "3", "Shortest keyword, in letters.", .min = 1, .max = 100 },
        { "metadata", "keyword_title_weight", CONFIG_DOUBLE, "2",
          "Added to a keyword's score when the title has the word.", .min = 0, .max = 1000 },
        { "metadata", "keyword_lead_weight", CONFIG_DOUBLE, "1",
          "Added to each occurrence of a word in the first paragraph (an occurrence elsewhere counts 1).",
          .min = 0, .max = 1000 },
        { "metadata", "city_min_population", CONFIG_INT, "15000",
          "Smallest city that the gazetteer knows (the tables hold cities of at least 15,000 inhabitants, capitals and regional seats down to 1,500; raising this drops more).",
          .min = 0, .max = 100000000 },
        { "metadata", "sentence_start_min_population", CONFIG_INT, "100000",
          "A one-word city at the start of a sentence or after an article (\"Police\", \"the Reading\") counts only with at least this many inhabitants.",
          .min = 0, .max = 100000000 },
        { "metadata", "future_window_days", CONFIG_INT, "60",
          "A date without a year (\"in August\", \"14 March\") takes the year that puts it at most this many days after the publication date.",
          .min = 0, .max = 366 },
        { "metadata", "dateline_tokens", CONFIG_INT, "40",
          "Without a publication date in the input, the first full date within this many tokens of the body is taken as one.",
          .min = 0, .max = 100000 },
        { "metadata", "title_max_chars", CONFIG_INT, "200",
          "Longest title taken from the body (cut at a space, with …).", .min = 10, .max = 100000 },
        { "metadata", "title_headline_max_words", CONFIG_INT, "20",
          "A first line of at most this many words without a full stop is a headline, and becomes the title when the input has none.",
          .min = 1, .max = 1000 },
        { "metadata", "lead_max_chars", CONFIG_INT, "600", "Longest lead (cut at a space, with …).",
          .min = 10, .max = 1000000 },
        CONFIG_KEY_END,
};

static int metadata_init(const struct config *cfg, void **ret_state, char **ret_error) {
        (void)ret_error;
        struct metadata_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->rules = md_rules_new();
        if (!s->rules) {
                free(s);
                return -ENOMEM;
        }
        struct md_settings *t = &s->set;
        t->max_people = config_get_int(cfg, "metadata", "max_people");
        t->max_organizations = config_get_int(cfg, "metadata", "max_organizations");
        t->max_locations = config_get_int(cfg, "metadata", "max_locations");
        t->max_quotes = config_get_int(cfg, "metadata", "max_quotes");
        t->max_keywords = config_get_int(cfg, "metadata", "max_keywords");
        t->max_dates = config_get_int(cfg, "metadata", "max_dates");
        t->max_hashtags = config_get_int(cfg, "metadata", "max_hashtags");
        t->max_urls = config_get_int(cfg, "metadata", "max_urls");
        t->max_emails = config_get_int(cfg, "metadata", "max_emails");
        t->max_text_bytes = config_get_int(cfg, "metadata", "max_text_bytes");
        t->quote_min_words = config_get_int(cfg, "metadata", "quote_min_words");
        t->speaker_window_tokens = config_get_int(cfg, "metadata", "speaker_window_tokens");
        t->keyword_min_letters = config_get_int(cfg, "metadata", "keyword_min_letters");
        t->keyword_title_weight = config_get_double(cfg, "metadata", "keyword_title_weight");
        t->keyword_lead_weight = config_get_double(cfg, "metadata", "keyword_lead_weight");
        t->city_min_population = config_get_int(cfg, "metadata", "city_min_population");
        t->sentence_start_min_population = config_get_int(cfg, "metadata", "sentence_start_min_population");
        t->future_window_days = config_get_int(cfg, "metadata", "future_window_days");
        t->dateline_tokens = config_get_int(cfg, "metadata", "dateline_tokens");
        t->title_max_chars = config_get_int(cfg, "metadata", "title_max_chars");
        t->lead_max_chars = config_get_int(cfg, "metadata", "lead_max_chars");
        s->title_headline_max_words = config_get_int(cfg, "metadata", "title_headline_max_words");
        *ret_state = s;
        return 0;
}

static void metadata_fini(void *state) {
        struct metadata_state *s = state;
        if (!s)
                return;
        md_rules_free(s->rules);
        free(s);
}

/* A copy of s[0..len) of at most max bytes, cut at a space with "…". */
static char *cut(struct arena *ar, const char *s, size_t len, size_t max) {
        while (len && s[len - 1] == ' ')
                len--;
        if (len <= max)
                return arena_strndup(ar, s, len);
        size_t e = max;
        while (e > max / 2 && s[e] != ' ')
                e--;
        if (s[e] != ' ') {
                e = max;
                while (e > 0 && ((unsigned char)s[e] & 0xC0) == 0x80)
                        e--;
        }
        while (e > 0 && (s[e - 1] == ' ' || s[e - 1] == ',' || s[e - 1] == ';' || s[e - 1] == ':'))
                e--;
        return arena_printf(ar, "%.*s…", (int)e, s);
}

static size_t paragraph_end(const char *s, size_t len, size_t from) {
        const char *p = from < len ? memmem(s + from, len - from, "\n\n", 2) : NULL;
        return p ? (size_t)(p - s) : len;
}

static size_t words_in(const char *s, size_t len) {
        size_t w = 0;
        bool in = false;
        for (size_t i = 0; i < len; i++) {
                bool sp = s[i] == ' ' || s[i] == '\n';
                if (!sp && !in)
                        w++;
                in = !sp;
        }
        return w;
}

static int title_and_lead(const struct metadata_state *st, struct md_doc *d, struct article *a) {
        const char *b = d->text;
        size_t len = d->len;
        size_t first_line = 0;
        while (first_line < len && b[first_line] != '\n')
                first_line++;
        size_t lead_from = 0;
        char last = first_line ? b[first_line - 1] : '.';
        bool headline = first_line < len && (int64_t)words_in(b, first_line) <= st->title_headline_max_words &&
                        last != '.' && last != ',' && last != ';' && last != ':';
        if (a->title) {
                a->metadata.title_origin = "input";
                if (first_line == strlen(a->title) && memcmp(b, a->title, first_line) == 0)
                        lead_from = first_line;
        } else if (headline) {
                a->metadata.title = cut(a->arena, b, first_line, (size_t)st->set.title_max_chars);
                lead_from = first_line;
        } else if (d->n_tok) {
                /* the first sentence */
                uint32_t end_tok = d->n_sentences > 1 ? d->sentence_first[1] : (uint32_t)d->n_tok;
                const struct md_token *lt = &d->tok[end_tok - 1];
                a->metadata.title = cut(a->arena, b, lt->start + lt->len, (size_t)st->set.title_max_chars);
        }
        if (a->metadata.title && !a->metadata.title[0])
                a->metadata.title = NULL;
        if (a->metadata.title)
                a->metadata.title_origin = "text";
        while (lead_from < len && b[lead_from] == '\n')
                lead_from++;
        size_t lead_end = paragraph_end(b, len, lead_from);
        if (lead_end > lead_from) {
                a->metadata.lead = cut(a->arena, b + lead_from, lead_end - lead_from, (size_t)st->set.lead_max_chars);
                if (!a->metadata.lead)
                        return -ENOMEM;
                for (char *p = a->metadata.lead; *p; p++)
                        if (*p == '\n')
                                *p = ' ';
        }
        return 0;
}

static void parse_pub(struct md_doc *d, const char *p) {
        d->pub_y = d->pub_m = d->pub_d = 0;
        if (!p)
                return;
        int y = 0, m = 0, day = 0;
        if (strlen(p) >= 4 && sscanf(p, "%4d", &y) == 1)
                d->pub_y = y;
        if (strlen(p) >= 7 && sscanf(p + 5, "%2d", &m) == 1 && m >= 1 && m <= 12)
                d->pub_m = m;
        if (d->pub_m && strlen(p) >= 10 && sscanf(p + 8, "%2d", &day) == 1 && day >= 1 && day <= 31)
                d->pub_d = day;
}

/* The publication date from the text, when the input gave none. */
static int date_from_text(struct metadata_state *st, struct md_doc *d, struct article *a) {
        if (a->published_at && a->published_at_origin && strcmp(a->published_at_origin, "kafka_timestamp") != 0)
                return 0;
        char date[11];
        bool found = false;
        if (a->clean.dateline) {
                struct md_doc sub = *d;
                sub.text = a->clean.dateline;
                sub.len = strlen(a->clean.dateline);
                sub.buf = arena_alloc(d->arena, 2 * sub.len + 64);
                if (!sub.buf)
                        return -ENOMEM;
                int r = md_tokenize(&sub);
                if (r < 0)
                        return r;
                found = md_dateline_in_doc(&sub, date);
        }
        if (!found)
                found = md_dateline_in_doc(d, date);
        (void)st;
        if (!found)
                return 0;
        a->published_at = arena_strdup(a->arena, date);
        if (!a->published_at)
                return -ENOMEM;
        a->published_at_origin = "text";
        return 0;
}

static int cmp_entity(const void *x, const void *y) {
        const struct md_entity *a = *(const struct md_entity *const *)x, *b = *(const struct md_entity *const *)y;
        if (a->count != b->count)
                return a->count > b->count ? -1 : 1;
        return a->first_token < b->first_token ? -1 : a->first_token > b->first_token;
}

/* The entities of one type into an output array, most mentioned first. */
static int entities_out(struct md_doc *d, enum md_entity_type type, int64_t max, struct article_entity **ret,
                        size_t *ret_n) {
        struct md_entity **list = arena_alloc(d->arena, (d->n_ents + 1) * sizeof(*list));
        if (!list)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < d->n_ents; i++) {
                struct md_entity *e = &d->ents[i];
                if (e->type == type && e->merged_into == UINT32_MAX && e->count > 0 && e->name && e->name[0])
                        list[n++] = e;
        }
        /* first_token of a merged person: its earliest mention */
        qsort(list, n, sizeof(*list), cmp_entity);
        if ((int64_t)n > max)
                n = (size_t)max;
        struct article_entity *out = arena_calloc(d->arena, n ? n : 1, sizeof(*out));
        if (!out)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                out[i].name = md_entity_shown(list[i]);
                out[i].count = list[i]->count;
                out[i].kind = list[i]->place_kind;
                memcpy(out[i].country, list[i]->country, 3);
        }
        *ret = out;
        *ret_n = n;
        return 0;
}

static enum stage_verdict metadata_process(void *state, struct article *a) {
        struct metadata_state *st = state;
        struct article_metadata *m = &a->metadata;
        *m = (struct article_metadata){ .done = true };
        if (!a->body)
                return STAGE_CONTINUE;

        struct md_doc d = { .arena = a->arena, .rules = st->rules, .set = &st->set, .text = a->body, .len = a->body_len };
        const char *code = a->language.code;
        d.lang = md_lang_from_code(code);
        d.lang_code = code && strcmp(code, "und") != 0 ? code : "";
        d.stop_bit = md_rules_stop_bit(st->rules, d.lang_code);
        if ((int64_t)d.len > st->set.max_text_bytes) {
                size_t e = (size_t)st->set.max_text_bytes;
                while (e > 0 && d.text[e] != '\n' && d.text[e] != ' ')
                        e--;
                d.len = e;
        }
        d.buf = arena_alloc(a->arena, 2 * d.len + 64);
        if (!d.buf || md_tokenize(&d) < 0)
                return article_reject(a, "out_of_memory", "metadata: cannot tokenize the body");

        int r = date_from_text(st, &d, a);
        parse_pub(&d, a->published_at);
        if (r >= 0)
                r = title_and_lead(st, &d, a);
        if (r >= 0)
                r = md_names(&d);
        if (r >= 0)
                r = md_quotes(&d, m);
        if (r >= 0)
                r = md_dates(&d, m);
        if (r >= 0)
                r = md_keywords(&d, a->title ? a->title : m->title, m);
        if (r >= 0)
                r = md_links(&d, m);
        /* merged people: the earliest mention orders them */
        for (size_t i = 0; r >= 0 && i < d.n_ents; i++) {
                if (d.ents[i].merged_into == UINT32_MAX)
                        continue;
                uint32_t root = md_entity_root(&d, (uint32_t)i);
                if (d.ents[i].first_token < d.ents[root].first_token)
                        d.ents[root].first_token = d.ents[i].first_token;
        }
        if (r >= 0)
                r = entities_out(&d, MD_ENT_PERSON, st->set.max_people, &m->people, &m->n_people);
        if (r >= 0)
                r = entities_out(&d, MD_ENT_ORG, st->set.max_organizations, &m->organizations, &m->n_organizations);
        if (r >= 0)
                r = entities_out(&d, MD_ENT_PLACE, st->set.max_locations, &m->locations, &m->n_locations);
        if (r < 0)
                return article_reject(a, "out_of_memory", "metadata: out of memory");
        return STAGE_CONTINUE;
}

const struct stage stage_metadata = {
        .name = "metadata",
        .config_keys = metadata_keys,
        .init = metadata_init,
        .process = metadata_process,
        .fini = metadata_fini,
};
