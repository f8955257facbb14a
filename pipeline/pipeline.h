/* The pipeline: the stages in order, run one article at a time.
 *
 * pipeline_process() runs each stage, records its time in the article and in
 * the pipeline's counters, and stops at the first verdict that is not
 * STAGE_CONTINUE (setting article->error_stage on a rejection). A pipeline is
 * used by one thread at a time. */
#pragma once

#include <stdint.h>

#include "article.h"
#include "config/config.h"
#include "stage.h"

struct pipeline;

struct pipeline_stage_stats {
        const char *name;
        uint64_t processed;
        uint64_t rejected;
        uint64_t dropped;
        uint64_t micros_total;
};

/* The key tables of every stage, NULL-terminated, for config_new(). */
const struct config_key *const *pipeline_config_tables(void);

/* Builds every stage from cfg. Returns NULL and a message in *ret_error
 * (malloc'd) when a stage cannot start. */
struct pipeline *pipeline_new(const struct config *cfg, char **ret_error);
/* The same, with state the caller owns (see struct pipeline_env). */
struct pipeline *pipeline_new_env(const struct config *cfg, const struct pipeline_env *env, char **ret_error);
void pipeline_free(struct pipeline *p);

enum stage_verdict pipeline_process(struct pipeline *p, struct article *a);

size_t pipeline_n_stages(const struct pipeline *p);
const struct pipeline_stage_stats *pipeline_stage_stats(const struct pipeline *p, size_t i);
