#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The stages, in the order they run. */
static const struct stage *const stage_list[] = {
        &stage_parse,
        &stage_normalize,
        &stage_clean,
        &stage_dedup,
        &stage_language,
        &stage_metadata,
        &stage_counts,
        &stage_emit,
};
#define N_STAGES (sizeof(stage_list) / sizeof(stage_list[0]))
_Static_assert(N_STAGES <= ARTICLE_MAX_STAGES, "raise ARTICLE_MAX_STAGES");

/* Keys that more than one stage (and the daemon) read. */
static const struct config_key pipeline_common_keys[] = {
        { "ingestd", "instance", CONFIG_STRING, "",
          "Name of this instance, written into every record; empty means the host name. "
          "With several instances per host, give each its own (the template unit passes %i)." },
        CONFIG_KEY_END,
};

struct pipeline {
        void *state[N_STAGES];
        struct pipeline_stage_stats stats[N_STAGES];
};

const struct config_key *const *pipeline_config_tables(void) {
        static const struct config_key *tables[N_STAGES + 2];
        if (!tables[0]) {
                size_t n = 0;
                tables[n++] = pipeline_common_keys;
                for (size_t i = 0; i < N_STAGES; i++)
                        if (stage_list[i]->config_keys)
                                tables[n++] = stage_list[i]->config_keys;
                tables[n] = NULL;
        }
        return tables;
}

struct pipeline *pipeline_new(const struct config *cfg, char **ret_error) {
        return pipeline_new_env(cfg, NULL, ret_error);
}

struct pipeline *pipeline_new_env(const struct config *cfg, const struct pipeline_env *env, char **ret_error) {
        struct pipeline *p = calloc(1, sizeof(*p));
        if (!p) {
                if (ret_error)
                        *ret_error = strdup("out of memory");
                return NULL;
        }
        for (size_t i = 0; i < N_STAGES; i++) {
                p->stats[i].name = stage_list[i]->name;
                if (!stage_list[i]->init && !stage_list[i]->init_env)
                        continue;
                char *err = NULL;
                int r = stage_list[i]->init_env ? stage_list[i]->init_env(cfg, env, &p->state[i], &err)
                                                : stage_list[i]->init(cfg, &p->state[i], &err);
                if (r < 0) {
                        if (ret_error) {
                                if (asprintf(ret_error, "stage %s: %s", stage_list[i]->name,
                                             err ? err : strerror(-r)) < 0)
                                        *ret_error = NULL;
                        }
                        free(err);
                        pipeline_free(p);
                        return NULL;
                }
        }
        return p;
}

void pipeline_free(struct pipeline *p) {
        if (!p)
                return;
        for (size_t i = 0; i < N_STAGES; i++)
                if (stage_list[i]->fini && p->state[i])
                        stage_list[i]->fini(p->state[i]);
        free(p);
}

static uint64_t now_micros(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

enum stage_verdict pipeline_process(struct pipeline *p, struct article *a) {
        for (size_t i = 0; i < N_STAGES; i++) {
                uint64_t t0 = now_micros();
                enum stage_verdict v = stage_list[i]->process(p->state[i], a);
                uint64_t dt = now_micros() - t0;
                a->stage_micros[i] = (uint32_t)(dt > UINT32_MAX ? UINT32_MAX : dt);
                p->stats[i].processed++;
                p->stats[i].micros_total += dt;
                if (v == STAGE_REJECT) {
                        p->stats[i].rejected++;
                        a->error_stage = stage_list[i]->name;
                        if (!a->error)
                                a->error = "internal";
                        return v;
                }
                if (v == STAGE_DROP) {
                        p->stats[i].dropped++;
                        return v;
                }
        }
        return STAGE_CONTINUE;
}

size_t pipeline_n_stages(const struct pipeline *p) {
        (void)p;
        return N_STAGES;
}

const struct pipeline_stage_stats *pipeline_stage_stats(const struct pipeline *p, size_t i) {
        return i < N_STAGES ? &p->stats[i] : NULL;
}

/* The emit stage names the stages in the output's stage_micros. */
const char *pipeline_stage_name(size_t i);
const char *pipeline_stage_name(size_t i) {
        return i < N_STAGES ? stage_list[i]->name : NULL;
}
