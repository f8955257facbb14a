#define SD_JOURNAL_SUPPRESS_LOCATION
#include "log.h"

#include <stdarg.h>
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
        char msg[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);

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
