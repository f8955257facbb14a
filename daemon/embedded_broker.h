/* The embedded broker: librdkafka's in-process mock cluster, for the demo
 * and for trying ingestd without Kafka. It implements enough of the protocol
 * for producing, consuming and consumer groups; not transactions. */
#pragma once

#include "config/config.h"

struct embedded_broker;

/* Starts a one-broker mock cluster, creates the configured topics, points
 * kafka.bootstrap.servers at it and prints "bootstrap: HOST:PORT" on stderr.
 * Returns NULL after logging on failure. */
struct embedded_broker *embedded_broker_start(struct config *cfg);
void embedded_broker_stop(struct embedded_broker *b);
