#include "iso_date.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool is_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_ymd(int y, int m, int d) {
        static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        if (y < 1000 || y > 9999 || m < 1 || m > 12)
                return false;
        if (d == 0)
                return true;
        int max = mdays[m - 1] + (m == 2 && is_leap(y));
        return d >= 1 && d <= max;
}

/* Reads exactly n digits. */
static bool digits(const char *s, size_t len, size_t *pos, size_t n, int *ret) {
        int v = 0;
        for (size_t i = 0; i < n; i++) {
                if (*pos + i >= len || !isdigit((unsigned char)s[*pos + i]))
                        return false;
                v = v * 10 + (s[*pos + i] - '0');
        }
        *pos += n;
        *ret = v;
        return true;
}

bool iso_date_from_unix_ms(int64_t ms, char out[ISO_DATE_MAX]) {
        /* Whole seconds, rounded down (before 1970 too). */
        time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0));
        struct tm tm;
        if (!gmtime_r(&t, &tm) || tm.tm_year < 1000 - 1900 || tm.tm_year > 9999 - 1900) {
                out[0] = '\0';
                return false;
        }
        strftime(out, ISO_DATE_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return true;
}

static enum date_precision parse_iso(const char *s, size_t len, char out[ISO_DATE_MAX]) {
        size_t p = 0;
        int y, m = 0, d = 0, hh = 0, mm = 0, ss = 0;
        if (!digits(s, len, &p, 4, &y))
                return DATE_INVALID;
        if (p == len) {
                if (!valid_ymd(y, 1, 0))
                        return DATE_INVALID;
                snprintf(out, ISO_DATE_MAX, "%04d", y);
                return DATE_YEAR;
        }
        if (s[p++] != '-' || !digits(s, len, &p, 2, &m))
                return DATE_INVALID;
        if (p == len) {
                if (!valid_ymd(y, m, 0))
                        return DATE_INVALID;
                snprintf(out, ISO_DATE_MAX, "%04d-%02d", y, m);
                return DATE_MONTH;
        }
        if (s[p++] != '-' || !digits(s, len, &p, 2, &d) || d < 1 || !valid_ymd(y, m, d))
                return DATE_INVALID;
        if (p == len) {
                snprintf(out, ISO_DATE_MAX, "%04d-%02d-%02d", y, m, d);
                return DATE_DAY;
        }
        if (s[p] != 'T' && s[p] != 't' && s[p] != ' ')
                return DATE_INVALID;
        p++;
        if (!digits(s, len, &p, 2, &hh) || p >= len || s[p++] != ':' || !digits(s, len, &p, 2, &mm))
                return DATE_INVALID;
        if (p < len && s[p] == ':') {
                p++;
                if (!digits(s, len, &p, 2, &ss))
                        return DATE_INVALID;
                if (p < len && (s[p] == '.' || s[p] == ',')) {
                        p++;
                        while (p < len && isdigit((unsigned char)s[p]))
                                p++;
                }
        }
        if (hh > 23 || mm > 59 || ss > 60)
                return DATE_INVALID;
        int offset_min = 0;
        if (p < len && (s[p] == 'Z' || s[p] == 'z')) {
                p++;
        } else if (p < len && (s[p] == '+' || s[p] == '-')) {
                int sign = s[p++] == '-' ? -1 : 1, oh, om = 0;
                if (!digits(s, len, &p, 2, &oh))
                        return DATE_INVALID;
                if (p < len && s[p] == ':')
                        p++;
                if (p < len && !digits(s, len, &p, 2, &om))
                        return DATE_INVALID;
                if (oh > 23 || om > 59)
                        return DATE_INVALID;
                offset_min = sign * (oh * 60 + om);
        }
        /* A date-time without a zone is taken as UTC. */
        if (p != len)
                return DATE_INVALID;
        struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh, .tm_min = mm, .tm_sec = ss };
        time_t t = timegm(&tm) - (time_t)offset_min * 60;
        return iso_date_from_unix_ms((int64_t)t * 1000, out) ? DATE_TIME : DATE_INVALID;
}

enum date_precision iso_date_normalize(const char *s, size_t len, char out[ISO_DATE_MAX]) {
        while (len && isspace((unsigned char)*s)) {
                s++;
                len--;
        }
        while (len && isspace((unsigned char)s[len - 1]))
                len--;
        if (len == 0 || len >= 64)
                return DATE_INVALID;
        enum date_precision p = parse_iso(s, len, out);
        if (p != DATE_INVALID)
                return p;

        /* RFC 2822, as in RSS: "Sun, 14 Feb 2021 10:00:00 +0000" (weekday optional). */
        char buf[80];
        memcpy(buf, s, len);
        buf[len] = '\0';
        /* RFC 2822 also names UTC "GMT" or "UT" (and RSS feeds mostly do). */
        static const char *const utc_names[] = { " GMT", " UT", " UTC", " Z", NULL };
        for (size_t i = 0; utc_names[i]; i++) {
                size_t zl = strlen(utc_names[i]);
                if (len > zl && strcmp(buf + len - zl, utc_names[i]) == 0) {
                        strcpy(buf + len - zl, " +0000");
                        break;
                }
        }
        static const char *const formats[] = { "%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z",
                                               "%a, %d %b %Y %H:%M %z", "%d %b %Y %H:%M %z", NULL };
        for (size_t i = 0; formats[i]; i++) {
                struct tm tm;
                memset(&tm, 0, sizeof(tm));
                const char *end = strptime(buf, formats[i], &tm);
                if (end && *end == '\0' && valid_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday)) {
                        long gmtoff = tm.tm_gmtoff;
                        time_t t = timegm(&tm) - gmtoff;
                        return iso_date_from_unix_ms((int64_t)t * 1000, out) ? DATE_TIME : DATE_INVALID;
                }
        }
        return DATE_INVALID;
}
