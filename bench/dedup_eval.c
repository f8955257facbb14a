/* dedup_eval — how well, how fast and how compactly deduplication works.
 *
 *   dedup_eval [-d DIR] [--sweep] [--signatures] [--confidence] [--entries N] [--seed FILE] [--verbose]
 *   dedup_eval --time-seed N [--seed FILE]
 *
 * Reads DIR/articles.tsv (bench/dedup_dataset.sh; DIR defaults to
 * ${XDG_CACHE_HOME:-~/.cache}/ingestd/dedup-eval), feeds the articles in
 * arrival order to dedup_index_check() with the [dedup] defaults, and prints:
 *
 *  - precision and recall of exact and of near duplicates. The truth follows
 *    the arrival order: an article is an exact duplicate when an earlier one
 *    is of its exact class, a near duplicate when an earlier one is of its
 *    group, else unique. A verdict counts only with a duplicate_of of the
 *    right group. Misses and false matches are broken down by the kind of
 *    copy and its transformations;
 *  - replays: every tenth article is checked again at its source position
 *    and must get the same verdict;
 *  - speed: articles/s over the set, and µs per article for seed-sized ones
 *    (2-3.5 KB) and for variants of the seed article, in an index of the set
 *    and in one of N entries;
 *  - memory and restore: N (default 1,000,000) fingerprints of unique
 *    articles with URLs and 32-character ids are encoded, then decoded and
 *    applied to an empty index (the restore rate, fingerprints/s), and the
 *    bytes per entry are reported as the index counts them (allocated
 *    capacity, which max_memory caps) and as the resident set grew;
 *  - with --verbose, every miss and false match;
 *  - with --time-seed N, only the cost of N variants of the seed article in
 *    an empty index (to run under callgrind);
 *  - with --sweep, precision and recall over shingle lengths, bands × rows
 *    and confirmation thresholds, and over the confidence of the rule (also
 *    alone with --confidence); with --signatures, over signature layouts.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "pipeline/dedup/dedup.h"
#include "pipeline/dedup/dedup_config.h"
#include "pipeline/dedup/index_tuning.h"
#include "pipeline/dedup/minhash.h"

#ifndef DEDUP_EVAL_SEED
#define DEDUP_EVAL_SEED "tests/fixtures/articles/seed-2021-02-14.txt"
#endif

struct art {
        char *id, *url, *topic, *kind, *transforms, *lang, *body;
        size_t body_len;
        int64_t event_ms;
        int32_t partition;
        int64_t offset;
        int group, eclass;
        enum dedup_status truth;
};

static struct art *arts;
static bool verbose;
static size_t n_arts;

/* CPU time of this thread: the cost on one core, whatever else the machine
 * runs. Timed over whole loops, not per call (the clock is a system call). */
static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double wall_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fprintf(stderr, "dedup_eval: ");
        vfprintf(stderr, fmt, ap);
        fprintf(stderr, "\n");
        va_end(ap);
        exit(2);
}

/* --- the set ------------------------------------------------------------------ */

static char *unescape(char *s, size_t *ret_len) {
        char *w = s;
        for (char *r = s; *r; r++) {
                if (*r == '\\' && r[1]) {
                        r++;
                        *w++ = *r == 'n' ? '\n' : *r == 't' ? '\t' : *r;
                } else {
                        *w++ = *r;
                }
        }
        *w = '\0';
        *ret_len = (size_t)(w - s);
        return s;
}

static void load(const char *dir) {
        char *path;
        if (asprintf(&path, "%s/articles.tsv", dir) < 0)
                die("%s", "out of memory");
        FILE *f = fopen(path, "r");
        if (!f)
                die("cannot open %s (run bench/dedup_dataset.sh)", path);
        size_t cap = 0;
        char *line = NULL;
        size_t lcap = 0;
        ssize_t n;
        while ((n = getline(&line, &lcap, f)) > 0) {
                if (line[n - 1] == '\n')
                        line[--n] = '\0';
                char *field[12];
                char *p = line;
                int k = 0;
                for (; k < 12 && p; k++) {
                        field[k] = p;
                        p = k < 11 ? strchr(p, '\t') : NULL;
                        if (p)
                                *p++ = '\0';
                }
                if (k != 12)
                        die("malformed line in %s", path);
                if (n_arts == cap) {
                        cap = cap ? cap * 2 : 8192;
                        arts = realloc(arts, cap * sizeof(*arts));
                        if (!arts)
                                die("%s", "out of memory");
                }
                struct art *a = &arts[n_arts++];
                a->id = strdup(field[0]);
                a->url = strcmp(field[1], "-") ? strdup(field[1]) : NULL;
                a->event_ms = strtoll(field[2], NULL, 10);
                a->partition = (int32_t)strtol(field[3], NULL, 10);
                a->offset = strtoll(field[4], NULL, 10);
                a->group = atoi(field[5]);
                a->eclass = atoi(field[6]);
                a->topic = strdup(field[7]);
                a->kind = strdup(field[8]);
                a->transforms = strdup(field[9]);
                a->lang = strdup(field[10]);
                a->body = strdup(field[11]);
                unescape(a->body, &a->body_len);
        }
        free(line);
        fclose(f);
        if (!n_arts)
                die("%s is empty", path);
        free(path);
}

/* The truth, from the arrival order. */
static void label(void) {
        int max_ec = 0, max_g = 0;
        for (size_t i = 0; i < n_arts; i++) {
                if (arts[i].eclass > max_ec)
                        max_ec = arts[i].eclass;
                if (arts[i].group > max_g)
                        max_g = arts[i].group;
        }
        bool *ec = calloc((size_t)max_ec + 1, 1), *g = calloc((size_t)max_g + 1, 1);
        for (size_t i = 0; i < n_arts; i++) {
                struct art *a = &arts[i];
                a->truth = ec[a->eclass] ? DEDUP_DUPLICATE : g[a->group] ? DEDUP_NEAR_DUPLICATE : DEDUP_UNIQUE;
                ec[a->eclass] = g[a->group] = true;
        }
        free(ec);
        free(g);
}

/* id → group */
static struct {
        const char **id;
        int *group;
        size_t mask;
} ids;

static uint64_t str_hash(const char *s) {
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (uint8_t)*s) * 1099511628211ULL;
        return h;
}

static void index_ids(void) {
        size_t cap = 1;
        while (cap < 2 * n_arts)
                cap *= 2;
        ids.id = calloc(cap, sizeof(*ids.id));
        ids.group = calloc(cap, sizeof(*ids.group));
        ids.mask = cap - 1;
        for (size_t i = 0; i < n_arts; i++) {
                size_t h = str_hash(arts[i].id) & ids.mask;
                while (ids.id[h] && strcmp(ids.id[h], arts[i].id))
                        h = (h + 1) & ids.mask;
                ids.id[h] = arts[i].id;
                ids.group[h] = arts[i].group;
        }
}

static int group_of(const char *id) {
        if (!id)
                return -1;
        for (size_t h = str_hash(id) & ids.mask; ids.id[h]; h = (h + 1) & ids.mask)
                if (strcmp(ids.id[h], id) == 0)
                        return ids.group[h];
        return -1;
}

/* --- one run over the set ------------------------------------------------------------ */

struct metrics {
        uint64_t ex_tp, ex_fp, ex_fn, near_tp, near_fp, near_fn;
        uint64_t replays, replay_mismatch;
        double seconds;
        double seed_sized_us;     /* mean over bodies of 2000-3500 bytes */
        uint64_t seed_sized;
        uint64_t body_bytes;
        struct dedup_lookup_counts counts;
};

static double ratio(uint64_t a, uint64_t b) {
        return b ? (double)a / (double)b : 1.0;
}

#define P_EX(m) ratio((m)->ex_tp, (m)->ex_tp + (m)->ex_fp)
#define R_EX(m) ratio((m)->ex_tp, (m)->ex_tp + (m)->ex_fn)
#define P_NEAR(m) ratio((m)->near_tp, (m)->near_tp + (m)->near_fp)
#define R_NEAR(m) ratio((m)->near_tp, (m)->near_tp + (m)->near_fn)

/* Misses and false matches by kind of copy and transformation. */
struct tally {
        char key[64];
        uint64_t n, missed, false_match;
};
static struct tally tallies[64];
static size_t n_tallies;

static void tally(const char *key, bool missed, bool false_match) {
        size_t i = 0;
        for (; i < n_tallies; i++)
                if (strcmp(tallies[i].key, key) == 0)
                        break;
        if (i == n_tallies) {
                if (n_tallies == sizeof(tallies) / sizeof(tallies[0]))
                        return;
                snprintf(tallies[n_tallies++].key, sizeof(tallies[0].key), "%s", key);
        }
        tallies[i].n++;
        tallies[i].missed += missed;
        tallies[i].false_match += false_match;
}

static void tally_article(const struct art *a, bool missed, bool false_match) {
        tally(a->kind, missed, false_match);
        if (strcmp(a->kind, "near") != 0)
                return;
        char t[256];
        snprintf(t, sizeof(t), "%s", a->transforms);
        for (char *tok = strtok(t, ","); tok; tok = strtok(NULL, ",")) {
                char key[64];
                char *eq = strchr(tok, '=');
                if (eq) {
                        double v = atof(eq + 1);
                        *eq = '\0';
                        if (strcmp(tok, "edit") == 0)
                                snprintf(key, sizeof(key), "near: edit %s", v < 0.08 ? "5-8 %" : v < 0.12 ? "8-12 %" : "12-15 %");
                        else
                                snprintf(key, sizeof(key), "near: trunc %s", v < 0.7 ? "60-70 %" : v < 0.8 ? "70-80 %" : "80-90 %");
                } else {
                        snprintf(key, sizeof(key), "near: %s", tok);
                }
                tally(key, missed, false_match);
        }
}

static struct dedup_input input_of(const struct art *a) {
        return (struct dedup_input){
                .body = a->body,
                .body_len = a->body_len,
                .url = a->url,
                .id = a->id,
                .event_time_ms = a->event_ms,
                .topic = "articles.raw",
                .partition = a->partition,
                .offset = a->offset,
        };
}

static struct dedup_fingerprint fp_scratch;

static double confidence = -1;   /* < 0: the index's own */

static struct dedup_index *new_index(const struct dedup_params *p, uint32_t sig_bins, uint32_t sig_bits) {
        struct dedup_index *idx = dedup_index_new(p);
        if (!idx)
                die("%s", "dedup_index_new failed");
        if (sig_bins && dedup_index_set_signature(idx, sig_bins, sig_bits) < 0)
                die("%s", "bad signature layout");
        if (confidence >= 0)
                dedup_index_set_confidence(idx, confidence);
        return idx;
}

static void run(const struct dedup_params *p, uint32_t sig_bins, uint32_t sig_bits, bool detail,
                struct metrics *m, struct dedup_index **ret_idx) {
        struct dedup_index *idx = new_index(p, sig_bins, sig_bits);
        enum dedup_status *given = detail ? calloc(n_arts, sizeof(*given)) : NULL;
        char **given_dup = detail ? calloc(n_arts, sizeof(*given_dup)) : NULL;
        *m = (struct metrics){ 0 };
        double t0 = now_s();
        for (size_t i = 0; i < n_arts; i++) {
                const struct art *a = &arts[i];
                struct dedup_input in = input_of(a);
                struct dedup_verdict v;
                if (dedup_index_check(idx, &in, &v, &fp_scratch) < 0)
                        die("%s", "dedup_index_check failed");
                if (detail) {
                        given[i] = v.status;
                        given_dup[i] = v.duplicate_of ? strdup(v.duplicate_of) : NULL;
                }
                m->body_bytes += a->body_len;
                bool right_group = v.duplicate_of && group_of(v.duplicate_of) == a->group;
                bool ex_ok = v.status == DEDUP_DUPLICATE && a->truth == DEDUP_DUPLICATE && right_group;
                bool near_ok = v.status == DEDUP_NEAR_DUPLICATE && a->truth == DEDUP_NEAR_DUPLICATE && right_group;
                m->ex_tp += ex_ok;
                m->ex_fp += v.status == DEDUP_DUPLICATE && !ex_ok;
                m->ex_fn += a->truth == DEDUP_DUPLICATE && !ex_ok;
                m->near_tp += near_ok;
                m->near_fp += v.status == DEDUP_NEAR_DUPLICATE && !near_ok;
                m->near_fn += a->truth == DEDUP_NEAR_DUPLICATE && !near_ok;
                if (detail) {
                        bool missed = a->truth != DEDUP_UNIQUE && !ex_ok && !near_ok;
                        bool false_match = v.status != DEDUP_UNIQUE && !ex_ok && !near_ok;
                        tally_article(a, missed, false_match);
                        if (verbose && (missed || false_match))
                                printf("%s %s (%s %s, group %d, truth %d) got %d of %s (group %d) similarity %.3f\n",
                                       missed ? "MISSED" : "FALSE", a->id, a->kind, a->transforms, a->group, a->truth,
                                       v.status, v.duplicate_of ? v.duplicate_of : "-", group_of(v.duplicate_of),
                                       v.similarity);
                }
        }
        m->seconds = now_s() - t0;
        dedup_index_lookup_counts(idx, &m->counts);
        if (detail) {
                /* Replays: the same source positions again. */
                for (size_t i = 0; i < n_arts; i += 10) {
                        struct dedup_input in = input_of(&arts[i]);
                        struct dedup_verdict v;
                        if (dedup_index_check(idx, &in, &v, &fp_scratch) < 0)
                                die("%s", "dedup_index_check failed");
                        m->replays++;
                        bool same = v.replay && v.status == given[i] &&
                                    ((!v.duplicate_of && !given_dup[i]) ||
                                     (v.duplicate_of && given_dup[i] && strcmp(v.duplicate_of, given_dup[i]) == 0));
                        m->replay_mismatch += !same;
                }
                for (size_t i = 0; i < n_arts; i++)
                        free(given_dup[i]);
                free(given_dup);
                free(given);
        }
        if (ret_idx)
                *ret_idx = idx;
        else
                dedup_index_free(idx);
        if (detail) {
                /* The seed-sized articles alone, in a fresh index, timed as
                 * one loop. */
                idx = new_index(p, sig_bins, sig_bits);
                double t = now_s();
                for (size_t i = 0; i < n_arts; i++) {
                        if (arts[i].body_len < 2000 || arts[i].body_len > 3500)
                                continue;
                        struct dedup_input in = input_of(&arts[i]);
                        struct dedup_verdict v;
                        if (dedup_index_check(idx, &in, &v, &fp_scratch) < 0)
                                die("%s", "dedup_index_check failed");
                        m->seed_sized++;
                }
                m->seed_sized_us = m->seed_sized ? (now_s() - t) / (double)m->seed_sized * 1e6 : 0;
                dedup_index_free(idx);
        }
}

/* --- timing on the seed article ------------------------------------------------------- */

static char *seed_text;
static size_t seed_len;

static void load_seed(const char *path) {
        FILE *f = fopen(path, "r");
        if (!f)
                die("cannot open the seed article %s", path);
        static char buf[1 << 16];
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        char *s = buf;
        /* " date 2021-02-14 " header */
        while (*s == ' ')
                s++;
        if (strncmp(s, "date ", 5) == 0) {
                s += 5;
                while (*s && *s != ' ' && *s != '\n')
                        s++;
                while (*s == ' ' || *s == '\n')
                        s++;
        }
        seed_text = strdup(s);
        seed_len = strlen(seed_text);
}

/* µs per check of seed variants (one word replaced by a number: each is a
 * near duplicate of the ones before), `n` of them, into idx. */
static double time_seed(struct dedup_index *idx, int n, int64_t event_ms) {
        char *body = malloc(seed_len + 32);
        double total = 0;
        char **bodies = calloc((size_t)n, sizeof(*bodies));
        size_t *lens = calloc((size_t)n, sizeof(*lens));
        for (int i = 0; i < n; i++) {
                /* Replace the word after the (i % 40)-th space with a number. */
                const char *p = seed_text;
                for (int k = 0; k < i % 40 + 1 && p; k++) {
                        p = strchr(p, ' ');
                        if (p)
                                p++;
                }
                size_t at = p ? (size_t)(p - seed_text) : 0;
                size_t end = at;
                while (end < seed_len && seed_text[end] != ' ')
                        end++;
                memcpy(body, seed_text, at);
                int nn = sprintf(body + at, "%d", 100000 + i);
                memcpy(body + at + nn, seed_text + end, seed_len - end);
                lens[i] = at + (size_t)nn + (seed_len - end);
                bodies[i] = malloc(lens[i]);
                memcpy(bodies[i], body, lens[i]);
        }
        double t = now_s();
        for (int i = 0; i < n; i++) {
                char id[48];
                snprintf(id, sizeof(id), "seed-variant-%d", i);
                struct dedup_input in = {
                        .body = bodies[i], .body_len = lens[i], .id = id, .event_time_ms = event_ms,
                        .topic = "articles.raw", .partition = 0, .offset = 1000000000 + i,
                };
                struct dedup_verdict v;
                if (dedup_index_check(idx, &in, &v, &fp_scratch) < 0)
                        die("%s", "dedup_index_check failed");
        }
        total = now_s() - t;
        for (int i = 0; i < n; i++)
                free(bodies[i]);
        free(bodies);
        free(lens);
        free(body);
        return total / n * 1e6;
}

/* --- memory and restore ---------------------------------------------------------------- */

static uint64_t splitmix(uint64_t *s) {
        uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
}

static long rss_bytes(void) {
        FILE *f = fopen("/proc/self/statm", "r");
        long pages = 0, rss = 0;
        if (f) {
                if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
                        rss = 0;
                fclose(f);
        }
        return rss * sysconf(_SC_PAGESIZE);
}

/* Table slots of n unique articles with URLs: id, content, URL, bands. */
static uint64_t table_slots(const struct dedup_stats *st, const struct dedup_params *p) {
        return st->entries * (3 + p->bands);
}

static void memory_and_restore(const struct dedup_params *p, size_t n) {
        /* Encode n fingerprints as the daemon would produce them. */
        uint64_t s = 42;
        uint8_t *buf = NULL;
        size_t used = 0, cap = 0;
        size_t sig_bytes = DEDUP_SIG_BYTES;
        int64_t t0 = 1613260800000LL;
        struct dedup_fingerprint *fp = calloc(1, sizeof(*fp));
        for (size_t i = 0; i < n; i++) {
                memset(fp, 0, sizeof(*fp));
                fp->content_hash[0] = splitmix(&s);
                fp->content_hash[1] = splitmix(&s);
                fp->url_hash[0] = splitmix(&s);
                fp->url_hash[1] = splitmix(&s);
                fp->has_url = true;
                fp->event_time_ms = t0 + (int64_t)((double)i / (double)n * 48 * 3600 * 1000);
                snprintf(fp->id, sizeof(fp->id), "%016llx%016llx", (unsigned long long)splitmix(&s),
                         (unsigned long long)splitmix(&s));
                snprintf(fp->topic, sizeof(fp->topic), "articles.raw");
                fp->partition = (int32_t)(i % 12);
                fp->offset = (int64_t)(i / 12);
                fp->status = DEDUP_UNIQUE;
                fp->shingles = 300 + (uint32_t)(splitmix(&s) % 300);
                fp->n_bands = p->bands;
                for (uint32_t b = 0; b < p->bands; b++)
                        fp->band_keys[b] = (uint32_t)splitmix(&s);
                fp->n_minhash = (uint32_t)sig_bytes;
                for (size_t b = 0; b < sig_bytes; b += 8) {
                        uint64_t r = splitmix(&s);
                        memcpy(fp->minhash + b, &r, 8);
                }
                if (cap - used < DEDUP_FINGERPRINT_MAX_BYTES + 2) {
                        cap = cap ? cap * 2 : 1 << 24;
                        buf = realloc(buf, cap);
                        if (!buf)
                                die("%s", "out of memory");
                }
                size_t len = dedup_fingerprint_encode(fp, buf + used + 2, cap - used - 2);
                if (!len)
                        die("%s", "encode failed");
                buf[used] = (uint8_t)len;
                buf[used + 1] = (uint8_t)(len >> 8);
                used += 2 + len;
        }
        double mean_len = (double)(used - 2 * n) / (double)n;

        malloc_trim(0);
        long rss0 = rss_bytes();
        struct dedup_params q = *p;
        q.max_memory_bytes = UINT64_MAX;
        struct dedup_index *idx = dedup_index_new(&q);
        double t = now_s(), tw = wall_s();
        size_t applied = 0;
        for (size_t off = 0; off < used;) {
                size_t len = buf[off] | (size_t)buf[off + 1] << 8;
                if (dedup_fingerprint_decode(buf + off + 2, len, fp) < 0)
                        die("%s", "decode failed");
                int r = dedup_index_apply(idx, fp);
                if (r < 0)
                        die("%s", "apply failed");
                applied += (size_t)r;
                off += 2 + len;
        }
        double dt = now_s() - t, dtw = wall_s() - tw;
        long rss1 = rss_bytes();
        struct dedup_stats st;
        dedup_index_stats(idx, &st);

        /* Decode alone, for the split. */
        double td = now_s();
        for (size_t off = 0; off < used;) {
                size_t len = buf[off] | (size_t)buf[off + 1] << 8;
                if (dedup_fingerprint_decode(buf + off + 2, len, fp) < 0)
                        die("%s", "decode failed");
                off += 2 + len;
        }
        td = now_s() - td;

        printf("\n== memory and restore: %zu fingerprints (unique articles, URL, 32-character ids, %u bands, %zu-byte signature)\n",
               n, p->bands, sig_bytes);
        printf("fingerprint size: %.1f bytes on average\n", mean_len);
        printf("restore (decode + apply): %.0f fingerprints/s of CPU time (%.2f µs each; decode alone %.2f µs; "
               "%.0f/s of wall time), %zu applied\n",
               (double)n / dt, dt / (double)n * 1e6, td / (double)n * 1e6, (double)n / dtw, applied);
        printf("bytes per entry at %llu entries: %.1f as the index counts them (what max_memory caps), "
               "%.1f as the resident set grew\n",
               (unsigned long long)st.entries, (double)st.memory_bytes / (double)st.entries,
               (double)(rss1 - rss0) / (double)st.entries);

        struct dedup_memory mem;
        dedup_index_memory(idx, &mem);
        double ne = (double)st.entries;
        printf("  of which entries and signatures %.1f, hash table %.1f (%u slots of 8 bytes, %.0f %% full), "
               "ids %.1f, heap %.1f, the rest %.1f\n",
               (double)mem.entries / ne, (double)mem.table / ne, (unsigned)(mem.table / 8),
               100.0 * (double)table_slots(&st, p) / (double)(mem.table / 8), (double)mem.strings / ne,
               (double)mem.heap / ne, (double)mem.other / ne);

        /* A seed-sized article against the full index. */
        double us = time_seed(idx, 2000, t0 + 47LL * 3600 * 1000);
        printf("seed variants against %llu entries: %.2f µs/article\n", (unsigned long long)st.entries, us);
        dedup_index_free(idx);
        free(buf);
        free(fp);
}

/* --- main ------------------------------------------------------------------------------- */

static void print_row(const char *label, const struct metrics *m) {
        printf("%-28s %6.4f %6.4f   %6.4f %6.4f   %7.2f %8.0f\n", label, P_EX(m), R_EX(m), P_NEAR(m), R_NEAR(m),
               m->counts.near_lookups ? (double)m->counts.candidates / (double)m->counts.near_lookups : 0.0,
               (double)n_arts / m->seconds);
}

int main(int argc, char **argv) {
        const char *dir = NULL;
        const char *seed_path = DEDUP_EVAL_SEED;
        bool sweep = false, signatures = false, confidence_table = false;
        int time_seed_n = 0;
        size_t entries = 1000000;
        static const struct option opts[] = {
                { "dir", required_argument, NULL, 'd' },
                { "sweep", no_argument, NULL, 's' },
                { "signatures", no_argument, NULL, 'g' },
                { "confidence", no_argument, NULL, 'c' },
                { "entries", required_argument, NULL, 'n' },
                { "seed", required_argument, NULL, 'S' },
                { "verbose", no_argument, NULL, 'v' },
                { "time-seed", required_argument, NULL, 't' },
                { 0 },
        };
        int c;
        while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
                switch (c) {
                case 'd': dir = optarg; break;
                case 's': sweep = true; break;
                case 'g': signatures = true; break;
                case 'c': confidence_table = true; break;
                case 'n': entries = strtoull(optarg, NULL, 10); break;
                case 'S': seed_path = optarg; break;
                case 'v': verbose = true; break;
                case 't': time_seed_n = atoi(optarg); break;
                default:
                        fprintf(stderr, "usage: dedup_eval [-d DIR] [--sweep] [--signatures] [--confidence] [--entries N] [--seed FILE] [--verbose] [--time-seed N]\n");
                        return 2;
                }
        }
        char def[4096];
        if (!dir) {
                const char *xdg = getenv("XDG_CACHE_HOME");
                if (xdg && *xdg)
                        snprintf(def, sizeof(def), "%s/ingestd/dedup-eval", xdg);
                else
                        snprintf(def, sizeof(def), "%s/.cache/ingestd/dedup-eval", getenv("HOME") ? getenv("HOME") : ".");
                dir = def;
        }
        /* The defaults, as the config table declares them. */
        const struct config_key *tables[] = { dedup_config_keys, NULL };
        struct config *cfg = config_new(tables);
        struct dedup_params p;
        char *err = NULL;
        if (!cfg || dedup_params_from_config(cfg, &p, &err) < 0)
                die("%s", err ? err : "config");
        config_free(cfg);

        load_seed(seed_path);
        if (time_seed_n > 0) {
                /* Only the seed variants, in an empty index (for callgrind:
                 * the difference between two counts is the cost of the
                 * variants in between). */
                struct dedup_index *idx = new_index(&p, 0, 0);
                printf("seed article (%zu bytes), %d variants: %.2f µs/article of CPU time\n", seed_len, time_seed_n,
                       time_seed(idx, time_seed_n, 1613260800000LL));
                dedup_index_free(idx);
                return 0;
        }
        load(dir);
        label();
        index_ids();

        uint64_t truth[3] = { 0 };
        for (size_t i = 0; i < n_arts; i++)
                truth[arts[i].truth]++;
        printf("== set: %zu articles in %s: %llu unique, %llu exact duplicates, %llu near duplicates\n", n_arts, dir,
               (unsigned long long)truth[DEDUP_UNIQUE], (unsigned long long)truth[DEDUP_DUPLICATE],
               (unsigned long long)truth[DEDUP_NEAR_DUPLICATE]);
        printf("defaults: shingle_words %u, bands %u × rows %u, min_jaccard %.2f, min_containment %.2f, "
               "min_shingles %u, min_line_words %u; signature %u × %u bits; margin %.2f standard errors\n",
               p.shingle_words, p.bands, p.rows, p.min_jaccard, p.min_containment, p.min_shingles, p.min_line_words,
               DEDUP_SIG_BINS, DEDUP_SIG_BITS, dedup_index_confidence());

        struct metrics m;
        struct dedup_index *idx;
        run(&p, 0, 0, true, &m, &idx);
        printf("\n== with the defaults\n");
        printf("exact duplicates: precision %.4f recall %.4f (tp %llu, fp %llu, fn %llu)\n", P_EX(&m), R_EX(&m),
               (unsigned long long)m.ex_tp, (unsigned long long)m.ex_fp, (unsigned long long)m.ex_fn);
        printf("near duplicates:  precision %.4f recall %.4f (tp %llu, fp %llu, fn %llu)\n", P_NEAR(&m), R_NEAR(&m),
               (unsigned long long)m.near_tp, (unsigned long long)m.near_fp, (unsigned long long)m.near_fn);
        printf("replays: %llu checked again, %llu with another verdict\n", (unsigned long long)m.replays,
               (unsigned long long)m.replay_mismatch);
        printf("speed (CPU time): %.0f articles/s (mean body %.0f bytes, %.2f µs/article); seed-sized (2-3.5 KB, %llu): %.2f µs/article; "
               "%.2f LSH candidates/article\n",
               (double)n_arts / m.seconds, (double)m.body_bytes / (double)n_arts, m.seconds / (double)n_arts * 1e6,
               (unsigned long long)m.seed_sized, m.seed_sized_us,
               m.counts.near_lookups ? (double)m.counts.candidates / (double)m.counts.near_lookups : 0.0);
        double seed_us = time_seed(idx, 2000, arts[n_arts - 1].event_ms);
        printf("seed article (%zu bytes) variants, each a near duplicate of the ones before: %.2f µs/article\n", seed_len,
               seed_us);
        struct dedup_stats st;
        dedup_index_stats(idx, &st);
        printf("index after the set: %llu entries, %llu bytes\n", (unsigned long long)st.entries,
               (unsigned long long)st.memory_bytes);
        dedup_index_free(idx);

        printf("\nby kind and transformation (truth duplicates missed, false matches):\n");
        for (size_t i = 0; i < n_tallies; i++)
                printf("  %-22s %6llu  missed %5llu (%5.1f %%)  false %4llu\n", tallies[i].key,
                       (unsigned long long)tallies[i].n, (unsigned long long)tallies[i].missed,
                       100.0 * ratio(tallies[i].missed, tallies[i].n), (unsigned long long)tallies[i].false_match);

        if (signatures) {
                static const uint32_t layouts[][2] = { { 128, 1 }, { 256, 1 }, { 384, 1 }, { 64, 2 }, { 128, 2 },
                                                       { 192, 2 }, { 256, 2 }, { 32, 4 }, { 64, 4 }, { 96, 4 },
                                                       { 128, 4 }, { 32, 8 }, { 48, 8 }, { 64, 8 } };
                printf("\n== signature layouts (the defaults otherwise)\n");
                printf("%-28s %6s %6s   %6s %6s   %7s %8s\n", "bins x bits (bytes)", "ex P", "ex R", "near P", "near R",
                       "cand", "art/s");
                for (size_t i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
                        char lbl[64];
                        snprintf(lbl, sizeof(lbl), "%u x %u (%u B)", layouts[i][0], layouts[i][1],
                                 layouts[i][0] * layouts[i][1] / 8);
                        run(&p, layouts[i][0], layouts[i][1], false, &m, NULL);
                        print_row(lbl, &m);
                }
        }

        if (sweep || confidence_table) {
                static const double zs[] = { 0, 0.5, 1, 1.25, 1.5, 2, 2.5 };
                printf("\n== confidence of the confirmation rule (the defaults otherwise)\n");
                printf("%-28s %6s %6s   %6s %6s   %7s %8s\n", "z (standard errors)", "ex P", "ex R", "near P",
                       "near R", "cand", "art/s");
                for (size_t i = 0; i < sizeof(zs) / sizeof(zs[0]); i++) {
                        char lbl[64];
                        snprintf(lbl, sizeof(lbl), "%.2f", zs[i]);
                        confidence = zs[i];
                        run(&p, 0, 0, false, &m, NULL);
                        print_row(lbl, &m);
                }
                confidence = -1;
        }

        if (sweep) {
                static const uint32_t ks[] = { 3, 4, 5 };
                static const uint32_t br[][2] = { { 6, 1 }, { 8, 1 }, { 10, 1 }, { 12, 1 }, { 20, 2 }, { 14, 8 } };
                static const uint32_t sigs[][2] = { { DEDUP_SIG_BINS, DEDUP_SIG_BITS } };
                static const double zs[] = { 1.0, 1.5 };
                static const double cs[] = { 0.2, 0.25, 0.3, 0.35, 0.4 };
                static const double js[] = { 0.3, 1.0 };
                printf("\n== sweep (min_jaccard 1.00: containment only)\n");
                printf("%-40s %6s %6s   %6s %6s   %7s %8s\n", "k bands x rows  sig  z  J>=  C>=", "ex P", "ex R",
                       "near P", "near R", "cand", "art/s");
                for (size_t a = 0; a < sizeof(ks) / sizeof(ks[0]); a++)
                for (size_t b = 0; b < sizeof(br) / sizeof(br[0]); b++)
                for (size_t g = 0; g < sizeof(sigs) / sizeof(sigs[0]); g++)
                for (size_t zz = 0; zz < sizeof(zs) / sizeof(zs[0]); zz++)
                for (size_t jj = 0; jj < sizeof(js) / sizeof(js[0]); jj++)
                for (size_t cc = 0; cc < sizeof(cs) / sizeof(cs[0]); cc++) {
                        if (js[jj] < 1.0 && js[jj] >= cs[cc])
                                continue;       /* implied by containment */
                        struct dedup_params q = p;
                        q.shingle_words = ks[a];
                        q.bands = br[b][0];
                        q.rows = br[b][1];
                        q.min_jaccard = js[jj];
                        q.min_containment = cs[cc];
                        confidence = zs[zz];
                        run(&q, sigs[g][0], sigs[g][1], false, &m, NULL);
                        char lbl[64];
                        snprintf(lbl, sizeof(lbl), "%u %2u x %u  %3ux%u %4.2f %4.2f %4.2f", ks[a], br[b][0], br[b][1],
                                 sigs[g][0], sigs[g][1], zs[zz], js[jj], cs[cc]);
                        printf("%-40s %6.4f %6.4f   %6.4f %6.4f   %7.2f %8.0f\n", lbl, P_EX(&m), R_EX(&m), P_NEAR(&m),
                               R_NEAR(&m),
                               m.counts.near_lookups ? (double)m.counts.candidates / (double)m.counts.near_lookups : 0.0,
                               (double)n_arts / m.seconds);
                        fflush(stdout);
                }
                confidence = -1;
        }

        if (entries)
                memory_and_restore(&p, entries);
        return 0;
}
