/* The daemon's metrics, rendered in Prometheus' text format on /metrics.
 *
 * The processing loop updates them; the HTTP server's thread reads them.
 * Counters and histogram buckets are C11 atomics; the labelled tables (dead
 * letters by reason, consumer lag by partition, articles by language) have a
 * fixed size, so label sets stay bounded whatever the input: values beyond
 * a table's size are counted under "other". */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct metrics;

/* stage_names: the pipeline's stages, in order (copied). */
struct metrics *metrics_new(const char *const *stage_names, size_t n_stages);
void metrics_free(struct metrics *m);

void metrics_consumed(struct metrics *m);
void metrics_published(struct metrics *m);
void metrics_dropped(struct metrics *m);
void metrics_dead_lettered(struct metrics *m, const char *reason, const char *stage);
void metrics_duplicate(struct metrics *m, const char *kind);
void metrics_language(struct metrics *m, const char *code);
void metrics_rebalance(struct metrics *m);
void metrics_transaction(struct metrics *m, bool committed);
void metrics_dedup_restored(struct metrics *m, uint64_t fingerprints, double seconds);
void metrics_set_dedup_index(struct metrics *m, uint64_t entries, uint64_t bytes, uint64_t evicted, uint64_t expired);
void metrics_stage_seconds(struct metrics *m, size_t stage, double seconds);
void metrics_end_to_end_seconds(struct metrics *m, double seconds);

/* From librdkafka's statistics: replaces the consumer lag table. */
void metrics_lag_begin(struct metrics *m);
void metrics_lag_set(struct metrics *m, const char *topic, int32_t partition, int64_t lag);
void metrics_lag_end(struct metrics *m);
int64_t metrics_lag_total(struct metrics *m);

/* Gauges set by the loop. */
void metrics_set_assigned(struct metrics *m, int64_t partitions);
void metrics_set_in_flight(struct metrics *m, int64_t records);
void metrics_set_producer_queue(struct metrics *m, int64_t messages);
void metrics_set_brokers_up(struct metrics *m, int64_t brokers);

/* Liveness: the loop beats once per iteration. */
void metrics_heartbeat(struct metrics *m);
/* Milliseconds since the last heartbeat. */
int64_t metrics_since_heartbeat_ms(struct metrics *m);
void metrics_set_ready(struct metrics *m, bool subscribed);

struct metrics_snapshot {
        uint64_t consumed, published, dropped, dead_lettered, duplicates, rebalances;
        int64_t assigned, brokers_up, lag_total, in_flight;
        bool subscribed;
};
void metrics_snapshot(struct metrics *m, struct metrics_snapshot *ret);

/* Renders everything; returns a malloc'd NUL-terminated buffer or NULL. */
char *metrics_render(struct metrics *m, size_t *ret_len);
