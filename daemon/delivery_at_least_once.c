/* At-least-once delivery.
 *
 * Every consumed message is registered with the offset tracker; its handle
 * travels as the produced record's opaque and comes back in the delivery
 * report, which advances the partition's committable offset — contiguously —
 * and stores it with rd_kafka_offsets_store() (offset + 1: librdkafka 2.0.2
 * stores the value as given). Auto-commit then commits what was stored. So an
 * input offset is committed only once the record made from it is on the
 * broker, and a crash replays instead of losing.
 *
 * A record whose delivery fails after the producer's own retries
 * (message.timeout.ms) stops the daemon without committing it: systemd
 * restarts it and the input is replayed. */
#include <string.h>

#include "log.h"
#include "offset_tracker.h"
#include "run_state.h"

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

static int alo_start(struct run *r) {
        r->tracker = offset_tracker_new(store_offset, r);
        return r->tracker ? 0 : -1;
}

static void *alo_begin(struct run *r, const rd_kafka_message_t *m) {
        struct offset_handle *h = offset_tracker_begin(r->tracker, rd_kafka_topic_name(m->rkt), m->partition, m->offset);
        if (!h) {
                log_error("out of memory tracking offsets");
                r->fatal = true;
        }
        return h;
}

static void alo_no_record(struct run *r, void *token) {
        offset_tracker_done(r->tracker, token);
}

static void alo_record_failed(struct run *r, void *token) {
        offset_tracker_abandon(r->tracker, token);
        r->fatal = true;
}

static void alo_delivered(struct run *r, const rd_kafka_message_t *m) {
        struct offset_handle *h = m->_private;
        if (!m->err) {
                if (h)
                        offset_tracker_done(r->tracker, h);
                return;
        }
        struct log_ctx ctx = { .topic = rd_kafka_topic_name(m->rkt), .partition = m->partition, .offset = -1,
                               .error = rd_kafka_err2name(m->err) };
        log_ctx_msg(LOG_ERR, &ctx, "delivery failed: %s; stopping so that the input is replayed",
                    rd_kafka_err2str(m->err));
        if (h)
                offset_tracker_abandon(r->tracker, h);
        r->fatal = true;
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

static void alo_revoke(struct run *r, const rd_kafka_topic_partition_list_t *parts, bool lost) {
        /* Finish what is in flight, then hand the partitions over with their
         * offsets committed. A lost partition already has another owner:
         * committing would fail. */
        drain(r, r->shutdown_timeout_ms);
        if (!lost)
                commit_partitions(r, parts);
        for (int i = 0; i < parts->cnt; i++)
                offset_tracker_revoke(r->tracker, parts->elems[i].topic, parts->elems[i].partition);
}

static void alo_tick(struct run *r) {
        (void)r;
}

static void alo_stop(struct run *r) {
        if (r->fatal)
                return;
        drain(r, r->shutdown_timeout_ms);
        rd_kafka_commit(r->consumer, NULL, 0);
}

static size_t alo_in_flight(const struct run *r) {
        return r->tracker ? offset_tracker_in_flight(r->tracker) : 0;
}

const struct delivery_ops delivery_at_least_once = {
        .name = "at-least-once",
        .start = alo_start,
        .begin = alo_begin,
        .no_record = alo_no_record,
        .record_failed = alo_record_failed,
        .delivered = alo_delivered,
        .tick = alo_tick,
        .revoke = alo_revoke,
        .stop = alo_stop,
        .in_flight = alo_in_flight,
};
