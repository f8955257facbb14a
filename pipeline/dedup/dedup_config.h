/* The [dedup] section of the configuration: the index's tunables and the
 * dedup stage's policy keys. */
#pragma once

#include "config/config.h"
#include "dedup.h"

extern const struct config_key dedup_config_keys[];

/* Reads the tunables into *ret. Returns 0, or -EINVAL with a malloc'd message
 * in *ret_error for a combination the index does not accept. */
int dedup_params_from_config(const struct config *cfg, struct dedup_params *ret, char **ret_error);
