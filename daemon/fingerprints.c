#include "fingerprints.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kafka_conf.h"
#include "log.h"
#include "metrics.h"
#include "systemd/notify.h"

struct fingerprints {
        rd_kafka_t *reader;
        const char *topic;
        int partitions;              /* of the topic, when ingestd creates it */
        struct dedup_index *index;
        struct metrics *metrics;
        uint64_t applied, ignored, malformed;
};

static void log_kafka(const rd_kafka_t *rk, int level, const char *fac, const char *buf) {
        (void)rk;
        int lvl = level <= LOG_ERR ? LOG_ERR : level > LOG_DEBUG ? LOG_DEBUG : level;
        log_ctx_msg(lvl, NULL, "librdkafka fingerprints %s: %s", fac, buf);
}

struct fingerprints *fingerprints_new(const struct config *cfg, const char *topic, struct dedup_index *index,
                                      struct metrics *metrics) {
        struct fingerprints *f = calloc(1, sizeof(*f));
        if (!f)
                return NULL;
        f->topic = topic;
        f->partitions = (int)config_get_int(cfg, "run", "fingerprints_partitions");
        f->index = index;
        f->metrics = metrics;
        rd_kafka_conf_t *conf = kafka_conf_new_reader(cfg, "fingerprints");
        if (!conf) {
                free(f);
                return NULL;
        }
        rd_kafka_conf_set_log_cb(conf, log_kafka);
        char err[512];
        f->reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
        if (!f->reader) {
                log_error("cannot create the fingerprints reader: %s", err);
                rd_kafka_conf_destroy(conf);
                free(f);
                return NULL;
        }
        return f;
}

void fingerprints_free(struct fingerprints *f) {
        if (!f)
                return;
        rd_kafka_consumer_close(f->reader);
        rd_kafka_destroy(f->reader);
        free(f);
}

/* Applies one record; false at the end of a partition. */
static void apply(struct fingerprints *f, const rd_kafka_message_t *m) {
        struct dedup_fingerprint fp;
        if (dedup_fingerprint_decode(m->payload, m->len, &fp) < 0) {
                struct log_ctx ctx = { .topic = f->topic, .partition = m->partition, .offset = m->offset,
                                       .error = "malformed_fingerprint" };
                log_ctx_msg(LOG_WARNING, &ctx, "ignoring a fingerprint that does not decode");
                f->malformed++;
                return;
        }
        if (dedup_index_apply(f->index, &fp) > 0)
                f->applied++;
        else
                f->ignored++;
}

/* Creates the fingerprints topic: retention twice the dedup window, the
 * broker's default replication. Returns 0 when it exists afterwards. */
static int create_topic(struct fingerprints *f, int64_t ttl_ms) {
        char errstr[512], retention[32];
        rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(f->topic, f->partitions, -1, errstr, sizeof(errstr));
        if (!nt) {
                log_error("cannot create the fingerprints topic %s: %s", f->topic, errstr);
                return -1;
        }
        snprintf(retention, sizeof(retention), "%lld", (long long)(2 * ttl_ms));
        rd_kafka_NewTopic_set_config(nt, "retention.ms", retention);
        rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "delete");
        rd_kafka_queue_t *q = rd_kafka_queue_new(f->reader);
        rd_kafka_CreateTopics(f->reader, &nt, 1, NULL, q);
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 30000);
        int rc = -1;
        if (!ev) {
                log_error("creating the fingerprints topic %s: no answer within 30 s", f->topic);
        } else {
                size_t n = 0;
                const rd_kafka_topic_result_t **res =
                        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
                rd_kafka_resp_err_t err = rd_kafka_event_error(ev);
                if (!err && n == 1)
                        err = rd_kafka_topic_result_error(res[0]);
                if (!err || err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                        log_info("created the fingerprints topic %s (%d partitions, retention %lld s)", f->topic,
                                 f->partitions, (long long)(2 * ttl_ms / 1000));
                        rc = 0;
                } else {
                        log_error("cannot create the fingerprints topic %s: %s; create it by hand (retention at "
                                  "least dedup.ttl) or set topics.fingerprints to an existing one",
                                  f->topic, n == 1 && rd_kafka_topic_result_error_string(res[0])
                                                    ? rd_kafka_topic_result_error_string(res[0])
                                                    : rd_kafka_err2str(err));
                }
                rd_kafka_event_destroy(ev);
        }
        rd_kafka_queue_destroy(q);
        rd_kafka_NewTopic_destroy(nt);
        return rc;
}

static rd_kafka_resp_err_t topic_metadata(struct fingerprints *f, const struct rd_kafka_metadata **ret) {
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(f->reader, f->topic, NULL);
        rd_kafka_resp_err_t err = rd_kafka_metadata(f->reader, 0, rkt, ret, 30000);
        rd_kafka_topic_destroy(rkt);
        bool leaders = true;
        for (int i = 0; !err && (*ret)->topic_cnt == 1 && i < (*ret)->topics[0].partition_cnt; i++)
                leaders = leaders && (*ret)->topics[0].partitions[i].leader >= 0;
        if (!err && ((*ret)->topic_cnt != 1 || (*ret)->topics[0].err || (*ret)->topics[0].partition_cnt == 0 ||
                     !leaders)) {
                err = (*ret)->topic_cnt == 1 && (*ret)->topics[0].err ? (*ret)->topics[0].err
                                                                      : RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
                rd_kafka_metadata_destroy(*ret);
                *ret = NULL;
        }
        return err;
}

int fingerprints_restore(struct fingerprints *f, int64_t ttl_ms, int timeout_ms) {
        uint64_t t0 = notify_now_usec();
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_resp_err_t err = topic_metadata(f, &md);
        if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && create_topic(f, ttl_ms) == 0) {
                /* Metadata of a new topic takes a moment to spread. */
                for (int i = 0; i < 50 && (err = topic_metadata(f, &md)); i++)
                        rd_kafka_poll(f->reader, 100);
        }
        if (err) {
                log_error("cannot read the metadata of the fingerprints topic %s: %s", f->topic, rd_kafka_err2str(err));
                return -1;
        }
        int n = md->topics[0].partition_cnt;
        rd_kafka_metadata_destroy(md);

        /* Where the window starts, and where the topic ends now. */
        struct timespec now;
        clock_gettime(CLOCK_REALTIME, &now);
        int64_t since = (int64_t)now.tv_sec * 1000 - ttl_ms;
        rd_kafka_topic_partition_list_t *start = rd_kafka_topic_partition_list_new(n);
        int64_t *end = calloc((size_t)n, sizeof(*end));
        bool *done = calloc((size_t)n, sizeof(*done));
        int remaining = 0;
        int rc = -1;
        if (!end || !done)
                goto out;
        for (int p = 0; p < n; p++)
                rd_kafka_topic_partition_list_add(start, f->topic, p)->offset = since > 0 ? since : 0;
        /* Right after the topic was created its leaders may still move. */
        for (int attempt = 0; attempt < 20; attempt++) {
                err = rd_kafka_offsets_for_times(f->reader, start, 30000);
                if (err != RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION && err != RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE &&
                    err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
                        break;
                for (int p = 0; p < n; p++)
                        start->elems[p].offset = since > 0 ? since : 0;
                rd_kafka_poll(f->reader, 250);
        }
        if (err) {
                log_error("cannot look up the fingerprints of the last %lld s: %s", (long long)(ttl_ms / 1000),
                          rd_kafka_err2str(err));
                goto out;
        }
        uint64_t expected = 0;
        for (int p = 0; p < n; p++) {
                int64_t lo, hi;
                err = rd_kafka_query_watermark_offsets(f->reader, f->topic, p, &lo, &hi, 30000);
                if (err) {
                        log_error("cannot read the end of %s [%d]: %s", f->topic, p, rd_kafka_err2str(err));
                        goto out;
                }
                end[p] = hi;
                /* No record after `since`: offsets_for_times gives the end. */
                if (start->elems[p].offset < 0)
                        start->elems[p].offset = hi;
                done[p] = start->elems[p].offset >= hi;
                if (!done[p]) {
                        remaining++;
                        expected += (uint64_t)(hi - start->elems[p].offset);
                }
        }
        rd_kafka_resp_err_t aerr = rd_kafka_assign(f->reader, start);
        if (aerr) {
                log_error("cannot read the fingerprints topic: %s", rd_kafka_err2str(aerr));
                goto out;
        }
        log_info("restoring the dedup index: up to %llu fingerprints from %d partition(s) of %s",
                 (unsigned long long)expected, n, f->topic);
        uint64_t last_progress = notify_now_usec(), last_count = 0, records = 0;
        while (remaining > 0) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(f->reader, 100);
                uint64_t tnow = notify_now_usec();
                if (m) {
                        if (!m->err) {
                                apply(f, m);
                                records++;
                        }
                        int p = m->partition;
                        if (p >= 0 && p < n && !done[p] &&
                            (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF || (!m->err && m->offset + 1 >= end[p]))) {
                                done[p] = true;
                                remaining--;
                        } else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                                log_warning("fingerprints: %s", rd_kafka_message_errstr(m));
                        }
                        rd_kafka_message_destroy(m);
                }
                /* A restore that progresses asks systemd for more time. */
                if (tnow - last_progress > 2000000u) {
                        if (records > last_count)
                                notify_extend_timeout(10 * 1000000u);
                        notify_status("restoring the dedup index: %llu of %llu fingerprints",
                                      (unsigned long long)records, (unsigned long long)expected);
                        last_count = records;
                        last_progress = tnow;
                }
                if ((tnow - t0) / 1000u > (uint64_t)timeout_ms) {
                        log_error("the dedup index restore did not finish within %d ms (%llu of %llu read)", timeout_ms,
                                  (unsigned long long)records, (unsigned long long)expected);
                        goto out;
                }
        }
        double secs = (double)(notify_now_usec() - t0) / 1e6;
        struct dedup_stats st;
        dedup_index_stats(f->index, &st);
        log_info("dedup index restored: %llu fingerprints read in %.2f s (%.0f/s), %llu entries, %llu bytes",
                 (unsigned long long)records, secs, secs > 0 ? (double)records / secs : 0.0,
                 (unsigned long long)st.entries, (unsigned long long)st.memory_bytes);
        metrics_dedup_restored(f->metrics, records, secs);
        rc = 0;
out:
        free(end);
        free(done);
        rd_kafka_topic_partition_list_destroy(start);
        return rc;
}

size_t fingerprints_poll(struct fingerprints *f, size_t max) {
        size_t n = 0;
        while (n < max) {
                rd_kafka_message_t *m = rd_kafka_consumer_poll(f->reader, 0);
                if (!m)
                        break;
                if (!m->err) {
                        apply(f, m);
                        n++;
                } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        struct log_ctx ctx = LOG_CTX_NONE;
                        ctx.error = rd_kafka_err2name(m->err);
                        log_ctx_msg(LOG_WARNING, &ctx, "fingerprints: %s", rd_kafka_message_errstr(m));
                }
                rd_kafka_message_destroy(m);
        }
        return n;
}
