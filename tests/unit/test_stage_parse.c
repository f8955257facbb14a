/* The parse stage (pipeline/stage_parse.c), run through the whole pipeline as
 * the daemon runs it: the seed article and its header variants, JSON with
 * configurable field names, the id and date fallbacks, and rejections. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "pipeline_fixture.h"

static bool starts_with(const char *s, const char *prefix) {
        return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* --- text with a header -------------------------------------------------------- */

static void seed_article(void **state) {
        struct pf *f = *state = pf_new(NULL);
        size_t len;
        char *seed = pf_read_file(pf_env_path("INGESTD_TEST_SEED"), &len);
        /* The raw article opens with " date 2021-02-14 ". */
        assert_true(starts_with(seed, " date 2021-02-14 Street demonstrations"));
        enum stage_verdict v = pf_run(f, seed, len);
        free(seed);
        pf_assert_accepted(f, v);
        assert_int_equal(f->a.format, ARTICLE_FORMAT_TEXT);
        assert_string_equal(f->a.published_at, "2021-02-14");
        assert_string_equal(f->a.published_at_origin, "header");
        assert_true(starts_with(f->a.body, "Street demonstrations have been suspended"));
        assert_null(strstr(f->a.body, "date 2021"));
        assert_null(f->a.title);
        assert_null(f->a.url);
        /* No id in the text and no Kafka key: the content hash. */
        assert_string_equal(f->a.id_origin, "content_hash");
}

static void header_month_precision(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, " date 2021-03 body of the article"));
        assert_string_equal(f->a.published_at, "2021-03");
        assert_string_equal(f->a.published_at_origin, "header");
        assert_string_equal(f->a.body, "body of the article");
}

static void header_then_newline(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "date 2021-02-14\nBody on next line"));
        assert_string_equal(f->a.published_at, "2021-02-14");
        assert_string_equal(f->a.body, "Body on next line");
}

static void no_header(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "Street demonstrations have been suspended."));
        assert_null(f->a.published_at);
        assert_string_equal(f->a.body, "Street demonstrations have been suspended.");

        /* Words that look like a header but are not one stay in the body. */
        pf_assert_accepted(f, pf_run_str(f, "date night ideas for Valentine's Day"));
        assert_null(f->a.published_at);
        assert_string_equal(f->a.body, "date night ideas for Valentine's Day");
        pf_assert_accepted(f, pf_run_str(f, "date 2021 was a year"));   /* a year alone is not a header date */
        assert_null(f->a.published_at);
        assert_string_equal(f->a.body, "date 2021 was a year");
        pf_assert_accepted(f, pf_run_str(f, "url is what they called it"));
        assert_null(f->a.url);
        assert_string_equal(f->a.body, "url is what they called it");
}

static void header_url_and_title(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "url https://x/y title Some title\nbody\xE2\x80\xA6"));
        assert_string_equal(f->a.url, "https://x/y");
        assert_string_equal(f->a.title, "Some title");
        assert_string_equal(f->a.body, "body\xE2\x80\xA6");
        assert_null(f->a.published_at);
}

static void header_all_words(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "\xEF\xBB\xBF date 2021-02-14 id yle-11789 language fi url https://yle.fi/a\n"
                                            "source Yle News\n"
                                            "title Navalny supporters plan candle protests\n"
                                            "\n"
                                            "Street demonstrations have been suspended."));
        assert_string_equal(f->a.published_at, "2021-02-14");
        assert_string_equal(f->a.id, "yle-11789");
        assert_string_equal(f->a.id_origin, "header");
        assert_string_equal(f->a.language_hint, "fi");
        assert_string_equal(f->a.url, "https://yle.fi/a");
        assert_string_equal(f->a.publisher, "Yle News");
        assert_string_equal(f->a.title, "Navalny supporters plan candle protests");
        assert_string_equal(f->a.body, "Street demonstrations have been suspended.");
}

/* --- JSON ------------------------------------------------------------------------ */

static void json_default_fields(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "{\"id\": \"a1\", \"url\": \"https://example.com/a1\", \"title\": \"Title\","
                                            " \"body\": \"Body text.\", \"published\": \"2021-02-14T10:00:00+02:00\","
                                            " \"source\": {\"name\": \"Example News\"}, \"authors\": [\"Ann\", {\"name\": \"Bob\"}, \"\"],"
                                            " \"language\": \"en\"}"));
        assert_int_equal(f->a.format, ARTICLE_FORMAT_JSON);
        assert_string_equal(f->a.id, "a1");
        assert_string_equal(f->a.id_origin, "field");
        assert_string_equal(f->a.url, "https://example.com/a1");
        assert_string_equal(f->a.title, "Title");
        assert_string_equal(f->a.body, "Body text.");
        assert_string_equal(f->a.published_at, "2021-02-14T08:00:00Z");
        assert_string_equal(f->a.published_at_origin, "field");
        assert_string_equal(f->a.publisher, "Example News");
        assert_int_equal(f->a.n_authors, 2);
        assert_string_equal(f->a.authors[0], "Ann");
        assert_string_equal(f->a.authors[1], "Bob");
        assert_string_equal(f->a.language_hint, "en");
}

static void json_configured_fields(void **state) {
        static const char *const o[] = { "parse.body_fields=content_html", "parse.id_fields=guid, uuid",
                                         "parse.title_fields=name", "parse.published_fields=pubDate", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f, "{\"uuid\": \"u-7\", \"name\": \"Named\", \"body\": \"not this\","
                                            " \"content_html\": \"This one.\", \"pubDate\": \"Sun, 14 Feb 2021 10:00:00 +0000\"}"));
        assert_string_equal(f->a.body, "This one.");
        assert_string_equal(f->a.id, "u-7");
        assert_string_equal(f->a.title, "Named");
        assert_string_equal(f->a.published_at, "2021-02-14T10:00:00Z");

        /* The default body fields are no longer read. */
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"Body\"}"), "no_body", "parse");
}

static void json_fallback_field_order(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* body,text,content: the first present and not null wins. */
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": null, \"content\": \"from content\", \"text\": \"from text\","
                                            " \"headline\": \"H\", \"link\": \"https://l/\", \"publisher\": \"P\","
                                            " \"author\": \"Single Author\", \"lang\": \"de\", \"id\": 42}"));
        assert_string_equal(f->a.body, "from text");
        assert_string_equal(f->a.title, "H");
        assert_string_equal(f->a.url, "https://l/");
        assert_string_equal(f->a.publisher, "P");
        assert_int_equal(f->a.n_authors, 1);
        assert_string_equal(f->a.authors[0], "Single Author");
        assert_string_equal(f->a.language_hint, "de");
        assert_string_equal(f->a.id, "42");
}

static void json_published_numbers(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\", \"published\": 1613296800}"));
        assert_string_equal(f->a.published_at, "2021-02-14T10:00:00Z");
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\", \"published\": 1613296800000}"));
        assert_string_equal(f->a.published_at, "2021-02-14T10:00:00Z");
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\", \"date\": \"2021-02-14\"}"));
        assert_string_equal(f->a.published_at, "2021-02-14");
        /* Not a date: absent, not guessed. */
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\", \"published\": \"last Tuesday\"}"));
        assert_null(f->a.published_at);
}

static void json_lines_fixture(void **state) {
        struct pf *f = *state = pf_new(NULL);
        size_t len;
        char *text = pf_read_file(pf_fixture("articles.jsonl"), &len);
        static const struct {
                const char *id, *title, *body, *published_at, *publisher, *url, *language;
                size_t n_authors;
        } want[] = {
                { "a1", "First article", "One two three. Four five six.", "2021-02-14T08:00:00Z", "Example News",
                  "https://example.com/news/a1", "en", 2 },
                { "2", "Second article", "Seven eight.\n\nNine ten.", "2021-02-14T10:00:00Z", "Wire Service", NULL, NULL, 1 },
                { NULL, NULL, "Eleven.", "2021-02-14T10:00:00Z", NULL, "https://example.com/news/a3", "fi", 0 },
        };
        size_t n = 0;
        for (char *line = text, *nl; *line; line = nl + 1, n++) {
                nl = strchr(line, '\n');
                assert_non_null(nl);
                assert_true(n < 3);
                enum stage_verdict v = pf_run(f, line, (size_t)(nl - line));
                pf_assert_accepted(f, v);
                if (want[n].id)
                        assert_string_equal(f->a.id, want[n].id);
                else
                        assert_string_equal(f->a.id_origin, "content_hash");
                if (want[n].title)
                        assert_string_equal(f->a.title, want[n].title);
                else
                        assert_null(f->a.title);
                assert_string_equal(f->a.body, want[n].body);
                assert_string_equal(f->a.published_at, want[n].published_at);
                if (want[n].publisher)
                        assert_string_equal(f->a.publisher, want[n].publisher);
                else
                        assert_null(f->a.publisher);
                if (want[n].url)
                        assert_string_equal(f->a.url, want[n].url);
                else
                        assert_null(f->a.url);
                if (want[n].language)
                        assert_string_equal(f->a.language_hint, want[n].language);
                else
                        assert_null(f->a.language_hint);
                assert_int_equal(f->a.n_authors, want[n].n_authors);
        }
        free(text);
        assert_int_equal(n, 3);
}

/* Regression test for a fixed bug (pipeline/stage_parse.c, parse_json(): auto-detection skips a
 * UTF-8 byte order mark, but the bytes given to json_loadb() still start with
 * it, so jansson rejects the document as malformed_json). */
static void json_with_byte_order_mark(void **state) {
        struct pf *f = *state = pf_new(NULL);
        enum stage_verdict v = pf_run_str(f, "\xEF\xBB\xBF{\"id\": \"bom-1\", \"body\": \"Text after a BOM.\"}");
        pf_assert_accepted(f, v);
        assert_int_equal(f->a.format, ARTICLE_FORMAT_JSON);
        assert_string_equal(f->a.id, "bom-1");
        assert_string_equal(f->a.body, "Text after a BOM.");
}

/* --- id and date fallbacks ---------------------------------------------------------- */

static void fallback_to_kafka_key_and_timestamp(void **state) {
        struct pf *f = *state = pf_new(NULL);
        struct article_source src = { .topic = "articles.raw", .partition = 2, .offset = 77,
                                      .timestamp_ms = 1613296800000, .key = "article-42", .key_len = 10 };
        pf_assert_accepted(f, pf_run_src_str(f, "{\"body\": \"No id, no date.\"}", &src));
        assert_string_equal(f->a.id, "article-42");
        assert_string_equal(f->a.id_origin, "key");
        assert_string_equal(f->a.published_at, "2021-02-14T10:00:00Z");
        assert_string_equal(f->a.published_at_origin, "kafka_timestamp");

        /* Text without a header: the same. */
        pf_assert_accepted(f, pf_run_src_str(f, "Plain text.", &src));
        assert_string_equal(f->a.id, "article-42");
        assert_string_equal(f->a.published_at_origin, "kafka_timestamp");

        /* The message's own id and date win over the key and the timestamp. */
        pf_assert_accepted(f, pf_run_src_str(f, " date 2021-02-13 id own-id Text.", &src));
        assert_string_equal(f->a.id, "own-id");
        assert_string_equal(f->a.id_origin, "header");
        assert_string_equal(f->a.published_at, "2021-02-13");
        assert_string_equal(f->a.published_at_origin, "header");
}

static void unusable_keys_fall_back_to_hash(void **state) {
        static const char *const o[] = { "parse.max_key_id_bytes=8", NULL };
        struct pf *f = *state = pf_new(o);
        static const struct {
                const char *key;
                size_t len;
        } keys[] = {
                { "\x00\x01\x02\x03", 4 },     /* binary */
                { "a\nb", 3 },                 /* control character */
                { "\xFF\xFE", 2 },             /* not UTF-8 */
                { "longer-than-8", 13 },       /* over parse.max_key_id_bytes */
                { "", 0 },                     /* empty */
        };
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
                struct article_source src = { .timestamp_ms = -1, .key = keys[i].key, .key_len = keys[i].len };
                pf_assert_accepted(f, pf_run_src_str(f, "Text.", &src));
                assert_string_equal(f->a.id_origin, "content_hash");
        }
        struct article_source src = { .timestamp_ms = -1, .key = "short", .key_len = 5 };
        pf_assert_accepted(f, pf_run_src_str(f, "Text.", &src));
        assert_string_equal(f->a.id, "short");
}

static void content_hash_id_is_stable(void **state) {
        struct pf *f = *state = pf_new(NULL);
        const char *msg = "Same text, same id: a replay must not create a new article.";
        pf_assert_accepted(f, pf_run_str(f, msg));
        assert_string_equal(f->a.id_origin, "content_hash");
        char first[64];
        snprintf(first, sizeof(first), "%s", f->a.id);
        assert_int_equal(strlen(first), 32);
        assert_int_equal(strspn(first, "0123456789abcdef"), 32);
        assert_null(f->a.published_at);   /* no header, no timestamp */

        pf_assert_accepted(f, pf_run_str(f, msg));
        assert_string_equal(f->a.id, first);

        /* A fresh pipeline (another instance, a restart) agrees. */
        struct pf *g = pf_new(NULL);
        pf_assert_accepted(g, pf_run_str(g, msg));
        int same = strcmp(g->a.id, first) == 0;
        pf_free(g);
        assert_true(same);

        pf_assert_accepted(f, pf_run_str(f, "Same text, same id: a replay must not create a new article!"));
        assert_string_not_equal(f->a.id, first);
}

/* --- rejections ---------------------------------------------------------------------- */

static void rejects_empty(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run(f, "", 0), "empty", "parse");
        const struct pipeline_stage_stats *st = pipeline_stage_stats(f->p, 0);
        assert_string_equal(st->name, "parse");
        assert_int_equal(st->rejected, 1);
        assert_int_equal(pipeline_stage_stats(f->p, 1)->processed, 0);
}

static void rejects_too_large(void **state) {
        static const char *const o[] = { "parse.max_message_bytes=1KiB", NULL };
        struct pf *f = *state = pf_new(o);
        char buf[1026];
        memset(buf, 'a', 1025);
        buf[1025] = '\0';
        for (size_t i = 7; i < 1025; i += 8)
                buf[i] = ' ';
        pf_assert_accepted(f, pf_run(f, buf, 1024));   /* the limit itself is allowed */
        pf_assert_rejected(f, pf_run(f, buf, 1025), "too_large", "parse");
        /* JSON is measured the same way, before it is parsed. */
        char json[2048];
        snprintf(json, sizeof(json), "{\"body\": \"%.1100s\"}", buf);
        pf_assert_rejected(f, pf_run_str(f, json), "too_large", "parse");
}

/* "[" * n + "]" * n as the value of "a", beside a body. */
static char *nested_json(size_t n) {
        static const char head[] = "{\"body\": \"x\", \"a\": ";
        size_t o = sizeof(head) - 1;
        char *j = malloc(o + 2 * n + 2);
        assert_non_null(j);
        memcpy(j, head, o);
        for (size_t i = 0; i < n; i++) {
                j[o + i] = '[';
                j[o + n + i] = ']';
        }
        memcpy(j + o + 2 * n, "}", 2);
        return j;
}

static void rejects_json_too_deep(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* The object and 63 arrays: 64 levels, the default limit. */
        char *j = nested_json(63);
        pf_assert_accepted(f, pf_run_str(f, j));
        free(j);
        j = nested_json(64);
        pf_assert_rejected(f, pf_run_str(f, j), "too_deep", "parse");
        free(j);
        /* Far beyond jansson's own limit: the same answer, not malformed_json. */
        j = nested_json(10000);
        pf_assert_rejected(f, pf_run_str(f, j), "too_deep", "parse");
        free(j);
        /* Brackets inside strings do not count. */
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}"));

        static const char *const o[] = { "parse.max_json_depth=2", NULL };
        struct pf *g = pf_new(o);
        pf_assert_accepted(g, pf_run_str(g, "{\"body\": \"x\", \"a\": {\"b\": 1}}"));
        pf_assert_rejected(g, pf_run_str(g, "{\"body\": \"x\", \"a\": {\"b\": [1]}}"), "too_deep", "parse");
        pf_free(g);
}

static void rejects_json_with_too_many_values(void **state) {
        static const char *const o[] = { "parse.max_json_values=5", NULL };
        struct pf *f = *state = pf_new(o);
        /* Members and elements at every depth count: 2 + 3 = 5, and 2 + 3 + 1. */
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\", \"a\": [1, \"[,:{\", []]}"));
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"x\", \"a\": [1, {\"b\": 2}, []]}"), "too_many_values",
                           "parse");
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"x\", \"a\": [0, 0, 0, 0, 0]}"), "too_many_values", "parse");

        /* The default: 10,000. */
        struct pf *g = pf_new(NULL);
        size_t cap = 16 * 10001 + 64, o2 = 0;
        char *j = malloc(cap);
        assert_non_null(j);
        o2 += (size_t)sprintf(j, "{\"body\": \"x\"");
        for (int i = 1; i < 10000; i++)
                o2 += (size_t)sprintf(j + o2, ", \"k%d\": %d", i, i);
        strcpy(j + o2, "}");
        pf_assert_accepted(g, pf_run_str(g, j));
        strcpy(j + o2, ", \"one\": \"more\"}");
        pf_assert_rejected(g, pf_run_str(g, j), "too_many_values", "parse");
        free(j);
        pf_free(g);
}

static void dates_out_of_range_are_ignored(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* A message time beyond the year 9999 is no date. */
        struct article_source src = { .topic = "articles.raw", .timestamp_ms = INT64_MAX };
        pf_assert_accepted(f, pf_run_src_str(f, "Text with an absurd message time.", &src));
        assert_null(f->a.published_at);
        /* An offset that moves a date-time out of the years 1000-9999. */
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\", \"published\": \"1000-01-01T00:30:00+01:00\"}"));
        assert_null(f->a.published_at);
}

static void rejects_malformed_json(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"unterminated"), "malformed_json", "parse");
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"x\",}"), "malformed_json", "parse");
        pf_assert_rejected(f, pf_run_str(f, "  {body: 'x'}"), "malformed_json", "parse");
}

static void rejects_json_array(void **state) {
        static const char *const o[] = { "parse.format=json", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_rejected(f, pf_run_str(f, "[{\"body\": \"x\"}]"), "not_an_object", "parse");
        pf_assert_rejected(f, pf_run_str(f, "[1, 2, 3]"), "not_an_object", "parse");
        pf_assert_rejected(f, pf_run_str(f, "plain text"), "malformed_json", "parse");
}

static void rejects_json_without_body(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run_str(f, "{\"id\": \"x\", \"title\": \"t\"}"), "no_body", "parse");
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"\"}"), "no_body", "parse");
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": 42}"), "no_body", "parse");
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": null}"), "no_body", "parse");
}

static void rejects_json_with_broken_utf8(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* Mostly broken bytes: binary, not a document. */
        pf_assert_rejected(f, pf_run_str(f, "{\"body\": \"\xFF\xFE\xFD\xFC\xFB\xFA\xC0\xC1\"}"), "invalid_utf8", "parse");
}

static void format_text_reads_json_as_text(void **state) {
        static const char *const o[] = { "parse.format=text", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f, "{\"body\": \"x\"}"));
        assert_int_equal(f->a.format, ARTICLE_FORMAT_TEXT);
        assert_string_equal(f->a.body, "{\"body\": \"x\"}");
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_teardown(f, pf_teardown)
                T(seed_article),
                T(header_month_precision),
                T(header_then_newline),
                T(no_header),
                T(header_url_and_title),
                T(header_all_words),
                T(json_default_fields),
                T(json_configured_fields),
                T(json_fallback_field_order),
                T(json_published_numbers),
                T(json_lines_fixture),
                T(json_with_byte_order_mark),
                T(fallback_to_kafka_key_and_timestamp),
                T(unusable_keys_fall_back_to_hash),
                T(content_hash_id_is_stable),
                T(rejects_empty),
                T(rejects_too_large),
                T(rejects_json_too_deep),
                T(rejects_json_with_too_many_values),
                T(dates_out_of_range_are_ignored),
                T(rejects_malformed_json),
                T(rejects_json_array),
                T(rejects_json_without_body),
                T(rejects_json_with_broken_utf8),
                T(format_text_reads_json_as_text),
#undef T
        };
        return cmocka_run_group_tests_name("stage_parse", tests, NULL, NULL);
}
