/* The article record that the stages share.
 *
 * An article is filled in stage by stage: parse sets the fields it finds in
 * the message, normalize rewrites the text fields in place, clean takes
 * boilerplate out of the body, language names the body's language, counts
 * adds the figures, metadata the entities, quotes, dates and keywords, emit
 * renders the JSON. All
 * strings are NUL-terminated UTF-8 (after normalize) and live in the
 * article's arena (or are static, where marked); a NULL field is absent and
 * is left out of the output.
 *
 * The raw message and its Kafka key and headers belong to the caller and must
 * stay valid until the article is done. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "dedup/dedup.h"

#define ARTICLE_MAX_STAGES 16
#define ARTICLE_MAX_AUTHORS 32
#define ARTICLE_LANGUAGE_ALTERNATIVES 3

enum article_format {
        ARTICLE_FORMAT_UNKNOWN = 0,
        ARTICLE_FORMAT_TEXT,
        ARTICLE_FORMAT_JSON,
};

/* Where the article came from. In `ingestd enrich` topic is NULL and
 * `position` names the file and line instead. */
struct article_source {
        const char *topic;
        int32_t partition;
        int64_t offset;
        int64_t timestamp_ms;    /* -1 when the message has none */
        const char *key;         /* not NUL-terminated; may contain any byte */
        size_t key_len;
        const char *position;    /* "file:line" in enrich mode */
};

struct article_counts {
        uint32_t words;
        uint32_t sentences;
        uint32_t paragraphs;
        uint32_t reading_time_seconds;
};

/* A language and its share of the text. */
struct article_language_share {
        const char *code;                /* ISO 639-1, else ISO 639-3; static */
        uint8_t percent;                 /* 0-100 */
};

enum article_language_hint {
        ARTICLE_LANGUAGE_HINT_NONE = 0,  /* no hint, or nothing detected to compare */
        ARTICLE_LANGUAGE_HINT_AGREES,    /* the input's language is the detected one */
        ARTICLE_LANGUAGE_HINT_DISAGREES,
};

/* The language stage's verdict on the body. code is NULL until the stage has
 * run; "und" (undetermined) when the text is too short or has no letters,
 * with reliable false and confidence 0. */
struct article_language {
        const char *code;                /* ISO 639-1, else ISO 639-3, or "und"; static */
        const char *name;                /* English name; static */
        double confidence;               /* 0-1 */
        bool reliable;
        bool sampled;                    /* detected on a sample of a long body */
        struct article_language_share alternatives[ARTICLE_LANGUAGE_ALTERNATIVES];
        size_t n_alternatives;           /* other languages in the text, largest share first */
        enum article_language_hint hint;
};

/* What the clean stage took out of the body and repaired. */
struct article_clean {
        bool done;                       /* the stage ran */
        uint32_t removed_lines;          /* boilerplate lines, repeated paragraphs' lines included */
        uint32_t repeated_paragraphs;
        uint32_t mojibake_repairs;       /* mis-decoded UTF-8 sequences repaired (body and title) */
        const char *dateline;            /* the date of a "Published …" line taken out; arena */
};

/* A person, organization or place found in the body. Strings in the arena. */
struct article_entity {
        const char *name;
        uint32_t count;                  /* mentions, merged */
        const char *kind;                /* places: "country", "region", "city" or "place"; static; else NULL */
        char country[3];                 /* places: ISO 3166-1 alpha-2, "" when unknown */
};

struct article_quote {
        const char *text;
        const char *speaker;             /* NULL when the text does not say */
};

struct article_date {
        const char *text;                /* as written */
        char value[11];                  /* YYYY, YYYY-MM or YYYY-MM-DD */
        const char *precision;           /* "day", "month" or "year"; static */
        bool relative;                   /* resolved against published_at ("on Thursday") */
};

/* The metadata stage's findings; arrays in the arena, in output order. */
struct article_metadata {
        bool done;                       /* the stage ran */
        const char *title_origin;        /* "input" (article->title) or "text" (title below); static */
        char *title;                     /* taken from the body when the input has none */
        char *lead;
        struct article_entity *people, *organizations, *locations;
        size_t n_people, n_organizations, n_locations;
        struct article_quote *quotes;
        size_t n_quotes;
        const char **cited_sources;
        size_t n_cited_sources;
        struct article_date *dates;
        size_t n_dates;
        const char **keywords, **hashtags, **urls, **emails;
        size_t n_keywords, n_hashtags, n_urls, n_emails;
};

struct article {
        struct arena *arena;

        /* input */
        const uint8_t *raw;
        size_t raw_len;
        struct article_source source;
        enum article_format format;

        /* parse */
        char *id;
        const char *id_origin;           /* "field", "header", "key" or "content_hash" */
        char *url;
        char *title;
        char *published_at;              /* ISO 8601: YYYY-MM-DD, YYYY-MM or a date-time */
        const char *published_at_origin; /* "header", "field", "text" (metadata) or "kafka_timestamp" */
        char *publisher;                 /* the input's "source" field: the outlet */
        char *language_hint;             /* language given in the input */
        char *authors[ARTICLE_MAX_AUTHORS];
        size_t n_authors;
        char *body;
        size_t body_len;

        /* normalize */
        uint32_t utf8_replacements;      /* invalid sequences replaced by U+FFFD */
        bool transcoded;                 /* decoded from a legacy 8-bit encoding */

        /* clean */
        struct article_clean clean;

        /* language */
        struct article_language language;

        /* counts */
        struct article_counts counts;

        /* metadata */
        struct article_metadata metadata;

        /* rejection, set by article_reject() */
        const char *error;               /* short code, e.g. "malformed_json" */
        const char *error_message;       /* one line for humans */
        const char *error_stage;

        /* timing, filled by the pipeline */
        uint32_t stage_micros[ARTICLE_MAX_STAGES];

        /* dedup */
        struct dedup_verdict dedup;      /* duplicate_of in the arena */
        bool has_dedup;
        uint8_t *fingerprint;            /* encoded, for the fingerprints topic; NULL when none */
        size_t fingerprint_len;

        /* emit */
        char *json;
        size_t json_len;
};

/* Resets the article for a new message; keeps the arena pointer. */
void article_init(struct article *a, struct arena *arena, const uint8_t *raw, size_t raw_len);

/* Records why the article cannot be processed. `code` must be a static
 * string; the message is formatted into the arena. Returns STAGE_REJECT so
 * that a stage can `return article_reject(...)`. */
int article_reject(struct article *a, const char *code, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
