/* Dead-letter records: the input message unchanged (value, key, headers),
 * plus headers that say what went wrong and where it came from:
 *
 *   ingestd.error          short code, e.g. malformed_json
 *   ingestd.error.message  one line for humans
 *   ingestd.stage          the stage that rejected it
 *   ingestd.source.topic / .partition / .offset / .timestamp
 *   ingestd.instance, ingestd.version
 */
#pragma once

#include <librdkafka/rdkafka.h>

struct article;

/* Builds the header list for a rejected message: a copy of the input's
 * headers (may be NULL) with the ingestd.* headers appended. */
rd_kafka_headers_t *deadletter_headers(const rd_kafka_headers_t *input, const struct article *a,
                                       const char *instance);
