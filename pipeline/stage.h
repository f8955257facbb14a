/* The stage interface (Fluent Bit's filter plugins are the model).
 *
 * A stage is a table of callbacks and of the configuration keys it owns (one
 * [section] per stage). init() reads its keys and builds its state, process()
 * looks at or rewrites one article and returns a verdict, fini() frees the
 * state. Stages do no I/O and keep no globals: everything they need is in
 * their state or the article.
 *
 * Adding a stage means one new file and one line in pipeline.c's list. */
#pragma once

#include "article.h"
#include "config/config.h"

/* State that outlives a pipeline (a reload builds a new pipeline) and that
 * its caller owns; NULL members make the stages keep their own. */
struct pipeline_env {
        struct dedup_index *dedup;      /* shared with the other instances by the daemon */
};

enum stage_verdict {
        STAGE_CONTINUE = 0,
        STAGE_DROP,      /* accepted but not published (e.g. a duplicate, by config) */
        STAGE_REJECT,    /* cannot be processed: dead-letter with article->error */
};

struct stage {
        const char *name;
        const struct config_key *config_keys;  /* may be NULL */
        /* Returns 0 and the stage's state in *ret_state, or a negative errno
         * with a message in *ret_error (malloc'd). */
        int (*init)(const struct config *cfg, void **ret_state, char **ret_error);
        /* Instead of init, for a stage that uses state its caller owns. */
        int (*init_env)(const struct config *cfg, const struct pipeline_env *env, void **ret_state,
                        char **ret_error);
        enum stage_verdict (*process)(void *state, struct article *a);
        void (*fini)(void *state);
};

extern const struct stage stage_parse;
extern const struct stage stage_normalize;
extern const struct stage stage_clean;
extern const struct stage stage_dedup;
extern const struct stage stage_language;
extern const struct stage stage_counts;
extern const struct stage stage_metadata;
extern const struct stage stage_emit;
