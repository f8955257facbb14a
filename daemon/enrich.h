/* `ingestd enrich`: the pipeline without Kafka, from files or stdin to JSON
 * lines on stdout. */
#pragma once

#include <stddef.h>

#include "config/config.h"

/* Returns the exit status: 0 when every article was enriched, 1 when some
 * were rejected (each reported on stderr with its position), 2 when a file
 * could not be read or the pipeline could not start. */
int enrich_files(const struct config *cfg, char *const *files, size_t n_files);
