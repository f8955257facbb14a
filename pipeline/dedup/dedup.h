/* Deduplication: exact and near-duplicate detection over a bounded,
 * time-windowed index that several ingestd instances share through a Kafka
 * topic of fingerprints.
 *
 * Who owns what:
 *  - struct dedup_index is created by the caller (the daemon, or `ingestd
 *    enrich`), outlives pipeline rebuilds (a reload keeps the index), and is
 *    handed to the dedup stage through struct pipeline_env. It is used from
 *    one thread.
 *  - The dedup stage computes an article's fingerprint, looks it up, inserts
 *    it and writes the verdict and the encoded fingerprint into the article.
 *  - The daemon produces that encoded fingerprint to the fingerprints topic
 *    and feeds every fingerprint it reads from that topic (its own included)
 *    to dedup_index_apply(), which ignores what the index already holds.
 *
 * Replay: an entry remembers the source position (topic, partition,
 * offset) it came from and the verdict it got. The same position seen again
 * gets the same verdict; the same article id at another position is a
 * re-delivery, i.e. a duplicate of the first. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum dedup_status {
        DEDUP_UNIQUE = 0,
        DEDUP_DUPLICATE,        /* exact: same normalized body, same canonical URL, or same id */
        DEDUP_NEAR_DUPLICATE,   /* MinHash/LSH candidate confirmed by the similarity rule */
};

/* Tunables, read from the [dedup] config section by the stage. */
struct dedup_params {
        uint32_t shingle_words;          /* words per shingle */
        uint32_t bands;                  /* LSH bands */
        uint32_t rows;                   /* MinHash values per band */
        double min_jaccard;              /* confirmation: estimated Jaccard at least this, or … */
        double min_containment;          /* … estimated containment at least this */
        uint32_t min_shingles;           /* below this many shingles, exact matching only */
        int64_t ttl_ms;                  /* window of event time */
        uint64_t max_memory_bytes;       /* the oldest entries are evicted above this */
        bool url_exact;                  /* same canonical URL counts as an exact duplicate */
        uint32_t min_line_words;         /* lines with fewer words are left out of both hashes (menus, credits) */
};

struct dedup_index;

/* A fingerprint: everything another instance needs to recognise the article
 * (see fingerprint.c for the encoding, which is versioned). */
#define DEDUP_MAX_BANDS 64
#define DEDUP_MAX_ID 256
#define DEDUP_MAX_TOPIC 250

struct dedup_fingerprint {
        uint64_t content_hash[2];        /* XXH3-128 of the normalized body */
        uint64_t url_hash[2];            /* XXH3-128 of the canonical URL; zero when there is none */
        bool has_url;
        uint32_t n_bands;
        uint64_t band_keys[DEDUP_MAX_BANDS];
        uint32_t shingles;               /* distinct shingles of the body (for containment) */
        uint32_t n_minhash;              /* compact MinHash signature for confirmation */
        uint8_t minhash[DEDUP_MAX_BANDS * 16];
        int64_t event_time_ms;
        char id[DEDUP_MAX_ID + 1];
        char topic[DEDUP_MAX_TOPIC + 1]; /* source position; topic "" when none (enrich) */
        int32_t partition;
        int64_t offset;
        enum dedup_status status;        /* the verdict it got, for replays */
        char duplicate_of[DEDUP_MAX_ID + 1];
        float similarity;
};

struct dedup_verdict {
        enum dedup_status status;
        bool replay;                     /* this source position was seen before */
        char content_hash[33];           /* hex of content_hash */
        const char *duplicate_of;        /* id of the first article seen; NULL when unique */
        double similarity;               /* 1.0 for exact duplicates */
};

struct dedup_stats {
        uint64_t entries;
        uint64_t memory_bytes;
        uint64_t expired;                /* dropped by the TTL */
        uint64_t evicted;                /* dropped by the memory cap */
        uint64_t applied;                /* remote fingerprints inserted */
        uint64_t ignored;                /* remote fingerprints already known or out of the window */
};

struct dedup_index *dedup_index_new(const struct dedup_params *p);
void dedup_index_free(struct dedup_index *idx);
/* Replaces the parameters (on reload). Parameters that change the
 * fingerprint (shingle_words, bands, rows) need an empty index: returns
 * -EBUSY and keeps the old ones when the index is not empty. */
int dedup_index_set_params(struct dedup_index *idx, const struct dedup_params *p);

/* The article as the dedup stage sees it. */
struct dedup_input {
        const char *body;                /* normalized (and, once that stage exists, cleaned) body */
        size_t body_len;
        const char *url;                 /* may be NULL */
        const char *id;
        int64_t event_time_ms;           /* publication time, else the message time, else now */
        const char *topic;               /* NULL in `ingestd enrich` */
        int32_t partition;
        int64_t offset;
};

/* Looks the article up and inserts it: the whole verdict. Fills *ret (its
 * duplicate_of points into the index or into *ret_fp and stays valid until
 * the next call) and *ret_fp (to be encoded and shared). Returns 0, or a
 * negative errno when out of memory (the article then counts as unique and
 * is not indexed). */
int dedup_index_check(struct dedup_index *idx, const struct dedup_input *in, struct dedup_verdict *ret,
                      struct dedup_fingerprint *ret_fp);

/* Batches, for exactly-once delivery: entries inserted (by check or apply)
 * after dedup_index_begin() are removed again by dedup_index_abort() when
 * the transaction that carried them is aborted, and kept by
 * dedup_index_commit(). Outside a batch every insert is final. */
void dedup_index_begin(struct dedup_index *idx);
void dedup_index_commit(struct dedup_index *idx);
void dedup_index_abort(struct dedup_index *idx);

/* Inserts a fingerprint read from the shared topic. Idempotent. Returns 1
 * when inserted, 0 when already known or outside the window. */
int dedup_index_apply(struct dedup_index *idx, const struct dedup_fingerprint *fp);
void dedup_index_stats(const struct dedup_index *idx, struct dedup_stats *ret);

/* Encoding for the fingerprints topic. encode returns the bytes written
 * (0 when `cap` is too small); decode returns 0 or -EINVAL for anything
 * malformed, truncated or of an unknown version (never reads past len). */
size_t dedup_fingerprint_encode(const struct dedup_fingerprint *fp, uint8_t *buf, size_t cap);
int dedup_fingerprint_decode(const uint8_t *buf, size_t len, struct dedup_fingerprint *ret);
#define DEDUP_FINGERPRINT_MAX_BYTES 2048
