/* Logging: one logfmt line per event on stderr, or native journal fields
 * when stderr is connected to the journal ($JOURNAL_STREAM).
 *
 * Levels are syslog priorities (LOG_ERR … LOG_DEBUG). Context fields (topic,
 * partition, offset, article id, stage, error) go in a struct log_ctx; they
 * become INGESTD_TOPIC=… journal fields or topic=… logfmt pairs. Article
 * bodies are never logged. */
#pragma once

#include <stdint.h>
#include <syslog.h>

struct log_ctx {
        const char *topic;
        int32_t partition;       /* -1: none */
        int64_t offset;          /* -1: none */
        const char *article_id;
        const char *stage;
        const char *error;
};

#define LOG_CTX_NONE { .partition = -1, .offset = -1 }

void log_init(void);
void log_set_level(int level);
int log_get_level(void);
/* At most `burst` messages of one kind per interval (see log.c). */
void log_set_rate_limit(unsigned burst, int64_t interval_ms);
/* "debug", "info", "notice", "warning", "error" → priority, or -1. */
int log_level_from_string(const char *s);

void log_ctx_msg(int level, const struct log_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define log_error(...)   log_ctx_msg(LOG_ERR, NULL, __VA_ARGS__)
#define log_warning(...) log_ctx_msg(LOG_WARNING, NULL, __VA_ARGS__)
#define log_notice(...)  log_ctx_msg(LOG_NOTICE, NULL, __VA_ARGS__)
#define log_info(...)    log_ctx_msg(LOG_INFO, NULL, __VA_ARGS__)
#define log_debug(...)   log_ctx_msg(LOG_DEBUG, NULL, __VA_ARGS__)
