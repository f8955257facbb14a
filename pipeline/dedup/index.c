/* The deduplication index (dedup.h): what has been seen in the window of
 * event time, and the verdicts.
 *
 * Verdicts, in this order:
 *  - replay: an entry with the same id at the same source position (topic,
 *    partition, offset): its verdict again;
 *  - duplicate: an entry with the same id (a re-delivery), else the same
 *    content hash, else (url_exact) the same canonical URL; duplicate_of is
 *    that first article;
 *  - near_duplicate: the entries sharing an LSH band key are candidates;
 *    those sharing the most bands are compared first (at most MAX_COMPARE),
 *    on their b-bit signatures, and the best confirmed one wins;
 *    duplicate_of is the first article of its cluster (its own duplicate_of
 *    when it is itself a near duplicate), similarity the estimated
 *    containment (shared shingles / shingles of the shorter article);
 *  - otherwise unique.
 * Confirmation: the estimated Jaccard similarity less DEDUP_CONFIDENCE_Z
 * standard errors must reach min_jaccard, or the containment computed from
 * it min_containment. The containment of a short text in a long one is
 * J(a+b)/((1+J)a): it multiplies the estimate's error by (a+b)/a, and a
 * short text fills fewer signature bins; without the margin, short articles
 * sharing a site's boilerplate with long ones pass for copies.
 *
 * Layout, for a small and predictable footprint per article (about 240
 * bytes at a million articles with the defaults; docs/benchmarks.md):
 *  - entries: one array of 32-byte records and the b-bit signature behind
 *    each, reused through a free list; an entry's number is its place;
 *  - one hash table (table.h) of 32-bit tags to entry numbers, for all keys:
 *    the id (every entry: re-deliveries and replays), the content hash and
 *    the canonical URL (the first entry with each), and the LSH band keys
 *    (unique and near-duplicate articles; at most MAX_BUCKET entries per
 *    key: a key shared by more is site boilerplate, not a story);
 *  - the ids (and the duplicate_of of duplicates, for replays) in a string
 *    arena, compacted when a quarter of it is garbage;
 *  - a binary min-heap of entries by event time, for expiry and eviction.
 *
 * Removal is lazy: an expired, evicted or aborted entry is marked dead at
 * once (lookups skip it) and its table slots are swept out later, in one
 * pass, when they add up to an eighth of the table or when room is needed;
 * only then is its number reused.
 *
 * Memory cap: the structures grow in steps (the table by 15 %, the rest by
 * 10 %), and only while the total stays under max_memory_bytes; otherwise
 * the oldest 1/32 of the entries (by event time) is evicted and its room
 * reused. A cap lowered by a reload takes effect as the index turns over:
 * nothing grows any more, but memory already allocated is kept.
 *
 * Event time: entries expire when older than the newest event time seen
 * minus the TTL. Event times more than a day ahead of the clock are taken as
 * the clock's time, so that one wrong date cannot expire the whole index.
 * Times are kept to the second. An article older than the window gets a
 * verdict but is not kept (a replay of it is judged afresh). */
#include "dedup.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
/* XXH3 inlined: most inputs here are a few dozen bytes. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "index_tuning.h"
#include "lsh.h"
#include "minhash.h"
#include "table.h"
#include "text_norm.h"
#include "url_canon.h"

enum {
        E_ALIVE = 1 << 0,
        E_IN_BATCH = 1 << 1,
        E_CONTENT_KEY = 1 << 2,   /* the content hash is in the table */
        E_URL_KEY = 1 << 3,
        E_BANDS = 1 << 4,         /* the band keys are in the table */
        E_DUP = 1 << 5,           /* strings hold duplicate_of after the id */
};

/* 32 bytes. The content and URL hashes are checked on 64 bits: 32 in the
 * table's tag (from their low half) and 32 here (from their high half). */
struct entry {
        uint32_t content;         /* bits 0-31 of the content hash's high half */
        uint32_t url;             /* the same of the URL hash */
        uint32_t position;        /* hash of topic, partition, offset; 0: none */
        uint32_t event_s;         /* event time, seconds since 1970 */
        uint32_t str;             /* strings: offset in the arena */
        uint32_t heap_pos;        /* alive: place in the heap; dead: next on its list */
        uint16_t shingles;
        uint16_t similarity;      /* × 65535 */
        uint8_t id_len_m1;        /* id length - 1 (1-256) */
        uint8_t dup_len_m1;       /* duplicate_of length - 1, with E_DUP */
        uint8_t flags;            /* E_*, and the status in the top two bits */
        uint8_t bands;            /* band keys in the table, for the dead-slot count */
};

#define STATUS_SHIFT 6

static inline enum dedup_status status_of(const struct entry *e) {
        return (enum dedup_status)(e->flags >> STATUS_SHIFT);
}

#define NONE UINT32_MAX
#define DEAD_STR 0x80000000u      /* arena: header of a dead string, | its length */
#define MAX_LOAD 0.86           /* of the table: linear probing slows down fast above */
#define TARGET_LOAD 0.74
#define TABLE_GROWTH 1.15         /* the table is rebuilt to grow, in one sequential pass */
#define GROWTH 1.1                /* the rest is realloc'd (remapped, not copied) */
#define MAX_CANDIDATES 256        /* distinct entries gathered per lookup */
#define MAX_COMPARE 16            /* of which compared, those sharing most bands first */
#define CMAP_BITS 10
#define MAX_BUCKET 32             /* entries per band key: more are not indexed, nor looked at */
#define FUTURE_SLACK_S 86400
#define SCRATCH_KEEP (1u << 20)
#define DEDUP_CONFIDENCE_Z 1.5     /* standard errors of margin in confirmations (bench/dedup_eval --confidence) */

static const uint64_t SEED_ID = 0x69642d6b6579ULL, SEED_CONTENT = 0x636f6e74656e74ULL, SEED_URL = 0x75726cULL,
                      SEED_POSITION = 0x706f736974696f6eULL;

struct u32vec {
        uint32_t *v;
        size_t n, cap;
};

struct dedup_index {
        struct dedup_params p;
        uint64_t lsh_seed;
        size_t stride;            /* sizeof(struct entry) + signature */
        size_t sig_bytes;
        uint32_t sig_bins, sig_bits;
        double z;                 /* confidence of the confirmation rule, in standard errors */
        struct dedup_lookup_counts counts;

        uint8_t *entries;
        uint32_t entries_cap, entries_used;   /* used: high-water mark */
        uint64_t *dead;           /* bitmap over entries_cap: dead, slots not swept */
        /* Dead entries, linked through heap_pos: zombies still have slots in
         * the table, free ones do not and can be reused. */
        uint32_t zombies, zombies_n, free_list, free_n;
        struct u32vec batch, heap;
        uint32_t live;
        uint64_t zombie_slots;

        struct dedup_table table;

        char *arena;
        size_t arena_used, arena_cap, arena_garbage;

        int64_t max_event_s;
        bool in_batch;

        struct dedup_stats stats;

        /* per-article scratch */
        struct dedup_norm norm;
        struct dedup_sketcher sketcher;
        struct dedup_sketch sketch;
        uint32_t cand[MAX_CANDIDATES], order[MAX_CANDIDATES];
        uint8_t cand_bands[MAX_CANDIDATES];
        struct {
                uint32_t gen;
                uint16_t pos;
        } cmap[1 << CMAP_BITS];   /* entry → place in cand, for this lookup's generation */
        uint32_t cgen;
        uint64_t full_bands;      /* bands whose bucket the last lookup found full */
        char url_buf[8192];
};

static inline struct entry *E(const struct dedup_index *idx, uint32_t i) {
        return (struct entry *)(idx->entries + (size_t)i * idx->stride);
}

static inline uint8_t *SIG(const struct dedup_index *idx, uint32_t i) {
        return idx->entries + (size_t)i * idx->stride + sizeof(struct entry);
}

static inline uint32_t tag64(uint64_t x, uint64_t seed) {
        x ^= seed;
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return (uint32_t)x;
}

static uint32_t id_tag(const char *id, size_t len) {
        return (uint32_t)XXH3_64bits_withSeed(id, len, SEED_ID);
}

static uint32_t position_hash(const char *topic, int32_t partition, int64_t offset) {
        if (!topic || !*topic)
                return 0;
        uint64_t parts[3] = { XXH3_64bits_withSeed(topic, strlen(topic), SEED_POSITION), (uint64_t)(uint32_t)partition,
                              (uint64_t)offset };
        uint32_t h = (uint32_t)XXH3_64bits(parts, sizeof(parts));
        return h ? h : 1;
}

static int vec_push(struct u32vec *v, uint32_t x) {
        if (v->n == v->cap) {
                size_t cap = v->cap ? v->cap + v->cap / 2 : 64;
                uint32_t *n = realloc(v->v, cap * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                v->v = n;
                v->cap = cap;
        }
        v->v[v->n++] = x;
        return 0;
}

/* --- memory ----------------------------------------------------------------- */

static uint64_t memory_bytes(const struct dedup_index *idx) {
        return sizeof(*idx) + (uint64_t)idx->entries_cap * idx->stride + (uint64_t)idx->entries_cap / 8 +
               (uint64_t)idx->table.cap * sizeof(uint64_t) + idx->arena_cap +
               (idx->batch.cap + idx->heap.cap) * sizeof(uint32_t) +
               idx->norm.cap + idx->norm.starts_cap * sizeof(uint32_t) + idx->sketcher.set_cap * sizeof(uint64_t) +
               idx->sketcher.bins_cap * (2 * sizeof(uint64_t) + 1 + sizeof(uint32_t));
}

/* Whether growing by `more` bytes stays under the cap. */
static bool fits(const struct dedup_index *idx, uint64_t more) {
        return memory_bytes(idx) + more <= idx->p.max_memory_bytes;
}

/* --- the heap of event times ------------------------------------------------ */

static inline bool heap_less(const struct dedup_index *idx, uint32_t a, uint32_t b) {
        return E(idx, a)->event_s < E(idx, b)->event_s;
}

static void heap_set(struct dedup_index *idx, size_t pos, uint32_t e) {
        idx->heap.v[pos] = e;
        E(idx, e)->heap_pos = (uint32_t)pos;
}

static void heap_up(struct dedup_index *idx, size_t pos) {
        uint32_t e = idx->heap.v[pos];
        while (pos > 0) {
                size_t parent = (pos - 1) / 2;
                if (!heap_less(idx, e, idx->heap.v[parent]))
                        break;
                heap_set(idx, pos, idx->heap.v[parent]);
                pos = parent;
        }
        heap_set(idx, pos, e);
}

static void heap_down(struct dedup_index *idx, size_t pos) {
        size_t n = idx->heap.n;
        uint32_t e = idx->heap.v[pos];
        for (;;) {
                size_t c = 2 * pos + 1;
                if (c >= n)
                        break;
                if (c + 1 < n && heap_less(idx, idx->heap.v[c + 1], idx->heap.v[c]))
                        c++;
                if (!heap_less(idx, idx->heap.v[c], e))
                        break;
                heap_set(idx, pos, idx->heap.v[c]);
                pos = c;
        }
        heap_set(idx, pos, e);
}

static void heap_remove(struct dedup_index *idx, uint32_t e) {
        size_t pos = E(idx, e)->heap_pos;
        uint32_t last = idx->heap.v[--idx->heap.n];
        if (pos == idx->heap.n)
                return;
        heap_set(idx, pos, last);
        heap_up(idx, pos);
        heap_down(idx, E(idx, last)->heap_pos);
}

/* --- strings ------------------------------------------------------------------ */

static inline size_t str_len(const struct entry *e) {
        return 4 + (size_t)e->id_len_m1 + 1 + ((e->flags & E_DUP) ? (size_t)e->dup_len_m1 + 1 : 0);
}

static inline const char *entry_id(const struct dedup_index *idx, const struct entry *e) {
        return idx->arena + e->str + 4;
}

static void arena_compact(struct dedup_index *idx) {
        size_t r = 0, w = 0;
        while (r < idx->arena_used) {
                uint32_t h;
                memcpy(&h, idx->arena + r, 4);
                if (h & DEAD_STR) {
                        r += h & ~DEAD_STR;
                        continue;
                }
                struct entry *e = E(idx, h);
                size_t n = str_len(e);
                if (w != r)
                        memmove(idx->arena + w, idx->arena + r, n);
                e->str = (uint32_t)w;
                w += n;
                r += n;
        }
        idx->arena_used = w;
        idx->arena_garbage = 0;
}

/* --- removal ------------------------------------------------------------------ */

static uint32_t entry_slots(const struct entry *e) {
        return 1 + !!(e->flags & E_CONTENT_KEY) + !!(e->flags & E_URL_KEY) + ((e->flags & E_BANDS) ? e->bands : 0);
}

static void kill(struct dedup_index *idx, uint32_t i) {
        struct entry *e = E(idx, i);
        e->flags &= (uint8_t)~E_ALIVE;
        heap_remove(idx, i);
        uint32_t h = DEAD_STR | (uint32_t)str_len(e);
        memcpy(idx->arena + e->str, &h, 4);
        idx->arena_garbage += str_len(e);
        idx->dead[i >> 6] |= 1ULL << (i & 63);
        idx->zombie_slots += entry_slots(e);
        idx->live--;
        e->heap_pos = idx->zombies;
        idx->zombies = i;
        idx->zombies_n++;
}

/* Sweeps dead slots out of the table (resized to `cap`) and makes the dead
 * entries' numbers reusable. */
static int sweep(struct dedup_index *idx, uint32_t cap) {
        int r = dedup_table_rebuild(&idx->table, cap, idx->dead);
        if (r < 0)
                return r;
        while (idx->zombies != NONE) {
                uint32_t i = idx->zombies;
                struct entry *e = E(idx, i);
                idx->zombies = e->heap_pos;
                idx->dead[i >> 6] &= ~(1ULL << (i & 63));
                e->heap_pos = idx->free_list;
                idx->free_list = i;
                idx->free_n++;
        }
        idx->zombies_n = 0;
        idx->zombie_slots = 0;
        return 0;
}

static void expire(struct dedup_index *idx) {
        int64_t cutoff = idx->max_event_s - idx->p.ttl_ms / 1000;
        while (idx->heap.n && (int64_t)E(idx, idx->heap.v[0])->event_s < cutoff) {
                kill(idx, idx->heap.v[0]);
                idx->stats.expired++;
        }
}

/* Evicts the oldest 1/32 of the entries and reclaims their room. */
static void evict_oldest(struct dedup_index *idx) {
        uint32_t n = idx->live / 32;
        if (n == 0)
                n = 1;
        while (n-- && idx->heap.n) {
                kill(idx, idx->heap.v[0]);
                idx->stats.evicted++;
        }
        sweep(idx, idx->table.cap);
        arena_compact(idx);
}

/* --- room for one more entry -------------------------------------------------- */

static int grow_entries(struct dedup_index *idx) {
        uint64_t cap = (uint64_t)idx->entries_cap * GROWTH + 64;
        if (cap > DEAD_STR - 1)
                cap = DEAD_STR - 1;
        if (cap <= idx->entries_cap)
                return -ENOMEM;
        uint64_t more = (cap - idx->entries_cap) * (idx->stride + sizeof(uint32_t)) + cap / 8;
        if (!fits(idx, more))
                return -ENOSPC;
        uint8_t *e = realloc(idx->entries, (size_t)cap * idx->stride);
        if (!e)
                return -ENOMEM;
        idx->entries = e;
        uint64_t *dead = realloc(idx->dead, (size_t)(cap + 63) / 64 * 8);
        if (!dead)
                return -ENOMEM;
        memset(dead + (idx->entries_cap + 63) / 64, 0, ((cap + 63) / 64 - (idx->entries_cap + 63) / 64) * 8);
        idx->dead = dead;
        /* The heap has room for every entry: insertion cannot fail later. */
        uint32_t *v = realloc(idx->heap.v, (size_t)cap * sizeof(uint32_t));
        if (!v)
                return -ENOMEM;
        idx->heap.v = v;
        idx->heap.cap = (size_t)cap;
        idx->entries_cap = (uint32_t)cap;
        return 0;
}

static int grow_table(struct dedup_index *idx, uint32_t need) {
        uint64_t keep = idx->table.count - idx->zombie_slots + need;
        uint64_t cap = idx->table.cap;
        if ((double)keep <= TARGET_LOAD * (double)cap)
                return sweep(idx, idx->table.cap);      /* enough dead slots to reuse */
        uint64_t want = (uint64_t)((double)keep / TARGET_LOAD) + 16;
        if (want < (uint64_t)((double)cap * TABLE_GROWTH))
                want = (uint64_t)((double)cap * TABLE_GROWTH);
        if (want > UINT32_MAX - 1)
                return -ENOMEM;
        if (!fits(idx, (want - cap) * sizeof(uint64_t)))
                return -ENOSPC;
        return sweep(idx, (uint32_t)want);
}

static int grow_arena(struct dedup_index *idx, size_t need) {
        if (idx->arena_garbage && idx->arena_garbage * 4 >= idx->arena_used) {
                arena_compact(idx);
                if (idx->arena_used + need <= idx->arena_cap)
                        return 0;
        }
        uint64_t cap = (uint64_t)idx->arena_cap * GROWTH + 4096;
        while (cap < idx->arena_used + need)
                cap = cap * GROWTH + 4096;
        if (cap > DEAD_STR - 1)
                return -ENOMEM;
        if (!fits(idx, cap - idx->arena_cap)) {
                if (idx->arena_garbage * 16 >= idx->arena_used) {
                        arena_compact(idx);
                        if (idx->arena_used + need <= idx->arena_cap)
                                return 0;
                }
                return -ENOSPC;
        }
        char *a = realloc(idx->arena, (size_t)cap);
        if (!a)
                return -ENOMEM;
        idx->arena = a;
        idx->arena_cap = (size_t)cap;
        return 0;
}

/* Makes room for an entry with `slots` table slots and `strings` arena bytes,
 * evicting the oldest entries when the memory cap requires it. Returns 0,
 * -ENOMEM, or -ENOSPC when even an empty index has no room for it. */
static int make_room(struct dedup_index *idx, uint32_t slots, size_t strings) {
        if (idx->zombie_slots > idx->table.cap / 8) {
                sweep(idx, idx->table.cap);
                if (idx->arena_garbage * 4 >= idx->arena_used)
                        arena_compact(idx);
        }
        for (;;) {
                int r = 0;
                if (idx->free_n == 0 && idx->entries_used == idx->entries_cap) {
                        /* Dead entries' numbers are reusable after a sweep;
                         * a sweep costs a pass over the table, so it waits
                         * for enough of them. */
                        if (idx->zombies_n >= idx->entries_cap / 16 + 1)
                                sweep(idx, idx->table.cap);
                        else
                                r = grow_entries(idx);
                        if (r == -ENOSPC && idx->zombies_n >= idx->entries_cap / 64 + 1) {
                                sweep(idx, idx->table.cap);
                                r = 0;
                        }
                }
                if (r == 0 && (double)(idx->table.count + slots) > MAX_LOAD * (double)idx->table.cap)
                        r = grow_table(idx, slots);
                if (r == 0 && idx->arena_used + strings > idx->arena_cap)
                        r = grow_arena(idx, strings);
                if (r != -ENOSPC)
                        return r;
                if (idx->live == 0)
                        return -ENOSPC;
                evict_oldest(idx);
        }
}

/* --- lookups ------------------------------------------------------------------ */

static bool same_id(const struct dedup_index *idx, const struct entry *e, const char *id, size_t len) {
        return (size_t)e->id_len_m1 + 1 == len && memcmp(entry_id(idx, e), id, len) == 0;
}

/* Alive entries with this id: *ret_replay gets the one at `position`, if
 * any; returns one of them, or NONE. */
static uint32_t find_id(const struct dedup_index *idx, const char *id, size_t len, uint32_t position,
                        uint32_t *ret_replay) {
        struct dedup_probe pr;
        uint32_t i, any = NONE;
        *ret_replay = NONE;
        dedup_table_probe_start(&idx->table, id_tag(id, len), &pr);
        while (dedup_table_probe_next(&idx->table, &pr, &i)) {
                const struct entry *e = E(idx, i);
                if (!(e->flags & E_ALIVE) || !same_id(idx, e, id, len))
                        continue;
                any = i;
                if (position && e->position == position) {
                        *ret_replay = i;
                        return i;
                }
        }
        return any;
}

/* The first article of an entry's cluster: its duplicate_of, or itself. */
static const char *root_of(const struct dedup_index *idx, const struct entry *e, size_t *ret_len) {
        if (e->flags & E_DUP) {
                *ret_len = (size_t)e->dup_len_m1 + 1;
                return entry_id(idx, e) + e->id_len_m1 + 1;
        }
        *ret_len = (size_t)e->id_len_m1 + 1;
        return entry_id(idx, e);
}

static uint32_t find_content(const struct dedup_index *idx, const uint64_t content[2]) {
        struct dedup_probe pr;
        uint32_t i;
        dedup_table_probe_start(&idx->table, tag64(content[0], SEED_CONTENT), &pr);
        while (dedup_table_probe_next(&idx->table, &pr, &i)) {
                const struct entry *e = E(idx, i);
                if ((e->flags & (E_ALIVE | E_CONTENT_KEY)) == (E_ALIVE | E_CONTENT_KEY) &&
                    e->content == (uint32_t)content[1])
                        return i;
        }
        return NONE;
}

static uint32_t find_url(const struct dedup_index *idx, const uint64_t url[2]) {
        struct dedup_probe pr;
        uint32_t i;
        dedup_table_probe_start(&idx->table, tag64(url[0], SEED_URL), &pr);
        while (dedup_table_probe_next(&idx->table, &pr, &i)) {
                const struct entry *e = E(idx, i);
                if ((e->flags & (E_ALIVE | E_URL_KEY)) == (E_ALIVE | E_URL_KEY) && e->url == (uint32_t)url[1])
                        return i;
        }
        return NONE;
}

static void prefetch_exact(const struct dedup_index *idx, const char *id, size_t id_len,
                           const struct dedup_fingerprint *fp) {
        dedup_table_prefetch(&idx->table, id_tag(id, id_len));
        dedup_table_prefetch(&idx->table, tag64(fp->content_hash[0], SEED_CONTENT));
        if (fp->has_url)
                dedup_table_prefetch(&idx->table, tag64(fp->url_hash[0], SEED_URL));
}

/* Whether candidate entry i is confirmed, and its estimated similarity.
 * Confirmed when the similarity, less z standard errors, reaches a
 * threshold: containment of a short text in a long one is
 * J·(a+b)/((1+J)·a), which multiplies the estimate's error by (a+b)/a, and
 * a short text's signature holds fewer independent values. */
static bool confirm(const struct dedup_index *idx, uint32_t i, const uint8_t *sig, uint32_t shingles,
                    double *ret_c, double *ret_j) {
        const struct entry *e = E(idx, i);
        if ((e->flags & (E_ALIVE | E_BANDS)) != (E_ALIVE | E_BANDS) || e->shingles < idx->p.min_shingles)
                return false;
        double agree = dedup_sig_agreement(sig, SIG(idx, i), idx->sig_bins, idx->sig_bits);
        double j = dedup_jaccard_of_agreement(agree, idx->sig_bits);
        uint32_t small = shingles < e->shingles ? shingles : e->shingles;
        double j_lo = j - idx->z * dedup_jaccard_stderr(agree, idx->sig_bins, idx->sig_bits, small);
        if (j_lo < 0)
                j_lo = 0;
        if (j_lo < idx->p.min_jaccard && dedup_containment(j_lo, shingles, e->shingles) < idx->p.min_containment)
                return false;
        *ret_c = dedup_containment(j, shingles, e->shingles);
        *ret_j = j;
        return true;
}

/* The best confirmed LSH candidate, or NONE. Candidates are the entries
 * that share a band key; those sharing the most bands are compared first,
 * at most MAX_COMPARE of them. */
static uint32_t find_near(struct dedup_index *idx, const uint64_t *band_keys, const uint8_t *sig, uint32_t shingles,
                          double *ret_similarity) {
        uint32_t n = 0;
        idx->full_bands = 0;
        if (++idx->cgen == 0) {
                memset(idx->cmap, 0, sizeof(idx->cmap));
                idx->cgen = 1;
        }
        for (uint32_t b = 0; b < idx->p.bands; b++)
                dedup_table_prefetch(&idx->table, (uint32_t)band_keys[b]);
        for (uint32_t b = 0; b < idx->p.bands; b++) {
                struct dedup_probe pr;
                uint32_t i, scanned = 0, scanned_all = 0;
                dedup_table_probe_start(&idx->table, (uint32_t)band_keys[b], &pr);
                while (scanned < MAX_BUCKET && dedup_table_probe_next(&idx->table, &pr, &i)) {
                        if (++scanned_all == MAX_BUCKET)
                                idx->full_bands |= 1ULL << b;     /* no room to insert: known now */
                        if (dedup_bit(idx->dead, i))
                                continue;
                        scanned++;
                        uint32_t h = (i * 0x9e3779b1u) >> (32 - CMAP_BITS);
                        while (idx->cmap[h].gen == idx->cgen && idx->cand[idx->cmap[h].pos] != i)
                                h = (h + 1) & ((1u << CMAP_BITS) - 1);
                        if (idx->cmap[h].gen == idx->cgen) {
                                idx->cand_bands[idx->cmap[h].pos]++;
                        } else if (n < MAX_CANDIDATES) {
                                idx->cmap[h].gen = idx->cgen;
                                idx->cmap[h].pos = (uint16_t)n;
                                idx->cand[n] = i;
                                idx->cand_bands[n] = 1;
                                n++;
                        }
                }
        }
        idx->counts.near_lookups++;
        idx->counts.candidates += n;

        /* By shared bands, most first (a counting sort). */
        uint32_t start[DEDUP_MAX_BANDS + 2] = { 0 };
        for (uint32_t k = 0; k < n; k++)
                start[idx->p.bands - idx->cand_bands[k] + 1]++;
        for (uint32_t c = 1; c <= idx->p.bands + 1; c++)
                start[c] += start[c - 1];
        for (uint32_t k = 0; k < n; k++)
                idx->order[start[idx->p.bands - idx->cand_bands[k]]++] = idx->cand[k];
        uint32_t m = n < MAX_COMPARE ? n : MAX_COMPARE;
        for (uint32_t k = 0; k < m; k++)
                __builtin_prefetch(E(idx, idx->order[k]));

        uint32_t best = NONE;
        double best_c = -1, best_j = -1;
        for (uint32_t k = 0; k < m; k++) {
                uint32_t i = idx->order[k];
                double c, j;
                if (!confirm(idx, i, sig, shingles, &c, &j))
                        continue;
                if (c > best_c || (c == best_c && j > best_j) ||
                    (c == best_c && j == best_j && E(idx, i)->event_s < E(idx, best)->event_s)) {
                        best = i;
                        best_c = c;
                        best_j = j;
                }
        }
        *ret_similarity = best_c;
        return best;
}

/* --- insertion ---------------------------------------------------------------- */

struct new_entry {
        const char *id;
        size_t id_len;
        const char *dup;          /* NULL for unique */
        size_t dup_len;
        const uint64_t *content, *url;
        uint32_t position;
        bool content_key, url_key, bands;
        const uint64_t *band_keys;
        uint64_t full_bands;      /* known full: not tried */
        const uint8_t *sig;
        uint32_t shingles;
        int64_t event_s;
        enum dedup_status status;
        double similarity;
};

static int insert(struct dedup_index *idx, const struct new_entry *n) {
        uint32_t slots = 1 + n->content_key + n->url_key + (n->bands ? idx->p.bands : 0);
        size_t strings = 4 + n->id_len + (n->dup ? n->dup_len : 0);
        if (idx->in_batch && idx->batch.n == idx->batch.cap) {
                if (vec_push(&idx->batch, 0) < 0)
                        return -ENOMEM;
                idx->batch.n--;
        }
        int r = make_room(idx, slots, strings);
        if (r < 0)
                return r;
        if (idx->heap.n)
                __builtin_prefetch(E(idx, idx->heap.v[(idx->heap.n - 1) / 2]));
        uint32_t i;
        if (idx->free_n) {
                i = idx->free_list;
                idx->free_list = E(idx, i)->heap_pos;
                idx->free_n--;
        } else {
                i = idx->entries_used++;
        }
        struct entry *e = E(idx, i);
        *e = (struct entry){
                .content = (uint32_t)n->content[1],
                .url = (uint32_t)n->url[1],
                .position = n->position,
                .event_s = (uint32_t)n->event_s,
                .str = (uint32_t)idx->arena_used,
                .shingles = (uint16_t)(n->shingles > UINT16_MAX ? UINT16_MAX : n->shingles),
                .similarity = (uint16_t)(n->similarity * 65535.0 + 0.5),
                .id_len_m1 = (uint8_t)(n->id_len - 1),
                .dup_len_m1 = (uint8_t)(n->dup ? n->dup_len - 1 : 0),
                .flags = (uint8_t)(E_ALIVE | (n->dup ? E_DUP : 0) | (n->content_key ? E_CONTENT_KEY : 0) |
                                   (n->url_key ? E_URL_KEY : 0) | (n->bands ? E_BANDS : 0) |
                                   (idx->in_batch ? E_IN_BATCH : 0) | (unsigned)n->status << STATUS_SHIFT),
                .bands = (uint8_t)(n->bands ? idx->p.bands : 0),
        };
        if (n->bands)
                memcpy(SIG(idx, i), n->sig, idx->sig_bytes);
        uint32_t h = i;
        memcpy(idx->arena + idx->arena_used, &h, 4);
        memcpy(idx->arena + idx->arena_used + 4, n->id, n->id_len);
        if (n->dup)
                memcpy(idx->arena + idx->arena_used + 4 + n->id_len, n->dup, n->dup_len);
        idx->arena_used += strings;

        dedup_table_insert(&idx->table, id_tag(n->id, n->id_len), i);
        if (n->content_key)
                dedup_table_insert(&idx->table, tag64(n->content[0], SEED_CONTENT), i);
        if (n->url_key)
                dedup_table_insert(&idx->table, tag64(n->url[0], SEED_URL), i);
        if (n->bands) {
                for (uint32_t b = 0; b < idx->p.bands; b++)
                        dedup_table_prefetch(&idx->table, (uint32_t)n->band_keys[b]);
                uint32_t inserted = 0;
                for (uint32_t b = 0; b < idx->p.bands; b++) {
                        /* A full bucket is a key that many articles share
                         * (site boilerplate): it tells nothing, and costs. */
                        if (!(n->full_bands >> b & 1))
                                inserted += dedup_table_insert_max(&idx->table, (uint32_t)n->band_keys[b], i,
                                                                   MAX_BUCKET);
                }
                e->bands = (uint8_t)inserted;
        }

        idx->heap.v[idx->heap.n] = i;
        heap_up(idx, idx->heap.n++);
        if (idx->in_batch)
                idx->batch.v[idx->batch.n++] = i;
        idx->live++;
        return 0;
}

/* --- event time ---------------------------------------------------------------- */

static int64_t event_seconds(int64_t ms) {
        int64_t s = ms >= 0 ? ms / 1000 : 0;
        struct timespec ts;
        if (clock_gettime(CLOCK_REALTIME, &ts) == 0 && s > (int64_t)ts.tv_sec + FUTURE_SLACK_S)
                s = ts.tv_sec;
        if (s > (int64_t)UINT32_MAX)
                s = UINT32_MAX;
        return s;
}

/* Takes the event time into the window; returns whether it is inside. */
static bool advance(struct dedup_index *idx, int64_t event_s) {
        if (event_s > idx->max_event_s)
                idx->max_event_s = event_s;
        expire(idx);
        return event_s >= idx->max_event_s - idx->p.ttl_ms / 1000;
}

/* --- parameters ---------------------------------------------------------------- */

static bool params_valid(const struct dedup_params *p) {
        return p->shingle_words >= 1 && p->shingle_words <= 64 && p->bands >= 1 && p->bands <= DEDUP_MAX_BANDS &&
               p->rows >= 1 && (uint64_t)p->bands * p->rows <= DEDUP_MAX_LSH_BINS && p->min_jaccard >= 0 &&
               p->min_jaccard <= 1 && p->min_containment >= 0 && p->min_containment <= 1 && p->ttl_ms > 0;
}

static bool same_sketch_params(const struct dedup_params *a, const struct dedup_params *b) {
        return a->shingle_words == b->shingle_words && a->bands == b->bands && a->rows == b->rows &&
               a->min_line_words == b->min_line_words;
}

struct dedup_index *dedup_index_new(const struct dedup_params *p) {
        if (!params_valid(p)) {
                errno = EINVAL;
                return NULL;
        }
        struct dedup_index *idx = calloc(1, sizeof(*idx));
        if (!idx)
                return NULL;
        idx->p = *p;
        idx->sig_bins = DEDUP_SIG_BINS;
        idx->sig_bits = DEDUP_SIG_BITS;
        idx->sig_bytes = DEDUP_SIG_BYTES;
        idx->stride = sizeof(struct entry) + idx->sig_bytes;
        idx->lsh_seed = dedup_lsh_seed(p->shingle_words, p->bands, p->rows, p->min_line_words, idx->sig_bins,
                                       idx->sig_bits);
        idx->max_event_s = 0;
        idx->zombies = idx->free_list = NONE;
        idx->z = DEDUP_CONFIDENCE_Z;
        if (dedup_table_init(&idx->table, 1024) < 0) {
                free(idx);
                return NULL;
        }
        return idx;
}

void dedup_index_free(struct dedup_index *idx) {
        if (!idx)
                return;
        free(idx->entries);
        free(idx->dead);
        free(idx->batch.v);
        free(idx->heap.v);
        dedup_table_free(&idx->table);
        free(idx->arena);
        dedup_norm_free(&idx->norm);
        dedup_sketcher_free(&idx->sketcher);
        free(idx);
}

int dedup_index_set_params(struct dedup_index *idx, const struct dedup_params *p) {
        if (!params_valid(p))
                return -EINVAL;
        if (!same_sketch_params(&idx->p, p)) {
                if (idx->live)
                        return -EBUSY;
                idx->lsh_seed = dedup_lsh_seed(p->shingle_words, p->bands, p->rows, p->min_line_words,
                                               idx->sig_bins, idx->sig_bits);
        }
        idx->p = *p;
        return 0;
}

/* --- the verdict ----------------------------------------------------------------- */

/* Normalizes, hashes and sketches the article into *fp (all but the verdict). */
static int fingerprint(struct dedup_index *idx, const struct dedup_input *in, struct dedup_fingerprint *fp) {
        int r = dedup_text_normalize(&idx->norm, in->body ? in->body : "", in->body ? in->body_len : 0,
                                     idx->p.min_line_words);
        if (r < 0)
                return r;
        dedup_content_hash(&idx->norm, fp->content_hash);
        fp->has_url = false;
        fp->url_hash[0] = fp->url_hash[1] = 0;
        if (in->url) {
                size_t n = dedup_url_canonicalize(in->url, strlen(in->url), idx->url_buf, sizeof(idx->url_buf));
                if (n) {
                        XXH128_hash_t h = XXH3_128bits(idx->url_buf, n);
                        fp->url_hash[0] = h.low64;
                        fp->url_hash[1] = h.high64;
                        fp->has_url = true;
                }
        }
        fp->n_bands = 0;
        fp->n_minhash = 0;
        fp->shingles = 0;
        if (idx->norm.words) {
                struct dedup_sketch *s = &idx->sketch;
                r = dedup_sketch_text(&idx->sketcher, &idx->norm, idx->p.shingle_words,
                                      idx->p.bands * idx->p.rows, idx->sig_bins, idx->sig_bits, s);
                if (r < 0)
                        return r;
                fp->shingles = s->shingles;
                if (s->shingles >= idx->p.min_shingles) {
                        dedup_band_keys(s->bins, idx->p.bands, idx->p.rows, idx->lsh_seed, fp->band_keys);
                        fp->n_bands = idx->p.bands;
                        memcpy(fp->minhash, s->sig, idx->sig_bytes);
                        fp->n_minhash = (uint32_t)idx->sig_bytes;
                }
        }
        return 0;
}

static void copy_str(char *dst, size_t cap, const char *src, size_t len) {
        if (len >= cap)
                len = cap - 1;
        memcpy(dst, src, len);
        dst[len] = '\0';
}

static bool near_eligible(const struct dedup_index *idx, const struct dedup_fingerprint *fp) {
        return fp->n_bands == idx->p.bands && fp->n_minhash == idx->sig_bytes && fp->shingles >= idx->p.min_shingles &&
               fp->shingles > 0;
}

static int check(struct dedup_index *idx, const struct dedup_input *in, struct dedup_verdict *ret,
                 struct dedup_fingerprint *ret_fp) {
        struct dedup_fingerprint *fp = ret_fp;
        const char *id = in->id ? in->id : "";
        size_t id_len = strlen(id);
        if (id_len > DEDUP_MAX_ID)
                id_len = DEDUP_MAX_ID;
        *ret = (struct dedup_verdict){ .status = DEDUP_UNIQUE };
        fp->status = DEDUP_UNIQUE;
        fp->duplicate_of[0] = '\0';
        fp->similarity = 0;
        copy_str(fp->id, sizeof(fp->id), id, id_len);
        copy_str(fp->topic, sizeof(fp->topic), in->topic ? in->topic : "", in->topic ? strlen(in->topic) : 0);
        fp->partition = in->partition;
        fp->offset = in->offset;
        fp->event_time_ms = in->event_time_ms;

        int r = fingerprint(idx, in, fp);
        if (r < 0) {
                dedup_hash_hex(fp->content_hash, ret->content_hash);
                return r;
        }
        dedup_hash_hex(fp->content_hash, ret->content_hash);

        int64_t event_s = event_seconds(in->event_time_ms);
        bool in_window = advance(idx, event_s);
        uint32_t position = position_hash(fp->topic, in->partition, in->offset);
        prefetch_exact(idx, id, id_len, fp);

        /* Replay, or re-delivery of a known id. */
        uint32_t replay = NONE;
        uint32_t known_id = id_len ? find_id(idx, id, id_len, position, &replay) : NONE;
        if (replay != NONE) {
                const struct entry *e = E(idx, replay);
                ret->replay = true;
                ret->status = status_of(e);
                ret->similarity = e->similarity / 65535.0;
                if (e->flags & E_DUP)
                        copy_str(fp->duplicate_of, sizeof(fp->duplicate_of),
                                 entry_id(idx, e) + e->id_len_m1 + 1, (size_t)e->dup_len_m1 + 1);
                fp->status = ret->status;
                fp->similarity = (float)ret->similarity;
                ret->duplicate_of = ret->status != DEDUP_UNIQUE ? fp->duplicate_of : NULL;
                return 0;
        }

        uint32_t match = NONE;
        bool looked_near = false;
        double similarity = 0;
        enum dedup_status status = DEDUP_UNIQUE;
        const char *dup = NULL;
        size_t dup_len = 0;
        uint32_t content_match = idx->norm.words ? find_content(idx, fp->content_hash) : NONE;
        uint32_t url_match = fp->has_url && idx->p.url_exact ? find_url(idx, fp->url_hash) : NONE;
        if (known_id != NONE) {
                match = known_id;
                status = DEDUP_DUPLICATE;
                similarity = 1;
        } else if (content_match != NONE || url_match != NONE) {
                match = content_match != NONE ? content_match : url_match;
                status = DEDUP_DUPLICATE;
                similarity = 1;
        } else if (near_eligible(idx, fp)) {
                looked_near = true;
                match = find_near(idx, fp->band_keys, fp->minhash, fp->shingles, &similarity);
                if (match != NONE)
                        status = DEDUP_NEAR_DUPLICATE;
                else
                        similarity = 0;
        }
        if (match != NONE) {
                /* The first article of the cluster the match belongs to:
                 * whichever copy the lookup finds first (several entries can
                 * share a text, and after a restore their order in the
                 * table differs), the answer is the same. */
                const struct entry *e = E(idx, match);
                dup = root_of(idx, e, &dup_len);
        }
        if (dup)
                copy_str(fp->duplicate_of, sizeof(fp->duplicate_of), dup, dup_len);
        fp->status = status;
        fp->similarity = (float)similarity;
        ret->status = status;
        ret->similarity = similarity;
        ret->duplicate_of = status != DEDUP_UNIQUE ? fp->duplicate_of : NULL;

        if (!in_window || id_len == 0)
                return 0;
        struct new_entry n = {
                .id = fp->id,
                .id_len = id_len,
                .dup = status != DEDUP_UNIQUE ? fp->duplicate_of : NULL,
                .dup_len = strlen(fp->duplicate_of),
                .content = fp->content_hash,
                .url = fp->url_hash,
                .position = position,
                .content_key = idx->norm.words && content_match == NONE,
                .url_key = fp->has_url && idx->p.url_exact && url_match == NONE,
                .bands = status != DEDUP_DUPLICATE && near_eligible(idx, fp),
                .band_keys = fp->band_keys,
                .full_bands = looked_near ? idx->full_bands : 0,
                .sig = fp->minhash,
                .shingles = fp->shingles,
                .event_s = event_s,
                .status = status,
                .similarity = similarity,
        };
        r = insert(idx, &n);
        if (r == -ENOSPC)
                return 0;       /* larger than the whole cap: not indexed */
        return r;
}

int dedup_index_check(struct dedup_index *idx, const struct dedup_input *in, struct dedup_verdict *ret,
                      struct dedup_fingerprint *ret_fp) {
        int r = check(idx, in, ret, ret_fp);
        /* Scratch grown by one huge article is not kept: it counts against
         * the memory cap. */
        if (idx->norm.cap > SCRATCH_KEEP)
                dedup_norm_free(&idx->norm);
        if (idx->sketcher.set_cap * sizeof(uint64_t) > SCRATCH_KEEP)
                dedup_sketcher_free(&idx->sketcher);
        return r;
}

int dedup_index_apply(struct dedup_index *idx, const struct dedup_fingerprint *fp) {
        size_t id_len = strnlen(fp->id, sizeof(fp->id));
        if (id_len == 0 || id_len > DEDUP_MAX_ID) {
                idx->stats.ignored++;
                return 0;
        }
        int64_t event_s = event_seconds(fp->event_time_ms);
        if (!advance(idx, event_s)) {
                idx->stats.ignored++;
                return 0;
        }
        uint32_t position = position_hash(fp->topic, fp->partition, fp->offset);
        prefetch_exact(idx, fp->id, id_len, fp);
        if (near_eligible(idx, fp))
                for (uint32_t b = 0; b < idx->p.bands; b++)
                        dedup_table_prefetch(&idx->table, (uint32_t)fp->band_keys[b]);
        uint32_t replay;
        find_id(idx, fp->id, id_len, position, &replay);
        if (replay != NONE) {
                idx->stats.ignored++;
                return 0;
        }
        /* No shingle means no word: such a text's hash is not a key. */
        uint32_t content_match = fp->shingles ? find_content(idx, fp->content_hash) : NONE;
        if (!position && content_match != NONE && same_id(idx, E(idx, content_match), fp->id, id_len)) {
                idx->stats.ignored++;
                return 0;
        }
        bool has_dup = fp->status != DEDUP_UNIQUE && fp->duplicate_of[0];
        struct new_entry n = {
                .id = fp->id,
                .id_len = id_len,
                .dup = has_dup ? fp->duplicate_of : NULL,
                .dup_len = has_dup ? strnlen(fp->duplicate_of, sizeof(fp->duplicate_of)) : 0,
                .content = fp->content_hash,
                .url = fp->url_hash,
                .position = position,
                .content_key = fp->shingles && content_match == NONE,
                .url_key = fp->has_url && idx->p.url_exact && find_url(idx, fp->url_hash) == NONE,
                .bands = fp->status != DEDUP_DUPLICATE && content_match == NONE && near_eligible(idx, fp),
                .band_keys = fp->band_keys,
                .sig = fp->minhash,
                .shingles = fp->shingles,
                .event_s = event_s,
                .status = fp->status <= DEDUP_NEAR_DUPLICATE ? fp->status : DEDUP_UNIQUE,
                .similarity = fp->similarity >= 0 && fp->similarity <= 1 ? fp->similarity : 0,
        };
        int r = insert(idx, &n);
        if (r < 0) {
                idx->stats.ignored++;
                return r == -ENOSPC ? 0 : r;
        }
        idx->stats.applied++;
        return 1;
}

/* --- batches --------------------------------------------------------------------- */

void dedup_index_begin(struct dedup_index *idx) {
        if (idx->in_batch)
                dedup_index_commit(idx);
        idx->in_batch = true;
        idx->batch.n = 0;
}

void dedup_index_commit(struct dedup_index *idx) {
        for (size_t k = 0; k < idx->batch.n; k++) {
                struct entry *e = E(idx, idx->batch.v[k]);
                e->flags &= (uint8_t)~E_IN_BATCH;
        }
        idx->batch.n = 0;
        idx->in_batch = false;
}

void dedup_index_abort(struct dedup_index *idx) {
        /* An entry number appears twice when its first entry died in the
         * batch and the number was reused: the flags tell. */
        for (size_t k = idx->batch.n; k-- > 0;) {
                uint32_t i = idx->batch.v[k];
                struct entry *e = E(idx, i);
                if ((e->flags & (E_ALIVE | E_IN_BATCH)) == (E_ALIVE | E_IN_BATCH))
                        kill(idx, i);
                e->flags &= (uint8_t)~E_IN_BATCH;
        }
        idx->batch.n = 0;
        idx->in_batch = false;
}

void dedup_index_stats(const struct dedup_index *idx, struct dedup_stats *ret) {
        *ret = idx->stats;
        ret->entries = idx->live;
        ret->memory_bytes = memory_bytes(idx);
}

int dedup_index_set_signature(struct dedup_index *idx, uint32_t bins, uint32_t bits) {
        if (!(bits == 1 || bits == 2 || bits == 4 || bits == 8) || bins == 0 || (bins * bits) % 64 ||
            bins * bits > DEDUP_MAX_SIG_BYTES * 8)
                return -EINVAL;
        if (idx->live || idx->entries_used)
                return -EBUSY;
        idx->sig_bins = bins;
        idx->sig_bits = bits;
        idx->sig_bytes = bins * bits / 8;
        idx->stride = sizeof(struct entry) + idx->sig_bytes;
        idx->lsh_seed = dedup_lsh_seed(idx->p.shingle_words, idx->p.bands, idx->p.rows, idx->p.min_line_words, bins,
                                       bits);
        return 0;
}

void dedup_index_lookup_counts(const struct dedup_index *idx, struct dedup_lookup_counts *ret) {
        *ret = idx->counts;
}

void dedup_index_set_confidence(struct dedup_index *idx, double z) {
        idx->z = z;
}

void dedup_index_memory(const struct dedup_index *idx, struct dedup_memory *ret) {
        ret->entries = (uint64_t)idx->entries_cap * idx->stride + (uint64_t)idx->entries_cap / 8;
        ret->table = (uint64_t)idx->table.cap * sizeof(uint64_t);
        ret->strings = idx->arena_cap;
        ret->heap = idx->heap.cap * sizeof(uint32_t);
        ret->other = memory_bytes(idx) - ret->entries - ret->table - ret->strings - ret->heap;
}

double dedup_index_confidence(void) {
        return DEDUP_CONFIDENCE_Z;
}
