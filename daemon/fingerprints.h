/* The dedup index shared through Kafka.
 *
 * Every instance produces the fingerprint of each article it processes to
 * the fingerprints topic (keyed by article id; in exactly-once mode inside
 * the transaction), and reads the whole topic — all partitions, outside the
 * consumer group, read_committed — into its own index: first up to the end
 * at start-up (the restore, before READY=1, from the offsets of `now - ttl`
 * so that only what is inside the window is read), then continuously. Its
 * own fingerprints come back too and are ignored by the index. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "pipeline/dedup/dedup.h"

struct metrics;
struct fingerprints;

/* NULL (after logging) on error. `topic` must stay valid. */
struct fingerprints *fingerprints_new(const struct config *cfg, const char *topic, struct dedup_index *index,
                                      struct metrics *metrics);
void fingerprints_free(struct fingerprints *f);

/* Reads the topic up to the end it had when called. Returns 0, or -1 when
 * the topic cannot be read or the restore did not finish in time. */
int fingerprints_restore(struct fingerprints *f, int64_t ttl_ms, int timeout_ms);

/* Applies what has arrived since, without waiting; at most `max` records. */
size_t fingerprints_poll(struct fingerprints *f, size_t max);
