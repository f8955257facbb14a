/* Reading publication dates in the forms that news feeds use and writing
 * them as ISO 8601 with the precision the input had. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum date_precision {
        DATE_INVALID = 0,
        DATE_YEAR,
        DATE_MONTH,
        DATE_DAY,
        DATE_TIME,   /* a date-time, written in UTC as YYYY-MM-DDTHH:MM:SSZ */
};

#define ISO_DATE_MAX 32

/* Parses `s` (len bytes): YYYY, YYYY-MM, YYYY-MM-DD, an RFC 3339 date-time
 * (T or space, optional seconds and fraction, Z or an offset), or an RFC 2822
 * date ("Sun, 14 Feb 2021 10:00:00 +0000"). Writes the normalized form into
 * out (ISO_DATE_MAX bytes) and returns its precision, or DATE_INVALID. The
 * calendar is checked: 2021-02-30 is invalid. */
enum date_precision iso_date_normalize(const char *s, size_t len, char out[ISO_DATE_MAX]);

/* Unix time in milliseconds to YYYY-MM-DDTHH:MM:SSZ. Returns false, with
 * out set to "", for a time outside the years 1000-9999, which that form
 * (and the parser above) cannot hold. */
bool iso_date_from_unix_ms(int64_t ms, char out[ISO_DATE_MAX]);
