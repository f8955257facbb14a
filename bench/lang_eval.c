/* lang_eval: accuracy and speed of the language stage on a labelled set.
 *
 *   lang_eval [-o language.KEY=VALUE]... [--hint label|CODE] [--passes N] FILE.tsv
 *   lang_eval [-o language.KEY=VALUE]... --time FILE [--repeat N]
 *
 * FILE.tsv holds one text per line, `lang<TAB>text`, lang an ISO 639-1 code
 * (bench/lang_dataset.sh builds such sets). Each text is one article body
 * run through the language stage (pipeline/stage_language.c) as configured,
 * defaults unless -o says otherwise; a text counts as right when the
 * detected code is its label ("und" counts as wrong). Printed: accuracy per
 * language and overall (over texts, and the mean of the languages), how
 * often the verdict was "und", reliable, or sampled and how often the
 * reliable and unreliable verdicts were right, the confusion pairs (label →
 * detected), and the speed: texts per second and µs per text of the stage
 * alone, timed around each call on one thread. The set is run N times
 * (default 5): the first pass warms the caches (a running daemon has the
 * detector's tables in cache; a cold first pass pays page faults), the
 * others are timed, and the fastest and the median pass are printed (on a
 * shared machine the fastest is the least disturbed).
 *
 * --hint label gives every text its own label as the input's language (the
 * producer knows); --hint CODE gives every text that code (a producer that
 * is wrong for most texts). Without --hint, no text has a hint.
 *
 * --time FILE runs the stage on the whole of FILE as one body, once to warm
 * up and then in 10 batches of N/10 runs (N default 2000), and prints the
 * mean µs per run of the fastest and of the median batch, and the verdict. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline/stage.h"

#define MAX_LANGS 256
#define MAX_PAIRS 4096
#define TOP_PAIRS 25
#define DEFAULT_REPEAT 2000
#define DEFAULT_PASSES 5
#define TIME_BATCHES 10
#define ARENA_BLOCK (64 * 1024)

struct lang_stats {
        char code[16];
        size_t n, right, und, sampled;
};

struct pair {
        char from[16], to[16];
        size_t n;
};

struct eval {
        struct lang_stats langs[MAX_LANGS];
        size_t n_langs;
        struct pair pairs[MAX_PAIRS];
        size_t n_pairs;
        size_t n, right, und, sampled, reliable, reliable_right, unreliable, unreliable_right;
        size_t bytes;
        double fastest, median;         /* seconds per timed pass */
};

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct lang_stats *lang_stats(struct eval *e, const char *code) {
        for (size_t i = 0; i < e->n_langs; i++)
                if (strcmp(e->langs[i].code, code) == 0)
                        return &e->langs[i];
        if (e->n_langs == MAX_LANGS)
                return NULL;
        struct lang_stats *l = &e->langs[e->n_langs++];
        snprintf(l->code, sizeof(l->code), "%s", code);
        return l;
}

static void count_pair(struct eval *e, const char *from, const char *to) {
        for (size_t i = 0; i < e->n_pairs; i++)
                if (strcmp(e->pairs[i].from, from) == 0 && strcmp(e->pairs[i].to, to) == 0) {
                        e->pairs[i].n++;
                        return;
                }
        if (e->n_pairs == MAX_PAIRS)
                return;
        struct pair *p = &e->pairs[e->n_pairs++];
        snprintf(p->from, sizeof(p->from), "%s", from);
        snprintf(p->to, sizeof(p->to), "%s", to);
        p->n = 1;
}

static int by_code(const void *x, const void *y) {
        return strcmp(((const struct lang_stats *)x)->code, ((const struct lang_stats *)y)->code);
}

static int by_count(const void *x, const void *y) {
        const struct pair *a = x, *b = y;
        return a->n != b->n ? (a->n < b->n ? 1 : -1) : strcmp(a->from, b->from);
}

static int by_value(const void *x, const void *y) {
        double a = *(const double *)x, b = *(const double *)y;
        return a < b ? -1 : a > b;
}

/* Sorts v[0..n) and returns its median. */
static double median(double *v, size_t n) {
        qsort(v, n, sizeof(v[0]), by_value);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double pct(size_t a, size_t b) {
        return b ? 100.0 * (double)a / (double)b : 0.0;
}

/* Runs the stage on one body; returns the seconds it took. */
static double run_one(const struct stage *st, void *state, struct arena *arena, struct article *a, char *body,
                      size_t len, char *hint) {
        arena_reset(arena);
        article_init(a, arena, (const uint8_t *)body, len);
        a->body = body;
        a->body_len = len;
        a->language_hint = hint;
        double t0 = now();
        enum stage_verdict v = st->process(state, a);
        double dt = now() - t0;
        if (v != STAGE_CONTINUE) {
                fprintf(stderr, "lang_eval: the stage rejected a text: %s\n", a->error ? a->error : "?");
                exit(1);
        }
        return dt;
}

static void print_report(struct eval *e, const char *path) {
        qsort(e->langs, e->n_langs, sizeof(e->langs[0]), by_code);
        printf("%s: %zu texts in %zu languages\n\n", path, e->n, e->n_langs);
        printf("| lang | texts | right | accuracy | und | most often taken for |\n");
        printf("|---|---:|---:|---:|---:|---|\n");
        double macro = 0;
        for (size_t i = 0; i < e->n_langs; i++) {
                struct lang_stats *l = &e->langs[i];
                macro += pct(l->right, l->n);
                char worst[64] = "";
                size_t worst_n = 0;
                for (size_t j = 0; j < e->n_pairs; j++)
                        if (strcmp(e->pairs[j].from, l->code) == 0 && e->pairs[j].n > worst_n) {
                                worst_n = e->pairs[j].n;
                                snprintf(worst, sizeof(worst), "%s (%zu)", e->pairs[j].to, worst_n);
                        }
                printf("| %s | %zu | %zu | %.1f %% | %zu | %s |\n", l->code, l->n, l->right, pct(l->right, l->n), l->und,
                       worst);
        }
        printf("\noverall: %.2f %% right (%zu/%zu); mean of the languages %.2f %%\n", pct(e->right, e->n), e->right,
               e->n, e->n_langs ? macro / (double)e->n_langs : 0.0);
        printf("und: %zu (%.1f %%); sampled: %zu (%.1f %%)\n", e->und, pct(e->und, e->n), e->sampled,
               pct(e->sampled, e->n));
        printf("reliable: %zu (%.1f %%), %.2f %% right; not reliable: %zu, %.2f %% right\n", e->reliable,
               pct(e->reliable, e->n), pct(e->reliable_right, e->reliable), e->unreliable,
               pct(e->unreliable_right, e->unreliable));

        qsort(e->pairs, e->n_pairs, sizeof(e->pairs[0]), by_count);
        printf("\nconfusions (label → detected: texts):");
        for (size_t i = 0; i < e->n_pairs && i < TOP_PAIRS; i++)
                printf("%s %s→%s: %zu", i ? "," : "", e->pairs[i].from, e->pairs[i].to, e->pairs[i].n);
        printf("%s\n", e->n_pairs > TOP_PAIRS ? ", …" : "");
        double n = e->n ? (double)e->n : 1.0;
        printf("\nspeed (stage only, one thread, texts of %.0f bytes on average): fastest pass %.0f texts/s, "
               "%.1f µs per text; median pass %.0f texts/s, %.1f µs per text\n",
               (double)e->bytes / n, e->fastest > 0 ? n / e->fastest : 0.0, e->fastest * 1e6 / n,
               e->median > 0 ? n / e->median : 0.0, e->median * 1e6 / n);
}

/* One labelled text of the set. */
struct text {
        char *label, *text;
        size_t len;
};

/* Reads FILE.tsv; returns the number of texts, or -1. *ret_texts and the
 * strings in it are malloc'd. */
static ssize_t read_set(const char *path, struct text **ret_texts) {
        FILE *f = fopen(path, "r");
        if (!f) {
                fprintf(stderr, "lang_eval: %s: %s\n", path, strerror(errno));
                return -1;
        }
        struct text *texts = NULL;
        size_t n = 0, cap_texts = 0;
        char *line = NULL;
        size_t cap = 0;
        ssize_t len;
        while ((len = getline(&line, &cap, f)) > 0) {
                if (line[len - 1] == '\n')
                        line[--len] = '\0';
                char *tab = strchr(line, '\t');
                if (!tab || tab == line || tab[1] == '\0')
                        continue;
                if (n == cap_texts) {
                        cap_texts = cap_texts ? 2 * cap_texts : 1024;
                        struct text *t = realloc(texts, cap_texts * sizeof(*t));
                        if (!t)
                                break;
                        texts = t;
                }
                *tab = '\0';
                texts[n].label = strdup(line);
                texts[n].len = (size_t)len - (size_t)(tab + 1 - line);
                texts[n].text = strdup(tab + 1);
                if (!texts[n].label || !texts[n].text)
                        break;
                n++;
        }
        free(line);
        fclose(f);
        *ret_texts = texts;
        return (ssize_t)n;
}

static int eval_file(const struct stage *st, void *state, struct arena *arena, const char *path, const char *hint,
                     long passes) {
        struct text *texts = NULL;
        ssize_t n_texts = read_set(path, &texts);
        struct eval *e = calloc(1, sizeof(*e));
        double *pass_seconds = calloc((size_t)passes, sizeof(double));
        if (n_texts < 0 || !e || !pass_seconds) {
                free(e);
                free(pass_seconds);
                return 2;
        }
        struct article a;
        for (long p = 0; p < passes; p++)
                for (ssize_t i = 0; i < n_texts; i++) {
                        struct text *t = &texts[i];
                        char *h = hint ? (strcmp(hint, "label") == 0 ? t->label : (char *)hint) : NULL;
                        pass_seconds[p] += run_one(st, state, arena, &a, t->text, t->len, h);
                }
        /* The first pass warms up, unless it is the only one. */
        e->fastest = passes > 1 ? pass_seconds[1] : pass_seconds[0];
        for (long p = 1; p < passes; p++)
                if (pass_seconds[p] < e->fastest)
                        e->fastest = pass_seconds[p];
        e->median = passes > 1 ? median(pass_seconds + 1, (size_t)passes - 1) : pass_seconds[0];
        free(pass_seconds);

        /* The verdicts, which are the same in every pass. */
        for (ssize_t i = 0; i < n_texts; i++) {
                char *label = texts[i].label;
                char *h = hint ? (strcmp(hint, "label") == 0 ? label : (char *)hint) : NULL;
                run_one(st, state, arena, &a, texts[i].text, texts[i].len, h);
                e->bytes += texts[i].len;
                e->n++;
                struct lang_stats *l = lang_stats(e, label);
                if (!l)
                        continue;
                l->n++;
                bool right = strcmp(a.language.code, label) == 0;
                bool und = strcmp(a.language.code, "und") == 0;
                if (right) {
                        l->right++;
                        e->right++;
                } else {
                        count_pair(e, label, a.language.code);
                }
                if (und) {
                        l->und++;
                        e->und++;
                } else if (a.language.reliable) {
                        e->reliable++;
                        e->reliable_right += right;
                } else {
                        e->unreliable++;
                        e->unreliable_right += right;
                }
                if (a.language.sampled)
                        e->sampled++;
        }
        print_report(e, path);
        free(e);
        for (ssize_t i = 0; i < n_texts; i++) {
                free(texts[i].label);
                free(texts[i].text);
        }
        free(texts);
        return 0;
}

static int time_file(const struct stage *st, void *state, struct arena *arena, const char *path, long repeat) {
        FILE *f = fopen(path, "rb");
        if (!f) {
                fprintf(stderr, "lang_eval: %s: %s\n", path, strerror(errno));
                return 2;
        }
        char *body = NULL;
        size_t len = 0;
        FILE *mem = open_memstream(&body, &len);
        char buf[8192];
        size_t n;
        while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
                fwrite(buf, 1, n, mem);
        fclose(f);
        if (!mem || fclose(mem) != 0) {
                free(body);
                return 2;
        }
        struct article a;
        run_one(st, state, arena, &a, body, len, NULL);        /* warm up */
        long per_batch = repeat / TIME_BATCHES > 0 ? repeat / TIME_BATCHES : 1;
        double batch[TIME_BATCHES];
        for (size_t b = 0; b < TIME_BATCHES; b++) {
                double total = 0;
                for (long i = 0; i < per_batch; i++)
                        total += run_one(st, state, arena, &a, body, len, NULL);
                batch[b] = total * 1e6 / (double)per_batch;
        }
        double med = median(batch, TIME_BATCHES);
        printf("%s: %zu bytes, %.1f µs per run (fastest batch), %.1f µs (median batch), %d batches of %ld: "
               "%s, confidence %.2f, %s%s\n",
               path, len, batch[0], med, TIME_BATCHES, per_batch, a.language.code, a.language.confidence,
               a.language.reliable ? "reliable" : "not reliable", a.language.sampled ? ", sampled" : "");
        free(body);
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: lang_eval [-o language.KEY=VALUE]... [--hint label|CODE] [--passes N] FILE.tsv\n"
                        "       lang_eval [-o language.KEY=VALUE]... --time FILE [--repeat N]\n");
        return 2;
}

int main(int argc, char **argv) {
        const struct stage *st = &stage_language;
        const struct config_key *const tables[] = { st->config_keys, NULL };
        struct config *cfg = config_new(tables);
        if (!cfg)
                return 2;
        const char *hint = NULL, *time_path = NULL, *path = NULL;
        long repeat = DEFAULT_REPEAT, passes = DEFAULT_PASSES;
        char *err = NULL;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
                        if (config_load_override(cfg, argv[++i], &err) < 0) {
                                fprintf(stderr, "lang_eval: -o %s: %s\n", argv[i], err ? err : "?");
                                return 2;
                        }
                } else if (strcmp(argv[i], "--hint") == 0 && i + 1 < argc) {
                        hint = argv[++i];
                } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
                        time_path = argv[++i];
                } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
                        repeat = strtol(argv[++i], NULL, 10);
                        if (repeat < 1)
                                return usage();
                } else if (strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
                        passes = strtol(argv[++i], NULL, 10);
                        if (passes < 1)
                                return usage();
                } else if (argv[i][0] != '-' && !path) {
                        path = argv[i];
                } else {
                        return usage();
                }
        }
        if (!path == !time_path)
                return usage();

        void *state = NULL;
        if (st->init(cfg, &state, &err) < 0) {
                fprintf(stderr, "lang_eval: %s\n", err ? err : "cannot start the language stage");
                return 2;
        }
        struct arena *arena = arena_new(ARENA_BLOCK);
        if (!arena)
                return 2;
        int r = path ? eval_file(st, state, arena, path, hint, passes)
                     : time_file(st, state, arena, time_path, repeat);
        arena_free(arena);
        st->fini(state);
        config_free(cfg);
        return r;
}
