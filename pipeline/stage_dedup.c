/* dedup: exact and near-duplicate verdicts (pipeline/dedup/ does the work).
 *
 * The index lives outside the pipeline when the caller provides one through
 * struct pipeline_env (the daemon: it survives reloads and is shared with
 * the other instances through the fingerprints topic); otherwise the stage
 * keeps a private one for the pipeline's lifetime (`ingestd enrich`, tests).
 *
 * Every article that reaches this stage gets a verdict and a fingerprint
 * (a->fingerprint, to be shared), including the duplicates that the policy
 * then drops, so that a replay finds the verdict it got the first time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dedup/dedup.h"
#include "dedup/dedup_config.h"
#include "iso_date.h"
#include "stage.h"

struct dedup_state {
        struct dedup_index *index;
        bool owns_index;
        bool drop_duplicates;
        bool drop_near_duplicates;
        struct dedup_fingerprint fp;   /* scratch: too large for the stack of every call */
};

static void dedup_fini(void *state) {
        struct dedup_state *s = state;
        if (!s)
                return;
        if (s->owns_index)
                dedup_index_free(s->index);
        free(s);
}

static int dedup_init(const struct config *cfg, const struct pipeline_env *env, void **ret_state, char **ret_error) {
        struct dedup_params params;
        int r = dedup_params_from_config(cfg, &params, ret_error);
        if (r < 0)
                return r;
        struct dedup_state *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->drop_duplicates = strcmp(config_get_string(cfg, "dedup", "on_duplicate"), "drop") == 0;
        s->drop_near_duplicates = strcmp(config_get_string(cfg, "dedup", "on_near_duplicate"), "drop") == 0;
        if (env && env->dedup) {
                s->index = env->dedup;
                /* A reload may change the thresholds; the shingle and band
                 * layout can only change with an empty index. */
                r = dedup_index_set_params(s->index, &params);
                if (r == -EBUSY) {
                        if (asprintf(ret_error, "dedup.shingle_words, bands and rows cannot change while the index "
                                                "holds entries: restart ingestd to change them") < 0)
                                *ret_error = NULL;
                        free(s);
                        return r;
                }
        } else {
                s->index = dedup_index_new(&params);
                s->owns_index = true;
                if (!s->index) {
                        free(s);
                        return -ENOMEM;
                }
        }
        *ret_state = s;
        return 0;
}

/* Event time: the publication date, else the message time, else now. */
static int64_t event_time_ms(const struct article *a) {
        if (a->published_at) {
                struct tm tm = { 0 };
                int y = 0, m = 1, d = 1, hh = 0, mm = 0, ss = 0;
                int n = sscanf(a->published_at, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &m, &d, &hh, &mm, &ss);
                if (n >= 1 && y > 1900) {
                        tm.tm_year = y - 1900;
                        tm.tm_mon = m - 1;
                        tm.tm_mday = d;
                        tm.tm_hour = hh;
                        tm.tm_min = mm;
                        tm.tm_sec = ss;
                        return (int64_t)timegm(&tm) * 1000;
                }
        }
        if (a->source.timestamp_ms > 0)
                return a->source.timestamp_ms;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum stage_verdict dedup_process(void *state, struct article *a) {
        struct dedup_state *s = state;
        struct dedup_input in = {
                .body = a->body,
                .body_len = a->body_len,
                .url = a->url,
                .id = a->id,
                .event_time_ms = event_time_ms(a),
                .topic = a->source.topic,
                .partition = a->source.partition,
                .offset = a->source.offset,
        };
        struct dedup_verdict v;
        if (dedup_index_check(s->index, &in, &v, &s->fp) < 0)
                return article_reject(a, "out_of_memory", "cannot index the article");

        a->dedup.status = v.status;
        a->dedup.replay = v.replay;
        memcpy(a->dedup.content_hash, v.content_hash, sizeof(a->dedup.content_hash));
        a->dedup.duplicate_of = v.duplicate_of ? arena_strdup(a->arena, v.duplicate_of) : NULL;
        a->dedup.similarity = v.similarity;
        a->has_dedup = true;

        uint8_t *buf = arena_alloc(a->arena, DEDUP_FINGERPRINT_MAX_BYTES);
        size_t n = buf ? dedup_fingerprint_encode(&s->fp, buf, DEDUP_FINGERPRINT_MAX_BYTES) : 0;
        a->fingerprint = n ? buf : NULL;
        a->fingerprint_len = n;

        if ((v.status == DEDUP_DUPLICATE && s->drop_duplicates) ||
            (v.status == DEDUP_NEAR_DUPLICATE && s->drop_near_duplicates))
                return STAGE_DROP;
        return STAGE_CONTINUE;
}

const struct stage stage_dedup = {
        .name = "dedup",
        .config_keys = dedup_config_keys,
        .init_env = dedup_init,
        .process = dedup_process,
        .fini = dedup_fini,
};
