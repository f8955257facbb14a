#include "settings.h"

#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "pipeline/pipeline.h"

extern char **environ;

static const struct config_key daemon_keys[] = {
        { "ingestd", "log_level", CONFIG_ENUM, "info", "Least severe level that is logged.",
          .choices = "debug|info|notice|warning|error" },
        { "ingestd", "delivery", CONFIG_ENUM, "at-least-once",
          "Delivery semantics. at-least-once: idempotent producer; an input offset is committed only after its record is acknowledged (a crash replays). exactly-once: records and offsets in Kafka transactions (read the output with isolation.level=read_committed).",
          .choices = "at-least-once|exactly-once" },

        { "ingestd", "static_membership", CONFIG_BOOL, "false",
          "Join the group with group.instance.id = ingestd-<instance>, so that a quick restart (an upgrade) does not move partitions; a crashed instance then holds them until session.timeout.ms." },
        { "ingestd", "log_rate_limit_burst", CONFIG_INT, "20",
          "Messages of one kind (same error code or same text) logged per interval before the rest are counted and summarized.",
          .min = 1, .max = 1000000 },
        { "ingestd", "log_rate_limit_interval_ms", CONFIG_INT, "10000", "The rate limit's interval.",
          .min = 100, .max = 86400000 },

        { "delivery", "commit_every_records", CONFIG_INT, "1000",
          "exactly-once: commit the transaction after this many input messages…", .min = 1, .max = 1000000 },
        { "delivery", "commit_every_ms", CONFIG_INT, "1000",
          "…or after this many milliseconds, whichever comes first (the latency a read_committed consumer sees).",
          .min = 10, .max = 600000 },
        { "delivery", "transactional_id", CONFIG_STRING, "",
          "exactly-once: the producer's transactional.id; empty means ingestd-<instance>. Must be stable per instance and distinct between instances." },

        { "topics", "input", CONFIG_STRING, "articles.raw", "Topics to consume raw articles from (comma-separated)." },
        { "topics", "output", CONFIG_STRING, "articles.enriched", "Topic the enriched records are published to, keyed by article id." },
        { "topics", "deadletter", CONFIG_STRING, "articles.deadletter",
          "Topic that receives messages that cannot be processed, unchanged, with ingestd.error and ingestd.stage headers." },

        { "topics", "fingerprints", CONFIG_STRING, "ingestd.fingerprints",
          "Topic through which the instances share their dedup index (one fingerprint per article); empty keeps each instance's index to itself." },

        { "run", "fingerprints_partitions", CONFIG_INT, "6",
          "Partitions of the fingerprints topic when ingestd has to create it (with retention.ms twice dedup.ttl).",
          .min = 1, .max = 1000 },
        { "run", "restore_timeout_ms", CONFIG_INT, "600000",
          "At start, the longest wait for the dedup index to be read back from the fingerprints topic before giving up (exit 1).",
          .min = 1000, .max = 86400000 },
        { "run", "poll_timeout_ms", CONFIG_INT, "100", "Longest wait for a message before the loop does its housekeeping.",
          .min = 1, .max = 10000 },
        { "run", "shutdown_timeout_ms", CONFIG_INT, "30000",
          "On SIGTERM, how long to wait for in-flight records to be acknowledged before giving up (keep below the unit's TimeoutStopSec).",
          .min = 100, .max = 3600000 },
        { "run", "max_in_flight", CONFIG_INT, "50000",
          "Records waiting for acknowledgement above which consumption pauses until the producer catches up.",
          .min = 1, .max = 10000000 },
        { "run", "status_interval_ms", CONFIG_INT, "5000",
          "How often the counts are sent to systemd as STATUS= (shown by systemctl status).", .min = 100, .max = 3600000 },
        { "run", "health_stall_ms", CONFIG_INT, "60000",
          "/healthz fails when the processing loop has not turned for this long.", .min = 1000, .max = 3600000 },
        { "run", "embedded_partitions", CONFIG_INT, "3",
          "Partitions of each topic created in the embedded broker (--embedded-broker only).", .min = 1, .max = 256 },

        /* librdkafka properties with ingestd's defaults; any other property
         * of librdkafka's CONFIGURATION.md may be set in these sections. */
        { "kafka", "bootstrap.servers", CONFIG_STRING, "localhost:9092", "Brokers to bootstrap from (host:port, comma-separated)." },
        { "kafka.consumer", "group.id", CONFIG_STRING, "ingestd", "Consumer group shared by all instances." },
        { "kafka.consumer", "statistics.interval.ms", CONFIG_STRING, "5000",
          "How often librdkafka reports statistics: the source of ingestd_consumer_lag and of /readyz's broker check." },
        { "kafka.consumer", "auto.offset.reset", CONFIG_STRING, "earliest",
          "Where a new group starts reading: earliest, so that nothing already on the topic is skipped." },

        { "http", "listen", CONFIG_STRING, "127.0.0.1:9781",
          "Address of /metrics, /healthz and /readyz (IPv4 HOST:PORT; port 0 picks a free one; empty turns the endpoint off). Give each instance on a host its own port." },

        { "enrich", "text_separator", CONFIG_STRING, "",
          "`ingestd enrich`: a line equal to this splits a text file into several articles; empty means one article per file." },
        CONFIG_KEY_END,
};

const struct config_key *const *settings_tables(void) {
        static const struct config_key *tables[32];
        if (!tables[0]) {
                size_t n = 0;
                tables[n++] = daemon_keys;
                for (const struct config_key *const *t = pipeline_config_tables(); *t && n < 31; t++)
                        tables[n++] = *t;
                tables[n] = NULL;
        }
        return tables;
}

static void warn_env(const char *msg, void *userdata) {
        (void)userdata;
        log_warning("%s", msg);
}

struct config *settings_load(const char *path, char *const *overrides, size_t n_overrides) {
        struct config *c = config_new(settings_tables());
        char *err = NULL;
        if (!c) {
                fprintf(stderr, "ingestd: out of memory\n");
                return NULL;
        }
        if (path && config_load_file(c, path, &err) < 0)
                goto fail;
        if (config_load_env(c, environ, warn_env, NULL, &err) < 0)
                goto fail;
        for (size_t i = 0; i < n_overrides; i++)
                if (config_load_override(c, overrides[i], &err) < 0)
                        goto fail;

        /* The instance name defaults to the host name. */
        if (!*config_get_string(c, "ingestd", "instance")) {
                char host[256] = "ingestd";
                if (gethostname(host, sizeof(host) - 1) < 0)
                        snprintf(host, sizeof(host), "ingestd");
                host[sizeof(host) - 1] = '\0';
                (void)config_set(c, "ingestd", "instance", host, "host name", NULL);
        }
        return c;
fail:
        fprintf(stderr, "ingestd: configuration error: %s\n", err ? err : "unknown");
        free(err);
        config_free(c);
        return NULL;
}

/* Keys that the running daemon applies on SIGHUP; the others need a restart. */
static bool reloadable(const char *section, const char *name) {
        if (strcmp(section, "ingestd") == 0)
                return strcmp(name, "log_level") == 0 || strncmp(name, "log_rate_limit", 14) == 0;
        if (strcmp(section, "topics") == 0 || strcmp(section, "run") == 0 || strcmp(section, "http") == 0 ||
            config_is_passthrough_section(section))
                return false;
        return true;    /* the pipeline's stages: rebuilt from the new configuration */
}

struct passthrough_cmp {
        const struct config *other;
        const char *section;
        settings_change_fn cb;
        void *userdata;
        bool reverse;
};

struct find_ctx {
        const char *name;
        const char *value;
};

static void find_cb(const char *name, const char *value, const char *origin, void *userdata) {
        (void)origin;
        struct find_ctx *f = userdata;
        if (strcmp(name, f->name) == 0)
                f->value = value;
}

static const char *passthrough_value(const struct config *c, const char *section, const char *name) {
        struct find_ctx f = { .name = name };
        config_foreach_passthrough(c, section, find_cb, &f);
        return f.value;
}

static void cmp_cb(const char *name, const char *value, const char *origin, void *userdata) {
        (void)origin;
        struct passthrough_cmp *p = userdata;
        const char *other = passthrough_value(p->other, p->section, name);
        if (p->reverse) {
                if (!other)    /* removed in the new configuration */
                        p->cb(p->section, name, false, p->userdata);
                return;
        }
        if (!other || strcmp(other, value) != 0)
                p->cb(p->section, name, false, p->userdata);
}

void settings_diff(const struct config *old, const struct config *new, settings_change_fn cb, void *userdata) {
        for (const struct config_key *const *t = settings_tables(); *t; t++)
                for (const struct config_key *k = *t; k->section; k++) {
                        if (config_is_passthrough_section(k->section))
                                continue;
                        if (strcmp(config_get_string(old, k->section, k->name),
                                   config_get_string(new, k->section, k->name)) != 0)
                                cb(k->section, k->name, reloadable(k->section, k->name), userdata);
                }
        static const char *const sections[] = { "kafka", "kafka.consumer", "kafka.producer", NULL };
        for (size_t i = 0; sections[i]; i++) {
                struct passthrough_cmp p = { .other = old, .section = sections[i], .cb = cb, .userdata = userdata };
                config_foreach_passthrough(new, sections[i], cmp_cb, &p);
                p.other = new;
                p.reverse = true;
                config_foreach_passthrough(old, sections[i], cmp_cb, &p);
        }
}
