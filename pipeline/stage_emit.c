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
                if (a->source.timestamp_ms >= 0) {
                        char iso[ISO_DATE_MAX];
                        iso_date_from_unix_ms(a->source.timestamp_ms, iso);
                        set_str(src, "timestamp", iso);
                }
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
        set_str(rec, "title", a->title);
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
        if (s->include_body)
                json_object_set_new_nocheck(rec, "body", json_stringn_nocheck(a->body, a->body_len));

        json_t *meta = json_object();
        json_object_set_new_nocheck(meta, "word_count", json_integer(a->counts.words));
        json_object_set_new_nocheck(meta, "sentence_count", json_integer(a->counts.sentences));
        json_object_set_new_nocheck(meta, "paragraph_count", json_integer(a->counts.paragraphs));
        json_object_set_new_nocheck(meta, "reading_time_seconds", json_integer(a->counts.reading_time_seconds));
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
