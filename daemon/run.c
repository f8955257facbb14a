/* `ingestd run`: set-up, the processing loop, reload and shutdown.
 *
 * One thread polls the consumer, runs each message through the pipeline
 * (records.c) and hands the result to the producer; delivery reports and
 * rebalances come back on the same thread. When an input offset counts as
 * done is the delivery mode's business: delivery_at_least_once.c or
 * delivery_exactly_once.c. */
#include "run.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "embedded_broker.h"
#include "fingerprints.h"
#include "pipeline/dedup/dedup_config.h"
#include "http_server.h"
#include "kafka_conf.h"
#include "log.h"
#include "offset_tracker.h"
#include "run_state.h"
#include "settings.h"
#include "version.h"

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
        struct log_ctx ctx = LOG_CTX_NONE;
        ctx.error = rd_kafka_err2name(m->err);
        log_ctx_msg(LOG_WARNING, &ctx, "consumer: %s", rd_kafka_message_errstr(m));
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
        struct pipeline *p = next ? pipeline_new_env(next, &r->env, &err) : NULL;
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
        r.delivery = strcmp(config_get_string(cfg, "ingestd", "delivery"), "exactly-once") == 0 ? &delivery_exactly_once
                                                                                          : &delivery_at_least_once;
        r.commit_every_records = config_get_int(cfg, "delivery", "commit_every_records");
        r.commit_every_ms = config_get_int(cfg, "delivery", "commit_every_ms");
        r.poll_timeout_ms = (int)config_get_int(cfg, "run", "poll_timeout_ms");
        r.shutdown_timeout_ms = (int)config_get_int(cfg, "run", "shutdown_timeout_ms");
        r.max_in_flight = (size_t)config_get_int(cfg, "run", "max_in_flight");

        struct dedup_params dedup_params;
        if (dedup_params_from_config(cfg, &dedup_params, &err) < 0) {
                log_error("%s", err ? err : "bad [dedup] configuration");
                goto out;
        }
        r.dedup = dedup_index_new(&dedup_params);
        if (!r.dedup)
                goto out;
        r.env.dedup = r.dedup;
        const char *fp_topic = config_get_string(cfg, "topics", "fingerprints");
        r.fingerprints_topic = *fp_topic ? fp_topic : NULL;
        const char *dup_topic = config_get_string(cfg, "dedup", "duplicates_topic");
        r.duplicates_topic = *dup_topic ? dup_topic : NULL;
        r.pipeline = pipeline_new_env(cfg, &r.env, &err);
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
        if (!r.metrics || !r.arena)
                goto out;
        const char *listen = config_get_string(cfg, "http", "listen");
        if (*listen && !(r.http = http_server_start(listen, r.metrics, config_get_int(cfg, "run", "health_stall_ms"))))
                goto out;
        if (!(r.producer = kafka_client_new(&r, KAFKA_PRODUCER)) || !(r.consumer = kafka_client_new(&r, KAFKA_CONSUMER)))
                goto out;
        rd_kafka_poll_set_consumer(r.consumer);
        /* Learn the output topics' partitions now: librdkafka 2.0.2 would
         * otherwise wait for its next metadata scan (up to a second) before
         * sending the first records. */
        const char *out_topics[] = { r.output_topic, r.deadletter_topic };
        for (size_t i = 0; i < 2; i++) {
                rd_kafka_topic_t *rkt = rd_kafka_topic_new(r.producer, out_topics[i], NULL);
                const struct rd_kafka_metadata *md = NULL;
                if (rkt && rd_kafka_metadata(r.producer, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR)
                        rd_kafka_metadata_destroy(md);
                if (rkt)
                        rd_kafka_topic_destroy(rkt);
        }
        if (r.delivery->start(&r) < 0)
                goto out;
        /* The shared dedup index is read back before the first article. */
        if (r.fingerprints_topic) {
                r.fingerprints = fingerprints_new(cfg, r.fingerprints_topic, r.dedup, r.metrics);
                if (!r.fingerprints ||
                    fingerprints_restore(r.fingerprints, dedup_params.ttl_ms,
                                         (int)config_get_int(cfg, "run", "restore_timeout_ms")) < 0)
                        goto out;
        }
        if (group_subscribe(&r) < 0)
                goto out;
        metrics_set_ready(r.metrics, true);
        log_info("ingestd %s running: instance %s, %s, %s -> %s (dead letters to %s), brokers %s", INGESTD_VERSION,
                 r.instance, r.delivery->name, config_get_string(cfg, "topics", "input"), r.output_topic,
                 r.deadletter_topic, config_get_string(cfg, "kafka", "bootstrap.servers"));
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
                r.delivery->tick(&r);
                /* Other instances' fingerprints; in exactly-once mode only
                 * between transactions, so that an abort takes back just
                 * this instance's entries. */
                if (r.fingerprints && !r.in_transaction)
                        fingerprints_poll(r.fingerprints, 10000);
                size_t in_flight = r.delivery->in_flight(&r);
                metrics_set_in_flight(r.metrics, (int64_t)in_flight);
                /* The index belongs to this thread: copy its figures for /metrics. */
                struct dedup_stats ds;
                dedup_index_stats(r.dedup, &ds);
                metrics_set_dedup_index(r.metrics, ds.entries, ds.memory_bytes, ds.evicted, ds.expired);
                metrics_set_producer_queue(r.metrics, rd_kafka_outq_len(r.producer));
                /* Back-pressure: let the producer catch up before reading more. */
                if (in_flight >= r.max_in_flight) {
                        rd_kafka_poll(r.producer, r.poll_timeout_ms);
                        continue;
                }
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r.consumer, r.poll_timeout_ms);
                if (m) {
                        if (m->err)
                                handle_consumer_error(&r, m);
                        else
                                records_handle_message(&r, m);
                        rd_kafka_message_destroy(m);
                }
                rd_kafka_poll(r.producer, 0);
        }

        r.stopping = true;
        notify_stopping();
        log_info("stopping: %s", r.fatal ? "fatal error" : "signal received");
        r.delivery->stop(&r);
        group_leave(&r);
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
        fingerprints_free(r.fingerprints);
        dedup_index_free(r.dedup);
        metrics_free(r.metrics);
        embedded_broker_stop(broker);
        config_free(r.cfg);
        return status;
}
