/*
 * mockfault — librdkafka's mock cluster as a stand-alone broker whose faults
 * a test script drives. Test helper for ingestd; not part of the daemon.
 *
 *   mockfault [-n BROKERS] TOPIC:PARTITIONS...
 *
 * Prints "bootstrap: HOST:PORT", then reads commands on stdin, one per
 * line, answering "ok" or "error: …" for each:
 *   errors APIKEY COUNT ERRNAME   the next COUNT requests of that Kafka API
 *                                 (0 Produce, 22 InitProducerId,
 *                                 24 AddPartitionsToTxn, 26 EndTxn,
 *                                 28 TxnOffsetCommit) fail with ERRNAME
 *                                 (librdkafka's name, e.g. NOT_ENOUGH_REPLICAS)
 *   down BROKER | up BROKER       a broker stops or starts accepting connections
 *   rtt BROKER MS                 a broker answers MS milliseconds late
 *   quit
 * Exits when stdin closes.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int err_by_name(const char *name, rd_kafka_resp_err_t *ret) {
        const struct rd_kafka_err_desc *descs;
        size_t n;
        rd_kafka_get_err_descs(&descs, &n);
        for (size_t i = 0; i < n; i++)
                if (descs[i].name && strcmp(descs[i].name, name) == 0) {
                        *ret = descs[i].code;
                        return 0;
                }
        return -1;
}

int main(int argc, char **argv) {
        int brokers = 1, opt;
        while ((opt = getopt(argc, argv, "n:")) != -1) {
                if (opt == 'n')
                        brokers = atoi(optarg);
                else {
                        fprintf(stderr, "usage: mockfault [-n BROKERS] TOPIC:PARTITIONS...\n");
                        return 2;
                }
        }
        char errstr[512];
        rd_kafka_conf_t *conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof(errstr));
        rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
        if (!rk) {
                fprintf(stderr, "mockfault: %s\n", errstr);
                return 1;
        }
        rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
        if (!mc) {
                fprintf(stderr, "mockfault: cannot create the mock cluster\n");
                return 1;
        }
        for (int i = optind; i < argc; i++) {
                char *colon = strrchr(argv[i], ':');
                int parts = colon ? atoi(colon + 1) : 1;
                if (colon)
                        *colon = '\0';
                rd_kafka_mock_topic_create(mc, argv[i], parts, 1);
        }
        printf("bootstrap: %s\n", rd_kafka_mock_cluster_bootstraps(mc));
        fflush(stdout);

        char line[512];
        while (fgets(line, sizeof(line), stdin)) {
                char cmd[32] = "", name[128] = "";
                int a = 0, b = 0;
                int n = sscanf(line, "%31s %d %d %127s", cmd, &a, &b, name);
                rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR, code;
                if (n >= 1 && strcmp(cmd, "quit") == 0)
                        break;
                if (n == 4 && strcmp(cmd, "errors") == 0) {
                        if (err_by_name(name, &code) < 0) {
                                printf("error: unknown error name %s\n", name);
                                fflush(stdout);
                                continue;
                        }
                        for (int i = 0; i < b; i++)
                                rd_kafka_mock_push_request_errors(mc, (int16_t)a, 1, code);
                } else if (n >= 2 && strcmp(cmd, "down") == 0) {
                        err = rd_kafka_mock_broker_set_down(mc, a);
                } else if (n >= 2 && strcmp(cmd, "up") == 0) {
                        err = rd_kafka_mock_broker_set_up(mc, a);
                } else if (n >= 3 && strcmp(cmd, "rtt") == 0) {
                        err = rd_kafka_mock_broker_set_rtt(mc, a, b);
                } else {
                        printf("error: cannot parse: %s", line);
                        fflush(stdout);
                        continue;
                }
                if (err)
                        printf("error: %s\n", rd_kafka_err2str(err));
                else
                        printf("ok\n");
                fflush(stdout);
        }
        rd_kafka_mock_cluster_destroy(mc);
        rd_kafka_destroy(rk);
        return 0;
}
