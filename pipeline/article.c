#include "article.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "stage.h"

void article_init(struct article *a, struct arena *arena, const uint8_t *raw, size_t raw_len) {
        memset(a, 0, sizeof(*a));
        a->arena = arena;
        a->raw = raw;
        a->raw_len = raw_len;
        a->source.partition = -1;
        a->source.offset = -1;
        a->source.timestamp_ms = -1;
}

int article_reject(struct article *a, const char *code, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        a->error = code;
        a->error_message = arena_strdup(a->arena, buf);
        if (!a->error_message)
                a->error_message = code;
        return STAGE_REJECT;
}
