/* The emit stage (pipeline/stage_emit.c), through the pipeline: the record
 * is one line of JSON that jansson reads back, carries what the earlier
 * stages found, leaves out what they did not (absent, not null), and keeps
 * to docs/schema/article.schema.json. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <regex.h>

#include "pipeline_fixture.h"
#include "version.h"

/* Per-test state: the pipeline, and the parsed record and schema. */
struct ctx {
        struct pf *f;
        json_t *rec;
        json_t *schema;
};

static int setup(void **state) {
        *state = calloc(1, sizeof(struct ctx));
        return *state ? 0 : -1;
}

static int teardown(void **state) {
        struct ctx *x = *state;
        pf_free(x->f);
        json_decref(x->rec);
        json_decref(x->schema);
        free(x);
        return 0;
}

/* Runs a message and parses the record. */
static json_t *emit(struct ctx *x, const char *msg, const struct article_source *src) {
        enum stage_verdict v = pf_run_src_str(x->f, msg, src);
        pf_assert_accepted(x->f, v);
        assert_non_null(x->f->a.json);
        assert_int_equal(strlen(x->f->a.json), x->f->a.json_len);
        /* One line: a newline in the record would split it in a JSON-lines file. */
        assert_null(strchr(x->f->a.json, '\n'));
        json_decref(x->rec);
        json_error_t err;
        x->rec = json_loadb(x->f->a.json, x->f->a.json_len, 0, &err);
        if (!x->rec)
                fail_msg("the record is not JSON: %s: %s", err.text, x->f->a.json);
        assert_true(json_is_object(x->rec));
        return x->rec;
}

static const char *str(json_t *obj, const char *path) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        json_t *v = obj;
        for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
                v = json_object_get(v, tok);
                if (!v)
                        fail_msg("the record has no %s", path);
        }
        if (!json_is_string(v))
                fail_msg("%s is not a string", path);
        return json_string_value(v);
}

static json_int_t integer(json_t *obj, const char *path) {
        char buf[128];
        snprintf(buf, sizeof(buf), "%s", path);
        json_t *v = obj;
        for (char *save = NULL, *tok = strtok_r(buf, ".", &save); tok; tok = strtok_r(NULL, ".", &save)) {
                v = json_object_get(v, tok);
                if (!v)
                        fail_msg("the record has no %s", path);
        }
        if (!json_is_integer(v))
                fail_msg("%s is not an integer", path);
        return json_integer_value(v);
}

static const struct article_source kafka_source = {
        .topic = "articles.raw", .partition = 1, .offset = 4711, .timestamp_ms = 1613296800000,
        .key = "seed-1", .key_len = 6,
};

/* --- the schema, checked by a small subset of JSON Schema -------------------------- */

static void check_against(json_t *schema, json_t *v, const char *where);

static void check_object(json_t *schema, json_t *obj, const char *where) {
        json_t *props = json_object_get(schema, "properties");
        json_t *required = json_object_get(schema, "required");
        size_t i;
        json_t *r;
        json_array_foreach(required, i, r) {
                if (!json_object_get(obj, json_string_value(r)))
                        fail_msg("%s: required \"%s\" is missing", where, json_string_value(r));
        }
        const char *key;
        json_t *val;
        json_object_foreach(obj, key, val) {
                char sub[256];
                snprintf(sub, sizeof(sub), "%s.%s", where, key);
                if (json_is_null(val))
                        fail_msg("%s is null: absent fields are left out", sub);
                json_t *ps = props ? json_object_get(props, key) : NULL;
                if (!ps) {
                        json_t *ap = json_object_get(schema, "additionalProperties");
                        if (json_is_false(ap))
                                fail_msg("%s is not in the schema", sub);
                        if (json_is_object(ap))
                                check_against(ap, val, sub);
                        continue;
                }
                check_against(ps, val, sub);
        }
}

static void check_against(json_t *schema, json_t *v, const char *where) {
        const char *type = json_string_value(json_object_get(schema, "type"));
        if (type) {
                bool ok = strcmp(type, "object") == 0    ? json_is_object(v)
                          : strcmp(type, "string") == 0  ? json_is_string(v)
                          : strcmp(type, "integer") == 0 ? json_is_integer(v)
                          : strcmp(type, "array") == 0   ? json_is_array(v)
                          : strcmp(type, "boolean") == 0 ? json_is_boolean(v)
                          : strcmp(type, "number") == 0  ? json_is_number(v)
                                                         : true;
                if (!ok)
                        fail_msg("%s is not of type %s", where, type);
        }
        json_t *c = json_object_get(schema, "const");
        if (c && !json_equal(c, v))
                fail_msg("%s does not have the schema's constant value", where);
        json_t *e = json_object_get(schema, "enum");
        if (e) {
                bool found = false;
                size_t i;
                json_t *item;
                json_array_foreach(e, i, item) found = found || json_equal(item, v);
                if (!found)
                        fail_msg("%s = %s is not one of the schema's values", where,
                                 json_is_string(v) ? json_string_value(v) : "(non-string)");
        }
        if (json_is_string(v)) {
                json_t *min = json_object_get(schema, "minLength");
                if (min && json_string_length(v) < (size_t)json_integer_value(min))
                        fail_msg("%s is shorter than %lld", where, (long long)json_integer_value(min));
                const char *pattern = json_string_value(json_object_get(schema, "pattern"));
                if (pattern) {
                        regex_t re;
                        assert_int_equal(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
                        int m = regexec(&re, json_string_value(v), 0, NULL, 0);
                        regfree(&re);
                        if (m != 0)
                                fail_msg("%s = \"%s\" does not match %s", where, json_string_value(v), pattern);
                }
        }
        if (json_is_integer(v)) {
                json_t *min = json_object_get(schema, "minimum");
                if (min && json_integer_value(v) < json_integer_value(min))
                        fail_msg("%s is below %lld", where, (long long)json_integer_value(min));
        }
        if (json_is_object(v))
                check_object(schema, v, where);
        if (json_is_array(v) && json_object_get(schema, "items")) {
                size_t i;
                json_t *item;
                json_array_foreach(v, i, item) check_against(json_object_get(schema, "items"), item, where);
        }
}

static void check_schema(struct ctx *x) {
        if (!x->schema) {
                json_error_t err;
                const char *path = pf_env_path("INGESTD_TEST_SCHEMA");
                x->schema = json_load_file(path, 0, &err);
                if (!x->schema)
                        fail_msg("%s: %s", path, err.text);
        }
        check_against(x->schema, x->rec, "record");
}

/* --- tests ------------------------------------------------------------------------ */

static void seed_record(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        char *seed = pf_read_file(pf_env_path("INGESTD_TEST_SEED"), NULL);
        json_t *rec = emit(x, seed, &kafka_source);
        free(seed);

        assert_string_equal(str(rec, "schema"), "ingestd.article/1");
        assert_string_equal(str(rec, "id"), "seed-1");
        assert_string_equal(str(rec, "source.topic"), "articles.raw");
        assert_int_equal(integer(rec, "source.partition"), 1);
        assert_int_equal(integer(rec, "source.offset"), 4711);
        assert_string_equal(str(rec, "source.timestamp"), "2021-02-14T10:00:00Z");
        assert_string_equal(str(rec, "source.key"), "seed-1");
        assert_string_equal(str(rec, "published_at"), "2021-02-14");
        assert_string_equal(str(rec, "published_at_origin"), "header");
        assert_string_equal(str(rec, "body"), x->f->a.body);
        assert_int_equal(strncmp(str(rec, "body"), "Street demonstrations", 21), 0);
        assert_int_equal(integer(rec, "metadata.word_count"), x->f->a.counts.words);
        assert_int_equal(integer(rec, "metadata.sentence_count"), x->f->a.counts.sentences);
        assert_int_equal(integer(rec, "metadata.paragraph_count"), 13);
        assert_int_equal(integer(rec, "metadata.reading_time_seconds"), x->f->a.counts.reading_time_seconds);
        assert_true(integer(rec, "metadata.word_count") > 400);
        assert_string_equal(str(rec, "ingest.version"), INGESTD_VERSION);
        assert_string_equal(str(rec, "ingest.instance"), "unit-test");
        assert_string_equal(str(rec, "ingest.input_format"), "text");
        assert_string_equal(str(rec, "ingest.id_origin"), "key");
        json_t *micros = json_object_get(json_object_get(rec, "ingest"), "stage_micros");
        assert_non_null(json_object_get(micros, "parse"));
        assert_non_null(json_object_get(micros, "normalize"));
        assert_non_null(json_object_get(micros, "counts"));
        assert_null(json_object_get(micros, "emit"));

        /* The title is the body's first sentence (the metadata stage). */
        assert_string_equal(str(rec, "title_origin"), "text");
        assert_int_equal(strncmp(str(rec, "title"), "Street demonstrations", 21), 0);
        /* Nothing in the input gave these: absent, not null. */
        static const char *const absent[] = { "url", "publisher", "authors", "language_hint", NULL };
        for (size_t i = 0; absent[i]; i++)
                if (json_object_get(rec, absent[i]))
                        fail_msg("\"%s\" is in the record although the input has none", absent[i]);
        assert_null(json_object_get(json_object_get(rec, "ingest"), "utf8_replacements"));
        assert_null(json_object_get(json_object_get(rec, "ingest"), "transcoded"));
        check_schema(x);
}

static void json_record(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        json_t *rec = emit(x, "{\"id\": \"a1\", \"url\": \"https://example.com/a1\", \"title\": \"A \\\"quoted\\\" title\","
                              " \"body\": \"Line one.\\n\\nLine two: caf\\u00e9, \\u00e9\\u00e8, \\ud83d\\ude00.\","
                              " \"published\": \"Sun, 14 Feb 2021 10:00:00 +0200\", \"source\": \"Example News\","
                              " \"authors\": [\"Ann Author\", \"Bob Writer\"], \"language\": \"en\"}",
                           &kafka_source);
        assert_string_equal(str(rec, "id"), "a1");
        assert_string_equal(str(rec, "url"), "https://example.com/a1");
        assert_string_equal(str(rec, "title"), "A \"quoted\" title");
        assert_string_equal(str(rec, "title_origin"), "input");
        assert_string_equal(str(rec, "body"), "Line one.\n\nLine two: caf\xc3\xa9, \xc3\xa9\xc3\xa8, \xf0\x9f\x98\x80.");
        assert_string_equal(str(rec, "published_at"), "2021-02-14T08:00:00Z");
        assert_string_equal(str(rec, "published_at_origin"), "field");
        assert_string_equal(str(rec, "publisher"), "Example News");
        assert_string_equal(str(rec, "language_hint"), "en");
        json_t *authors = json_object_get(rec, "authors");
        assert_int_equal(json_array_size(authors), 2);
        assert_string_equal(json_string_value(json_array_get(authors, 1)), "Bob Writer");
        assert_string_equal(str(rec, "ingest.input_format"), "json");
        assert_string_equal(str(rec, "ingest.id_origin"), "field");
        assert_int_equal(integer(rec, "metadata.paragraph_count"), 2);
        check_schema(x);
}

static void minimal_record(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        /* No Kafka key or timestamp, no id, no date. */
        struct article_source src = { .topic = "articles.raw", .partition = 0, .offset = 0, .timestamp_ms = -1 };
        json_t *rec = emit(x, "Just a body.", &src);
        assert_string_equal(str(rec, "ingest.id_origin"), "content_hash");
        assert_int_equal(strlen(str(rec, "id")), 32);
        assert_string_equal(str(rec, "title"), "Just a body.");
        assert_string_equal(str(rec, "title_origin"), "text");
        static const char *const absent[] = { "url", "published_at", "published_at_origin", "publisher",
                                              "authors", "language_hint", NULL };
        for (size_t i = 0; absent[i]; i++)
                if (json_object_get(rec, absent[i]))
                        fail_msg("\"%s\" is in the record although the input has none", absent[i]);
        json_t *source = json_object_get(rec, "source");
        assert_null(json_object_get(source, "timestamp"));
        assert_null(json_object_get(source, "key"));
        check_schema(x);
}

static void binary_key_in_hex(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        struct article_source src = kafka_source;
        src.key = "\x00\x01\xfe\xff";
        src.key_len = 4;
        json_t *rec = emit(x, "Body.", &src);
        assert_string_equal(str(rec, "source.key_hex"), "0001feff");
        assert_null(json_object_get(json_object_get(rec, "source"), "key"));
        assert_string_equal(str(rec, "ingest.id_origin"), "content_hash");
        check_schema(x);
}

static void enrich_position(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        struct article_source src = { .partition = -1, .offset = -1, .timestamp_ms = -1, .position = "news.jsonl:3" };
        json_t *rec = emit(x, "{\"body\": \"From a file.\"}", &src);
        assert_string_equal(str(rec, "source.position"), "news.jsonl:3");
        assert_null(json_object_get(json_object_get(rec, "source"), "topic"));
        assert_null(json_object_get(json_object_get(rec, "source"), "partition"));
        check_schema(x);
}

static void repaired_and_transcoded_are_flagged(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        json_t *rec = emit(x, "caf\xe9 cr\xe8me", &kafka_source);
        assert_string_equal(str(rec, "body"), "caf\xc3\xa9 cr\xc3\xa8me");
        assert_true(json_is_true(json_object_get(json_object_get(rec, "ingest"), "transcoded")));
        check_schema(x);

        char text[1024] = "";
        for (int i = 0; i < 10; i++)
                strcat(text, "Navalny\xe2\x80\x99s allies have suspended street protests. ");
        strcat(text, "\xff");
        rec = emit(x, text, &kafka_source);
        assert_int_equal(integer(rec, "ingest.utf8_replacements"), 1);
        check_schema(x);
}

static void body_left_out_on_request(void **state) {
        static const char *const o[] = { "emit.include_body=false", NULL };
        struct ctx *x = *state;
        x->f = pf_new(o);
        json_t *rec = emit(x, "A body that is counted but not published.", &kafka_source);
        assert_null(json_object_get(rec, "body"));
        assert_int_equal(integer(rec, "metadata.word_count"), 8);
}

/* Regression test for a fixed bug (pipeline/stage_parse.c, set_published_from_json()): a year-only
 * date in the JSON is written as published_at "2021", which the schema's
 * pattern (YYYY-MM at least) rejects. */
static void year_only_date_keeps_to_schema(void **state) {
        struct ctx *x = *state;
        x->f = pf_new(NULL);
        emit(x, "{\"body\": \"A body.\", \"published\": \"2021\"}", &kafka_source);
        check_schema(x);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(seed_record),
                T(json_record),
                T(minimal_record),
                T(binary_key_in_hex),
                T(enrich_position),
                T(repaired_and_transcoded_are_flagged),
                T(body_left_out_on_request),
                T(year_only_date_keeps_to_schema),
#undef T
        };
        return cmocka_run_group_tests_name("stage_emit", tests, NULL, NULL);
}
