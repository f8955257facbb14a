#define SD_JOURNAL_SUPPRESS_LOCATION
#include "log.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

static int max_level = LOG_INFO;
static bool to_journal;

/* Rate limiting: messages of one kind (the same error code, else the same
 * format string) beyond `burst` per interval are counted, not written; the
 * next one after the interval says how many were suppressed. */
#define RATE_SLOTS 64
static struct rate_slot {
        const void *key;
        int64_t window_start_ms;
        unsigned count;
        unsigned suppressed;
} rate_slots[RATE_SLOTS];
static unsigned rate_burst = 20;
static int64_t rate_interval_ms = 10000;

void log_set_rate_limit(unsigned burst, int64_t interval_ms) {
        rate_burst = burst;
        rate_interval_ms = interval_ms;
}

static int64_t mono_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Returns false when the message is to be suppressed; *ret_suppressed gets
 * the number suppressed before this one, to be reported with it. */
static bool rate_allow(const void *key, unsigned *ret_suppressed) {
        *ret_suppressed = 0;
        struct rate_slot *slot = &rate_slots[((uintptr_t)key >> 4) % RATE_SLOTS];
        int64_t now = mono_ms();
        if (slot->key != key || now - slot->window_start_ms >= rate_interval_ms) {
                if (slot->key == key)
                        *ret_suppressed = slot->suppressed;
                slot->key = key;
                slot->window_start_ms = now;
                slot->count = 0;
                slot->suppressed = 0;
        }
        if (++slot->count > rate_burst) {
                slot->suppressed++;
                return false;
        }
        return true;
}

static const char *const level_names[] = {
        [LOG_EMERG] = "emerg", [LOG_ALERT] = "alert",     [LOG_CRIT] = "crit", [LOG_ERR] = "error",
        [LOG_WARNING] = "warning", [LOG_NOTICE] = "notice", [LOG_INFO] = "info", [LOG_DEBUG] = "debug",
};

/* stderr is the journal when $JOURNAL_STREAM names its device and inode. */
void log_init(void) {
        const char *js = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;
        to_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
                     (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_set_level(int level) {
        max_level = level;
}

int log_get_level(void) {
        return max_level;
}

int log_level_from_string(const char *s) {
        for (int i = LOG_ERR; i <= LOG_DEBUG; i++)
                if (strcmp(s, level_names[i]) == 0)
                        return i;
        return -1;
}

/* logfmt: quote a value when it has spaces, quotes, '=' or controls. */
static void put_value(FILE *f, const char *v) {
        bool quote = !*v;
        for (const char *p = v; *p && !quote; p++)
                quote = *p == ' ' || *p == '"' || *p == '=' || (unsigned char)*p < 0x20;
        if (!quote) {
                fputs(v, f);
                return;
        }
        fputc('"', f);
        for (const char *p = v; *p; p++) {
                if (*p == '"' || *p == '\\')
                        fprintf(f, "\\%c", *p);
                else if (*p == '\n')
                        fputs("\\n", f);
                else if ((unsigned char)*p < 0x20)
                        fprintf(f, "\\x%02x", (unsigned char)*p);
                else
                        fputc(*p, f);
        }
        fputc('"', f);
}

void log_ctx_msg(int level, const struct log_ctx *ctx, const char *fmt, ...) {
        if (level > max_level)
                return;
        unsigned suppressed = 0;
        if (level < LOG_DEBUG && !rate_allow(ctx && ctx->error ? (const void *)ctx->error : fmt, &suppressed))
                return;
        char msg[2048];
        va_list ap;
        va_start(ap, fmt);
        int written = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (suppressed && written >= 0 && (size_t)written < sizeof(msg))
                snprintf(msg + written, sizeof(msg) - (size_t)written, " (%u similar messages suppressed)", suppressed);

        if (to_journal) {
                char f[7][512];
                struct iovec iov[9];
                int n = 0;
                char prio[32], message[2100];
                snprintf(prio, sizeof(prio), "PRIORITY=%d", level);
                snprintf(message, sizeof(message), "MESSAGE=%s", msg);
                iov[n++] = (struct iovec){ prio, strlen(prio) };
                iov[n++] = (struct iovec){ message, strlen(message) };
                int k = 0;
                if (ctx) {
                        if (ctx->topic)
                                snprintf(f[k++], 512, "INGESTD_TOPIC=%s", ctx->topic);
                        if (ctx->partition >= 0)
                                snprintf(f[k++], 512, "INGESTD_PARTITION=%d", ctx->partition);
                        if (ctx->offset >= 0)
                                snprintf(f[k++], 512, "INGESTD_OFFSET=%lld", (long long)ctx->offset);
                        if (ctx->article_id)
                                snprintf(f[k++], 512, "INGESTD_ARTICLE_ID=%s", ctx->article_id);
                        if (ctx->stage)
                                snprintf(f[k++], 512, "INGESTD_STAGE=%s", ctx->stage);
                        if (ctx->error)
                                snprintf(f[k++], 512, "INGESTD_ERROR=%s", ctx->error);
                }
                for (int i = 0; i < k; i++)
                        iov[n++] = (struct iovec){ f[i], strlen(f[i]) };
                sd_journal_sendv(iov, n);
                return;
        }

        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        struct tm tm;
        gmtime_r(&ts.tv_sec, &tm);
        char when[40];
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);

        flockfile(stderr);
        fprintf(stderr, "ts=%s.%03ldZ level=%s msg=", when, ts.tv_nsec / 1000000, level_names[level]);
        put_value(stderr, msg);
        if (ctx) {
                if (ctx->topic) {
                        fputs(" topic=", stderr);
                        put_value(stderr, ctx->topic);
                }
                if (ctx->partition >= 0)
                        fprintf(stderr, " partition=%d", ctx->partition);
                if (ctx->offset >= 0)
                        fprintf(stderr, " offset=%lld", (long long)ctx->offset);
                if (ctx->article_id) {
                        fputs(" article_id=", stderr);
                        put_value(stderr, ctx->article_id);
                }
                if (ctx->stage)
                        fprintf(stderr, " stage=%s", ctx->stage);
                if (ctx->error) {
                        fputs(" error=", stderr);
                        put_value(stderr, ctx->error);
                }
        }
        fputc('\n', stderr);
        funlockfile(stderr);
}
