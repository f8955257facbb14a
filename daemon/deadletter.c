#include "deadletter.h"

#include <stdio.h>
#include <string.h>

#include "pipeline/article.h"
#include "version.h"

static void add(rd_kafka_headers_t *h, const char *name, const char *value) {
        if (value)
                rd_kafka_header_add(h, name, -1, value, -1);
}

rd_kafka_headers_t *deadletter_headers(const rd_kafka_headers_t *input, const struct article *a,
                                       const char *instance) {
        rd_kafka_headers_t *h = input ? rd_kafka_headers_copy(input) : rd_kafka_headers_new(8);
        add(h, "ingestd.error", a->error ? a->error : "internal");
        add(h, "ingestd.error.message", a->error_message);
        add(h, "ingestd.stage", a->error_stage);
        add(h, "ingestd.source.topic", a->source.topic);
        char buf[32];
        snprintf(buf, sizeof(buf), "%d", a->source.partition);
        add(h, "ingestd.source.partition", buf);
        snprintf(buf, sizeof(buf), "%lld", (long long)a->source.offset);
        add(h, "ingestd.source.offset", buf);
        if (a->source.timestamp_ms >= 0) {
                snprintf(buf, sizeof(buf), "%lld", (long long)a->source.timestamp_ms);
                add(h, "ingestd.source.timestamp", buf);
        }
        add(h, "ingestd.instance", instance);
        add(h, "ingestd.version", INGESTD_VERSION);
        return h;
}
