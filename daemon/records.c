/* A consumed message becomes exactly one record, or none: the enriched
 * record on the output topic, or the message itself on the dead-letter
 * topic, or nothing when the configuration drops it. The delivery mode
 * decides when its offset is committed. */
#include <string.h>
#include <time.h>

#include "deadletter.h"
#include "log.h"
#include "run_state.h"

rd_kafka_resp_err_t records_produce(struct run *r, const char *topic, const void *key, size_t key_len,
                                    const void *value, size_t len, rd_kafka_headers_t *headers, void *opaque) {
        for (;;) {
                rd_kafka_resp_err_t err = rd_kafka_producev(
                        r->producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(key, key_len),
                        RD_KAFKA_V_VALUE((void *)value, len), RD_KAFKA_V_HEADERS(headers),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(opaque), RD_KAFKA_V_END);
                /* A full queue empties as deliveries come back. */
                if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || r->fatal)
                        return err;
                rd_kafka_poll(r->producer, 50);
        }
}

static void dead_letter(struct run *r, const rd_kafka_message_t *m, struct article *a, void *token) {
        const rd_kafka_headers_t *in = NULL;
        if (rd_kafka_message_headers(m, (rd_kafka_headers_t **)&in) != RD_KAFKA_RESP_ERR_NO_ERROR)
                in = NULL;
        struct log_ctx ctx = { .topic = a->source.topic, .partition = a->source.partition, .offset = a->source.offset,
                               .article_id = a->id, .stage = a->error_stage, .error = a->error };
        log_ctx_msg(LOG_NOTICE, &ctx, "dead-lettered: %s", a->error_message ? a->error_message : a->error);

        rd_kafka_headers_t *hdrs = deadletter_headers(in, a, r->instance);
        rd_kafka_resp_err_t err =
                records_produce(r, r->deadletter_topic, m->key, m->key_len, m->payload, m->len, hdrs, token);
        if (err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE) {
                /* Too big for the dead-letter topic as well: send the
                 * headers alone; they point at the original's position. */
                rd_kafka_headers_destroy(hdrs);
                hdrs = deadletter_headers(in, a, r->instance);
                rd_kafka_header_add(hdrs, "ingestd.payload", -1, "omitted: larger than message.max.bytes", -1);
                err = records_produce(r, r->deadletter_topic, m->key, m->key_len, NULL, 0, hdrs, token);
        }
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                log_ctx_msg(LOG_ERR, &ctx, "cannot produce to %s: %s", r->deadletter_topic, rd_kafka_err2str(err));
                r->delivery->record_failed(r, token);
                return;
        }
        metrics_dead_lettered(r->metrics, a->error, a->error_stage);
}

static void publish(struct run *r, const rd_kafka_message_t *m, struct article *a, void *token) {
        rd_kafka_headers_t *in = NULL, *hdrs = NULL;
        if (rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in)
                hdrs = rd_kafka_headers_copy(in);
        rd_kafka_resp_err_t err =
                records_produce(r, r->output_topic, a->id, strlen(a->id), a->json, a->json_len, hdrs, token);
        if (!err) {
                metrics_published(r->metrics);
                if (a->language.code)
                        metrics_language(r->metrics, a->language.code);
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
                dead_letter(r, m, a, token);
                return;
        }
        struct log_ctx ctx = { .topic = a->source.topic, .partition = a->source.partition, .offset = a->source.offset,
                               .article_id = a->id };
        log_ctx_msg(LOG_ERR, &ctx, "cannot produce to %s: %s", r->output_topic, rd_kafka_err2str(err));
        r->delivery->record_failed(r, token);
}

/* Shares the article's dedup fingerprint with the other instances. Its
 * delivery is not tied to the input offset: a lost fingerprint only makes
 * the other instances blind to this article, and a failed delivery is
 * handled like any other (at-least-once stops; exactly-once aborts). */
static void share_fingerprint(struct run *r, const struct article *a) {
        if (!r->fingerprints_topic || !a->fingerprint)
                return;
        rd_kafka_resp_err_t err = records_produce(r, r->fingerprints_topic, a->id, strlen(a->id), a->fingerprint,
                                                  a->fingerprint_len, NULL, NULL);
        if (err) {
                struct log_ctx ctx = { .topic = a->source.topic, .partition = a->source.partition,
                                       .offset = a->source.offset, .article_id = a->id, .error = rd_kafka_err2name(err) };
                log_ctx_msg(LOG_WARNING, &ctx, "cannot share the fingerprint: %s", rd_kafka_err2str(err));
        }
}

/* A duplicate dropped by the configuration: the message itself, copied to
 * the duplicates topic when one is set, with the verdict in its headers. */
static void drop_duplicate(struct run *r, const rd_kafka_message_t *m, struct article *a, void *token) {
        metrics_dropped(r->metrics);
        if (!r->duplicates_topic) {
                r->delivery->no_record(r, token);
                return;
        }
        rd_kafka_headers_t *in = NULL;
        rd_kafka_headers_t *hdrs = rd_kafka_message_headers(m, &in) == RD_KAFKA_RESP_ERR_NO_ERROR && in
                                           ? rd_kafka_headers_copy(in)
                                           : rd_kafka_headers_new(4);
        rd_kafka_header_add(hdrs, "ingestd.dedup.status", -1,
                            a->dedup.status == DEDUP_NEAR_DUPLICATE ? "near_duplicate" : "duplicate", -1);
        if (a->dedup.duplicate_of)
                rd_kafka_header_add(hdrs, "ingestd.dedup.duplicate_of", -1, a->dedup.duplicate_of, -1);
        rd_kafka_header_add(hdrs, "ingestd.id", -1, a->id, -1);
        rd_kafka_resp_err_t err =
                records_produce(r, r->duplicates_topic, m->key, m->key_len, m->payload, m->len, hdrs, token);
        if (err) {
                rd_kafka_headers_destroy(hdrs);
                log_error("cannot produce to %s: %s", r->duplicates_topic, rd_kafka_err2str(err));
                r->delivery->record_failed(r, token);
        }
}

void records_handle_message(struct run *r, const rd_kafka_message_t *m) {
        void *token = r->delivery->begin(r, m);
        if (r->fatal)
                return;
        metrics_consumed(r->metrics);

        arena_reset(r->arena);
        struct article a;
        article_init(&a, r->arena, m->payload, m->payload ? m->len : 0);
        rd_kafka_timestamp_type_t tstype;
        a.source.topic = rd_kafka_topic_name(m->rkt);
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
        if (a.has_dedup && a.dedup.status != DEDUP_UNIQUE && !a.dedup.replay)
                metrics_duplicate(r->metrics, a.dedup.status == DEDUP_NEAR_DUPLICATE ? "near" : "exact");
        if (verdict != STAGE_REJECT)
                share_fingerprint(r, &a);
        switch (verdict) {
        case STAGE_CONTINUE:
                publish(r, m, &a, token);
                break;
        case STAGE_DROP:
                drop_duplicate(r, m, &a, token);
                break;
        case STAGE_REJECT:
                dead_letter(r, m, &a, token);
                break;
        }
}
