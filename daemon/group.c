/* The consumer group: subscription, cooperative-sticky rebalancing and a
 * clean exit from the group. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "run_state.h"

static void log_partitions(const char *what, const rd_kafka_topic_partition_list_t *parts) {
        char buf[1024];
        size_t o = 0;
        buf[0] = '\0';
        for (int i = 0; i < parts->cnt && o < sizeof(buf) - 64; i++)
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%s[%d]", i ? "," : "", parts->elems[i].topic,
                                      parts->elems[i].partition);
        log_info("%s %d partition(s): %s", what, parts->cnt, buf);
}

/* Incremental (cooperative) assignment when the group runs the cooperative
 * protocol, the eager calls otherwise. Before partitions go, the delivery
 * mode finishes and commits what is in flight for them. */
void group_rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *parts,
                        void *opaque) {
        struct run *r = opaque;
        bool cooperative = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
        rd_kafka_error_t *error = NULL;
        metrics_rebalance(r->metrics);

        if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
                log_partitions("assigned", parts);
                if (cooperative)
                        error = rd_kafka_incremental_assign(rk, parts);
                else
                        rd_kafka_assign(rk, parts);
                r->assigned = cooperative ? r->assigned + parts->cnt : parts->cnt;
        } else {
                bool lost = rd_kafka_assignment_lost(rk);
                log_partitions(lost ? "lost" : "revoked", parts);
                r->delivery->revoke(r, parts, lost);
                if (cooperative)
                        error = rd_kafka_incremental_unassign(rk, parts);
                else
                        rd_kafka_assign(rk, NULL);
                r->assigned = cooperative ? r->assigned - parts->cnt : 0;
        }
        metrics_set_assigned(r->metrics, r->assigned);
        if (error) {
                log_error("incremental rebalance failed: %s", rd_kafka_error_string(error));
                rd_kafka_error_destroy(error);
                r->fatal = true;
        }
}

int group_subscribe(struct run *r) {
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
                return -1;
        }
        log_info("subscribed to %s as group %s", list, config_get_string(r->cfg, "kafka.consumer", "group.id"));
        return 0;
}

/* Leaves the group cleanly: unsubscribe (the revoke callback finishes and
 * commits), wait for the assignment to empty, then close. Closing with
 * partitions still assigned can hang in librdkafka 2.0.2 after a lost
 * assignment or an assignment arriving during close. */
void group_leave(struct run *r) {
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
                 * offsets are never committed, so the next owner gets them. */
                rd_kafka_message_t *m = rd_kafka_consumer_poll(r->consumer, 100);
                if (m)
                        rd_kafka_message_destroy(m);
                rd_kafka_poll(r->producer, 0);
        }
        rd_kafka_resp_err_t err = rd_kafka_consumer_close(r->consumer);
        if (err)
                log_warning("consumer close: %s", rd_kafka_err2str(err));
}
