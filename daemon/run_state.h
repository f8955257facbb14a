/* The running daemon's state, shared by the files of the run loop:
 * run.c (setup, loop, reload), records.c (a consumed message to its output
 * or dead-letter record), group.c (the consumer group: subscribe, rebalance,
 * leave), kafka_clients.c (client creation and callbacks) and the two
 * delivery modes (delivery_at_least_once.c, delivery_exactly_once.c). */
#pragma once

#include <librdkafka/rdkafka.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "metrics.h"
#include "pipeline/pipeline.h"
#include "run.h"
#include "systemd/notify.h"

struct run;
struct http_server;
struct offset_tracker;

/* A delivery mode: how consumed offsets become committed. */
struct delivery_ops {
        const char *name;
        /* After the clients exist, before subscribing. 0 or -errno. */
        int (*start)(struct run *r);
        /* A message was consumed: returns the opaque its record carries
         * (may be NULL), or sets r->fatal. */
        void *(*begin)(struct run *r, const rd_kafka_message_t *m);
        /* The message produced no record (dropped by configuration). */
        void (*no_record)(struct run *r, void *token);
        /* Its record could not be produced at all. */
        void (*record_failed)(struct run *r, void *token);
        /* A delivery report. */
        void (*delivered)(struct run *r, const rd_kafka_message_t *m);
        /* Called every loop turn. */
        void (*tick)(struct run *r);
        /* Partitions are being revoked (lost: already reassigned). */
        void (*revoke)(struct run *r, const rd_kafka_topic_partition_list_t *parts, bool lost);
        /* Shutdown: finish what is in flight and commit. */
        void (*stop)(struct run *r);
        size_t (*in_flight)(const struct run *r);
};

extern const struct delivery_ops delivery_at_least_once;
extern const struct delivery_ops delivery_exactly_once;

struct run {
        struct config *cfg;
        const struct run_options *opts;
        const struct delivery_ops *delivery;
        struct metrics *metrics;
        struct http_server *http;
        struct notifier notifier;
        struct pipeline *pipeline;
        struct arena *arena;
        rd_kafka_t *consumer;
        rd_kafka_t *producer;
        const char *output_topic;
        const char *deadletter_topic;
        const char *fingerprints_topic;   /* NULL: the index is not shared */
        const char *duplicates_topic;     /* NULL: dropped duplicates are not copied */
        struct dedup_index *dedup;        /* outlives pipeline rebuilds */
        struct pipeline_env env;
        struct fingerprints *fingerprints;
        const char *instance;
        int poll_timeout_ms;
        int shutdown_timeout_ms;
        size_t max_in_flight;
        int64_t assigned;               /* partitions currently assigned */
        bool fatal;                     /* stop and exit non-zero */
        bool stopping;

        /* at-least-once */
        struct offset_tracker *tracker;

        /* exactly-once */
        bool in_transaction;
        uint64_t txn_started_usec;
        uint64_t txn_records;
        int64_t commit_every_records;
        int64_t commit_every_ms;
};

/* records.c */
void records_handle_message(struct run *r, const rd_kafka_message_t *m);
rd_kafka_resp_err_t records_produce(struct run *r, const char *topic, const void *key, size_t key_len,
                                    const void *value, size_t len, rd_kafka_headers_t *headers, void *opaque);

/* group.c */
int group_subscribe(struct run *r);
void group_leave(struct run *r);
void group_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                        void *opaque);

/* kafka_clients.c */
rd_kafka_t *kafka_client_new(struct run *r, int role);
