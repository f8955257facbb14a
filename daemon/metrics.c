#include "metrics.h"

#include <dirent.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "version.h"

#define MAX_STAGES 16
#define MAX_LABELS 128          /* per labelled table; beyond it: "other" */
#define LABEL_LEN 64

static const double stage_buckets[] = { 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005,
                                        0.001,   0.0025,   0.005,   0.01,   0.1,     1.0 };
static const double e2e_buckets[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300 };
#define N_STAGE_BUCKETS (sizeof(stage_buckets) / sizeof(stage_buckets[0]))
#define N_E2E_BUCKETS (sizeof(e2e_buckets) / sizeof(e2e_buckets[0]))
#define MAX_BUCKETS 16

struct histogram {
        const double *bounds;
        size_t n_bounds;
        _Atomic uint64_t buckets[MAX_BUCKETS + 1];   /* non-cumulative; last is +Inf */
        _Atomic uint64_t count;
        _Atomic uint64_t sum_nanos;
};

struct label_entry {
        char label[LABEL_LEN];
        char label2[LABEL_LEN];
        int32_t partition;
        int64_t value;
};

struct label_table {
        struct label_entry e[MAX_LABELS];
        size_t n;
        int64_t other;
};

struct metrics {
        _Atomic uint64_t consumed, published, dropped, dead_lettered, duplicates, rebalances;
        _Atomic uint64_t txn_committed, txn_aborted;
        _Atomic uint64_t dedup_restored, dedup_restore_micros;
        _Atomic uint64_t dedup_entries, dedup_bytes, dedup_evicted, dedup_expired;
        _Atomic int64_t assigned, in_flight, producer_queue, brokers_up, heartbeat_ms;
        _Atomic bool subscribed;
        size_t n_stages;
        char stage_names[MAX_STAGES][LABEL_LEN];
        struct histogram stages[MAX_STAGES];
        _Atomic uint64_t stage_rejected[MAX_STAGES];
        struct histogram e2e;

        pthread_mutex_t lock;           /* guards the tables below */
        struct label_table dead_letters;   /* label: reason, label2: stage */
        struct label_table dup_kinds;
        struct label_table languages;
        struct label_table lag, lag_next;  /* label: topic */
        bool lag_building;
};

static int64_t monotonic_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct metrics *metrics_new(const char *const *stage_names, size_t n_stages) {
        struct metrics *m = calloc(1, sizeof(*m));
        if (!m)
                return NULL;
        pthread_mutex_init(&m->lock, NULL);
        m->n_stages = n_stages < MAX_STAGES ? n_stages : MAX_STAGES;
        for (size_t i = 0; i < m->n_stages; i++) {
                snprintf(m->stage_names[i], LABEL_LEN, "%s", stage_names[i]);
                m->stages[i].bounds = stage_buckets;
                m->stages[i].n_bounds = N_STAGE_BUCKETS;
        }
        m->e2e.bounds = e2e_buckets;
        m->e2e.n_bounds = N_E2E_BUCKETS;
        m->heartbeat_ms = monotonic_ms();
        return m;
}

void metrics_free(struct metrics *m) {
        if (!m)
                return;
        pthread_mutex_destroy(&m->lock);
        free(m);
}

void metrics_consumed(struct metrics *m) { m->consumed++; }
void metrics_published(struct metrics *m) { m->published++; }
void metrics_dropped(struct metrics *m) { m->dropped++; }
void metrics_rebalance(struct metrics *m) { m->rebalances++; }
void metrics_dedup_restored(struct metrics *m, uint64_t fingerprints, double seconds) {
        m->dedup_restored = fingerprints;
        m->dedup_restore_micros = (uint64_t)(seconds * 1e6);
}

void metrics_set_dedup_index(struct metrics *m, uint64_t entries, uint64_t bytes, uint64_t evicted, uint64_t expired) {
        m->dedup_entries = entries;
        m->dedup_bytes = bytes;
        m->dedup_evicted = evicted;
        m->dedup_expired = expired;
}

void metrics_transaction(struct metrics *m, bool committed) {
        if (committed)
                m->txn_committed++;
        else
                m->txn_aborted++;
}
void metrics_set_assigned(struct metrics *m, int64_t n) { m->assigned = n; }
void metrics_set_in_flight(struct metrics *m, int64_t n) { m->in_flight = n; }
void metrics_set_producer_queue(struct metrics *m, int64_t n) { m->producer_queue = n; }
void metrics_set_brokers_up(struct metrics *m, int64_t n) { m->brokers_up = n; }
void metrics_set_ready(struct metrics *m, bool subscribed) { m->subscribed = subscribed; }
void metrics_heartbeat(struct metrics *m) { m->heartbeat_ms = monotonic_ms(); }
int64_t metrics_since_heartbeat_ms(struct metrics *m) { return monotonic_ms() - m->heartbeat_ms; }

/* Adds `delta` to the entry with these labels, creating it while there is room. */
static void table_add(struct label_table *t, const char *label, const char *label2, int32_t partition, int64_t delta,
                      bool set) {
        for (size_t i = 0; i < t->n; i++)
                if (t->e[i].partition == partition && strcmp(t->e[i].label, label) == 0 &&
                    strcmp(t->e[i].label2, label2 ? label2 : "") == 0) {
                        t->e[i].value = set ? delta : t->e[i].value + delta;
                        return;
                }
        if (t->n == MAX_LABELS) {
                t->other += delta;
                return;
        }
        struct label_entry *e = &t->e[t->n++];
        snprintf(e->label, LABEL_LEN, "%s", label);
        snprintf(e->label2, LABEL_LEN, "%s", label2 ? label2 : "");
        e->partition = partition;
        e->value = delta;
}

void metrics_dead_lettered(struct metrics *m, const char *reason, const char *stage) {
        m->dead_lettered++;
        for (size_t i = 0; i < m->n_stages; i++)
                if (stage && strcmp(m->stage_names[i], stage) == 0)
                        m->stage_rejected[i]++;
        pthread_mutex_lock(&m->lock);
        table_add(&m->dead_letters, reason ? reason : "internal", stage ? stage : "", -1, 1, false);
        pthread_mutex_unlock(&m->lock);
}

void metrics_duplicate(struct metrics *m, const char *kind) {
        m->duplicates++;
        pthread_mutex_lock(&m->lock);
        table_add(&m->dup_kinds, kind, NULL, -1, 1, false);
        pthread_mutex_unlock(&m->lock);
}

void metrics_language(struct metrics *m, const char *code) {
        pthread_mutex_lock(&m->lock);
        table_add(&m->languages, code ? code : "und", NULL, -1, 1, false);
        pthread_mutex_unlock(&m->lock);
}

static void observe(struct histogram *h, double seconds) {
        size_t i = 0;
        while (i < h->n_bounds && seconds > h->bounds[i])
                i++;
        h->buckets[i]++;
        h->count++;
        h->sum_nanos += (uint64_t)(seconds > 0 ? seconds * 1e9 : 0);
}

void metrics_stage_seconds(struct metrics *m, size_t stage, double seconds) {
        if (stage < m->n_stages)
                observe(&m->stages[stage], seconds);
}

void metrics_end_to_end_seconds(struct metrics *m, double seconds) {
        observe(&m->e2e, seconds);
}

void metrics_lag_begin(struct metrics *m) {
        pthread_mutex_lock(&m->lock);
        m->lag_next.n = 0;
        m->lag_next.other = 0;
        m->lag_building = true;
        pthread_mutex_unlock(&m->lock);
}

void metrics_lag_set(struct metrics *m, const char *topic, int32_t partition, int64_t lag) {
        pthread_mutex_lock(&m->lock);
        table_add(&m->lag_next, topic, NULL, partition, lag, true);
        pthread_mutex_unlock(&m->lock);
}

void metrics_lag_end(struct metrics *m) {
        pthread_mutex_lock(&m->lock);
        m->lag = m->lag_next;
        m->lag_building = false;
        pthread_mutex_unlock(&m->lock);
}

int64_t metrics_lag_total(struct metrics *m) {
        int64_t total = 0;
        pthread_mutex_lock(&m->lock);
        for (size_t i = 0; i < m->lag.n; i++)
                total += m->lag.e[i].value;
        total += m->lag.other;
        pthread_mutex_unlock(&m->lock);
        return total;
}

void metrics_snapshot(struct metrics *m, struct metrics_snapshot *s) {
        s->consumed = m->consumed;
        s->published = m->published;
        s->dropped = m->dropped;
        s->dead_lettered = m->dead_lettered;
        s->duplicates = m->duplicates;
        s->rebalances = m->rebalances;
        s->assigned = m->assigned;
        s->brokers_up = m->brokers_up;
        s->in_flight = m->in_flight;
        s->subscribed = m->subscribed;
        s->lag_total = metrics_lag_total(m);
}

/* --- rendering ------------------------------------------------------------ */

/* Label values are our own codes and topic names; escape anyway. */
static void put_label(FILE *f, const char *v) {
        for (; *v; v++) {
                if (*v == '\\' || *v == '"')
                        fputc('\\', f);
                if (*v == '\n') {
                        fputs("\\n", f);
                        continue;
                }
                fputc(*v, f);
        }
}

static void render_histogram(FILE *f, const char *name, const char *label_name, const char *label,
                             struct histogram *h) {
        uint64_t cumulative = 0;
        for (size_t i = 0; i <= h->n_bounds; i++) {
                cumulative += h->buckets[i];
                fprintf(f, "%s_bucket{", name);
                if (label_name) {
                        fprintf(f, "%s=\"", label_name);
                        put_label(f, label);
                        fputs("\",", f);
                }
                if (i < h->n_bounds)
                        fprintf(f, "le=\"%g\"} %llu\n", h->bounds[i], (unsigned long long)cumulative);
                else
                        fprintf(f, "le=\"+Inf\"} %llu\n", (unsigned long long)cumulative);
        }
        const char *open = label_name ? "{" : "", *close = label_name ? "\"}" : "";
        fprintf(f, "%s_sum%s%s%s", name, open, label_name ? label_name : "", label_name ? "=\"" : "");
        if (label_name)
                put_label(f, label);
        fprintf(f, "%s %.9f\n", close, (double)h->sum_nanos / 1e9);
        fprintf(f, "%s_count%s%s%s", name, open, label_name ? label_name : "", label_name ? "=\"" : "");
        if (label_name)
                put_label(f, label);
        fprintf(f, "%s %llu\n", close, (unsigned long long)h->count);
}

static void render_process(FILE *f) {
        FILE *st = fopen("/proc/self/stat", "re");
        unsigned long utime = 0, stime = 0, vsize = 0;
        unsigned long long starttime = 0;
        long rss = 0;
        if (st) {
                /* Field 2 (comm) may hold spaces: parse after its ')'. */
                char buf[1024];
                size_t n = fread(buf, 1, sizeof(buf) - 1, st);
                buf[n] = '\0';
                char *p = strrchr(buf, ')');
                if (p)
                        sscanf(p + 2,
                               "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d %*d %*d %*d %*d %*d %llu %lu %ld",
                               &utime, &stime, &starttime, &vsize, &rss);
                fclose(st);
        }
        long ticks = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
        unsigned long long btime = 0;
        FILE *ps = fopen("/proc/stat", "re");
        if (ps) {
                char line[256];
                while (fgets(line, sizeof(line), ps))
                        if (sscanf(line, "btime %llu", &btime) == 1)
                                break;
                fclose(ps);
        }
        int fds = 0;
        DIR *d = opendir("/proc/self/fd");
        if (d) {
                struct dirent *de;
                while ((de = readdir(d)))
                        if (de->d_name[0] != '.')
                                fds++;
                closedir(d);
                fds--;   /* the directory stream itself */
        }
        struct rlimit rl = { 0 };
        getrlimit(RLIMIT_NOFILE, &rl);
        fprintf(f, "# HELP process_cpu_seconds_total User and system CPU time spent.\n"
                   "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %.2f\n",
                (double)(utime + stime) / (double)ticks);
        fprintf(f, "# HELP process_resident_memory_bytes Resident memory size.\n"
                   "# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes %ld\n",
                rss * page);
        fprintf(f, "# HELP process_virtual_memory_bytes Virtual memory size.\n"
                   "# TYPE process_virtual_memory_bytes gauge\nprocess_virtual_memory_bytes %lu\n",
                vsize);
        fprintf(f, "# HELP process_open_fds Open file descriptors.\n"
                   "# TYPE process_open_fds gauge\nprocess_open_fds %d\n",
                fds);
        fprintf(f, "# HELP process_max_fds Limit of open file descriptors.\n"
                   "# TYPE process_max_fds gauge\nprocess_max_fds %llu\n",
                (unsigned long long)rl.rlim_cur);
        fprintf(f, "# HELP process_start_time_seconds Start time since the epoch.\n"
                   "# TYPE process_start_time_seconds gauge\nprocess_start_time_seconds %.2f\n",
                (double)btime + (double)starttime / (double)ticks);
}

static void counter(FILE *f, const char *name, const char *help, uint64_t v) {
        fprintf(f, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name, (unsigned long long)v);
}

static void gauge(FILE *f, const char *name, const char *help, int64_t v) {
        fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name, (long long)v);
}

char *metrics_render(struct metrics *m, size_t *ret_len) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;

        fprintf(f, "# HELP ingestd_build_info Version of ingestd and of librdkafka.\n"
                   "# TYPE ingestd_build_info gauge\n"
                   "ingestd_build_info{version=\"%s\",librdkafka=\"%s\"} 1\n",
                INGESTD_VERSION, rd_kafka_version_str());
        counter(f, "ingestd_articles_consumed_total", "Messages consumed from the input topics.", m->consumed);
        counter(f, "ingestd_articles_published_total", "Enriched records handed to the producer for the output topic.",
                m->published);
        counter(f, "ingestd_articles_dropped_total", "Articles accepted but not published (by configuration).",
                m->dropped);
        counter(f, "ingestd_rebalances_total", "Consumer group rebalances (assignments and revocations).",
                m->rebalances);
        counter(f, "ingestd_transactions_committed_total", "Transactions committed (exactly-once mode).",
                m->txn_committed);
        counter(f, "ingestd_transactions_aborted_total",
                "Transactions aborted and their input processed again (exactly-once mode).", m->txn_aborted);

        pthread_mutex_lock(&m->lock);
        fputs("# HELP ingestd_dead_lettered_total Messages sent to the dead-letter topic, by reason and stage.\n"
              "# TYPE ingestd_dead_lettered_total counter\n",
              f);
        for (size_t i = 0; i < m->dead_letters.n; i++) {
                fputs("ingestd_dead_lettered_total{reason=\"", f);
                put_label(f, m->dead_letters.e[i].label);
                fputs("\",stage=\"", f);
                put_label(f, m->dead_letters.e[i].label2);
                fprintf(f, "\"} %lld\n", (long long)m->dead_letters.e[i].value);
        }
        if (m->dead_letters.other)
                fprintf(f, "ingestd_dead_lettered_total{reason=\"other\",stage=\"\"} %lld\n",
                        (long long)m->dead_letters.other);
        fputs("# HELP ingestd_duplicates_total Articles found to be duplicates, by kind.\n"
              "# TYPE ingestd_duplicates_total counter\n",
              f);
        for (size_t i = 0; i < m->dup_kinds.n; i++) {
                fputs("ingestd_duplicates_total{kind=\"", f);
                put_label(f, m->dup_kinds.e[i].label);
                fprintf(f, "\"} %lld\n", (long long)m->dup_kinds.e[i].value);
        }
        fputs("# HELP ingestd_articles_by_language_total Published articles by detected language.\n"
              "# TYPE ingestd_articles_by_language_total counter\n",
              f);
        for (size_t i = 0; i < m->languages.n; i++) {
                fputs("ingestd_articles_by_language_total{language=\"", f);
                put_label(f, m->languages.e[i].label);
                fprintf(f, "\"} %lld\n", (long long)m->languages.e[i].value);
        }
        if (m->languages.other)
                fprintf(f, "ingestd_articles_by_language_total{language=\"other\"} %lld\n",
                        (long long)m->languages.other);
        fputs("# HELP ingestd_consumer_lag Messages behind the partition's end, from librdkafka statistics.\n"
              "# TYPE ingestd_consumer_lag gauge\n",
              f);
        for (size_t i = 0; i < m->lag.n; i++) {
                fputs("ingestd_consumer_lag{topic=\"", f);
                put_label(f, m->lag.e[i].label);
                fprintf(f, "\",partition=\"%d\"} %lld\n", m->lag.e[i].partition, (long long)m->lag.e[i].value);
        }
        pthread_mutex_unlock(&m->lock);

        fputs("# HELP ingestd_stage_rejected_total Articles rejected by each pipeline stage.\n"
              "# TYPE ingestd_stage_rejected_total counter\n",
              f);
        for (size_t i = 0; i < m->n_stages; i++)
                fprintf(f, "ingestd_stage_rejected_total{stage=\"%s\"} %llu\n", m->stage_names[i],
                        (unsigned long long)m->stage_rejected[i]);
        fputs("# HELP ingestd_stage_duration_seconds Time spent in each pipeline stage per article.\n"
              "# TYPE ingestd_stage_duration_seconds histogram\n",
              f);
        for (size_t i = 0; i < m->n_stages; i++)
                render_histogram(f, "ingestd_stage_duration_seconds", "stage", m->stage_names[i], &m->stages[i]);
        fputs("# HELP ingestd_end_to_end_latency_seconds From the input message's timestamp to its output record being handed to the producer.\n"
              "# TYPE ingestd_end_to_end_latency_seconds histogram\n",
              f);
        render_histogram(f, "ingestd_end_to_end_latency_seconds", NULL, NULL, &m->e2e);

        gauge(f, "ingestd_dedup_index_entries", "Articles in the dedup index (all instances' within the window).",
              (int64_t)m->dedup_entries);
        gauge(f, "ingestd_dedup_index_bytes", "Memory of the dedup index.", (int64_t)m->dedup_bytes);
        counter(f, "ingestd_dedup_evicted_total", "Index entries evicted by dedup.max_memory_bytes.", m->dedup_evicted);
        counter(f, "ingestd_dedup_expired_total", "Index entries expired by dedup.ttl.", m->dedup_expired);
        gauge(f, "ingestd_dedup_restored_fingerprints", "Fingerprints read by the restore at start-up.",
              (int64_t)m->dedup_restored);
        fprintf(f, "# HELP ingestd_dedup_restore_seconds How long the restore at start-up took.\n"
                   "# TYPE ingestd_dedup_restore_seconds gauge\ningestd_dedup_restore_seconds %.3f\n",
                (double)m->dedup_restore_micros / 1e6);
        gauge(f, "ingestd_assigned_partitions", "Input partitions assigned to this instance.", m->assigned);
        gauge(f, "ingestd_records_in_flight", "Records produced and not yet acknowledged.", m->in_flight);
        gauge(f, "ingestd_producer_queue_messages", "Messages and requests waiting in the producer's queue.",
              m->producer_queue);
        gauge(f, "ingestd_brokers_up", "Brokers the consumer is connected to, from librdkafka statistics.",
              m->brokers_up);
        render_process(f);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        if (ret_len)
                *ret_len = len;
        return buf;
}
