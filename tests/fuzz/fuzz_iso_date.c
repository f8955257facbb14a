/* iso_date_normalize on any bytes: an accepted date comes out in the form
 * its precision says (YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ,
 * four-digit years), and reading that output again gives it back. */
#include "fuzz.h"
#include "pipeline/iso_date.h"

static const char *const forms[] = {
        [DATE_YEAR] = "dddd", [DATE_MONTH] = "dddd-dd", [DATE_DAY] = "dddd-dd-dd", [DATE_TIME] = "dddd-dd-ddTdd:dd:ddZ",
};

static bool has_form(const char *s, const char *f) {
        for (; *f && *s; f++, s++)
                if (*f == 'd' ? !(*s >= '0' && *s <= '9') : *s != *f)
                        return false;
        return !*f && !*s;
}

/* Any 8 bytes as a time in milliseconds: the date-time form or nothing. */
static void check_from_unix_ms(const uint8_t *data) {
        int64_t ms;
        memcpy(&ms, data, sizeof(ms));
        char out[ISO_DATE_MAX], again[ISO_DATE_MAX];
        if (!iso_date_from_unix_ms(ms, out)) {
                FUZZ_CHECK(out[0] == '\0', "refused %lld, but wrote \"%s\"", (long long)ms, out);
                return;
        }
        FUZZ_CHECK(has_form(out, forms[DATE_TIME]), "%lld gives \"%s\"", (long long)ms, out);
        FUZZ_CHECK(iso_date_normalize(out, strlen(out), again) == DATE_TIME && strcmp(out, again) == 0,
                   "\"%s\" does not read back", out);
}

FUZZ_TARGET(iso_date) {
        if (size >= 8)
                check_from_unix_ms(data);
        char out[ISO_DATE_MAX];
        memset(out, 'x', sizeof(out));
        enum date_precision p = iso_date_normalize((const char *)data, size, out);
        if (p == DATE_INVALID)
                return 0;
        FUZZ_CHECK(p >= DATE_YEAR && p <= DATE_TIME, "precision %d", (int)p);
        FUZZ_CHECK(memchr(out, '\0', sizeof(out)), "output not terminated");
        FUZZ_CHECK(has_form(out, forms[p]), "\"%s\" is not of the form %s", out, forms[p]);
        char again[ISO_DATE_MAX];
        enum date_precision p2 = iso_date_normalize(out, strlen(out), again);
        FUZZ_CHECK(p2 == p && strcmp(out, again) == 0, "\"%s\" reads back as \"%s\" (%d)", out,
                   p2 == DATE_INVALID ? "invalid" : again, (int)p2);
        return 0;
}
