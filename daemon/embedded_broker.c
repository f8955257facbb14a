#include "embedded_broker.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

struct embedded_broker {
        rd_kafka_t *rk;                 /* the handle the mock cluster lives in */
        rd_kafka_mock_cluster_t *cluster;
};

static void create_topics(struct embedded_broker *b, const char *list, int partitions) {
        char *copy = strdup(list), *save = NULL;
        if (!copy)
                return;
        for (char *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
                rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(b->cluster, t, partitions, 1);
                if (err)
                        log_warning("embedded broker: cannot create topic %s: %s", t, rd_kafka_err2str(err));
        }
        free(copy);
}

struct embedded_broker *embedded_broker_start(struct config *cfg) {
        struct embedded_broker *b = calloc(1, sizeof(*b));
        if (!b)
                return NULL;
        char err[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "client.id", "ingestd-embedded-broker", err, sizeof(err));
        /* This handle only hosts the cluster and never connects anywhere:
         * keep its "no bootstrap.servers" warning out of the log. */
        rd_kafka_conf_set(conf, "log_level", "3", err, sizeof(err));
        b->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
        if (!b->rk) {
                log_error("embedded broker: %s", err);
                free(b);
                return NULL;
        }
        b->cluster = rd_kafka_mock_cluster_new(b->rk, 1);
        if (!b->cluster) {
                log_error("embedded broker: cannot start librdkafka's mock cluster");
                rd_kafka_destroy(b->rk);
                free(b);
                return NULL;
        }
        int partitions = (int)config_get_int(cfg, "run", "embedded_partitions");
        create_topics(b, config_get_string(cfg, "topics", "input"), partitions);
        create_topics(b, config_get_string(cfg, "topics", "output"), partitions);
        create_topics(b, config_get_string(cfg, "topics", "deadletter"), partitions);
        create_topics(b, config_get_string(cfg, "topics", "fingerprints"), partitions);
        create_topics(b, config_get_string(cfg, "dedup", "duplicates_topic"), partitions);

        const char *bootstraps = rd_kafka_mock_cluster_bootstraps(b->cluster);
        config_set(cfg, "kafka", "bootstrap.servers", bootstraps, "embedded broker", NULL);
        fprintf(stderr, "bootstrap: %s\n", bootstraps);
        fflush(stderr);
        return b;
}

void embedded_broker_stop(struct embedded_broker *b) {
        if (!b)
                return;
        rd_kafka_mock_cluster_destroy(b->cluster);
        rd_kafka_destroy(b->rk);
        free(b);
}
