/* librdkafka configuration from the [kafka], [kafka.consumer] and
 * [kafka.producer] sections, on top of the properties ingestd needs for its
 * delivery guarantees (which the user cannot switch off by mistake: setting
 * one of them to another value is an error). */
#pragma once

#include <librdkafka/rdkafka.h>
#include <stdbool.h>

#include "config/config.h"

enum kafka_role { KAFKA_CONSUMER, KAFKA_PRODUCER };

/* Returns a new conf, or NULL after logging which key librdkafka refused.
 * With exactly_once, the producer is transactional (transactional.id from
 * delivery.transactional_id, else "ingestd-<instance>") and the consumer
 * reads committed records and leaves offset commits to the transactions. */
rd_kafka_conf_t *kafka_conf_new(const struct config *cfg, enum kafka_role role, bool exactly_once);

/* A consumer that reads a topic outside the consumer group (assigning its
 * partitions itself, never committing), read_committed, with [kafka]'s
 * connection settings; for the fingerprints topic. */
rd_kafka_conf_t *kafka_conf_new_reader(const struct config *cfg, const char *purpose);

/* Checks every passthrough key against librdkafka (for check-config);
 * returns 0 or -EINVAL after printing each problem to stderr. */
int kafka_conf_check(const struct config *cfg);
