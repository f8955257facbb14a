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

#include "deadletter.h"
#include "embedded_broker.h"
#include "kafka_conf.h"
#include "log.h"
#include "offset_tracker.h"
#include "pipeline/pipeline.h"
#include "version.h"

struct run_stats {
        uint64_t consumed;
        uint64_t published;
        uint64_t dead_lettered;
        uint64_t dropped;
        uint64_t rebalances;
};

struct run {
        struct config *cfg;
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
        struct run_stats stats;
        bool fatal;
};

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig) {
        (void)sig;
        stop_requested = 1;
}

static void install_signals(void) {
        struct sigaction sa = { .sa_handler = on_stop_signal };
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
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

/* Waits for every record in flight; returns false on timeout. */
static bool drain(struct run *r, int timeout_ms) {
        if (offset_tracker_in_flight(r->tracker) == 0)
                return true;
        rd_kafka_resp_err_t err = rd_kafka_flush(r->producer, timeout_ms);
        rd_kafka_poll(r->producer, 0);
        if (err || offset_tracker_in_flight(r->tracker) > 0) {
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
        r->stats.rebalances++;

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                log_partitions("assigned", parts);
                for (int i = 0; i < parts->cnt; i++)
                        if (offset_tracker_assign(r->tracker, parts->elems[i].topic, parts->elems[i].partition) < 0)
                                r->fatal = true;
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        rd_kafka_assign(rk, parts);
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
        }
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
        r->stats.dead_lettered++;
}

static void publish(struct run *r, const rd_kafka_message_t *m, struct article *a, struct offset_handle *h) {
        rd_kafka_headers_t *in = NULL, *hdrs = NULL;
        if (rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in)
                hdrs = rd_kafka_headers_copy(in);
        rd_kafka_resp_err_t err =
                produce(r, r->output_topic, a->id, strlen(a->id), a->json, a->json_len, hdrs, h);
        if (!err) {
                r->stats.published++;
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
        r->stats.consumed++;

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

        switch (pipeline_process(r->pipeline, &a)) {
        case STAGE_CONTINUE:
                publish(r, m, &a, h);
                break;
        case STAGE_DROP:
                r->stats.dropped++;
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

static rd_kafka_t *new_client(struct run *r, enum kafka_role role) {
        rd_kafka_conf_t *conf = kafka_conf_new(r->cfg, role);
        if (!conf)
                return NULL;
        rd_kafka_conf_set_opaque(conf, r);
        rd_kafka_conf_set_log_cb(conf, log_kafka);
        rd_kafka_conf_set_error_cb(conf, error_cb);
        if (role == KAFKA_CONSUMER)
                rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
        else
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

int run_daemon(struct config *cfg, const struct run_options *opts) {
        struct run r = { .cfg = cfg };
        struct embedded_broker *broker = NULL;
        int status = 1;
        char *err = NULL;

        install_signals();
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
        r.arena = arena_new(64 * 1024);
        r.tracker = offset_tracker_new(store_offset, &r);
        if (!r.arena || !r.tracker)
                goto out;
        if (!(r.producer = new_client(&r, KAFKA_PRODUCER)) || !(r.consumer = new_client(&r, KAFKA_CONSUMER)))
                goto out;
        rd_kafka_poll_set_consumer(r.consumer);
        if (subscribe(&r) < 0)
                goto out;
        log_info("ingestd %s running: instance %s, %s -> %s (dead letters to %s), brokers %s", INGESTD_VERSION,
                 r.instance, config_get_string(cfg, "topics", "input"), r.output_topic, r.deadletter_topic,
                 config_get_string(cfg, "kafka", "bootstrap.servers"));

        while (!stop_requested && !r.fatal) {
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

        log_info("stopping: %s", r.fatal ? "fatal error" : "signal received");
        if (!r.fatal) {
                drain(&r, r.shutdown_timeout_ms);
                rd_kafka_commit(r.consumer, NULL, 0);
        }
        leave_group(&r);
        status = r.fatal ? 1 : 0;
        log_info("stopped: consumed=%llu published=%llu dead_lettered=%llu dropped=%llu rebalances=%llu",
                 (unsigned long long)r.stats.consumed, (unsigned long long)r.stats.published,
                 (unsigned long long)r.stats.dead_lettered, (unsigned long long)r.stats.dropped,
                 (unsigned long long)r.stats.rebalances);
out:
        free(err);
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
        embedded_broker_stop(broker);
        config_free(cfg);
        return status;
}
