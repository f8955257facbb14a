/* pipeline/iso_date.c: publication dates as feeds write them, normalized to
 * ISO 8601 with the input's precision (date-times in UTC). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pipeline/iso_date.h"

static const char *precision_name(enum date_precision p) {
        switch (p) {
        case DATE_INVALID: return "invalid";
        case DATE_YEAR: return "year";
        case DATE_MONTH: return "month";
        case DATE_DAY: return "day";
        case DATE_TIME: return "date-time";
        }
        return "?";
}

/* Normalizes `in` from a buffer of exactly its length (no NUL after it). */
static enum date_precision normalize(const char *in, char out[ISO_DATE_MAX]) {
        size_t len = strlen(in);
        char *p = malloc(len ? len : 1);
        assert_non_null(p);
        memcpy(p, in, len);
        out[0] = '\0';
        enum date_precision r = iso_date_normalize(p, len, out);
        free(p);
        return r;
}

struct valid_case {
        const char *in;
        enum date_precision precision;
        const char *out;
};

static void check_valid(const struct valid_case *cases, size_t n) {
        for (size_t i = 0; i < n; i++) {
                char out[ISO_DATE_MAX];
                enum date_precision p = normalize(cases[i].in, out);
                if (p != cases[i].precision || strcmp(out, cases[i].out) != 0)
                        fail_msg("\"%s\": %s \"%s\", expected %s \"%s\"", cases[i].in, precision_name(p),
                                 p ? out : "", precision_name(cases[i].precision), cases[i].out);
        }
}

static void check_invalid(const char *const *cases) {
        for (size_t i = 0; cases[i]; i++) {
                char out[ISO_DATE_MAX];
                enum date_precision p = normalize(cases[i], out);
                if (p != DATE_INVALID)
                        fail_msg("\"%s\" accepted as %s \"%s\"", cases[i], precision_name(p), out);
        }
}

static void dates(void **state) {
        static const struct valid_case cases[] = {
                { "2021-02-14", DATE_DAY, "2021-02-14" },
                { "  2021-02-14 \n", DATE_DAY, "2021-02-14" },
                { "2021-03", DATE_MONTH, "2021-03" },
                { "2021-12", DATE_MONTH, "2021-12" },
                { "2021", DATE_YEAR, "2021" },
                { "2020-02-29", DATE_DAY, "2020-02-29" },   /* leap year */
                { "2000-02-29", DATE_DAY, "2000-02-29" },   /* divisible by 400 */
                { "2021-12-31", DATE_DAY, "2021-12-31" },
        };
        check_valid(cases, sizeof(cases) / sizeof(cases[0]));
}

static void rfc3339_to_utc(void **state) {
        static const struct valid_case cases[] = {
                { "2021-02-14T10:00:00Z", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "2021-02-14T10:00:00+02:00", DATE_TIME, "2021-02-14T08:00:00Z" },
                { "2021-02-14T10:00:00-05:00", DATE_TIME, "2021-02-14T15:00:00Z" },
                { "2021-02-14T10:00:00+05:30", DATE_TIME, "2021-02-14T04:30:00Z" },
                { "2021-02-14T10:00:00+0530", DATE_TIME, "2021-02-14T04:30:00Z" },
                { "2021-02-14T10:00:00+02", DATE_TIME, "2021-02-14T08:00:00Z" },
                { "2021-02-14T23:30:00-05:00", DATE_TIME, "2021-02-15T04:30:00Z" },   /* next day in UTC */
                { "2021-03-01T01:00:00+02:00", DATE_TIME, "2021-02-28T23:00:00Z" },   /* previous month */
                { "2021-01-01T00:30:00+01:00", DATE_TIME, "2020-12-31T23:30:00Z" },   /* previous year */
                { "2021-02-14T10:00:00.123456Z", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "2021-02-14T10:00:00,5+01:00", DATE_TIME, "2021-02-14T09:00:00Z" },
                { "2021-02-14 10:00:00Z", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "2021-02-14t10:00:00z", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "2021-02-14T10:00Z", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "2021-02-14T10:00:00", DATE_TIME, "2021-02-14T10:00:00Z" },   /* no zone: UTC */
                { "2020-02-29T12:00:00Z", DATE_TIME, "2020-02-29T12:00:00Z" },
        };
        check_valid(cases, sizeof(cases) / sizeof(cases[0]));
}

static void rfc2822(void **state) {
        static const struct valid_case cases[] = {
                { "Sun, 14 Feb 2021 10:00:00 +0000", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "Sun, 14 Feb 2021 10:00:00 +0200", DATE_TIME, "2021-02-14T08:00:00Z" },
                { "14 Feb 2021 10:00:00 -0500", DATE_TIME, "2021-02-14T15:00:00Z" },
                { "Sun, 14 Feb 2021 10:00 +0000", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "Mon, 1 Mar 2021 00:30:00 +0100", DATE_TIME, "2021-02-28T23:30:00Z" },
        };
        check_valid(cases, sizeof(cases) / sizeof(cases[0]));
}

/* Regression test for a fixed bug (pipeline/iso_date.c, iso_date_normalize(): the RFC 2822
 * formats end in %z, which does not read zone names): "GMT" is the zone most
 * RSS feeds write, and RFC 2822 §4.3 requires "GMT" and "UT" to be read. */
static void rfc2822_gmt(void **state) {
        static const struct valid_case cases[] = {
                { "Sun, 14 Feb 2021 10:00:00 GMT", DATE_TIME, "2021-02-14T10:00:00Z" },
                { "Sun, 14 Feb 2021 10:00:00 UT", DATE_TIME, "2021-02-14T10:00:00Z" },
        };
        check_valid(cases, sizeof(cases) / sizeof(cases[0]));
}

static void invalid_calendar_dates(void **state) {
        static const char *const cases[] = {
                "2021-02-30", "2021-02-29", "1900-02-29", "2021-04-31", "2021-13-01", "2021-00-10",
                "2021-13", "2021-00", "2021-02-32", "Sun, 31 Feb 2021 10:00:00 +0000", "2021-02-30T10:00:00Z",
                NULL,
        };
        check_invalid(cases);
}

/* Regression test for a fixed bug (pipeline/iso_date.c, valid_ymd() and parse_iso(): day 0 means
 * "no day" to valid_ymd(), and parse_iso() passes a parsed day of 00 to it):
 * "2021-02-00" is accepted as a day, and "2021-02-00T10:00:00Z" becomes
 * 2021-01-31. */
static void day_zero_is_invalid(void **state) {
        static const char *const cases[] = { "2021-02-00", "2021-02-00T10:00:00Z", NULL };
        check_invalid(cases);
}

static void invalid_times(void **state) {
        static const char *const cases[] = {
                "2021-02-14T24:00:00Z", "2021-02-14T10:60:00Z", "2021-02-14T10:00:61Z", "2021-02-14T", "2021-02-14T10",
                "2021-02-14T10:00:00+", "2021-02-14T10:00:00 +02:00", "2021-02-14T10:00:00+2:00", NULL,
        };
        check_invalid(cases);
}

/* Regression test for a fixed bug (pipeline/iso_date.c, parse_iso(): the offset's hours and
 * minutes are not range-checked): RFC 3339 allows -23:59..+23:59. */
static void offset_out_of_range_is_invalid(void **state) {
        static const char *const cases[] = { "2021-02-14T10:00:00+99:99", "2021-02-14T10:00:00+24:00",
                                             "2021-02-14T10:00:00+01:60", NULL };
        check_invalid(cases);
}

static void garbage(void **state) {
        static const char *const cases[] = {
                "", "   ", "yesterday", "14/02/2021", "02/14/2021", "2021-2-14", "21-02-14", "20210214",
                "2021-02-14x", "2021-02-14 garbage", "0999-01-01", "Sun, 14 Foo 2021 10:00:00 +0000",
                "2021-02-14T10:00:00Zjunk", "date 2021-02-14",
                "2021-02-14T10:00:00.000000000000000000000000000000000000000000000000000000000Z",   /* 64+ bytes */
                NULL,
        };
        check_invalid(cases);
        /* Bytes after the given length are not read; a NUL inside is not the end. */
        char out[ISO_DATE_MAX];
        assert_int_equal(iso_date_normalize("2021-02-14T10:00:00Z", 10, out), DATE_DAY);
        assert_string_equal(out, "2021-02-14");
        assert_int_equal(iso_date_normalize("2021-02-14\0junk", 15, out), DATE_INVALID);
}

static void from_unix_ms(void **state) {
        char out[ISO_DATE_MAX];
        iso_date_from_unix_ms(0, out);
        assert_string_equal(out, "1970-01-01T00:00:00Z");
        iso_date_from_unix_ms(1613296800000, out);
        assert_string_equal(out, "2021-02-14T10:00:00Z");
        iso_date_from_unix_ms(1613296800999, out);
        assert_string_equal(out, "2021-02-14T10:00:00Z");
        iso_date_from_unix_ms(1582977600000, out);
        assert_string_equal(out, "2020-02-29T12:00:00Z");
        /* Before 1970, whole seconds round down. */
        assert_true(iso_date_from_unix_ms(-1, out));
        assert_string_equal(out, "1969-12-31T23:59:59Z");
}

/* Four-digit years only: a time outside 1000-9999 has no such form. */
static void from_unix_ms_out_of_range(void **state) {
        (void)state;
        char out[ISO_DATE_MAX];
        assert_true(iso_date_from_unix_ms(253402300799999, out));
        assert_string_equal(out, "9999-12-31T23:59:59Z");
        assert_false(iso_date_from_unix_ms(253402300800000, out));
        assert_string_equal(out, "");
        assert_false(iso_date_from_unix_ms(INT64_MAX, out));
        assert_false(iso_date_from_unix_ms(INT64_MIN, out));
        assert_true(iso_date_from_unix_ms(-30610224000000, out));
        assert_string_equal(out, "1000-01-01T00:00:00Z");
        assert_false(iso_date_from_unix_ms(-30610224000001, out));
        /* The same for a date-time whose offset crosses the range. */
        assert_int_equal(normalize("1000-01-01T00:30:00+01:00", out), DATE_INVALID);
        assert_int_equal(normalize("9999-12-31T23:30:00-01:00", out), DATE_INVALID);
        assert_int_equal(normalize("Fri, 31 Dec 9999 23:30:00 -0100", out), DATE_INVALID);
        assert_int_equal(normalize("1000-01-01T01:30:00+01:00", out), DATE_TIME);
        assert_string_equal(out, "1000-01-01T00:30:00Z");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(dates),
                cmocka_unit_test(rfc3339_to_utc),
                cmocka_unit_test(rfc2822),
                cmocka_unit_test(rfc2822_gmt),
                cmocka_unit_test(invalid_calendar_dates),
                cmocka_unit_test(day_zero_is_invalid),
                cmocka_unit_test(invalid_times),
                cmocka_unit_test(offset_out_of_range_is_invalid),
                cmocka_unit_test(garbage),
                cmocka_unit_test(from_unix_ms),
                cmocka_unit_test(from_unix_ms_out_of_range),
        };
        return cmocka_run_group_tests_name("iso_date", tests, NULL, NULL);
}
