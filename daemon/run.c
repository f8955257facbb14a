/* The daemon loop, at-least-once.
 *
 * One thread polls the consumer, runs each message through the pipeline and
 * hands the result to the idempotent producer; delivery reports come back on
 * the same thread (rd_kafka_poll on the producer) and advance the partition's
 * committable offset through the offset tracker, which stores it with
 * rd_kafka_offsets_store() (auto-commit then commits what was stored). So an
 * input offset is committed only once the record made from it is on the
 * broker, and a crash replays instead of losing.
 *
 * Rebalancing is cooperative-sticky: assignments are added and removed
 * incrementally; before giving up partitions the producer is flushed and
 * their offsets committed synchronously, so the next owner starts right
 * after what this instance finished. */
#include "run.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "deadletter.h"
#include "embedded_broker.h"
#include "http_server.h"
#include "kafka_conf.h"
#include "log.h"
#include "metrics.h"
#include "offset_tracker.h"
#include "pipeline/pipeline.h"
#include "settings.h"
#include "systemd/notify.h"
#include "version.h"

struct run {
        struct config *cfg;
        const struct run_options *opts;
        struct metrics *metrics;
        struct http_server *http;
        struct notifier notifier;
        int64_t assigned;       /* partitions currently assigned */
        struct pipeline *pipeline;
        struct arena *arena;
        struct offset_tracker *tracker;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        const char *output_topic;
        const char *deadletter_topic;
        const char *instance;
        int poll_timeout_ms;
        int shutdown_timeout_ms;
        size_t max_in_flight;
        bool fatal;
        bool stopping;
};

static volatile sig_atomic_t stop_requested, reload_requested, wedge_requested;

static void on_signal(int sig) {
        if (sig == SIGHUP)
                reload_requested = 1;
        else if (sig == SIGUSR2)
                wedge_requested = 1;
        else
                stop_requested = 1;
}

static void install_signals(void) {
        struct sigaction sa = { .sa_handler = on_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        /* A fault switch for the watchdog test only: with
         * INGESTD_TEST_FAULTS=wedge-on-sigusr2, SIGUSR2 wedges the loop. */
        const char *faults = getenv("INGESTD_TEST_FAULTS");
        if (faults && strstr(faults, "wedge-on-sigusr2"))
                sigaction(SIGUSR2, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

/* --- offsets ---------------------------------------------------------------- */

static void store_offset(const char *topic, int32_t partition, int64_t next_offset, void *userdata) {
        struct run *r = userdata;
        if (!r->consumer)
                return;
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(l, topic, partition)->offset = next_offset;
        rd_kafka_resp_err_t err = rd_kafka_offsets_store(r->consumer, l);
        /* _STATE: the partition is no longer assigned (revoked meanwhile);
         * its next owner replays from the last commit, which is safe. */
        if (err && err != RD_KAFKA_RESP_ERR__STATE) {
                struct log_ctx ctx = { .topic = topic, .partition = partition, .offset = next_offset };
                log_ctx_msg(LOG_WARNING, &ctx, "cannot store offset: %s", rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(l);
}

/* Waits for every record in flight; returns false on timeout. While the
 * count goes down, the watchdog is fed and, when stopping, systemd is asked
 * for more time: a long drain that progresses is not a hang. */
static bool drain(struct run *r, int timeout_ms) {
        uint64_t deadline = notify_now_usec() + (uint64_t)timeout_ms * 1000u;
        size_t before = offset_tracker_in_flight(r->tracker);
        while (offset_tracker_in_flight(r->tracker) > 0 && notify_now_usec() < deadline) {
                rd_kafka_flush(r->producer, 1000);
                rd_kafka_poll(r->producer, 0);
                size_t now = offset_tracker_in_flight(r->tracker);
                if (now < before) {
                        notifier_watchdog(&r->notifier);
                        if (r->stopping)
                                notify_extend_timeout(5 * 1000000u);
                }
                before = now;
                if (r->fatal)
                        break;
        }
        if (offset_tracker_in_flight(r->tracker) > 0) {
                log_warning("%zu records still unacknowledged after %d ms; their input will be replayed",
                            offset_tracker_in_flight(r->tracker), timeout_ms);
                return false;
        }
        return true;
}

/* Commits the stored offsets of the given partitions, synchronously. */
static void commit_partitions(struct run *r, const rd_kafka_topic_partition_list_t *parts) {
        rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(parts ? parts->cnt : 0);
        for (int i = 0; parts && i < parts->cnt; i++) {
                int64_t pos = offset_tracker_stored(r->tracker, parts->elems[i].topic, parts->elems[i].partition);
                if (pos >= 0)
                        rd_kafka_topic_partition_list_add(l, parts->elems[i].topic, parts->elems[i].partition)->offset = pos;
        }
        if (l->cnt > 0) {
                rd_kafka_resp_err_t err = rd_kafka_commit(r->consumer, l, 0);
                if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
                        log_warning("commit on revoke failed: %s (the next owner replays from the previous commit)",
                                    rd_kafka_err2str(err));
        }
        rd_kafka_topic_partition_list_destroy(l);
}

static void log_partitions(const char *what, const rd_kafka_topic_partition_list_t *parts) {
        char buf[1024];
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < parts->cnt && o < sizeof(buf) - 64; i++)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s[%d]", i ? "," : "", parts->elems[i].topic,
                                      parts->elems[i].partition);
        log_info("%s %d partition(s): %s", what, parts->cnt, buf);
}

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                         void *opaque) {
        struct run *r = opaque;
        bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        rd_kafka_error_t *error = NULL;
        metrics_rebalance(r->metrics);

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                log_partitions("assigned", parts);
                for (int i = 0; i < parts->cnt; i++)
                        if (offset_tracker_assign(r->tracker, parts->elems[i].topic, parts->elems[i].partition) < 0)
                                r->fatal = true;
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        rd_kafka_assign(rk, parts);
                r->assigned = cooperative ? r->assigned + parts->cnt : parts->cnt;
        } else {
                bool lost = rd_kafka_assignment_lost(rk);
                log_partitions(lost ? "lost" : "revoked", parts);
                /* Finish what is in flight for them, then hand them over
                 * with their offsets committed. A lost partition already
                 * has another owner: committing would fail. */
                drain(r, r->shutdown_timeout_ms);
                if (!lost)
                        commit_partitions(r, parts);
                for (int i = 0; i < parts->cnt; i++)
                        offset_tracker_revoke(r->tracker, parts->elems[i].topic, parts->elems[i].partition);
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
                r->assigned = cooperative ? r->assigned - parts->cnt : 0;
        }
        metrics_set_assigned(r->metrics, r->assigned);
        if (error) {
                log_error("incremental rebalance failed: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                r->fatal = true;
        }
}

/* --- producing ---------------------------------------------------------------- */

static void delivery_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
        (void)rk;
        struct run *r = opaque;
        struct offset_handle *h = m->_private;
        if (!m->err) {
                if (h)
                        offset_tracker_done(r->tracker, h);
                return;
        }
        /* The idempotent producer has already retried for message.timeout.ms:
         * give up without committing, so that a restart replays the input. */
        struct log_ctx ctx = { .topic = rd_kafka_topic_name(m->rkt), .partition = m->partition, .offset = -1,
                               .error = rd_kafka_err2name(m->err) };
        log_ctx_msg(LOG_ERR, &ctx, "delivery failed: %s; stopping so that the input is replayed",
                    rd_kafka_err2str(m->err));
        if (h)
                offset_tracker_abandon(r->tracker, h);
        r->fatal = true;
}

/* Produces one record; waits while the producer's queue is full. On success
 * the headers belong to librdkafka; on failure they are still the caller's. */
static rd_kafka_resp_err_t produce(struct run *r, const char *topic, const void *key, size_t key_len,
                                   const void *value, size_t len, rd_kafka_headers_t *headers,
                                   struct offset_handle *h) {
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        r->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                        RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_HEADERS(headers),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(h), RD_KAFKA_V_END);
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || r->fatal)
                        return err;
                rd_kafka_poll(r->producer, 50);
        }
}

static void dead_letter(struct run *r, const rd_kafka_message_t *m, struct article *a, struct offset_handle *h) {
        const rd_kafka_headers_t *in = NULL;
        if (rd_kafka_message_headers(m, (rd_kafka_headers_t **)&in) != RD_KAFKA_RESP_ERR_NO_ERROR)
                in = NULL;
        struct log_ctx ctx = { .topic = a->source.topic, .partition = a->source.partition, .offset = a->source.offset,
                               .article_id = a->id, .stage = a->error_stage, .error = a->error };
        log_ctx_msg(LOG_NOTICE, &ctx, "dead-lettered: %s", a->error_message ? a->error_message : a->error);

        rd_kafka_headers_t *hdrs = deadletter_headers(in, a, r->instance);
        rd_kafka_resp_err_t err = produce(r, r->deadletter_topic, m->key, m->key_len, m->payload, m->len, hdrs, h);
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                /* Too big for the dead-letter topic as well: send the
                 * headers alone; they point at the original's position. */
                rd_kafka_headers_destroy(hdrs);
                hdrs = deadletter_headers(in, a, r->instance);
                rd_kafka_header_add(hdrs, "ingestd.payload", -1, "omitted: larger than message.max.bytes", -1);
                err = produce(r, r->deadletter_topic, m->key, m->key_len, NULL, 0, hdrs, h);
        }
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                log_ctx_msg(LOG_ERR, &ctx, "cannot produce to %s: %s", r->deadletter_topic, rd_kafka_err2str(err));
                offset_tracker_abandon(r->tracker, h);
                r->fatal = true;
                return;
        }
        metrics_dead_lettered(r->metrics, a->error, a->error_stage);
}

static void publish(struct run *r, const rd_kafka_message_t *m, struct article *a, struct offset_handle *h) {
        rd_kafka_headers_t *in = NULL, *hdrs = NULL;
        if (rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in)
                hdrs = rd_kafka_headers_copy(in);
        rd_kafka_resp_err_t err =
                produce(r, r->output_topic, a->id, strlen(a->id), a->json, a->json_len, hdrs, h);
        if (!err) {
                metrics_published(r->metrics);
                if (a->source.timestamp_ms > 0) {
                        struct timespec ts;
                        clock_gettime(CLOCK_REALTIME, &ts);
                        double now_ms = (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
                        metrics_end_to_end_seconds(r->metrics, (now_ms - (double)a->source.timestamp_ms) / 1000.0);
                }
                return;
        }
        if (hdrs)
                rd_kafka_headers_destroy(hdrs);
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                article_reject(a, "output_too_large", "the enriched record has %zu bytes, more than message.max.bytes",
                               a->json_len);
                a->error_stage = "emit";
                dead_letter(r, m, a, h);
                return;
        }
        struct log_ctx ctx = { .topic = a->source.topic, .partition = a->source.partition, .offset = a->source.offset,
                               .article_id = a->id };
        log_ctx_msg(LOG_ERR, &ctx, "cannot produce to %s: %s", r->output_topic, rd_kafka_err2str(err));
        offset_tracker_abandon(r->tracker, h);
        r->fatal = true;
}

/* --- consuming ---------------------------------------------------------------- */

static void handle_message(struct run *r, const rd_kafka_message_t *m) {
        const char *topic = rd_kafka_topic_name(m->rkt);
        struct offset_handle *h = offset_tracker_begin(r->tracker, topic, m->partition, m->offset);
        if (!h) {
                log_error("out of memory tracking offsets");
                r->fatal = true;
                return;
        }
        metrics_consumed(r->metrics);

        arena_reset(r->arena);
        struct article a;
        article_init(&a, r->arena, m->payload, m->payload ? m->len : 0);
        rd_kafka_timestamp_type_t tstype;
        a.source.topic = topic;
        a.source.partition = m->partition;
        a.source.offset = m->offset;
        a.source.timestamp_ms = rd_kafka_message_timestamp(m, &tstype);
        a.source.key = m->key;
        a.source.key_len = m->key_len;

        enum stage_verdict verdict = pipeline_process(r->pipeline, &a);
        for (size_t i = 0; i < pipeline_n_stages(r->pipeline); i++) {
                metrics_stage_seconds(r->metrics, i, (double)a.stage_micros[i] / 1e6);
                if (a.error_stage && strcmp(pipeline_stage_stats(r->pipeline, i)->name, a.error_stage) == 0)
                        break;
        }
        switch (verdict) {
        case STAGE_CONTINUE:
                publish(r, m, &a, h);
                break;
        case STAGE_DROP:
                metrics_dropped(r->metrics);
                offset_tracker_done(r->tracker, h);
                break;
        case STAGE_REJECT:
                dead_letter(r, m, &a, h);
                break;
        }
}

static void handle_consumer_error(struct run *r, const rd_kafka_message_t *m) {
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF)
                return;
        if (m->err == RD_KAFKA_RESP_ERR__FATAL) {
                char reason[512];
                rd_kafka_fatal_error(r->consumer, reason, sizeof(reason));
                log_error("consumer fatal error: %s", reason);
                r->fatal = true;
                return;
        }
        log_warning("consumer: %s", rd_kafka_message_errstr(m));
}

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
                log_error("%s fatal error: %s", rd_kafka_name(rk), buf);
                r->fatal = true;
                return;
        }
        /* Transient: librdkafka retries by itself (broker down, timeouts). */
        log_warning("%s: %s: %s", rd_kafka_name(rk), rd_kafka_err2name((rd_kafka_resp_err_t)err), reason);
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

static rd_kafka_t *new_client(struct run *r, enum kafka_role role) {
        rd_kafka_conf_t *conf = kafka_conf_new(r->cfg, role);
        if (!conf)
                return NULL;
        rd_kafka_conf_set_opaque(conf, r);
        rd_kafka_conf_set_log_cb(conf, log_kafka);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        if (role == KAFKA_CONSUMER) {
                rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
                rd_kafka_conf_set_stats_cb(conf, stats_cb);
        } else
                rd_kafka_conf_set_dr_msg_cb(conf, delivery_cb);
        char err[512];
        rd_kafka_t *rk = rd_kafka_new(role == KAFKA_CONSUMER ? RD_KAFKA_CONSUMER : RD_KAFKA_PRODUCER, conf, err,
                                      sizeof(err));
        if (!rk) {
                log_error("cannot create the %s: %s", role == KAFKA_CONSUMER ? "consumer" : "producer", err);
                rd_kafka_conf_destroy(conf);
        }
        return rk;
}

static int subscribe(struct run *r) {
        const char *list = config_get_string(r->cfg, "topics", "input");
        rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(4);
        char *copy = strdup(list), *save = NULL;
        for (char *t = copy ? strtok_r(copy, ", ", &save) : NULL; t; t = strtok_r(NULL, ", ", &save))
                rd_kafka_topic_partition_list_add(topics, t, RD_KAFKA_PARTITION_UA);
        free(copy);
        rd_kafka_resp_err_t err = topics->cnt ? rd_kafka_subscribe(r->consumer, topics) : RD_KAFKA_RESP_ERR__INVALID_ARG;
        rd_kafka_topic_partition_list_destroy(topics);
        if (err) {
                log_error("cannot subscribe to '%s': %s", list, rd_kafka_err2str(err));
                return -EINVAL;
        }
        log_info("subscribed to %s as group %s", list, config_get_string(r->cfg, "kafka.consumer", "group.id"));
        return 0;
}

/* Leaves the group cleanly: unsubscribe (the revoke callback drains and
 * commits), wait for the assignment to empty, then close. Closing with
 * partitions still assigned can hang in librdkafka 2.0.2 after a lost
 * assignment. */
static void leave_group(struct run *r) {
        rd_kafka_unsubscribe(r->consumer);
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        for (;;) {
                rd_kafka_topic_partition_list_t *assigned = NULL;
                rd_kafka_assignment(r->consumer, &assigned);
                int n = assigned ? assigned->cnt : 0;
                if (assigned)
                        rd_kafka_topic_partition_list_destroy(assigned);
                clock_gettime(CLOCK_MONOTONIC, &t);
                long elapsed = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
                if (n == 0 || elapsed > r->shutdown_timeout_ms)
                        break;
                /* Messages still delivered now are not processed: their
                 * offsets are never stored, so the next owner gets them. */
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, 100);
                if (m)
                        rd_kafka_message_destroy(m);
                rd_kafka_poll(r->producer, 0);
        }
        rd_kafka_resp_err_t err = rd_kafka_consumer_close(r->consumer);
        if (err)
                log_warning("consumer close: %s", rd_kafka_err2str(err));
}

/* Applies the daemon-level keys that can change while running. */
static void apply_live_settings(const struct config *cfg) {
        log_set_level(log_level_from_string(config_get_string(cfg, "ingestd", "log_level")));
        log_set_rate_limit((unsigned)config_get_int(cfg, "ingestd", "log_rate_limit_burst"),
                           config_get_int(cfg, "ingestd", "log_rate_limit_interval_ms"));
}

struct reload_report {
        char restart_keys[1024];
        size_t n_live, n_restart;
};

static void note_change(const char *section, const char *name, bool live, void *userdata) {
        struct reload_report *rep = userdata;
        if (live) {
                rep->n_live++;
                return;
        }
        size_t len = strlen(rep->restart_keys);
        snprintf(rep->restart_keys + len, sizeof(rep->restart_keys) - len, "%s%s.%s", len ? ", " : "", section, name);
        rep->n_restart++;
}

/* SIGHUP: re-reads the configuration. A configuration with errors is
 * rejected and the running one stays. Otherwise the log settings and the
 * pipeline (every stage's options) are replaced; changed keys that need a
 * restart (Kafka, topics, HTTP, run) are named and keep their old values. */
static void reload(struct run *r) {
        notify_reloading();
        log_info("reloading the configuration%s%s", r->opts->config_path ? " from " : "",
                 r->opts->config_path ? r->opts->config_path : "");
        struct config *next = settings_load(r->opts->config_path, r->opts->overrides, r->opts->n_overrides);
        char *err = NULL;
        if (next && r->opts->embedded_broker)   /* the address the embedded broker got at start */
                config_set(next, "kafka", "bootstrap.servers", config_get_string(r->cfg, "kafka", "bootstrap.servers"),
                           "embedded broker", NULL);
        struct pipeline *p = next ? pipeline_new(next, &err) : NULL;
        if (!next || !p) {
                struct log_ctx ctx = LOG_CTX_NONE;
                ctx.error = "config_rejected";
                log_ctx_msg(LOG_ERR, &ctx, "reload rejected: %s; the running configuration stays",
                            err ? err : "the configuration has errors (see the line above)");
                free(err);
                config_free(next);
                notify_ready();
                return;
        }
        /* Values that need a restart stay as they are: keep them from the
         * running configuration so that both agree on what is in effect. */
        struct reload_report rep = { .restart_keys = "" };
        settings_diff(r->cfg, next, note_change, &rep);
        pipeline_free(r->pipeline);
        r->pipeline = p;
        if (rep.n_restart) {
                log_warning("reload: %zu changed key(s) need a restart to take effect: %s", rep.n_restart,
                            rep.restart_keys);
                /* The daemon keeps reading its own keys from the config it
                 * started with; only the pipeline and the log use `next`. */
                apply_live_settings(next);
                config_free(next);
        } else {
                apply_live_settings(next);
                config_free(r->cfg);
                r->cfg = next;
                r->instance = config_get_string(r->cfg, "ingestd", "instance");
                r->output_topic = config_get_string(r->cfg, "topics", "output");
                r->deadletter_topic = config_get_string(r->cfg, "topics", "deadletter");
        }
        log_info("configuration reloaded: %zu changed key(s) applied", rep.n_live);
        notify_ready();
}

static void send_status(struct run *r) {
        struct metrics_snapshot s;
        metrics_snapshot(r->metrics, &s);
        notify_status("consumed=%llu published=%llu duplicates=%llu dead_lettered=%llu lag=%lld partitions=%lld",
                      (unsigned long long)s.consumed, (unsigned long long)s.published,
                      (unsigned long long)s.duplicates, (unsigned long long)s.dead_lettered, (long long)s.lag_total,
                      (long long)s.assigned);
}

int run_daemon(struct config *cfg, const struct run_options *opts) {
        struct run r = { .cfg = cfg, .opts = opts };
        struct embedded_broker *broker = NULL;
        int status = 1;
        char *err = NULL;

        install_signals();
        apply_live_settings(cfg);
        notifier_init(&r.notifier, (uint64_t)config_get_int(cfg, "run", "status_interval_ms") * 1000u);
        if (opts->embedded_broker && !(broker = embedded_broker_start(cfg)))
                goto out;

        r.instance = config_get_string(cfg, "ingestd", "instance");
        r.output_topic = config_get_string(cfg, "topics", "output");
        r.deadletter_topic = config_get_string(cfg, "topics", "deadletter");
        r.poll_timeout_ms = (int)config_get_int(cfg, "run", "poll_timeout_ms");
        r.shutdown_timeout_ms = (int)config_get_int(cfg, "run", "shutdown_timeout_ms");
        r.max_in_flight = (size_t)config_get_int(cfg, "run", "max_in_flight");

        r.pipeline = pipeline_new(cfg, &err);
        if (!r.pipeline) {
                log_error("%s", err ? err : "cannot build the pipeline");
                goto out;
        }
        const char *stage_names[ARTICLE_MAX_STAGES];
        size_t n_stages = pipeline_n_stages(r.pipeline);
        for (size_t i = 0; i < n_stages; i++)
                stage_names[i] = pipeline_stage_stats(r.pipeline, i)->name;
        r.metrics = metrics_new(stage_names, n_stages);
        r.arena = arena_new(64 * 1024);
        r.tracker = offset_tracker_new(store_offset, &r);
        if (!r.metrics || !r.arena || !r.tracker)
                goto out;
        const char *listen = config_get_string(cfg, "http", "listen");
        if (*listen && !(r.http = http_server_start(listen, r.metrics, config_get_int(cfg, "run", "health_stall_ms"))))
                goto out;
        if (!(r.producer = new_client(&r, KAFKA_PRODUCER)) || !(r.consumer = new_client(&r, KAFKA_CONSUMER)))
                goto out;
        rd_kafka_poll_set_consumer(r.consumer);
        if (subscribe(&r) < 0)
                goto out;
        metrics_set_ready(r.metrics, true);
        log_info("ingestd %s running: instance %s, %s -> %s (dead letters to %s), brokers %s", INGESTD_VERSION,
                 r.instance, config_get_string(cfg, "topics", "input"), r.output_topic, r.deadletter_topic,
                 config_get_string(cfg, "kafka", "bootstrap.servers"));
        notify_ready();

        while (!stop_requested && !r.fatal) {
                metrics_heartbeat(r.metrics);
                notifier_watchdog(&r.notifier);
                if (notifier_status_due(&r.notifier))
                        send_status(&r);
                if (reload_requested) {
                        reload_requested = 0;
                        reload(&r);
                }
                if (wedge_requested) {
                        log_warning("test fault: the processing loop is wedged on purpose (SIGUSR2)");
                        for (;;)
                                pause();
                }
                metrics_set_in_flight(r.metrics, (int64_t)offset_tracker_in_flight(r.tracker));
                metrics_set_producer_queue(r.metrics, rd_kafka_outq_len(r.producer));
                /* Back-pressure: let the producer catch up before reading more. */
                if (offset_tracker_in_flight(r.tracker) >= r.max_in_flight) {
                        rd_kafka_poll(r.producer, r.poll_timeout_ms);
                        continue;
                }
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r.consumer, r.poll_timeout_ms);
                if (m) {
                        if (m->err)
                                handle_consumer_error(&r, m);
                        else
                                handle_message(&r, m);
                        rd_kafka_message_destroy(m);
                }
                rd_kafka_poll(r.producer, 0);
        }

        r.stopping = true;
        notify_stopping();
        log_info("stopping: %s", r.fatal ? "fatal error" : "signal received");
        if (!r.fatal) {
                drain(&r, r.shutdown_timeout_ms);
                rd_kafka_commit(r.consumer, NULL, 0);
        }
        leave_group(&r);
        status = r.fatal ? 1 : 0;
        struct metrics_snapshot snap;
        metrics_snapshot(r.metrics, &snap);
        log_info("stopped: consumed=%llu published=%llu dead_lettered=%llu dropped=%llu rebalances=%llu",
                 (unsigned long long)snap.consumed, (unsigned long long)snap.published,
                 (unsigned long long)snap.dead_lettered, (unsigned long long)snap.dropped,
                 (unsigned long long)snap.rebalances);
out:
        free(err);
        http_server_stop(r.http);
        if (r.producer)
                rd_kafka_flush(r.producer, 1000);
        if (r.consumer) {
                rd_kafka_destroy(r.consumer);
                r.consumer = NULL;
        }
        if (r.producer)
                rd_kafka_destroy(r.producer);
        offset_tracker_free(r.tracker);
        arena_free(r.arena);
        pipeline_free(r.pipeline);
        metrics_free(r.metrics);
        embedded_broker_stop(broker);
        config_free(r.cfg);
        return status;
}
