/* Accuracy and cost of the clean and metadata stages.
 *
 *   metadata_eval [-v] [-o SECTION.KEY=VALUE]... [FILE]
 *       runs every article of FILE (default bench/metadata/articles.txt, its
 *       format in bench/metadata/README.md) through the whole pipeline and
 *       prints precision, recall and F1 per field, over all articles and per
 *       language; -v lists every miss and every false hit.
 *   metadata_eval [-o …]... --time FILE [--repeat N]
 *       runs one plain-text article N times (default 2000) and prints the
 *       mean microseconds per article of the clean and metadata stages (the
 *       pipeline's own per-stage timing), best of 5 batches.
 *
 * Scoring: people, organizations and locations as sets of names (an
 * annotation "A / B" accepts either; names compare case-insensitively, and
 * Cyrillic and Greek words by stem, since the stage merges case forms).
 * Quotations by speaker: an annotated quotation is found when a quotation
 * of the output starts with its first words; a found quotation with the
 * right speaker is a hit, with a wrong or no speaker a miss (and a wrong
 * speaker a false hit too); a speaker given to a quotation that is not
 * annotated is a false hit. Dates as sets of values. published_at: the
 * share of articles whose annotated date the record has. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon/settings.h"
#include "pipeline/metadata/metadata.h"
#include "pipeline/pipeline.h"

#define MAX_ITEMS 64
#define ARENA_BLOCK (256 * 1024)
#define DEFAULT_REPEAT 2000
#define TIME_BATCHES 5

enum field { F_PEOPLE, F_ORGS, F_LOCATIONS, F_SPEAKERS, F_DATES, N_FIELDS };
static const char *const field_names[N_FIELDS] = { "people", "organizations", "locations", "quote speakers",
                                                   "dates" };

struct item {
        char *text;     /* for quotes: "Speaker: first words" */
};

struct sample {
        char *id;
        char lang[8];
        struct item fields[N_FIELDS][MAX_ITEMS];
        size_t n[N_FIELDS];
        char *published_at;
        char *raw;
        size_t raw_len;
};

struct score {
        unsigned tp, fp, fn;
};

static char *trim(char *s) {
        while (*s == ' ' || *s == '\t')
                s++;
        size_t n = strlen(s);
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
                s[--n] = '\0';
        return s;
}

static int field_of(const char *name) {
        static const char *const keys[N_FIELDS] = { "people", "organizations", "locations", "quotes", "dates" };
        for (int i = 0; i < N_FIELDS; i++)
                if (strcmp(keys[i], name) == 0)
                        return i;
        return -1;
}

/* Reads the samples of FILE; returns their number or -1. */
static long read_samples(const char *path, struct sample **ret) {
        FILE *fp = fopen(path, "r");
        if (!fp) {
                fprintf(stderr, "metadata_eval: %s: %s\n", path, strerror(errno));
                return -1;
        }
        struct sample *s = NULL;
        long n = 0, cap = 0;
        char *line = NULL;
        size_t lcap = 0;
        ssize_t len;
        enum { NONE, HEAD, BODY } state = NONE;
        size_t body_cap = 0;
        while ((len = getline(&line, &lcap, fp)) >= 0) {
                if (strncmp(line, "=== ", 4) == 0) {
                        if (n == cap) {
                                cap = cap ? cap * 2 : 64;
                                s = realloc(s, (size_t)cap * sizeof(*s));
                                if (!s)
                                        return -1;
                        }
                        memset(&s[n], 0, sizeof(s[n]));
                        s[n].id = strdup(trim(line + 4));
                        snprintf(s[n].lang, sizeof(s[n].lang), "%.*s", (int)strcspn(s[n].id, "-"), s[n].id);
                        n++;
                        state = HEAD;
                        body_cap = 0;
                        continue;
                }
                if (state == HEAD) {
                        if (strncmp(line, "---", 3) == 0) {
                                state = BODY;
                                continue;
                        }
                        char *colon = strchr(line, ':');
                        if (!colon)
                                continue;
                        *colon = '\0';
                        const char *key = trim(line);
                        char *value = trim(colon + 1);
                        if (strcmp(key, "published_at") == 0) {
                                s[n - 1].published_at = strdup(value);
                                continue;
                        }
                        int f = field_of(key);
                        if (f < 0)
                                continue;
                        for (char *tok = strtok(value, "|"); tok; tok = strtok(NULL, "|")) {
                                tok = trim(tok);
                                if (*tok && s[n - 1].n[f] < MAX_ITEMS)
                                        s[n - 1].fields[f][s[n - 1].n[f]++].text = strdup(tok);
                        }
                        continue;
                }
                if (state == BODY) {
                        struct sample *c = &s[n - 1];
                        if (c->raw_len + (size_t)len + 1 > body_cap) {
                                body_cap = (c->raw_len + (size_t)len + 1) * 2;
                                c->raw = realloc(c->raw, body_cap);
                                if (!c->raw)
                                        return -1;
                        }
                        memcpy(c->raw + c->raw_len, line, (size_t)len);
                        c->raw_len += (size_t)len;
                        c->raw[c->raw_len] = '\0';
                }
        }
        free(line);
        fclose(fp);
        /* The blank line before the next "===" is not part of the article. */
        for (long i = 0; i < n; i++)
                while (s[i].raw_len && s[i].raw[s[i].raw_len - 1] == '\n')
                        s[i].raw[--s[i].raw_len] = '\0';
        *ret = s;
        return n;
}

/* The comparison form of a name: lower case, Cyrillic and Greek words stemmed. */
static void name_key(const char *name, char *out, size_t cap) {
        char low[1024];
        size_t n = strlen(name);
        if (n * 2 + 1 > sizeof(low) || n * 2 + 1 > cap) {
                snprintf(out, cap, "%s", name);
                return;
        }
        md_lower(name, n, low);
        size_t o = 0;
        for (char *w = low; *w;) {
                size_t e = strcspn(w, " ");
                memcpy(out + o, w, e);
                o += md_stem(out + o, e);
                w += e;
                if (*w == ' ') {
                        out[o++] = ' ';
                        w++;
                }
        }
        out[o] = '\0';
}

/* Whether the output name matches the annotation "A / B / …". */
static bool name_matches(const char *annotation, const char *got) {
        char want[1024], key_got[1024], key_want[1024];
        snprintf(want, sizeof(want), "%s", annotation);
        name_key(got, key_got, sizeof(key_got));
        for (char *alt = strtok(want, "/"); alt; alt = strtok(NULL, "/")) {
                name_key(trim(alt), key_want, sizeof(key_want));
                if (strcmp(key_want, key_got) == 0)
                        return true;
        }
        return false;
}

static void score_names(const struct sample *s, enum field f, const struct article_entity *e, size_t n,
                        struct score *sc, bool verbose) {
        bool used[MAX_ITEMS] = { 0 };
        for (size_t i = 0; i < n; i++) {
                bool hit = false;
                for (size_t k = 0; k < s->n[f] && !hit; k++) {
                        if (!used[k] && name_matches(s->fields[f][k].text, e[i].name)) {
                                used[k] = true;
                                hit = true;
                        }
                }
                if (hit) {
                        sc->tp++;
                } else {
                        sc->fp++;
                        if (verbose)
                                printf("  %s %s: false hit \"%s\"\n", s->id, field_names[f], e[i].name);
                }
        }
        for (size_t k = 0; k < s->n[f]; k++) {
                if (!used[k]) {
                        sc->fn++;
                        if (verbose)
                                printf("  %s %s: missed \"%s\"\n", s->id, field_names[f], s->fields[f][k].text);
                }
        }
}

static void score_speakers(const struct sample *s, const struct article_metadata *m, struct score *sc, bool verbose) {
        bool matched[256] = { 0 };
        for (size_t k = 0; k < s->n[F_SPEAKERS]; k++) {
                char buf[1024];
                snprintf(buf, sizeof(buf), "%s", s->fields[F_SPEAKERS][k].text);
                char *colon = strchr(buf, ':');
                if (!colon)
                        continue;
                *colon = '\0';
                const char *speaker = trim(buf), *start = trim(colon + 1);
                bool none = strcmp(speaker, "-") == 0;
                size_t q = 0;
                while (q < m->n_quotes && strncmp(m->quotes[q].text, start, strlen(start)) != 0)
                        q++;
                if (q < m->n_quotes && q < 256)
                        matched[q] = true;
                const char *got = q < m->n_quotes ? m->quotes[q].speaker : NULL;
                if (none) {
                        if (got) {
                                sc->fp++;
                                if (verbose)
                                        printf("  %s speaker: \"%s…\" has none, got \"%s\"\n", s->id, start, got);
                        }
                        continue;
                }
                if (got && name_matches(speaker, got)) {
                        sc->tp++;
                        continue;
                }
                sc->fn++;
                if (got)
                        sc->fp++;
                if (verbose)
                        printf("  %s speaker: \"%s…\" is %s, got %s%s%s\n", s->id, start, speaker,
                               q < m->n_quotes ? "" : "(quotation not found) ", got ? got : "none",
                               "");
        }
        for (size_t q = 0; q < m->n_quotes && q < 256; q++) {
                if (!matched[q] && m->quotes[q].speaker) {
                        sc->fp++;
                        if (verbose)
                                printf("  %s speaker: unannotated quotation \"%.40s…\" given to %s\n", s->id,
                                       m->quotes[q].text, m->quotes[q].speaker);
                }
        }
}

static void score_dates(const struct sample *s, const struct article_metadata *m, struct score *sc, bool verbose) {
        bool used[MAX_ITEMS] = { 0 };
        for (size_t i = 0; i < m->n_dates; i++) {
                bool hit = false;
                for (size_t k = 0; k < s->n[F_DATES] && !hit; k++)
                        if (!used[k] && strcmp(s->fields[F_DATES][k].text, m->dates[i].value) == 0)
                                used[k] = hit = true;
                if (hit) {
                        sc->tp++;
                } else {
                        sc->fp++;
                        if (verbose)
                                printf("  %s dates: false hit %s (\"%s\")\n", s->id, m->dates[i].value, m->dates[i].text);
                }
        }
        for (size_t k = 0; k < s->n[F_DATES]; k++) {
                if (!used[k]) {
                        sc->fn++;
                        if (verbose)
                                printf("  %s dates: missed %s\n", s->id, s->fields[F_DATES][k].text);
                }
        }
}

static void print_row(const char *name, const struct score *sc) {
        double p = sc->tp + sc->fp ? (double)sc->tp / (sc->tp + sc->fp) : 1.0;
        double r = sc->tp + sc->fn ? (double)sc->tp / (sc->tp + sc->fn) : 1.0;
        double f1 = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
        printf("| %-15s | %5u | %4u | %4u | %6.3f | %6.3f | %6.3f |\n", name, sc->tp, sc->fp, sc->fn, p, r, f1);
}

static struct pipeline *make_pipeline(struct config *cfg) {
        char *err = NULL;
        struct pipeline *p = pipeline_new(cfg, &err);
        if (!p)
                fprintf(stderr, "metadata_eval: %s\n", err ? err : "cannot build the pipeline");
        free(err);
        return p;
}

static double now_seconds(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int time_article(struct config *cfg, const char *path, long repeat) {
        FILE *fp = fopen(path, "rb");
        if (!fp) {
                fprintf(stderr, "metadata_eval: %s: %s\n", path, strerror(errno));
                return 2;
        }
        static char buf[1 << 20];
        size_t len = fread(buf, 1, sizeof(buf), fp);
        fclose(fp);
        struct arena *arena = arena_new(ARENA_BLOCK);
        double best_clean = 1e9, best_meta = 1e9, best_all = 1e9, best_stage[ARTICLE_MAX_STAGES];
        const char *stage_names[ARTICLE_MAX_STAGES] = { 0 };
        size_t n_stages = 0;
        for (size_t i = 0; i < ARTICLE_MAX_STAGES; i++)
                best_stage[i] = 1e9;
        for (int b = 0; b < TIME_BATCHES; b++) {
                struct pipeline *p = make_pipeline(cfg);
                if (!p)
                        return 2;
                double t0 = now_seconds();
                for (long i = 0; i < repeat; i++) {
                        struct article a;
                        arena_reset(arena);
                        article_init(&a, arena, (const uint8_t *)buf, len);
                        if (pipeline_process(p, &a) != STAGE_CONTINUE) {
                                fprintf(stderr, "metadata_eval: %s: rejected (%s)\n", path, a.error);
                                return 1;
                        }
                }
                double all = (now_seconds() - t0) * 1e6 / (double)repeat;
                n_stages = pipeline_n_stages(p);
                for (size_t i = 0; i < n_stages; i++) {
                        const struct pipeline_stage_stats *st = pipeline_stage_stats(p, i);
                        double mean = (double)st->micros_total / (double)st->processed;
                        stage_names[i] = st->name;
                        if (mean < best_stage[i])
                                best_stage[i] = mean;
                        if (strcmp(st->name, "clean") == 0 && mean < best_clean)
                                best_clean = mean;
                        if (strcmp(st->name, "metadata") == 0 && mean < best_meta)
                                best_meta = mean;
                }
                if (all < best_all)
                        best_all = all;
                pipeline_free(p);
        }
        printf("%s: %zu bytes, %ld runs x %d batches (best batch)\n", path, len, repeat, TIME_BATCHES);
        printf("  clean     %.1f us per article\n", best_clean);
        printf("  metadata  %.1f us per article\n", best_meta);
        printf("  both      %.1f us per article\n", best_clean + best_meta);
        printf("  pipeline  %.1f us per article (all stages, emit included)\n", best_all);
        printf("  every stage:");
        for (size_t i = 0; i < n_stages; i++)
                printf(" %s %.1f", stage_names[i], best_stage[i]);
        printf("\n");
        arena_free(arena);
        return 0;
}

static int usage(void) {
        fprintf(stderr, "usage: metadata_eval [-v] [-o SECTION.KEY=VALUE]... [FILE]\n"
                        "       metadata_eval [-o SECTION.KEY=VALUE]... --time FILE [--repeat N]\n");
        return 2;
}

int main(int argc, char **argv) {
        struct config *cfg = config_new(settings_tables());
        if (!cfg)
                return 2;
        char *err = NULL;
        config_set(cfg, "ingestd", "instance", "metadata-eval", "metadata_eval", &err);
        const char *path = METADATA_EVAL_SET, *time_path = NULL;
        long repeat = DEFAULT_REPEAT;
        bool verbose = false;
        for (int i = 1; i < argc; i++) {
                if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
                        if (config_load_override(cfg, argv[++i], &err) < 0) {
                                fprintf(stderr, "metadata_eval: -o %s: %s\n", argv[i], err ? err : "?");
                                return 2;
                        }
                } else if (strcmp(argv[i], "-v") == 0) {
                        verbose = true;
                } else if (strcmp(argv[i], "--time") == 0 && i + 1 < argc) {
                        time_path = argv[++i];
                } else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) {
                        repeat = strtol(argv[++i], NULL, 10);
                        if (repeat < 1)
                                return usage();
                } else if (argv[i][0] == '-') {
                        return usage();
                } else {
                        path = argv[i];
                }
        }
        if (time_path) {
                int r = time_article(cfg, time_path, repeat);
                config_free(cfg);
                return r;
        }

        struct sample *samples;
        long n = read_samples(path, &samples);
        if (n < 0)
                return 2;
        struct pipeline *p = make_pipeline(cfg);
        if (!p)
                return 2;
        struct arena *arena = arena_new(ARENA_BLOCK);
        struct score total[N_FIELDS] = { 0 };
        char langs[16][8];
        struct score per_lang[16][N_FIELDS];
        unsigned lang_articles[16] = { 0 }, pub_total = 0, pub_right = 0;
        size_t n_langs = 0;
        memset(per_lang, 0, sizeof(per_lang));
        for (long i = 0; i < n; i++) {
                struct sample *s = &samples[i];
                struct article a;
                arena_reset(arena);
                article_init(&a, arena, (const uint8_t *)s->raw, s->raw_len);
                if (pipeline_process(p, &a) != STAGE_CONTINUE) {
                        printf("  %s: rejected by %s: %s\n", s->id, a.error_stage, a.error);
                        continue;
                }
                size_t l = 0;
                while (l < n_langs && strcmp(langs[l], s->lang) != 0)
                        l++;
                if (l == n_langs && n_langs < 16)
                        snprintf(langs[n_langs++], sizeof(langs[0]), "%s", s->lang);
                lang_articles[l]++;
                struct score sc[N_FIELDS] = { 0 };
                const struct article_metadata *m = &a.metadata;
                score_names(s, F_PEOPLE, m->people, m->n_people, &sc[F_PEOPLE], verbose);
                score_names(s, F_ORGS, m->organizations, m->n_organizations, &sc[F_ORGS], verbose);
                score_names(s, F_LOCATIONS, m->locations, m->n_locations, &sc[F_LOCATIONS], verbose);
                score_speakers(s, m, &sc[F_SPEAKERS], verbose);
                score_dates(s, m, &sc[F_DATES], verbose);
                for (int f = 0; f < N_FIELDS; f++) {
                        total[f].tp += sc[f].tp;
                        total[f].fp += sc[f].fp;
                        total[f].fn += sc[f].fn;
                        per_lang[l][f].tp += sc[f].tp;
                        per_lang[l][f].fp += sc[f].fp;
                        per_lang[l][f].fn += sc[f].fn;
                }
                if (s->published_at) {
                        pub_total++;
                        bool right = a.published_at && strcmp(a.published_at, s->published_at) == 0;
                        pub_right += right;
                        if (!right && verbose)
                                printf("  %s published_at: want %s, got %s\n", s->id, s->published_at,
                                       a.published_at ? a.published_at : "none");
                }
        }
        printf("%ld articles in %zu languages (%s)\n\n", n, n_langs, path);
        printf("| field           |    tp |   fp |   fn | precis | recall |     F1 |\n");
        printf("|-----------------|------:|-----:|-----:|-------:|-------:|-------:|\n");
        for (int f = 0; f < N_FIELDS; f++)
                print_row(field_names[f], &total[f]);
        printf("\npublished_at: %u of %u right (%.1f %%)\n", pub_right, pub_total,
               pub_total ? 100.0 * pub_right / pub_total : 100.0);
        for (size_t l = 0; l < n_langs; l++) {
                printf("\n%s (%u articles)\n", langs[l], lang_articles[l]);
                for (int f = 0; f < N_FIELDS; f++)
                        print_row(field_names[f], &per_lang[l][f]);
        }
        arena_free(arena);
        pipeline_free(p);
        config_free(cfg);
        for (long i = 0; i < n; i++) {
                for (int f = 0; f < N_FIELDS; f++)
                        for (size_t k = 0; k < samples[i].n[f]; k++)
                                free(samples[i].fields[f][k].text);
                free(samples[i].id);
                free(samples[i].published_at);
                free(samples[i].raw);
        }
        free(samples);
        return 0;
}
