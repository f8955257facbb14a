/* `ingestd run`: the consume → pipeline → produce loop. */
#pragma once

#include <stdbool.h>

#include "config/config.h"

#include <stddef.h>

struct run_options {
        bool embedded_broker;   /* start librdkafka's mock cluster in-process */
        /* How the configuration was loaded, to load it again on SIGHUP. */
        const char *config_path;
        char *const *overrides;
        size_t n_overrides;
};

/* Runs until SIGTERM/SIGINT; returns the process exit status (0 after a
 * clean shutdown, 1 after a fatal error). Takes ownership of cfg. */
int run_daemon(struct config *cfg, const struct run_options *opts);
