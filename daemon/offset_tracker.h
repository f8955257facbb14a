/* Which input offsets may be committed: at-least-once bookkeeping.
 *
 * Every consumed message is registered with offset_tracker_begin() before its
 * output (or dead-letter) record is produced; the returned handle travels as
 * the produced message's opaque and comes back in the delivery report. When
 * it is acknowledged, offset_tracker_done() marks it, and the partition's
 * committable position advances over every leading acknowledged offset —
 * contiguously, so that a crash never skips an unacknowledged message. The
 * new position (last acknowledged offset + 1, as rd_kafka_offsets_store()
 * expects) is passed to the `store` callback.
 *
 * A partition that is revoked stays in memory, marked revoked, until its last
 * handle is done, so that a late delivery report never touches freed memory;
 * positions of revoked partitions are not stored. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct offset_tracker;
struct offset_handle;

typedef void (*offset_store_fn)(const char *topic, int32_t partition, int64_t next_offset, void *userdata);

struct offset_tracker *offset_tracker_new(offset_store_fn store, void *userdata);
void offset_tracker_free(struct offset_tracker *t);

/* Starts tracking a partition (on assignment). Idempotent. Returns -ENOMEM on failure. */
int offset_tracker_assign(struct offset_tracker *t, const char *topic, int32_t partition);
/* Stops tracking a partition (on revocation or loss). */
void offset_tracker_revoke(struct offset_tracker *t, const char *topic, int32_t partition);

/* Registers a consumed offset. Returns NULL when out of memory. Offsets of a
 * partition must be registered in increasing order. */
struct offset_handle *offset_tracker_begin(struct offset_tracker *t, const char *topic, int32_t partition,
                                           int64_t offset);
/* The record for the handle's offset was acknowledged; frees the handle. */
void offset_tracker_done(struct offset_tracker *t, struct offset_handle *h);
/* The handle is abandoned without acknowledgement (shutdown after a fatal
 * error): its offset and every later one of the partition stay uncommitted. */
void offset_tracker_abandon(struct offset_tracker *t, struct offset_handle *h);

/* Messages registered and not yet done or abandoned. */
size_t offset_tracker_in_flight(const struct offset_tracker *t);
/* The last position passed to `store` for a partition, or -1. */
int64_t offset_tracker_stored(const struct offset_tracker *t, const char *topic, int32_t partition);
