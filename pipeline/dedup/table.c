/* Robin Hood hash table of (tag, entry) slots (see table.h). */
#include "table.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Tables of a MiB and more are mapped directly: their memory goes back to
 * the system when a rebuild frees them (malloc would keep much of it),
 * arrives zeroed (empty) without a pass over it, and is asked for
 * transparent huge pages, since random lookups in a table of hundreds of
 * MiB otherwise miss the TLB. */
#define MAP_MIN (1u << 20)

static uint64_t *alloc_slots(uint32_t cap) {
        size_t bytes = (size_t)cap * sizeof(uint64_t);
        if (bytes < MAP_MIN)
                return calloc(cap, sizeof(uint64_t));
        void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
                return NULL;
        (void)madvise(p, bytes, MADV_HUGEPAGE);
        return p;
}

static void free_slots(uint64_t *slot, uint32_t cap) {
        size_t bytes = (size_t)cap * sizeof(uint64_t);
        if (!slot)
                return;
        if (bytes < MAP_MIN)
                free(slot);
        else
                munmap(slot, bytes);
}

static inline uint32_t home(uint32_t tag, uint32_t cap) {
        return (uint32_t)(((uint64_t)tag * cap) >> 32);
}

static inline uint32_t slot_tag(uint64_t s) {
        return (uint32_t)(s >> 32);
}

static inline uint32_t slot_entry(uint64_t s) {
        return (uint32_t)s - 1;
}

static inline uint32_t dist(uint32_t pos, uint32_t tag, uint32_t cap) {
        uint32_t h = home(tag, cap);
        return pos >= h ? pos - h : pos + cap - h;
}

int dedup_table_init(struct dedup_table *t, uint32_t cap) {
        t->slot = alloc_slots(cap);
        if (!t->slot)
                return -ENOMEM;
        t->cap = cap;
        t->count = 0;
        return 0;
}

void dedup_table_free(struct dedup_table *t) {
        free_slots(t->slot, t->cap);
        *t = (struct dedup_table){ 0 };
}

static void insert_slot(uint64_t *slot, uint32_t cap, uint64_t cur) {
        uint32_t pos = home(slot_tag(cur), cap), d = 0;
        for (;;) {
                uint64_t s = slot[pos];
                if (s == DEDUP_TABLE_EMPTY) {
                        slot[pos] = cur;
                        return;
                }
                uint32_t sd = dist(pos, slot_tag(s), cap);
                if (sd < d) {
                        slot[pos] = cur;
                        cur = s;
                        d = sd;
                }
                pos = pos + 1 == cap ? 0 : pos + 1;
                d++;
        }
}

void dedup_table_insert(struct dedup_table *t, uint32_t tag, uint32_t entry) {
        insert_slot(t->slot, t->cap, (uint64_t)tag << 32 | (entry + 1));
        t->count++;
}

bool dedup_table_insert_max(struct dedup_table *t, uint32_t tag, uint32_t entry, uint32_t max) {
        /* Slots of the same tag share a home: Robin Hood insertion passes
         * over all of them before it displaces anything, so they are counted
         * on the way and nothing has moved when there are too many. */
        uint32_t cap = t->cap;
        uint32_t pos = home(tag, cap), d = 0, same = 0;
        for (;;) {
                uint64_t s = t->slot[pos];
                if (s == DEDUP_TABLE_EMPTY)
                        break;
                uint32_t sd = dist(pos, slot_tag(s), cap);
                if (sd < d)
                        break;
                if (slot_tag(s) == tag && ++same >= max)
                        return false;
                pos = pos + 1 == cap ? 0 : pos + 1;
                d++;
        }
        /* Continue as insert_slot() would from here. */
        uint64_t cur = (uint64_t)tag << 32 | (entry + 1);
        for (;;) {
                uint64_t s = t->slot[pos];
                if (s == DEDUP_TABLE_EMPTY) {
                        t->slot[pos] = cur;
                        break;
                }
                uint32_t sd = dist(pos, slot_tag(s), cap);
                if (sd < d) {
                        t->slot[pos] = cur;
                        cur = s;
                        d = sd;
                }
                pos = pos + 1 == cap ? 0 : pos + 1;
                d++;
        }
        t->count++;
        return true;
}

void dedup_table_prefetch(const struct dedup_table *t, uint32_t tag) {
        __builtin_prefetch(&t->slot[home(tag, t->cap)]);
}

void dedup_table_probe_start(const struct dedup_table *t, uint32_t tag, struct dedup_probe *p) {
        p->tag = tag;
        p->pos = home(tag, t->cap);
        p->dist = 0;
}

bool dedup_table_probe_next(const struct dedup_table *t, struct dedup_probe *p, uint32_t *ret_entry) {
        for (;;) {
                if (p->dist > t->cap)
                        return false;
                uint64_t s = t->slot[p->pos];
                if (s == DEDUP_TABLE_EMPTY || dist(p->pos, slot_tag(s), t->cap) < p->dist)
                        return false;
                p->pos = p->pos + 1 == t->cap ? 0 : p->pos + 1;
                p->dist++;
                if (slot_tag(s) == p->tag) {
                        *ret_entry = slot_entry(s);
                        return true;
                }
        }
}

/* Backward-shift deletion of the slot at pos. */
static void delete_at(struct dedup_table *t, uint32_t pos) {
        for (;;) {
                uint32_t next = pos + 1 == t->cap ? 0 : pos + 1;
                uint64_t s = t->slot[next];
                if (s == DEDUP_TABLE_EMPTY || dist(next, slot_tag(s), t->cap) == 0) {
                        t->slot[pos] = DEDUP_TABLE_EMPTY;
                        break;
                }
                t->slot[pos] = s;
                pos = next;
        }
        t->count--;
}

void dedup_table_sweep(struct dedup_table *t, const uint64_t *dead) {
        /* Slots before i hold live entries only: a backward shift moves live
         * slots into them, never dead ones. */
        for (uint32_t i = 0; i < t->cap;) {
                uint64_t s = t->slot[i];
                if (s != DEDUP_TABLE_EMPTY && dedup_bit(dead, slot_entry(s)))
                        delete_at(t, i);      /* look at i again */
                else
                        i++;
        }
}

struct placer {
        uint64_t *slot;
        uint32_t cap;
        uint64_t base, next;    /* unwrapped positions */
        uint32_t count;
        uint64_t *spill;
        size_t n_spill, spill_cap;
};

static int spill(struct placer *p, uint64_t s) {
        if (p->n_spill == p->spill_cap) {
                size_t c = p->spill_cap ? 2 * p->spill_cap : 64;
                uint64_t *ns = realloc(p->spill, c * sizeof(*ns));
                if (!ns)
                        return -ENOMEM;
                p->spill = ns;
                p->spill_cap = c;
        }
        p->spill[p->n_spill++] = s;
        return 0;
}

/* wrapped: the slot comes from past the old table's wrap point, so its home
 * is read one lap further. */
static int place(struct placer *p, uint64_t s, bool wrapped) {
        uint64_t h = home(slot_tag(s), p->cap) + (wrapped ? p->cap : 0);
        uint64_t pos = h > p->next ? h : p->next;
        if (pos >= p->base + p->cap)
                return spill(p, s);
        p->slot[pos >= p->cap ? pos - p->cap : pos] = s;
        p->next = pos + 1;
        p->count++;
        return 0;
}

int dedup_table_rebuild(struct dedup_table *t, uint32_t cap, const uint64_t *dead) {
        if (cap == t->cap) {
                dedup_table_sweep(t, dead);
                return 0;
        }
        /* Homes grow with tags, and a Robin Hood table keeps the slots of a
         * run in order of home: read from just after an empty slot, the
         * table lists its slots in circular order of home. They are placed in
         * one sequential pass, each at its new home or just after the
         * previous one; slots that shared an old home are sorted by tag
         * first, since their new homes may differ. The few that would run
         * past the end are inserted afterwards, wrapping around. */
        struct placer p = { .cap = cap };
        p.slot = alloc_slots(cap);
        if (!p.slot)
                return -ENOMEM;
        uint32_t start = 0;
        while (start < t->cap && t->slot[start] != DEDUP_TABLE_EMPTY)
                start++;
        if (start == t->cap) {
                /* No empty slot (never, below full load): one by one. */
                uint32_t count = 0;
                for (uint32_t i = 0; i < t->cap; i++)
                        if (!dedup_bit(dead, slot_entry(t->slot[i]))) {
                                insert_slot(p.slot, cap, t->slot[i]);
                                count++;
                        }
                free_slots(t->slot, t->cap);
                t->slot = p.slot;
                t->cap = cap;
                t->count = count;
                return 0;
        }
        uint32_t first_old = (uint32_t)(((uint64_t)start + 1) % t->cap);
        uint64_t t0 = (((uint64_t)first_old << 32) + t->cap - 1) / t->cap;   /* least tag with that home */
        p.base = p.next = (t0 * cap) >> 32;
        enum { GROUP = 64 };
        uint64_t group[GROUP];
        size_t n = 0;
        uint32_t group_home = 0;
        int r = 0;
        uint32_t i = start;
        for (uint32_t k = 1; k <= t->cap + 1 && r == 0; k++) {
                uint64_t s = DEDUP_TABLE_EMPTY;
                if (k <= t->cap) {
                        i = i + 1 == t->cap ? 0 : i + 1;
                        s = t->slot[i];
                        if (s != DEDUP_TABLE_EMPTY && dedup_bit(dead, slot_entry(s)))
                                continue;
                }
                uint32_t h = s == DEDUP_TABLE_EMPTY ? UINT32_MAX : home(slot_tag(s), t->cap);
                if (n == GROUP && h == group_home) {
                        r = spill(&p, s);      /* a long group: placed afterwards */
                        continue;
                }
                if (n && h != group_home) {
                        /* Insertion sort by tag: groups are a slot or two. */
                        for (size_t a = 1; a < n; a++)
                                for (size_t b = a; b > 0 && slot_tag(group[b - 1]) > slot_tag(group[b]); b--) {
                                        uint64_t x = group[b];
                                        group[b] = group[b - 1];
                                        group[b - 1] = x;
                                }
                        for (size_t a = 0; a < n && r == 0; a++)
                                r = place(&p, group[a], group_home < first_old);
                        n = 0;
                }
                if (s != DEDUP_TABLE_EMPTY) {
                        group_home = h;
                        group[n++] = s;
                }
        }
        if (r < 0) {
                free(p.spill);
                free_slots(p.slot, cap);
                return r;
        }
        for (size_t k = 0; k < p.n_spill; k++)
                insert_slot(p.slot, cap, p.spill[k]);
        free(p.spill);
        free_slots(t->slot, t->cap);
        t->slot = p.slot;
        t->cap = cap;
        t->count = p.count + (uint32_t)p.n_spill;
        return 0;
}
