/* The daemon's own configuration keys and the one way every mode loads the
 * configuration: defaults, then the file, then INGESTD_* variables, then
 * `-o section.key=value` overrides. */
#pragma once

#include <stdbool.h>

#include "config/config.h"

/* Every key table: the daemon's and the pipeline's, NULL-terminated. */
const struct config_key *const *settings_tables(void);

/* Loads the configuration. `path` may be NULL (built-in defaults). Returns
 * NULL after printing the error (file, line and key) to stderr. */
struct config *settings_load(const char *path, char *const *overrides, size_t n_overrides);

/* Calls cb for every key whose effective value differs between two
 * configurations, saying whether a running daemon can apply the change
 * (log level, stage options) or needs a restart (Kafka, topics, HTTP). */
typedef void (*settings_change_fn)(const char *section, const char *name, bool reloadable, void *userdata);
void settings_diff(const struct config *old, const struct config *new, settings_change_fn cb, void *userdata);
