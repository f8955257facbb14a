/* The consumer and producer handles and their callbacks: logging, errors,
 * statistics, delivery reports, rebalancing. */
#include <jansson.h>
#include <string.h>

#include "kafka_conf.h"
#include "log.h"
#include "run_state.h"

static void log_kafka(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
        (void)rk;
        int lvl = level <= LOG_ERR ? LOG_ERR : level;
        if (lvl > LOG_DEBUG)
                lvl = LOG_DEBUG;
        log_ctx_msg(lvl, NULL, "librdkafka %s: %s", fac, buf);
}

static void error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque) {
        struct run *r = opaque;
        if (err == RD_KAFKA_RESP_ERR__FATAL) {
                char buf[512];
                rd_kafka_fatal_error(rk, buf, sizeof(buf));
                log_error("%s fatal error: %s; exiting so that the service manager restarts ingestd", rd_kafka_name(rk),
                          buf);
                r->fatal = true;
                return;
        }
        /* Transient: librdkafka retries by itself (broker down, timeouts). */
        struct log_ctx ctx = LOG_CTX_NONE;
        ctx.error = rd_kafka_err2name((rd_kafka_resp_err_t)err);
        log_ctx_msg(LOG_WARNING, &ctx, "%s: %s", rd_kafka_name(rk), reason);
}

static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk;
        struct run *r = opaque;
        r->delivery->delivered(r, m);
}

/* librdkafka's statistics (JSON, every statistics.interval.ms): consumer
 * lag per partition and how many brokers are up, for /metrics and /readyz. */
static int stats_cb(rd_kafka_t *rk, char *json, size_t json_len, void *opaque) {
        (void)rk;
        struct run *r = opaque;
        json_t *root = json_loadb(json, json_len, 0, NULL);
        if (!root)
                return 0;
        int64_t up = 0;
        const char *name;
        json_t *b, *t;
        json_object_foreach(json_object_get(root, "brokers"), name, b) {
                const char *state = json_string_value(json_object_get(b, "state"));
                if (state && strcmp(state, "UP") == 0)
                        up++;
        }
        metrics_set_brokers_up(r->metrics, up);
        metrics_lag_begin(r->metrics);
        json_object_foreach(json_object_get(root, "topics"), name, t) {
                const char *pname;
                json_t *p;
                json_object_foreach(json_object_get(t, "partitions"), pname, p) {
                        json_int_t part = json_integer_value(json_object_get(p, "partition"));
                        json_int_t lag = json_integer_value(json_object_get(p, "consumer_lag"));
                        /* -1: not assigned here, or not known yet. */
                        if (part >= 0 && lag >= 0)
                                metrics_lag_set(r->metrics, name, (int32_t)part, lag);
                }
        }
        metrics_lag_end(r->metrics);
        json_decref(root);
        return 0;
}

rd_kafka_t *kafka_client_new(struct run *r, int role) {
        bool exactly_once = r->delivery == &delivery_exactly_once;
        rd_kafka_conf_t *conf = kafka_conf_new(r->cfg, (enum kafka_role)role, exactly_once);
        if (!conf)
                return NULL;
        rd_kafka_conf_set_opaque(conf, r);
        rd_kafka_conf_set_log_cb(conf, log_kafka);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        if (role == KAFKA_CONSUMER) {
                rd_kafka_conf_set_rebalance_cb(conf, group_rebalance_cb);
                rd_kafka_conf_set_stats_cb(conf, stats_cb);
        } else {
                rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
        }
        char err[512];
        rd_kafka_t *rk = rd_kafka_new(role == KAFKA_CONSUMER ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf, err,
                                      sizeof(err));
        if (!rk) {
                log_error("cannot create the %s: %s", role == KAFKA_CONSUMER ? "consumer" : "producer", err);
                rd_kafka_conf_destroy(conf);
        }
        return rk;
}
