/* A file whose first non-blank character is '{' holds JSON lines, one
 * article per line; any other file is one plain-text article, or several
 * when enrich.text_separator is set (a line equal to it separates them).
 * Records come out in input order; rejected articles are reported on stderr
 * as "FILE:LINE: stage: code: message". */
#include "enrich.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline.h"

struct enrich {
        struct pipeline *pipeline;
        struct arena *arena;
        const char *separator;
        size_t ok, rejected, dropped;
};

static int read_all(FILE *f, char **ret_buf, size_t *ret_len) {
        size_t cap = 1 << 16, len = 0;
        char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                if (len == cap) {
                        char *nb = realloc(buf, cap * 2);
                        if (!nb) {
                                free(buf);
                                return -ENOMEM;
                        }
                        buf = nb;
                        cap *= 2;
                }
                size_t n = fread(buf + len, 1, cap - len, f);
                len += n;
                if (n == 0) {
                        if (ferror(f)) {
                                free(buf);
                                return -EIO;
                        }
                        break;
                }
        }
        *ret_buf = buf;
        *ret_len = len;
        return 0;
}

static void one(struct enrich *e, const char *name, size_t line, const char *data, size_t len) {
        char position[4096];
        snprintf(position, sizeof(position), "%s:%zu", name, line);
        arena_reset(e->arena);
        struct article a;
        article_init(&a, e->arena, (const uint8_t *)data, len);
        a.source.position = position;
        switch (pipeline_process(e->pipeline, &a)) {
        case STAGE_CONTINUE:
                fwrite(a.json, 1, a.json_len, stdout);
                fputc('\n', stdout);
                e->ok++;
                break;
        case STAGE_DROP:
                e->dropped++;
                break;
        case STAGE_REJECT:
                fprintf(stderr, "%s: %s: %s: %s\n", position, a.error_stage, a.error,
                        a.error_message ? a.error_message : "");
                e->rejected++;
                break;
        }
}

static bool is_json_lines(const char *buf, size_t len) {
        size_t i = 0;
        if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
                i = 3;
        while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
                i++;
        return i < len && buf[i] == '{';
}

static void process_buffer(struct enrich *e, const char *name, const char *buf, size_t len) {
        if (is_json_lines(buf, len)) {
                size_t line = 1;
                const char *p = buf, *end = buf + len;
                while (p < end) {
                        const char *nl = memchr(p, '\n', (size_t)(end - p));
                        const char *le = nl ? nl : end;
                        size_t l = (size_t)(le - p);
                        if (l && p[l - 1] == '\r')
                                l--;
                        bool blank = true;
                        for (size_t i = 0; i < l && blank; i++)
                                blank = p[i] == ' ' || p[i] == '\t';
                        if (!blank)
                                one(e, name, line, p, l);
                        line++;
                        p = nl ? nl + 1 : end;
                }
                return;
        }
        size_t sep_len = strlen(e->separator);
        if (sep_len == 0) {
                one(e, name, 1, buf, len);
                return;
        }
        /* Split at lines equal to the separator. */
        const char *start = buf, *p = buf, *end = buf + len;
        size_t line = 1, start_line = 1;
        while (p <= end) {
                const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : NULL;
                const char *le = nl ? nl : end;
                size_t l = (size_t)(le - p);
                if (l && p[l - 1] == '\r')
                        l--;
                if (l == sep_len && memcmp(p, e->separator, l) == 0) {
                        if (p > start)
                                one(e, name, start_line, start, (size_t)(p - start));
                        start = nl ? nl + 1 : end;
                        start_line = line + 1;
                }
                line++;
                if (!nl)
                        break;
                p = nl + 1;
        }
        if (start < end)
                one(e, name, start_line, start, (size_t)(end - start));
}

int enrich_files(const struct config *cfg, char *const *files, size_t n_files) {
        char *err = NULL;
        struct enrich e = { .separator = config_get_string(cfg, "enrich", "text_separator") };
        e.pipeline = pipeline_new(cfg, &err);
        if (!e.pipeline) {
                fprintf(stderr, "ingestd: %s\n", err ? err : "cannot build the pipeline");
                free(err);
                return 2;
        }
        e.arena = arena_new(64 * 1024);
        if (!e.arena) {
                pipeline_free(e.pipeline);
                return 2;
        }
        int status = 0;
        static char *const stdin_only[] = { "-" };
        if (n_files == 0) {
                files = stdin_only;
                n_files = 1;
        }
        for (size_t i = 0; i < n_files; i++) {
                bool is_stdin = strcmp(files[i], "-") == 0;
                FILE *f = is_stdin ? stdin : fopen(files[i], "re");
                if (!f) {
                        fprintf(stderr, "ingestd: %s: %s\n", files[i], strerror(errno));
                        status = 2;
                        continue;
                }
                char *buf = NULL;
                size_t len = 0;
                int r = read_all(f, &buf, &len);
                if (!is_stdin)
                        fclose(f);
                if (r < 0) {
                        fprintf(stderr, "ingestd: %s: %s\n", files[i], strerror(-r));
                        status = 2;
                        continue;
                }
                process_buffer(&e, is_stdin ? "<stdin>" : files[i], buf, len);
                free(buf);
        }
        fflush(stdout);
        if (e.rejected)
                fprintf(stderr, "ingestd: %zu article(s) enriched, %zu rejected, %zu dropped\n", e.ok, e.rejected,
                        e.dropped);
        if (status == 0 && e.rejected)
                status = 1;
        arena_free(e.arena);
        pipeline_free(e.pipeline);
        return status;
}
