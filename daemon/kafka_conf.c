#include "kafka_conf.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

/* Properties that the delivery guarantees depend on; `mode` 0: both modes,
 * 1: at-least-once only, 2: exactly-once only. */
static const struct {
        enum kafka_role role;
        int mode;
        const char *name, *value;
} required[] = {
        { KAFKA_CONSUMER, 0, "enable.auto.offset.store", "false" },
        { KAFKA_CONSUMER, 0, "partition.assignment.strategy", "cooperative-sticky" },
        { KAFKA_PRODUCER, 0, "enable.idempotence", "true" },
        /* Offsets go with the transaction, not through the consumer. */
        { KAFKA_CONSUMER, 2, "enable.auto.commit", "false" },
        /* Input from transactional producers counts only once committed. */
        { KAFKA_CONSUMER, 2, "isolation.level", "read_committed" },
};

static bool applies(size_t i, enum kafka_role role, bool exactly_once) {
        return required[i].role == role && (required[i].mode == 0 || required[i].mode == (exactly_once ? 2 : 1));
}

struct apply_ctx {
        rd_kafka_conf_t *conf;
        enum kafka_role role;
        bool exactly_once;
        const char *section;
        bool defaults_only;    /* pass 1: declared defaults; pass 2: what was set */
        bool failed;
        bool quiet;
};

static bool is_required(enum kafka_role role, bool exactly_once, const char *name, const char **ret_value) {
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
                if (applies(i, role, exactly_once) && strcmp(required[i].name, name) == 0) {
                        *ret_value = required[i].value;
                        return true;
                }
        return false;
}

static void apply(const char *name, const char *value, const char *origin, void *userdata) {
        struct apply_ctx *ctx = userdata;
        bool is_default = strcmp(origin, "default") == 0;
        if (ctx->defaults_only != is_default)
                return;
        const char *req;
        if (is_required(ctx->role, ctx->exactly_once, name, &req) && strcmp(req, value) != 0) {
                if (!ctx->quiet)
                        log_error("%s: %s.%s = %s: ingestd needs %s here for its delivery guarantee", origin,
                                  ctx->section, name, value, req);
                ctx->failed = true;
                return;
        }
        char err[512];
        if (rd_kafka_conf_set(ctx->conf, name, value, err, sizeof(err)) != RD_KAFKA_CONF_OK) {
                if (!ctx->quiet)
                        log_error("%s: %s.%s: %s", origin, ctx->section, name, err);
                ctx->failed = true;
        }
}

static rd_kafka_conf_t *build(const struct config *cfg, enum kafka_role role, bool exactly_once, bool quiet) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        char err[512];
        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++)
                if (applies(i, role, exactly_once))
                        rd_kafka_conf_set(conf, required[i].name, required[i].value, err, sizeof(err));
        if (role == KAFKA_PRODUCER && exactly_once) {
                char txn_id[300];
                const char *configured = config_get_string(cfg, "delivery", "transactional_id");
                if (*configured)
                        snprintf(txn_id, sizeof(txn_id), "%s", configured);
                else
                        snprintf(txn_id, sizeof(txn_id), "ingestd-%s", config_get_string(cfg, "ingestd", "instance"));
                rd_kafka_conf_set(conf, "transactional.id", txn_id, err, sizeof(err));
        }
        if (role == KAFKA_PRODUCER) {
                /* acks=all comes with idempotence. Batches of 20 ms rather
                 * than librdkafka's 5 ms: at a few thousand records a second
                 * that halves the broker's work per record (see
                 * docs/benchmarks.md) for 15 ms more latency. */
                rd_kafka_conf_set(conf, "linger.ms", "20", err, sizeof(err));
        }
        char client_id[300];
        snprintf(client_id, sizeof(client_id), "ingestd-%s", config_get_string(cfg, "ingestd", "instance"));
        rd_kafka_conf_set(conf, "client.id", client_id, err, sizeof(err));
        /* Static membership: a restart within session.timeout.ms keeps the
         * instance's partitions instead of rebalancing the group. */
        if (role == KAFKA_CONSUMER && config_get_bool(cfg, "ingestd", "static_membership"))
                rd_kafka_conf_set(conf, "group.instance.id", client_id, err, sizeof(err));

        const char *own = role == KAFKA_CONSUMER ? "kafka.consumer" : "kafka.producer";
        /* Role defaults, then [kafka], then what was set for the role: so that
         * `[kafka] group.id = x` beats the built-in consumer default. */
        struct apply_ctx ctx = { .conf = conf, .role = role, .exactly_once = exactly_once, .quiet = quiet };
        ctx.section = own;
        ctx.defaults_only = true;
        config_foreach_passthrough(cfg, own, apply, &ctx);
        ctx.section = "kafka";
        config_foreach_passthrough(cfg, "kafka", apply, &ctx);
        ctx.defaults_only = false;
        config_foreach_passthrough(cfg, "kafka", apply, &ctx);
        ctx.section = own;
        config_foreach_passthrough(cfg, own, apply, &ctx);
        if (ctx.failed) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        return conf;
}

rd_kafka_conf_t *kafka_conf_new(const struct config *cfg, enum kafka_role role, bool exactly_once) {
        return build(cfg, role, exactly_once, false);
}

int kafka_conf_check(const struct config *cfg) {
        int r = 0;
        for (int role = KAFKA_CONSUMER; role <= KAFKA_PRODUCER; role++) {
                bool eos = strcmp(config_get_string(cfg, "ingestd", "delivery"), "exactly-once") == 0;
                rd_kafka_conf_t *conf = build(cfg, (enum kafka_role)role, eos, false);
                if (!conf)
                        r = -EINVAL;
                else
                        rd_kafka_conf_destroy(conf);
        }
        return r;
}

rd_kafka_conf_t *kafka_conf_new_reader(const struct config *cfg, const char *purpose) {
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        struct apply_ctx ctx = { .conf = conf, .role = KAFKA_CONSUMER, .section = "kafka" };
        ctx.defaults_only = true;
        config_foreach_passthrough(cfg, "kafka", apply, &ctx);
        ctx.defaults_only = false;
        config_foreach_passthrough(cfg, "kafka", apply, &ctx);
        if (ctx.failed) {
                rd_kafka_conf_destroy(conf);
                return NULL;
        }
        char err[512], id[300];
        const char *instance = config_get_string(cfg, "ingestd", "instance");
        snprintf(id, sizeof(id), "ingestd-%s-%s", instance, purpose);
        rd_kafka_conf_set(conf, "client.id", id, err, sizeof(err));
        /* A group id is needed by the consumer API, but nothing is ever
         * committed: the reader assigns partitions itself. */
        rd_kafka_conf_set(conf, "group.id", id, err, sizeof(err));
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof(err));
        rd_kafka_conf_set(conf, "enable.auto.offset.store", "false", err, sizeof(err));
        rd_kafka_conf_set(conf, "isolation.level", "read_committed", err, sizeof(err));
        rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof(err));
        return conf;
}
