#include "offset_tracker.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A partition's pending offsets in a ring, oldest first. */
struct partition_track {
        struct partition_track *next;
        char *topic;
        int32_t partition;
        bool revoked;
        int64_t stored;          /* last position stored, -1: none */
        size_t outstanding;      /* handles not yet done or abandoned */
        bool blocked;            /* a handle was abandoned: never advance again */
        /* ring of pending entries */
        int64_t *offsets;
        bool *done;
        size_t head, count, cap;
};

struct offset_handle {
        struct partition_track *pt;
        int64_t offset;
};

struct offset_tracker {
        struct partition_track *tracks;
        offset_store_fn store;
        void *userdata;
        size_t in_flight;
};

struct offset_tracker *offset_tracker_new(offset_store_fn store, void *userdata) {
        struct offset_tracker *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->store = store;
        t->userdata = userdata;
        return t;
}

static void track_free(struct partition_track *pt) {
        free(pt->topic);
        free(pt->offsets);
        free(pt->done);
        free(pt);
}

void offset_tracker_free(struct offset_tracker *t) {
        if (!t)
                return;
        struct partition_track *pt = t->tracks;
        while (pt) {
                struct partition_track *next = pt->next;
                track_free(pt);
                pt = next;
        }
        free(t);
}

static struct partition_track *find(const struct offset_tracker *t, const char *topic, int32_t partition,
                                    bool include_revoked) {
        for (struct partition_track *pt = t->tracks; pt; pt = pt->next)
                if (pt->partition == partition && strcmp(pt->topic, topic) == 0 && (include_revoked || !pt->revoked))
                        return pt;
        return NULL;
}

static void unlink_track(struct offset_tracker *t, struct partition_track *victim) {
        for (struct partition_track **pp = &t->tracks; *pp; pp = &(*pp)->next)
                if (*pp == victim) {
                        *pp = victim->next;
                        track_free(victim);
                        return;
                }
}

int offset_tracker_assign(struct offset_tracker *t, const char *topic, int32_t partition) {
        if (find(t, topic, partition, false))
                return 0;
        struct partition_track *pt = calloc(1, sizeof(*pt));
        if (!pt)
                return -ENOMEM;
        pt->topic = strdup(topic);
        pt->cap = 256;
        pt->offsets = malloc(pt->cap * sizeof(*pt->offsets));
        pt->done = malloc(pt->cap * sizeof(*pt->done));
        if (!pt->topic || !pt->offsets || !pt->done) {
                track_free(pt);
                return -ENOMEM;
        }
        pt->partition = partition;
        pt->stored = -1;
        pt->next = t->tracks;
        t->tracks = pt;
        return 0;
}

void offset_tracker_revoke(struct offset_tracker *t, const char *topic, int32_t partition) {
        struct partition_track *pt = find(t, topic, partition, false);
        if (!pt)
                return;
        pt->revoked = true;
        if (pt->outstanding == 0)
                unlink_track(t, pt);
}

static int grow(struct partition_track *pt) {
        size_t cap = pt->cap * 2;
        int64_t *offsets = malloc(cap * sizeof(*offsets));
        bool *done = malloc(cap * sizeof(*done));
        if (!offsets || !done) {
                free(offsets);
                free(done);
                return -ENOMEM;
        }
        for (size_t i = 0; i < pt->count; i++) {
                offsets[i] = pt->offsets[(pt->head + i) % pt->cap];
                done[i] = pt->done[(pt->head + i) % pt->cap];
        }
        free(pt->offsets);
        free(pt->done);
        pt->offsets = offsets;
        pt->done = done;
        pt->head = 0;
        pt->cap = cap;
        return 0;
}

struct offset_handle *offset_tracker_begin(struct offset_tracker *t, const char *topic, int32_t partition,
                                           int64_t offset) {
        struct partition_track *pt = find(t, topic, partition, false);
        if (!pt) {
                /* A message of a partition we were not told about: track it anyway. */
                if (offset_tracker_assign(t, topic, partition) < 0)
                        return NULL;
                pt = find(t, topic, partition, false);
        }
        if (pt->count == pt->cap && grow(pt) < 0)
                return NULL;
        struct offset_handle *h = malloc(sizeof(*h));
        if (!h)
                return NULL;
        size_t slot = (pt->head + pt->count) % pt->cap;
        pt->offsets[slot] = offset;
        pt->done[slot] = false;
        pt->count++;
        pt->outstanding++;
        t->in_flight++;
        h->pt = pt;
        h->offset = offset;
        return h;
}

static void release(struct offset_tracker *t, struct offset_handle *h) {
        struct partition_track *pt = h->pt;
        free(h);
        pt->outstanding--;
        t->in_flight--;
        if (pt->revoked && pt->outstanding == 0)
                unlink_track(t, pt);
}

void offset_tracker_done(struct offset_tracker *t, struct offset_handle *h) {
        struct partition_track *pt = h->pt;
        /* Find the entry: usually at or near the head. */
        for (size_t i = 0; i < pt->count; i++) {
                size_t slot = (pt->head + i) % pt->cap;
                if (pt->offsets[slot] == h->offset && !pt->done[slot]) {
                        pt->done[slot] = true;
                        break;
                }
        }
        int64_t advance_to = -1;
        while (!pt->blocked && pt->count && pt->done[pt->head]) {
                advance_to = pt->offsets[pt->head] + 1;
                pt->head = (pt->head + 1) % pt->cap;
                pt->count--;
        }
        if (advance_to >= 0 && !pt->revoked) {
                pt->stored = advance_to;
                if (t->store)
                        t->store(pt->topic, pt->partition, advance_to, t->userdata);
        }
        release(t, h);
}

void offset_tracker_abandon(struct offset_tracker *t, struct offset_handle *h) {
        h->pt->blocked = true;
        release(t, h);
}

size_t offset_tracker_in_flight(const struct offset_tracker *t) {
        return t->in_flight;
}

int64_t offset_tracker_stored(const struct offset_tracker *t, const char *topic, int32_t partition) {
        const struct partition_track *pt = find(t, topic, partition, true);
        return pt ? pt->stored : -1;
}
