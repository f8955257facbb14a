/* parse: from the raw message to the article's fields.
 *
 * Two input forms, detected per message or forced by parse.format:
 *  - a JSON object with configurable field names;
 *  - plain text that may open with a header of `key value` words, as scraped
 *    articles arrive: " date 2021-02-14 Street demonstrations ...". The header
 *    words are date (YYYY-MM-DD or YYYY-MM), id, url, language (one token
 *    each), title and source (the rest of their line). The header ends at the
 *    first word that is not one of these with a valid value; the body follows,
 *    on the same line or the next.
 * The Kafka key and timestamp stand in for a missing id and date; failing a
 * key, the id is the hash of the message, so a replay gets the same id.
 * Limits (docs/limits.md): a message over parse.max_message_bytes is not
 * read at all; JSON deeper than parse.max_json_depth or with more values
 * than parse.max_json_values is refused before jansson builds it. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "iso_date.h"
#include "stage.h"
#include "utf8.h"

enum parse_format { PARSE_AUTO, PARSE_TEXT, PARSE_JSON };

#define MAX_FIELD_NAMES 8

struct field_names {
        char *names[MAX_FIELD_NAMES];   /* tried in order; the first present wins */
        size_t n;
};

struct parse_state {
        enum parse_format format;
        int64_t max_message_bytes;
        int64_t max_key_id_bytes;
        int64_t max_json_depth;
        int64_t max_json_values;
        double max_invalid_ratio;
        struct field_names id, url, title, body, published, source, authors, language;
        char *names_storage;
};

static const struct config_key parse_keys[] = {
        { "parse", "format", CONFIG_ENUM, "auto",
          "How to read a message: auto (JSON when it starts with '{', else text), text or json.",
          .choices = "auto|text|json" },
        { "parse", "max_message_bytes", CONFIG_INT, "4MiB",
          "Messages larger than this are dead-lettered (error too_large) without being parsed.",
          .min = 1, .max = 1073741824 },
        { "parse", "max_key_id_bytes", CONFIG_INT, "256",
          "A Kafka key up to this long (printable UTF-8) is the article id when the message has none.",
          .min = 0, .max = 65536 },
        { "parse", "max_json_depth", CONFIG_INT, "64",
          "JSON nested deeper than this (objects and arrays) is dead-lettered (error too_deep) without being parsed.",
          .min = 1, .max = 2048 },
        { "parse", "max_json_values", CONFIG_INT, "10000",
          "JSON with more values than this (object members and array elements, at any depth) is dead-lettered (error too_many_values) without being parsed: each costs memory, up to some 250 bytes for an empty object.",
          .min = 1, .max = 100000000 },
        { "parse", "id_fields", CONFIG_STRING, "id", "JSON fields holding the article id (comma-separated, first present wins)." },
        { "parse", "url_fields", CONFIG_STRING, "url,link", "JSON fields holding the article URL." },
        { "parse", "title_fields", CONFIG_STRING, "title,headline", "JSON fields holding the title." },
        { "parse", "body_fields", CONFIG_STRING, "body,text,content", "JSON fields holding the article text." },
        { "parse", "published_fields", CONFIG_STRING, "published,date,published_at",
          "JSON fields holding the publication date (ISO 8601, RFC 2822, or Unix seconds/milliseconds)." },
        { "parse", "source_fields", CONFIG_STRING, "source,publisher",
          "JSON fields naming the outlet (a string, or an object with a \"name\")." },
        { "parse", "authors_fields", CONFIG_STRING, "authors,author", "JSON fields holding the authors (string or array of strings)." },
        { "parse", "language_fields", CONFIG_STRING, "language,lang", "JSON fields holding the language the producer claims." },
        CONFIG_KEY_END,
};

static int split_names(struct field_names *f, char *list) {
        f->n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                while (*tok == ' ')
                        tok++;
                char *end = tok + strlen(tok);
                while (end > tok && end[-1] == ' ')
                        *--end = '\0';
                if (!*tok)
                        continue;
                if (f->n == MAX_FIELD_NAMES)
                        return -E2BIG;
                f->names[f->n++] = tok;
        }
        return 0;
}

static void parse_fini(void *state) {
        struct parse_state *s = state;
        if (!s)
                return;
        free(s->names_storage);
        free(s);
}

static int parse_init(const struct config *cfg, void **ret_state, char **ret_error) {
        struct parse_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        const char *fmt = config_get_string(cfg, "parse", "format");
        s->format = strcmp(fmt, "json") == 0 ? PARSE_JSON : strcmp(fmt, "text") == 0 ? PARSE_TEXT : PARSE_AUTO;
        s->max_message_bytes = config_get_int(cfg, "parse", "max_message_bytes");
        s->max_key_id_bytes = config_get_int(cfg, "parse", "max_key_id_bytes");
        s->max_json_depth = config_get_int(cfg, "parse", "max_json_depth");
        s->max_json_values = config_get_int(cfg, "parse", "max_json_values");
        s->max_invalid_ratio = config_get_double(cfg, "normalize", "max_invalid_utf8_ratio");

        static const char *const keys[] = { "id_fields", "url_fields", "title_fields", "body_fields",
                                            "published_fields", "source_fields", "authors_fields", "language_fields" };
        struct field_names *targets[] = { &s->id, &s->url, &s->title, &s->body,
                                          &s->published, &s->source, &s->authors, &s->language };
        size_t total = 0;
        for (size_t i = 0; i < 8; i++)
                total += strlen(config_get_string(cfg, "parse", keys[i])) + 1;
        s->names_storage = malloc(total);
        if (!s->names_storage) {
                parse_fini(s);
                return -ENOMEM;
        }
        char *p = s->names_storage;
        for (size_t i = 0; i < 8; i++) {
                const char *v = config_get_string(cfg, "parse", keys[i]);
                size_t l = strlen(v) + 1;
                memcpy(p, v, l);
                if (split_names(targets[i], p) < 0) {
                        if (asprintf(ret_error, "parse.%s: at most %d field names", keys[i], MAX_FIELD_NAMES) < 0)
                                *ret_error = NULL;
                        parse_fini(s);
                        return -E2BIG;
                }
                p += l;
        }
        if (s->body.n == 0) {
                *ret_error = strdup("parse.body_fields: at least one field name is needed");
                parse_fini(s);
                return -EINVAL;
        }
        *ret_state = s;
        return 0;
}

/* --- JSON ---------------------------------------------------------------- */

static json_t *first_field(json_t *obj, const struct field_names *f) {
        for (size_t i = 0; i < f->n; i++) {
                json_t *v = json_object_get(obj, f->names[i]);
                if (v && !json_is_null(v))
                        return v;
        }
        return NULL;
}

static char *json_to_arena_string(struct arena *a, json_t *v) {
        if (json_is_string(v))
                return arena_strndup(a, json_string_value(v), json_string_length(v));
        if (json_is_integer(v))
                return arena_printf(a, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return NULL;
}

static void set_published_from_json(struct article *a, json_t *v) {
        char iso[ISO_DATE_MAX];
        if (json_is_string(v)) {
                if (iso_date_normalize(json_string_value(v), json_string_length(v), iso) != DATE_INVALID) {
                        a->published_at = arena_strdup(a->arena, iso);
                        a->published_at_origin = "field";
                }
        } else if (json_is_integer(v) || json_is_real(v)) {
                double n = json_number_value(v);
                /* Unix seconds or milliseconds: anything past 1e11 is milliseconds. */
                if (n > 0 && n < 1e14 && iso_date_from_unix_ms((int64_t)(n > 1e11 ? n : n * 1000), iso)) {
                        a->published_at = arena_strdup(a->arena, iso);
                        a->published_at_origin = "field";
                }
        }
}

enum json_shape { JSON_SHAPE_OK, JSON_SHAPE_TOO_DEEP, JSON_SHAPE_TOO_MANY_VALUES };

/* Before jansson builds the document, which costs memory per value: how
 * deep it nests and how many values (object members and array elements) it
 * holds, counted outside strings in one pass that stops at the first limit
 * exceeded. Malformed JSON is left to jansson. */
static enum json_shape json_shape_check(const char *text, size_t len, int64_t max_depth, int64_t max_values) {
        int64_t depth = 0, values = 0;
        bool in_string = false, opened = false;
        for (size_t i = 0; i < len; i++) {
                char c = text[i];
                if (in_string) {
                        if (c == '\\')
                                i++;
                        else if (c == '"')
                                in_string = false;
                        continue;
                }
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
                        continue;
                /* A container's first member or element. */
                if (opened && c != '}' && c != ']' && ++values > max_values)
                        return JSON_SHAPE_TOO_MANY_VALUES;
                opened = false;
                switch (c) {
                case '"':
                        in_string = true;
                        break;
                case '{':
                case '[':
                        if (++depth > max_depth)
                                return JSON_SHAPE_TOO_DEEP;
                        opened = true;
                        break;
                case '}':
                case ']':
                        depth--;
                        break;
                case ',':
                        if (++values > max_values)
                                return JSON_SHAPE_TOO_MANY_VALUES;
                        break;
                }
        }
        return JSON_SHAPE_OK;
}

static enum stage_verdict parse_json(struct parse_state *s, struct article *a) {
        const char *text = (const char *)a->raw;
        size_t len = a->raw_len;
        /* A byte order mark is not JSON; jansson would refuse it. */
        if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
                text += 3;
                len -= 3;
        }
        struct utf8_scan scan;
        if (!utf8_scan(a->raw, a->raw_len, &scan)) {
                /* JSON's syntax is ASCII, so replacing broken sequences inside
                 * strings with U+FFFD keeps the document's structure. */
                if ((double)scan.invalid_bytes > s->max_invalid_ratio * (double)a->raw_len)
                        return article_reject(a, "invalid_utf8", "%zu of %zu bytes are not valid UTF-8",
                                              scan.invalid_bytes, a->raw_len);
                text = utf8_repair(a->arena, (const uint8_t *)text, len, &len);
                if (!text)
                        return article_reject(a, "out_of_memory", "cannot copy the message");
                a->utf8_replacements += (uint32_t)scan.invalid_sequences;
        }

        enum json_shape shape = json_shape_check(text, len, s->max_json_depth, s->max_json_values);
        if (shape == JSON_SHAPE_TOO_DEEP)
                return article_reject(a, "too_deep", "JSON nested deeper than parse.max_json_depth (%lld)",
                                      (long long)s->max_json_depth);
        if (shape == JSON_SHAPE_TOO_MANY_VALUES)
                return article_reject(a, "too_many_values", "JSON with more values than parse.max_json_values (%lld)",
                                      (long long)s->max_json_values);

        json_error_t err;
        json_t *root = json_loadb(text, len, JSON_ALLOW_NUL, &err);
        if (!root)
                return article_reject(a, "malformed_json", "line %d column %d: %s", err.line, err.column, err.text);
        enum stage_verdict v = STAGE_CONTINUE;
        if (!json_is_object(root)) {
                v = article_reject(a, "not_an_object", "the message is JSON but not an object");
                goto out;
        }

        json_t *body = first_field(root, &s->body);
        if (!body || !json_is_string(body) || json_string_length(body) == 0) {
                v = article_reject(a, "no_body", "none of the fields %s%s%s holds a non-empty string",
                                   s->body.names[0], s->body.n > 1 ? ", " : "", s->body.n > 1 ? s->body.names[1] : "");
                goto out;
        }
        a->body = arena_strndup(a->arena, json_string_value(body), json_string_length(body));
        a->body_len = json_string_length(body);

        json_t *f;
        if ((f = first_field(root, &s->id)) && (a->id = json_to_arena_string(a->arena, f)))
                a->id_origin = "field";
        if ((f = first_field(root, &s->url)) && json_is_string(f))
                a->url = json_to_arena_string(a->arena, f);
        if ((f = first_field(root, &s->title)) && json_is_string(f))
                a->title = json_to_arena_string(a->arena, f);
        if ((f = first_field(root, &s->language)) && json_is_string(f))
                a->language_hint = json_to_arena_string(a->arena, f);
        if ((f = first_field(root, &s->published)))
                set_published_from_json(a, f);
        if ((f = first_field(root, &s->source))) {
                if (json_is_object(f))
                        f = json_object_get(f, "name");
                if (f && json_is_string(f))
                        a->publisher = json_to_arena_string(a->arena, f);
        }
        if ((f = first_field(root, &s->authors))) {
                if (json_is_string(f)) {
                        a->authors[a->n_authors++] = json_to_arena_string(a->arena, f);
                } else if (json_is_array(f)) {
                        size_t i;
                        json_t *item;
                        json_array_foreach(f, i, item) {
                                if (a->n_authors == ARTICLE_MAX_AUTHORS)
                                        break;
                                if (json_is_object(item))
                                        item = json_object_get(item, "name");
                                if (item && json_is_string(item) && json_string_length(item) > 0)
                                        a->authors[a->n_authors++] = json_to_arena_string(a->arena, item);
                        }
                }
        }
        if (!a->body)
                v = article_reject(a, "out_of_memory", "cannot copy the body");
out:
        json_decref(root);
        return v;
}

/* --- text with a header ----------------------------------------------------- */

static bool is_blank(char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* One token: up to the next blank. */
static size_t token_len(const char *p, const char *end) {
        const char *q = p;
        while (q < end && !is_blank(*q))
                q++;
        return (size_t)(q - p);
}

static size_t rest_of_line_len(const char *p, const char *end) {
        const char *q = p;
        while (q < end && *q != '\n')
                q++;
        return (size_t)(q - p);
}

/* Tries to read one `key value` header word at p; returns the position after
 * it, or NULL when p does not start a header word. */
static const char *parse_header_word(struct article *a, const char *p, const char *end) {
        static const struct {
                const char *word;
                bool whole_line;
        } words[] = { { "date", false }, { "id", false }, { "url", false }, { "language", false },
                      { "title", true },  { "source", true } };
        for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
                size_t wl = strlen(words[i].word);
                if ((size_t)(end - p) <= wl + 1 || memcmp(p, words[i].word, wl) != 0 || (p[wl] != ' ' && p[wl] != '\t'))
                        continue;
                const char *v = p + wl;
                while (v < end && (*v == ' ' || *v == '\t'))
                        v++;
                size_t vl = words[i].whole_line ? rest_of_line_len(v, end) : token_len(v, end);
                while (vl && is_blank(v[vl - 1]))
                        vl--;
                if (vl == 0)
                        return NULL;
                if (strcmp(words[i].word, "date") == 0) {
                        char iso[ISO_DATE_MAX];
                        enum date_precision prec = iso_date_normalize(v, vl, iso);
                        if (prec == DATE_INVALID || prec == DATE_YEAR)
                                return NULL;
                        a->published_at = arena_strdup(a->arena, iso);
                        a->published_at_origin = "header";
                } else if (strcmp(words[i].word, "url") == 0) {
                        if (vl < 8 || (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0))
                                return NULL;
                        a->url = arena_strndup(a->arena, v, vl);
                } else if (strcmp(words[i].word, "id") == 0) {
                        a->id = arena_strndup(a->arena, v, vl);
                        a->id_origin = "header";
                } else if (strcmp(words[i].word, "language") == 0) {
                        if (vl > 16)
                                return NULL;
                        a->language_hint = arena_strndup(a->arena, v, vl);
                } else if (strcmp(words[i].word, "title") == 0) {
                        a->title = arena_strndup(a->arena, v, vl);
                } else {
                        a->publisher = arena_strndup(a->arena, v, vl);
                }
                return v + vl;
        }
        return NULL;
}

static enum stage_verdict parse_text(struct article *a) {
        const char *p = (const char *)a->raw, *end = p + a->raw_len;
        /* A UTF-8 byte order mark is not text. */
        if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
                p += 3;
        for (;;) {
                const char *q = p;
                while (q < end && is_blank(*q))
                        q++;
                const char *next = parse_header_word(a, q, end);
                if (!next)
                        break;
                p = next;
        }
        while (p < end && is_blank(*p))
                p++;
        /* The body stays raw bytes here; normalize checks and repairs its encoding. */
        a->body = arena_strndup(a->arena, p, (size_t)(end - p));
        a->body_len = (size_t)(end - p);
        if (!a->body)
                return article_reject(a, "out_of_memory", "cannot copy the body");
        return STAGE_CONTINUE;
}

/* --- fallbacks ------------------------------------------------------------------ */

static bool key_usable_as_id(const struct article *a, int64_t max) {
        if (!a->source.key || a->source.key_len == 0 || (int64_t)a->source.key_len > max)
                return false;
        for (size_t i = 0; i < a->source.key_len; i++) {
                unsigned char c = (unsigned char)a->source.key[i];
                if (c < 0x20 || c == 0x7F)
                        return false;
        }
        return utf8_scan((const uint8_t *)a->source.key, a->source.key_len, NULL);
}

static enum stage_verdict parse_process(void *state, struct article *a) {
        struct parse_state *s = state;
        if (a->raw_len == 0)
                return article_reject(a, "empty", "the message is empty");
        if ((int64_t)a->raw_len > s->max_message_bytes)
                return article_reject(a, "too_large", "the message has %zu bytes; parse.max_message_bytes is %lld",
                                      a->raw_len, (long long)s->max_message_bytes);

        enum parse_format fmt = s->format;
        if (fmt == PARSE_AUTO) {
                size_t i = 0;
                if (a->raw_len >= 3 && memcmp(a->raw, "\xEF\xBB\xBF", 3) == 0)
                        i = 3;
                while (i < a->raw_len && is_blank((char)a->raw[i]))
                        i++;
                fmt = i < a->raw_len && a->raw[i] == '{' ? PARSE_JSON : PARSE_TEXT;
        }
        a->format = fmt == PARSE_JSON ? ARTICLE_FORMAT_JSON : ARTICLE_FORMAT_TEXT;
        enum stage_verdict v = fmt == PARSE_JSON ? parse_json(s, a) : parse_text(a);
        if (v != STAGE_CONTINUE)
                return v;

        if (!a->id && key_usable_as_id(a, s->max_key_id_bytes)) {
                a->id = arena_strndup(a->arena, a->source.key, a->source.key_len);
                a->id_origin = "key";
        }
        if (!a->id) {
                XXH128_hash_t h = XXH3_128bits(a->raw, a->raw_len);
                a->id = arena_printf(a->arena, "%016llx%016llx", (unsigned long long)h.high64,
                                     (unsigned long long)h.low64);
                a->id_origin = "content_hash";
        }
        char iso[ISO_DATE_MAX];
        if (!a->published_at && a->source.timestamp_ms > 0 && iso_date_from_unix_ms(a->source.timestamp_ms, iso)) {
                a->published_at = arena_strdup(a->arena, iso);
                a->published_at_origin = "kafka_timestamp";
        }
        if (!a->id)
                return article_reject(a, "out_of_memory", "cannot allocate the id");
        return STAGE_CONTINUE;
}

const struct stage stage_parse = {
        .name = "parse",
        .config_keys = parse_keys,
        .init = parse_init,
        .process = parse_process,
        .fini = parse_fini,
};
