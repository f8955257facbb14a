/* emit: the enriched record as one line of JSON (docs/schema/article.schema.json).
 *
 * Fields that no stage filled are left out rather than written as null, so
 * that a consumer can tell "not extracted" from a value. The record carries
 * its schema name; a change that removes or retypes a field bumps it. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iso_date.h"
#include "stage.h"
#include "utf8.h"
#include "version.h"

#define ARTICLE_SCHEMA "ingestd.article/1"

const char *pipeline_stage_name(size_t i);

struct emit_state {
        char *instance;
        bool include_body;
};

static const struct config_key emit_keys[] = {
        { "emit", "include_body", CONFIG_BOOL, "true",
          "Write the normalized body into the record; turn off to publish the metadata alone." },
        CONFIG_KEY_END,
};

static int emit_init(const struct config *cfg, void **ret_state, char **ret_error) {
        (void)ret_error;
        struct emit_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->instance = strdup(config_get_string(cfg, "ingestd", "instance"));
        s->include_body = config_get_bool(cfg, "emit", "include_body");
        if (!s->instance) {
                free(s);
                return -ENOMEM;
        }
        *ret_state = s;
        return 0;
}

static void emit_fini(void *state) {
        struct emit_state *s = state;
        if (!s)
                return;
        free(s->instance);
        free(s);
}

/* json_string() would take a copy and check UTF-8 again; the text is valid. */
static int set_str(json_t *obj, const char *key, const char *value) {
        if (!value)
                return 0;
        return json_object_set_new_nocheck(obj, key, json_stringn_nocheck(value, strlen(value)));
}

static json_t *source_object(const struct article *a) {
        json_t *src = json_object();
        if (!src)
                return NULL;
        if (a->source.topic) {
                set_str(src, "topic", a->source.topic);
                json_object_set_new_nocheck(src, "partition", json_integer(a->source.partition));
                json_object_set_new_nocheck(src, "offset", json_integer(a->source.offset));
                char iso[ISO_DATE_MAX];
                /* A timestamp outside years 1000-9999 is left out. */
                if (a->source.timestamp_ms >= 0 && iso_date_from_unix_ms(a->source.timestamp_ms, iso))
                        set_str(src, "timestamp", iso);
                if (a->source.key) {
                        /* A key that is not text is written in hex. */
                        if (utf8_scan((const uint8_t *)a->source.key, a->source.key_len, NULL) &&
                            !memchr(a->source.key, '\0', a->source.key_len)) {
                                json_object_set_new_nocheck(src, "key", json_stringn(a->source.key, a->source.key_len));
                        } else {
                                char *hex = arena_alloc(a->arena, a->source.key_len * 2 + 1);
                                if (hex) {
                                        for (size_t i = 0; i < a->source.key_len; i++)
                                                snprintf(hex + 2 * i, 3, "%02x", (unsigned char)a->source.key[i]);
                                        set_str(src, "key_hex", hex);
                                }
                        }
                }
        }
        if (a->source.position)
                set_str(src, "position", a->source.position);
        return src;
}

/* The dedup stage's verdict; NULL when the stage did not run. */
static json_t *dedup_object(const struct article *a) {
        if (!a->has_dedup)
                return NULL;
        static const char *const names[] = { [DEDUP_UNIQUE] = "unique", [DEDUP_DUPLICATE] = "duplicate",
                                             [DEDUP_NEAR_DUPLICATE] = "near_duplicate" };
        json_t *d = json_object();
        set_str(d, "status", names[a->dedup.status]);
        set_str(d, "content_hash", a->dedup.content_hash);
        set_str(d, "duplicate_of", a->dedup.duplicate_of);
        if (a->dedup.status != DEDUP_UNIQUE)
                json_object_set_new_nocheck(d, "similarity", json_real(a->dedup.similarity));
        if (a->dedup.replay)
                json_object_set_new_nocheck(d, "replay", json_true());
        return d;
}

static json_t *string_array(const char *const *items, size_t n) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++)
                json_array_append_new(arr, json_stringn_nocheck(items[i], strlen(items[i])));
        return arr;
}

static json_t *entity_array(const struct article_entity *e, size_t n) {
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                set_str(o, "name", e[i].name);
                json_object_set_new_nocheck(o, "count", json_integer(e[i].count));
                set_str(o, "kind", e[i].kind);
                if (e[i].kind && e[i].country[0])
                        set_str(o, "country", e[i].country);
                json_array_append_new(arr, o);
        }
        return arr;
}

/* The clean and metadata stages' findings, into the record's metadata. */
static void metadata_fields(json_t *meta, const struct article *a) {
        const struct article_clean *c = &a->clean;
        if (c->done) {
                json_object_set_new_nocheck(meta, "removed_lines", json_integer(c->removed_lines));
                if (c->repeated_paragraphs)
                        json_object_set_new_nocheck(meta, "repeated_paragraphs", json_integer(c->repeated_paragraphs));
                if (c->mojibake_repairs)
                        json_object_set_new_nocheck(meta, "mojibake_repairs", json_integer(c->mojibake_repairs));
        }
        const struct article_metadata *m = &a->metadata;
        if (!m->done)
                return;
        json_object_set_new_nocheck(meta, "people", entity_array(m->people, m->n_people));
        json_object_set_new_nocheck(meta, "organizations", entity_array(m->organizations, m->n_organizations));
        json_object_set_new_nocheck(meta, "locations", entity_array(m->locations, m->n_locations));
        json_t *quotes = json_array();
        for (size_t i = 0; i < m->n_quotes; i++) {
                json_t *q = json_object();
                set_str(q, "text", m->quotes[i].text);
                set_str(q, "speaker", m->quotes[i].speaker);
                json_array_append_new(quotes, q);
        }
        json_object_set_new_nocheck(meta, "quotes", quotes);
        json_object_set_new_nocheck(meta, "cited_sources", string_array(m->cited_sources, m->n_cited_sources));
        json_t *dates = json_array();
        for (size_t i = 0; i < m->n_dates; i++) {
                json_t *d = json_object();
                set_str(d, "text", m->dates[i].text);
                set_str(d, "date", m->dates[i].value);
                set_str(d, "precision", m->dates[i].precision);
                if (m->dates[i].relative)
                        json_object_set_new_nocheck(d, "relative", json_true());
                json_array_append_new(dates, d);
        }
        json_object_set_new_nocheck(meta, "dates_mentioned", dates);
        json_object_set_new_nocheck(meta, "keywords", string_array(m->keywords, m->n_keywords));
        json_object_set_new_nocheck(meta, "hashtags", string_array(m->hashtags, m->n_hashtags));
        json_object_set_new_nocheck(meta, "urls", string_array(m->urls, m->n_urls));
        json_object_set_new_nocheck(meta, "emails", string_array(m->emails, m->n_emails));
}

/* The language stage's verdict; NULL when the stage did not run. */
static json_t *language_object(const struct article *a) {
        const struct article_language *l = &a->language;
        if (!l->code)
                return NULL;
        json_t *obj = json_object();
        if (!obj)
                return NULL;
        set_str(obj, "code", l->code);
        set_str(obj, "name", l->name);
        json_object_set_new_nocheck(obj, "confidence", json_real(l->confidence));
        json_object_set_new_nocheck(obj, "reliable", json_boolean(l->reliable));
        json_t *alts = json_array();
        for (size_t i = 0; i < l->n_alternatives; i++) {
                json_t *alt = json_object();
                set_str(alt, "code", l->alternatives[i].code);
                json_object_set_new_nocheck(alt, "percent", json_integer(l->alternatives[i].percent));
                json_array_append_new(alts, alt);
        }
        json_object_set_new_nocheck(obj, "alternatives", alts);
        if (l->hint != ARTICLE_LANGUAGE_HINT_NONE)
                json_object_set_new_nocheck(obj, "hint_agrees", json_boolean(l->hint == ARTICLE_LANGUAGE_HINT_AGREES));
        if (l->sampled)
                json_object_set_new_nocheck(obj, "sampled", json_true());
        return obj;
}

static enum stage_verdict emit_process(void *state, struct article *a) {
        struct emit_state *s = state;
        json_t *rec = json_object();
        if (!rec)
                return article_reject(a, "out_of_memory", "cannot build the record");

        set_str(rec, "schema", ARTICLE_SCHEMA);
        set_str(rec, "id", a->id);
        json_object_set_new_nocheck(rec, "source", source_object(a));
        set_str(rec, "url", a->url);
        set_str(rec, "title", a->title ? a->title : a->metadata.title);
        if (a->title || a->metadata.title)
                set_str(rec, "title_origin", a->title ? "input" : a->metadata.title_origin);
        set_str(rec, "lead", a->metadata.lead);
        set_str(rec, "published_at", a->published_at);
        if (a->published_at)
                set_str(rec, "published_at_origin", a->published_at_origin);
        set_str(rec, "publisher", a->publisher);
        if (a->n_authors) {
                json_t *authors = json_array();
                for (size_t i = 0; i < a->n_authors; i++)
                        json_array_append_new(authors, json_string_nocheck(a->authors[i]));
                json_object_set_new_nocheck(rec, "authors", authors);
        }
        if (a->language_hint)
                set_str(rec, "language_hint", a->language_hint);
        json_t *language = language_object(a);
        if (language)
                json_object_set_new_nocheck(rec, "language", language);
        json_t *dedup = dedup_object(a);
        if (dedup)
                json_object_set_new_nocheck(rec, "dedup", dedup);
        if (s->include_body)
                json_object_set_new_nocheck(rec, "body", json_stringn_nocheck(a->body, a->body_len));

        json_t *meta = json_object();
        json_object_set_new_nocheck(meta, "word_count", json_integer(a->counts.words));
        json_object_set_new_nocheck(meta, "sentence_count", json_integer(a->counts.sentences));
        json_object_set_new_nocheck(meta, "paragraph_count", json_integer(a->counts.paragraphs));
        json_object_set_new_nocheck(meta, "reading_time_seconds", json_integer(a->counts.reading_time_seconds));
        metadata_fields(meta, a);
        json_object_set_new_nocheck(rec, "metadata", meta);

        json_t *ingest = json_object();
        set_str(ingest, "version", INGESTD_VERSION);
        set_str(ingest, "instance", s->instance);
        char now[ISO_DATE_MAX];
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        iso_date_from_unix_ms((int64_t)ts.tv_sec * 1000, now);
        set_str(ingest, "processed_at", now);
        set_str(ingest, "input_format", a->format == ARTICLE_FORMAT_JSON ? "json" : "text");
        set_str(ingest, "id_origin", a->id_origin);
        if (a->utf8_replacements)
                json_object_set_new_nocheck(ingest, "utf8_replacements", json_integer(a->utf8_replacements));
        if (a->transcoded)
                json_object_set_new_nocheck(ingest, "transcoded", json_true());
        json_t *micros = json_object();
        /* Every stage before this one; emit's own time is not known yet. */
        for (size_t i = 0; pipeline_stage_name(i) && strcmp(pipeline_stage_name(i), "emit") != 0; i++)
                json_object_set_new_nocheck(micros, pipeline_stage_name(i), json_integer(a->stage_micros[i]));
        json_object_set_new_nocheck(ingest, "stage_micros", micros);
        json_object_set_new_nocheck(rec, "ingest", ingest);

        /* Reals with 4 significant digits: language.confidence (hundredths)
         * comes out as 0.99, not 0.98999999999999999. */
        char *rendered = json_dumps(rec, JSON_COMPACT | JSON_REAL_PRECISION(4));
        json_decref(rec);
        size_t need = rendered ? strlen(rendered) : 0;
        char *buf = rendered ? arena_strndup(a->arena, rendered, need) : NULL;
        free(rendered);
        if (!buf)
                return article_reject(a, "out_of_memory", "cannot render the record");
        a->json = buf;
        a->json_len = need;
        return STAGE_CONTINUE;
}

const struct stage stage_emit = {
        .name = "emit",
        .config_keys = emit_keys,
        .init = emit_init,
        .process = emit_process,
        .fini = emit_fini,
};
