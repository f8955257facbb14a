/* Exactly-once delivery: librdkafka's transactional consume-transform-produce
 * pattern (examples/transactions.c and INTRODUCTION.md of 2.0.2).
 *
 * One transactional producer per instance, transactional.id stable per
 * instance ("ingestd-<instance>" unless set). The output and dead-letter
 * records of a batch and the consumed offsets (sent with
 * rd_kafka_send_offsets_to_transaction) are committed together, every
 * delivery.commit_every_records records or commit_every_ms milliseconds.
 * Downstream consumers with isolation.level=read_committed see each input's
 * record once.
 *
 * Errors: an abortable one aborts the transaction and rewinds the consumer
 * to the committed offsets, so the batch is processed again; a retriable one
 * is retried (a transaction never commits without its offsets), then
 * aborted; a fatal one (a fenced producer: another instance took the same
 * transactional.id) stops the daemon with status 1. On revoke the current
 * transaction is committed before the partitions go; on loss it is aborted. */
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "run_state.h"

#define TXN_TIMEOUT_MS 60000
/* Retriable errors (a coordinator moving, the broker restarting) are
 * retried this often, this far apart. */
#define TXN_ATTEMPTS 50
#define TXN_RETRY_USEC 200000
/* Each call waits at most this long (well inside the watchdog's interval,
 * which is pinged between attempts: waiting for a broker is not a hang). */
#define TXN_CALL_TIMEOUT_MS 10000

static void before_retry(struct run *r) {
        usleep(TXN_RETRY_USEC);
        notifier_watchdog(&r->notifier);
}

static void log_txn_error(const char *what, rd_kafka_error_t *error) {
        struct log_ctx ctx = LOG_CTX_NONE;
        ctx.error = rd_kafka_error_name(error);
        log_ctx_msg(LOG_ERR, &ctx, "%s: %s%s%s", what, rd_kafka_error_string(error),
                    rd_kafka_error_is_fatal(error) ? " (fatal)" : "",
                    rd_kafka_error_txn_requires_abort(error) ? " (the transaction is aborted)" : "");
}

static int eos_start(struct run *r) {
        rd_kafka_error_t *error = rd_kafka_init_transactions(r->producer, TXN_TIMEOUT_MS);
        if (error) {
                log_txn_error("cannot initialize transactions", error);
                rd_kafka_error_destroy(error);
                return -1;
        }
        log_info("exactly-once: transactions initialized (every %lld records or %lld ms)",
                 (long long)r->commit_every_records, (long long)r->commit_every_ms);
        return 0;
}

/* Sets every assigned partition back to its committed offset, so that what
 * the aborted transaction consumed is consumed again. */
static void rewind_to_committed(struct run *r) {
        rd_kafka_topic_partition_list_t *assigned = NULL;
        if (rd_kafka_assignment(r->consumer, &assigned) || !assigned)
                return;
        if (assigned->cnt > 0) {
                rd_kafka_resp_err_t err = rd_kafka_committed(r->consumer, assigned, TXN_TIMEOUT_MS);
                if (err) {
                        log_error("cannot read the committed offsets to rewind: %s", rd_kafka_err2str(err));
                        r->fatal = true;
                } else {
                        for (int i = 0; i < assigned->cnt; i++)
                                if (assigned->elems[i].offset < 0)
                                        assigned->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
                        rd_kafka_error_t *error = rd_kafka_seek_partitions(r->consumer, assigned, -1);
                        if (error) {
                                log_txn_error("cannot rewind", error);
                                rd_kafka_error_destroy(error);
                                r->fatal = true;
                        }
                }
        }
        rd_kafka_topic_partition_list_destroy(assigned);
}

static void abort_transaction(struct run *r, bool rewind) {
        if (!r->in_transaction)
                return;
        rd_kafka_error_t *error = rd_kafka_abort_transaction(r->producer, TXN_CALL_TIMEOUT_MS);
        for (int attempt = 1; error && rd_kafka_error_is_retriable(error) && attempt < TXN_ATTEMPTS; attempt++) {
                rd_kafka_error_destroy(error);
                before_retry(r);
                error = rd_kafka_abort_transaction(r->producer, TXN_CALL_TIMEOUT_MS);
        }
        if (error) {
                log_txn_error("cannot abort the transaction", error);
                if (rd_kafka_error_is_fatal(error))
                        r->fatal = true;
                rd_kafka_error_destroy(error);
        }
        r->in_transaction = false;
        dedup_index_abort(r->dedup);
        metrics_transaction(r->metrics, false);
        log_warning("transaction aborted after %llu record(s)%s", (unsigned long long)r->txn_records,
                    rewind ? "; rewinding to the committed offsets" : "");
        r->txn_records = 0;
        if (rewind && !r->fatal)
                rewind_to_committed(r);
}

/* Sends the consumed positions to the transaction. A retriable error is
 * retried: the offsets must be in the transaction before it commits, or the
 * batch's records would be published while its input stays uncommitted, and
 * the next owner of the partitions would publish them again. */
static rd_kafka_error_t *send_offsets(struct run *r) {
        rd_kafka_error_t *error = NULL;
        for (int attempt = 0; attempt < TXN_ATTEMPTS; attempt++) {
                if (error) {
                        rd_kafka_error_destroy(error);
                        before_retry(r);
                }
                rd_kafka_topic_partition_list_t *positions = NULL;
                rd_kafka_resp_err_t err = rd_kafka_assignment(r->consumer, &positions);
                if (err)
                        return rd_kafka_error_new(err, "cannot read the assignment: %s", rd_kafka_err2str(err));
                rd_kafka_position(r->consumer, positions);
                rd_kafka_consumer_group_metadata_t *cgmd = rd_kafka_consumer_group_metadata(r->consumer);
                error = rd_kafka_send_offsets_to_transaction(r->producer, positions, cgmd, TXN_CALL_TIMEOUT_MS);
                rd_kafka_consumer_group_metadata_destroy(cgmd);
                rd_kafka_topic_partition_list_destroy(positions);
                if (!error || !rd_kafka_error_is_retriable(error))
                        return error;
                if (attempt == 0)
                        log_warning("cannot send the offsets to the transaction yet: %s; retrying",
                                    rd_kafka_error_string(error));
        }
        return error;
}

/* Sends the consumed positions and commits. Returns false when the
 * transaction had to be aborted (or the error was fatal). */
static bool commit_transaction(struct run *r) {
        if (!r->in_transaction)
                return true;
        rd_kafka_error_t *error = send_offsets(r);
        for (int attempt = 0; !error && attempt < TXN_ATTEMPTS; attempt++) {
                error = rd_kafka_commit_transaction(r->producer, TXN_CALL_TIMEOUT_MS);
                if (!error) {
                        r->in_transaction = false;
                        dedup_index_commit(r->dedup);
                        metrics_transaction(r->metrics, true);
                        r->txn_records = 0;
                        return true;
                }
                if (!rd_kafka_error_is_retriable(error))
                        break;
                /* the commit's outcome is not known yet: ask again */
                if (attempt == 0)
                        log_warning("the transaction's commit did not complete yet: %s; retrying",
                                    rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                error = NULL;
                before_retry(r);
        }
        if (!error)
                error = rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT, "the commit did not complete after %d attempts",
                                           TXN_ATTEMPTS);
        log_txn_error("cannot commit the transaction", error);
        bool fatal = rd_kafka_error_is_fatal(error);
        rd_kafka_error_destroy(error);
        if (fatal) {
                r->fatal = true;
                return false;
        }
        /* Abortable, or retriable and out of attempts: nothing of the
         * transaction is visible; abort it and process the batch again. */
        abort_transaction(r, true);
        return false;
}

static void *eos_begin(struct run *r, const rd_kafka_message_t *m) {
        (void)m;
        if (r->in_transaction) {
                r->txn_records++;
                return NULL;
        }
        rd_kafka_error_t *error = rd_kafka_begin_transaction(r->producer);
        if (error) {
                log_txn_error("cannot begin a transaction", error);
                rd_kafka_error_destroy(error);
                r->fatal = true;
                return NULL;
        }
        r->in_transaction = true;
        dedup_index_begin(r->dedup);
        r->txn_started_usec = notify_now_usec();
        r->txn_records = 1;
        return NULL;
}

static void eos_no_record(struct run *r, void *token) {
        (void)r;
        (void)token;
}

static void eos_record_failed(struct run *r, void *token) {
        (void)token;
        /* The record is not in the transaction: abort it and process the
         * batch again, or stop if that fails. */
        abort_transaction(r, true);
}

static void eos_delivered(struct run *r, const rd_kafka_message_t *m) {
        if (m->err) {
                /* The commit will fail and abort; the batch is processed again. */
                struct log_ctx ctx = { .topic = rd_kafka_topic_name(m->rkt), .partition = m->partition, .offset = -1,
                                       .error = rd_kafka_err2name(m->err) };
                log_ctx_msg(LOG_WARNING, &ctx, "delivery failed inside a transaction: %s", rd_kafka_err2str(m->err));
        }
}

static void eos_tick(struct run *r) {
        if (!r->in_transaction)
                return;
        uint64_t age_ms = (notify_now_usec() - r->txn_started_usec) / 1000u;
        if ((int64_t)r->txn_records >= r->commit_every_records || (int64_t)age_ms >= r->commit_every_ms)
                commit_transaction(r);
}

static void eos_revoke(struct run *r, const rd_kafka_topic_partition_list_t *parts, bool lost) {
        (void)parts;
        /* Commit what was consumed from the partitions before they go; with
         * lost partitions the offsets can no longer be committed: abort. The
         * remaining partitions are rewound with the rest. */
        if (lost)
                abort_transaction(r, true);
        else
                commit_transaction(r);
}

static void eos_stop(struct run *r) {
        if (r->fatal) {
                abort_transaction(r, false);
                return;
        }
        commit_transaction(r);
}

static size_t eos_in_flight(const struct run *r) {
        return r->in_transaction ? (size_t)rd_kafka_outq_len(r->producer) : 0;
}

const struct delivery_ops delivery_exactly_once = {
        .name = "exactly-once",
        .start = eos_start,
        .begin = eos_begin,
        .no_record = eos_no_record,
        .record_failed = eos_record_failed,
        .delivered = eos_delivered,
        .tick = eos_tick,
        .revoke = eos_revoke,
        .stop = eos_stop,
        .in_flight = eos_in_flight,
};
