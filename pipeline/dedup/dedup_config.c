/* The [dedup] configuration keys (see dedup_config.h). The defaults are the
 * ones measured with bench/dedup_eval (docs/benchmarks.md, "Deduplication"). */
#include "dedup_config.h"

#include <errno.h>
#include <stdio.h>

#include "minhash.h"

const struct config_key dedup_config_keys[] = {
        { "dedup", "shingle_words", CONFIG_INT, "4",
          "Words per shingle for near-duplicate matching (changing it needs an empty index: restart with a new fingerprints topic).",
          .min = 1, .max = 16 },
        { "dedup", "bands", CONFIG_INT, "8",
          "LSH bands: an article is compared with those sharing at least one band; more bands find less similar copies and cost about 10 bytes each per indexed article.",
          .min = 1, .max = DEDUP_MAX_BANDS },
        { "dedup", "rows", CONFIG_INT, "1",
          "MinHash values per LSH band; more rows make candidates rarer and a copy must be more similar to be found (bands × rows at most 1024).",
          .min = 1, .max = 32 },
        { "dedup", "min_jaccard", CONFIG_DOUBLE, "1",
          "A candidate is a near duplicate when its estimated Jaccard similarity (shared shingles / all shingles) reaches this (1: containment alone decides)…",
          .min = 0, .max = 1 },
        { "dedup", "min_containment", CONFIG_DOUBLE, "0.25",
          "…or when its estimated containment (shared shingles / shingles of the shorter article) reaches this, both less 1.5 standard errors of the estimate.",
          .min = 0, .max = 1 },
        { "dedup", "min_shingles", CONFIG_INT, "20",
          "Articles with fewer distinct shingles are matched exactly only (too short to tell a copy from a common phrase).",
          .min = 1, .max = 65535 },
        { "dedup", "min_line_words", CONFIG_INT, "5",
          "Lines with fewer words are left out of both hashes as boilerplate (menus, share buttons, photo credits); 0 keeps every line.",
          .min = 0, .max = 1000 },
        { "dedup", "url_exact", CONFIG_BOOL, "true",
          "The same canonical URL (lower-case scheme and host, no default port, fragment or tracking parameters) makes an exact duplicate." },
        { "dedup", "ttl_hours", CONFIG_INT, "72",
          "Window of event time: articles older than the newest one seen by this much are forgotten.",
          .min = 1, .max = 8760 },
        { "dedup", "max_memory", CONFIG_INT, "1GiB",
          "Memory cap of the index; above it the oldest articles are evicted first (about 240 bytes per article: 1GiB holds some 4 million).",
          .min = 1048576, .max = 1099511627776.0 },
        { "dedup", "on_duplicate", CONFIG_ENUM, "publish",
          "What happens to an exact duplicate: publish (with dedup.status) or drop (not published; its offset is committed).",
          .choices = "publish|drop" },
        { "dedup", "on_near_duplicate", CONFIG_ENUM, "publish",
          "What happens to a near duplicate: publish (with dedup.status) or drop.", .choices = "publish|drop" },
        { "dedup", "duplicates_topic", CONFIG_STRING, "",
          "Topic that also receives the records of duplicates and near duplicates (whatever on_duplicate says); empty for none." },
        CONFIG_KEY_END,
};

static int fail(char **ret_error, const char *msg) {
        if (ret_error && asprintf(ret_error, "dedup: %s", msg) < 0)
                *ret_error = NULL;
        return -EINVAL;
}

int dedup_params_from_config(const struct config *cfg, struct dedup_params *ret, char **ret_error) {
        struct dedup_params p = {
                .shingle_words = (uint32_t)config_get_int(cfg, "dedup", "shingle_words"),
                .bands = (uint32_t)config_get_int(cfg, "dedup", "bands"),
                .rows = (uint32_t)config_get_int(cfg, "dedup", "rows"),
                .min_jaccard = config_get_double(cfg, "dedup", "min_jaccard"),
                .min_containment = config_get_double(cfg, "dedup", "min_containment"),
                .min_shingles = (uint32_t)config_get_int(cfg, "dedup", "min_shingles"),
                .min_line_words = (uint32_t)config_get_int(cfg, "dedup", "min_line_words"),
                .url_exact = config_get_bool(cfg, "dedup", "url_exact"),
                .ttl_ms = config_get_int(cfg, "dedup", "ttl_hours") * 3600 * 1000,
                .max_memory_bytes = (uint64_t)config_get_int(cfg, "dedup", "max_memory"),
        };
        if ((uint64_t)p.bands * p.rows > DEDUP_MAX_LSH_BINS)
                return fail(ret_error, "bands × rows is larger than 1024");
        *ret = p;
        return 0;
}
