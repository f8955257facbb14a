/* Dates mentioned in the body, in ISO 8601 with their precision.
 *
 * Absolute: "14 February 2021", "February 14, 2021", "Feb. 14", "14. Februar
 * 2021", "14 de febrero de 2021", "1er mars 2021", "14 февраля 2021 года",
 * "2021-02-14", "14.02.2021", "14/02/2021" (day first; month first in
 * English when the day is over 12), "February 2021" (month), "in 2020",
 * "im Jahr 2020", "в 2020 году" (year). Month and weekday names come from
 * the article's language (rules.c), English ones only when capitalized.
 *
 * Relative, resolved against published_at when it has a day: a weekday is
 * the publication day itself or the last such day before it ("on Thursday"
 * in an article of Sunday 2021-02-14 is 2021-02-11, "on Sunday" is
 * 2021-02-14), the next one after "next"/"prochain"/"nächsten"/"próximo",
 * the one a week before after "last"; "today", "yesterday", "tomorrow" and
 * their kind; a day and month without a year, or a month alone after a
 * preposition ("in August"), take the year that puts them no more than
 * metadata.future_window_days after the publication date (so "in August"
 * in February 2021 is 2020-08).
 *
 * Each value is listed once, in the order of its first mention. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "metadata.h"

static uint32_t cls(const struct md_doc *d, const struct md_token *t) {
        return t->rule ? t->rule->classes[d->lang] : 0;
}

static bool is_word(const struct md_token *t) {
        return (t->flags & MD_T_WORD) != 0;
}

static bool is_punct(const struct md_token *t, uint32_t cp) {
        return (t->flags & MD_T_PUNCT) && t->cp == cp;
}

static bool is_leap(int y) {
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in(int y, int m) {
        static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        return m == 2 && is_leap(y) ? 29 : dm[m - 1];
}

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static long days_from_civil(int y, int m, int d) {
        y -= m <= 2;
        long era = (y >= 0 ? y : y - 399) / 400;
        long yoe = y - era * 400;
        long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d) {
        z += 719468;
        long era = (z >= 0 ? z : z - 146096) / 146097;
        long doe = z - era * 146097;
        long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        long yy = yoe + era * 400;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        *d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *y = (int)(yy + (*m <= 2));
}

/* 1 Monday … 7 Sunday */
static int weekday_of(long days) {
        long w = (days + 3) % 7;   /* 1970-01-01 was a Thursday */
        if (w < 0)
                w += 7;
        return (int)w + 1;
}

/* The number a token holds (1-9999), or -1. Accepts "1er", "1st", "2nd", "14th", "3e". */
static int number_of(const struct md_doc *d, const struct md_token *t, bool day_suffix) {
        if (!is_word(t))
                return -1;
        const char *s = d->text + t->start;
        size_t i = 0;
        int v = 0;
        while (i < t->len && i < 4 && s[i] >= '0' && s[i] <= '9')
                v = v * 10 + (s[i++] - '0');
        if (i == 0)
                return -1;
        if (i == t->len)
                return v;
        if (!day_suffix || i > 2)
                return -1;
        static const char *const suffixes[] = { "st", "nd", "rd", "th", "er", "e", "re", "º", "°", NULL };
        for (size_t k = 0; suffixes[k]; k++)
                if (strlen(suffixes[k]) == t->len - i && memcmp(s + i, suffixes[k], t->len - i) == 0)
                        return v;
        return -1;
}

/* The month a token names in the article's language, or 0. English and
 * abbreviated month names must be capitalized ("May", "Mar."). */
static int month_of(const struct md_doc *d, const struct md_token *t) {
        if (!is_word(t) || !(cls(d, t) & MD_C_MONTH))
                return 0;
        if ((d->lang == MD_LANG_EN || d->lang == MD_LANG_OTHER) && !(t->flags & MD_T_CAP))
                return 0;
        return t->rule->value;
}

/* Whether the sentence of token i speaks of the future: a marker word
 * (rules.c) or, in French, Spanish, Italian and Portuguese, a verb in the
 * future tense ("perturbera", "llegarán"). */
static bool future_sentence(const struct md_doc *d, uint32_t i) {
        uint32_t s = d->tok[i].sentence;
        static const char *const fr[] = { "era", "ira", "rra", "vra", "dra", "aura", "ront", "rons", NULL };
        static const char *const es_it_pt[] = { "rá", "rán", "ré", "remos", "rà", "ranno", "rão", NULL };
        const char *const *endings = d->lang == MD_LANG_FR ? fr : es_it_pt;
        bool romance = d->lang == MD_LANG_FR || d->lang == MD_LANG_ES || d->lang == MD_LANG_IT || d->lang == MD_LANG_PT;
        for (uint32_t k = d->sentence_first[s]; k < d->sentence_first[s + 1]; k++) {
                const struct md_token *t = &d->tok[k];
                if (!is_word(t) || (t->flags & (MD_T_CAP | MD_T_IN_QUOTE)))
                        continue;
                if (cls(d, t) & MD_C_FUTURE)
                        return true;
                if (!romance || t->len < 6)
                        continue;
                for (size_t e = 0; endings[e]; e++) {
                        size_t n = strlen(endings[e]);
                        if (t->len > n + 2 && memcmp(d->text + t->start + t->len - n, endings[e], n) == 0)
                                return true;
                }
        }
        return false;
}

/* "said on Wednesday", "teilte das Unternehmen am Dienstag mit": a speech
 * verb just before a weekday puts it in the past, whatever else the
 * sentence says of the future. */
static bool said_before(const struct md_doc *d, uint32_t i) {
        for (uint32_t k = i, n = 0; k-- > 0 && n < 4; n++) {
                if (d->tok[k].sentence != d->tok[i].sentence)
                        break;
                if (is_word(&d->tok[k]) && (cls(d, &d->tok[k]) & MD_C_SPEECH))
                        return true;
        }
        return false;
}

struct found {
        uint32_t first, last;
        int y, m, day;     /* m 0: a year; day 0: a month */
        bool relative;
};

struct dates {
        struct article_date *out;
        size_t n, cap;
};

static bool valid_year(int y) {
        return y >= 1000 && y <= 2999;
}

/* The year that puts month m (and day) closest before the publication date
 * plus the future window. */
static int infer_year(const struct md_doc *d, int m, int day) {
        int y = d->pub_y;
        int pd = d->pub_d ? d->pub_d : 1;
        long pub = days_from_civil(d->pub_y, d->pub_m ? d->pub_m : 1, pd);
        long when = days_from_civil(y, m, day ? day : 1);
        if (when > pub + d->set->future_window_days)
                y--;
        return y;
}

/* Writes n (0-9999) as `width` digits. */
static char *put_digits(char *p, int n, int width) {
        for (int i = width - 1; i >= 0; i--, n /= 10)
                p[i] = (char)('0' + n % 10);
        return p + width;
}

static int add(struct md_doc *d, struct dates *ds, const struct found *f) {
        char value[11] = { 0 };
        /* Four-digit years only: a weekday resolved against an absurd
         * publication date could land outside them. */
        if (f->y < 1000 || f->y > 9999 || f->m < 0 || f->m > 12 || f->day < 0 || f->day > 31)
                return 0;
        /* YYYY, YYYY-MM or YYYY-MM-DD (by hand: snprintf cost more than the rest of add) */
        char *p = put_digits(value, f->y, 4);
        if (f->m) {
                *p++ = '-';
                p = put_digits(p, f->m, 2);
                if (f->day) {
                        *p++ = '-';
                        put_digits(p, f->day, 2);
                }
        }
        for (uint32_t i = f->first; i <= f->last; i++)
                d->tok[i].flags |= MD_T_IN_DATE;
        for (size_t i = 0; i < ds->n; i++)
                if (strcmp(ds->out[i].value, value) == 0)
                        return 0;
        if (ds->n >= ds->cap)
                return 0;
        const struct md_token *a = &d->tok[f->first], *b = &d->tok[f->last];
        struct article_date *o = &ds->out[ds->n];
        o->text = arena_strndup(d->arena, d->text + a->start, b->start + b->len - a->start);
        if (!o->text)
                return -ENOMEM;
        memcpy(o->value, value, sizeof(value));
        o->precision = f->m == 0 ? "year" : f->day == 0 ? "month" : "day";
        o->relative = f->relative;
        ds->n++;
        return 0;
}

/* An absolute date (a day and month, maybe a year; a month and year; a
 * numeric date) starting at token i. Returns true and fills *f. */
static bool absolute_at(const struct md_doc *d, uint32_t i, struct found *f) {
        const struct md_token *t = &d->tok[i];
        size_t n = d->n_tok;
        *f = (struct found){ .first = i };

        /* 2021-02-14, 2021-02 (one token: digits joined by hyphens) */
        const char *s = d->text + t->start;
        if (is_word(t) && (t->len == 7 || t->len == 10) && s[4] == '-' && s[0] >= '0' && s[0] <= '9') {
                int v[3] = { 0 };
                bool ok = true;
                for (size_t k = 0; k < t->len && ok; k++) {
                        if (k == 4 || k == 7)
                                ok = s[k] == '-';
                        else if (s[k] >= '0' && s[k] <= '9')
                                v[k < 4 ? 0 : k < 7 ? 1 : 2] = v[k < 4 ? 0 : k < 7 ? 1 : 2] * 10 + (s[k] - '0');
                        else
                                ok = false;
                }
                if (ok && valid_year(v[0]) && v[1] >= 1 && v[1] <= 12) {
                        if (t->len == 7) {
                                *f = (struct found){ .first = i, .last = i, .y = v[0], .m = v[1] };
                                return true;
                        }
                        if (v[2] >= 1 && v[2] <= days_in(v[0], v[1])) {
                                *f = (struct found){ .first = i, .last = i, .y = v[0], .m = v[1], .day = v[2] };
                                return true;
                        }
                }
        }

        int num = number_of(d, t, true);
        /* 14.02.2021, 14/02/2021 */
        if (num >= 1 && num <= 31 && i + 4 < n && (is_punct(&d->tok[i + 1], '.') || is_punct(&d->tok[i + 1], '/')) &&
            d->tok[i + 3].cp == d->tok[i + 1].cp && (d->tok[i + 3].flags & MD_T_PUNCT) &&
            !(d->tok[i + 1].flags & MD_T_SPACE_BEFORE) && !(d->tok[i + 2].flags & MD_T_SPACE_BEFORE) &&
            !(d->tok[i + 4].flags & MD_T_SPACE_BEFORE)) {
                int a = num, b = number_of(d, &d->tok[i + 2], false), y = number_of(d, &d->tok[i + 4], false);
                int day = a, m = b;
                if (d->lang == MD_LANG_EN && d->tok[i + 1].cp == '/' && b > 12)
                        day = b, m = a;
                if (m >= 1 && m <= 12 && valid_year(y) && day <= days_in(y, m)) {
                        *f = (struct found){ .first = i, .last = i + 4, .y = y, .m = m, .day = day };
                        return true;
                }
        }

        /* DAY [.] [de|of] MONTH [,] [de] [YEAR] [года|г.] */
        if (num >= 1 && num <= 31) {
                uint32_t k = i + 1;
                if (k < n && is_punct(&d->tok[k], '.') && !(d->tok[k].flags & MD_T_SPACE_BEFORE))
                        k++;
                if (k < n && is_word(&d->tok[k]) && (cls(d, &d->tok[k]) & MD_C_OF) && !(d->tok[k].flags & MD_T_CAP))
                        k++;
                int m = k < n ? month_of(d, &d->tok[k]) : 0;
                if (m) {
                        uint32_t last = k;
                        if (k + 2 < n && is_punct(&d->tok[k + 1], '.') && (d->tok[k].rule->classes[d->lang] & MD_C_ABBREV) &&
                            number_of(d, &d->tok[k + 2], false) >= 0)
                                last = ++k;
                        uint32_t y_at = k + 1;
                        if (y_at < n && is_punct(&d->tok[y_at], ','))
                                y_at++;
                        if (y_at < n && is_word(&d->tok[y_at]) && (cls(d, &d->tok[y_at]) & MD_C_YEAR_PREP) &&
                            !(d->tok[y_at].flags & MD_T_CAP))
                                y_at++;   /* "de 2021" */
                        int y = y_at < n ? number_of(d, &d->tok[y_at], false) : -1;
                        if (valid_year(y) && d->tok[y_at].len == 4) {
                                last = y_at;
                                if (last + 1 < n && is_word(&d->tok[last + 1]) && (cls(d, &d->tok[last + 1]) & MD_C_YEAR_WORD))
                                        last++;
                        } else {
                                y = 0;
                        }
                        if (y && num > days_in(y, m))
                                return false;
                        if (!y && num > days_in(2000, m))
                                return false;
                        *f = (struct found){ .first = i, .last = last, .y = y, .m = m, .day = num };
                        return true;
                }
        }

        /* MONTH [.] DAY [,] [YEAR] (English); MONTH [de|,] YEAR */
        int m = month_of(d, t);
        if (m) {
                uint32_t k = i + 1;
                if (k + 1 < n && is_punct(&d->tok[k], '.') && (t->rule->classes[d->lang] & MD_C_ABBREV) &&
                    number_of(d, &d->tok[k + 1], true) >= 0)
                        k++;
                int day = k < n ? number_of(d, &d->tok[k], true) : -1;
                if ((d->lang == MD_LANG_EN || d->lang == MD_LANG_OTHER) && day >= 1 && day <= 31 && d->tok[k].len <= 4) {
                        uint32_t last = k, y_at = k + 1;
                        if (y_at < n && is_punct(&d->tok[y_at], ','))
                                y_at++;
                        int y = y_at < n ? number_of(d, &d->tok[y_at], false) : -1;
                        if (valid_year(y) && d->tok[y_at].len == 4)
                                last = y_at;
                        else
                                y = 0;
                        if (day > days_in(y ? y : 2000, m))
                                return false;
                        *f = (struct found){ .first = i, .last = last, .y = y, .m = m, .day = day };
                        return true;
                }
                uint32_t y_at = i + 1;
                if (y_at < n && (is_punct(&d->tok[y_at], ',') ||
                                 (is_word(&d->tok[y_at]) && (cls(d, &d->tok[y_at]) & MD_C_YEAR_PREP) &&
                                  !(d->tok[y_at].flags & MD_T_CAP))))
                        y_at++;
                int y = y_at < n ? number_of(d, &d->tok[y_at], false) : -1;
                if (valid_year(y) && d->tok[y_at].len == 4) {
                        uint32_t last = y_at;
                        if (last + 1 < n && is_word(&d->tok[last + 1]) && (cls(d, &d->tok[last + 1]) & MD_C_YEAR_WORD))
                                last++;
                        *f = (struct found){ .first = i, .last = last, .y = y, .m = m };
                        return true;
                }
        }
        return false;
}

bool md_dateline_in_doc(struct md_doc *d, char out[11]) {
        size_t limit = d->n_tok < (size_t)d->set->dateline_tokens ? d->n_tok : (size_t)d->set->dateline_tokens;
        for (uint32_t i = 0; i < limit; i++) {
                struct found f;
                if (absolute_at(d, i, &f) && f.y && f.m && f.day) {
                        snprintf(out, 11, "%04d-%02d-%02d", f.y, f.m, f.day);
                        return true;
                }
        }
        return false;
}

int md_dates(struct md_doc *d, struct article_metadata *m) {
        struct dates ds = { .cap = (size_t)d->set->max_dates };
        ds.out = arena_calloc(d->arena, ds.cap ? ds.cap : 1, sizeof(*ds.out));
        if (!ds.out)
                return -ENOMEM;
        bool have_day = d->pub_y && d->pub_m && d->pub_d;
        bool have_year = d->pub_y != 0;
        long pub = have_day ? days_from_civil(d->pub_y, d->pub_m, d->pub_d) : 0;
        int pub_wd = have_day ? weekday_of(pub) : 0;

        for (uint32_t i = 0; i < d->n_tok; i++) {
                const struct md_token *t = &d->tok[i];
                if (!is_word(t) || (t->flags & MD_T_IN_DATE))
                        continue;
                struct found f;
                char c0 = d->text[t->start];
                bool may_start = (c0 >= '0' && c0 <= '9') || (cls(d, t) & MD_C_MONTH);
                if (may_start && absolute_at(d, i, &f)) {
                        if (!f.y) {
                                if (!have_year)
                                        continue;
                                f.y = infer_year(d, f.m, f.day);
                                f.relative = true;
                        }
                        int r = add(d, &ds, &f);
                        if (r < 0)
                                return r;
                        /* "Sunday, February 14": the weekday before is part of it */
                        if (i >= 2 && is_punct(&d->tok[i - 1], ',') && (cls(d, &d->tok[i - 2]) & MD_C_WEEKDAY))
                                d->tok[i - 2].flags |= MD_T_IN_DATE;
                        i = f.last;
                        continue;
                }
                uint32_t c = cls(d, t);
                /* a month alone after a preposition: "in August", "en août", "im August", "в августе" */
                int mo = month_of(d, t);
                if (mo && have_year && i > 0 && is_word(&d->tok[i - 1]) &&
                    (cls(d, &d->tok[i - 1]) & (MD_C_YEAR_PREP | MD_C_LOC_PREP)) &&
                    !(i + 1 < d->n_tok && number_of(d, &d->tok[i + 1], false) >= 0)) {
                        /* "en août" in a sentence about the future: the next August */
                        int y = infer_year(d, mo, 0);
                        if (d->pub_m && future_sentence(d, i) && !said_before(d, i))
                                y = mo >= d->pub_m ? d->pub_y : d->pub_y + 1;
                        f = (struct found){ .first = i - 1, .last = i, .y = y, .m = mo, .relative = true };
                        int r = add(d, &ds, &f);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* a year: "in 2020", "seit 2019", "в 2020 году", "im Jahr 2020" */
                int y = (t->flags & MD_T_NUM) ? number_of(d, t, false) : -1;   /* a year is digits only */
                if (y >= 1900 && y <= 2099 && t->len == 4 && i > 0) {
                        const struct md_token *p = &d->tok[i - 1];
                        bool prep = is_word(p) && (cls(d, p) & (MD_C_YEAR_PREP | MD_C_YEAR_WORD)) && !(p->flags & MD_T_NUM);
                        bool word_after = i + 1 < d->n_tok && is_word(&d->tok[i + 1]) &&
                                          (cls(d, &d->tok[i + 1]) & MD_C_YEAR_WORD);
                        if (prep || word_after) {
                                f = (struct found){ .first = prep ? i - 1 : i, .last = word_after ? i + 1 : i, .y = y };
                                int r = add(d, &ds, &f);
                                if (r < 0)
                                        return r;
                                continue;
                        }
                }
                /* relative words in a quotation are relative to when it was said */
                if (!have_day || (t->flags & MD_T_IN_QUOTE))
                        continue;
                /* weekdays */
                if (c & MD_C_WEEKDAY) {
                        if ((d->lang == MD_LANG_EN || d->lang == MD_LANG_OTHER) && !(t->flags & MD_T_CAP))
                                continue;
                        int wd = t->rule->value;
                        long when;
                        uint32_t first = i, last = i;
                        bool next = false, prev_week = false;
                        if (i > 0 && is_word(&d->tok[i - 1]) && (cls(d, &d->tok[i - 1]) & (MD_C_NEXT | MD_C_LAST))) {
                                next = cls(d, &d->tok[i - 1]) & MD_C_NEXT;
                                prev_week = !next;
                                first = i - 1;
                        } else if (i + 1 < d->n_tok && is_word(&d->tok[i + 1]) &&
                                   (cls(d, &d->tok[i + 1]) & (MD_C_NEXT | MD_C_LAST))) {
                                next = cls(d, &d->tok[i + 1]) & MD_C_NEXT;
                                prev_week = !next;
                                last = i + 1;
                        }
                        if (next) {
                                int ahead = (wd - pub_wd + 7) % 7;
                                when = pub + (ahead ? ahead : 7);
                        } else if (!prev_week && !said_before(d, i) && future_sentence(d, i)) {
                                when = pub + (wd - pub_wd + 7) % 7;
                        } else {
                                int back = (pub_wd - wd + 7) % 7;
                                when = pub - back - (prev_week && back == 0 ? 7 : 0);
                        }
                        f = (struct found){ .first = first, .last = last, .m = 1, .relative = true };
                        civil_from_days(when, &f.y, &f.m, &f.day);
                        int r = add(d, &ds, &f);
                        if (r < 0)
                                return r;
                        continue;
                }
                /* today, yesterday, tomorrow */
                if (c & MD_C_REL_DAY) {
                        /* German "Morgen" is the morning; Spanish "la mañana" too */
                        if (d->lang == MD_LANG_DE && t->rule->value == 9 &&
                            (((t->flags & MD_T_CAP) && !(t->flags & MD_T_SENT_START)) ||
                             (i > 0 && is_word(&d->tok[i - 1]) && (cls(d, &d->tok[i - 1]) & (MD_C_DETERMINER | MD_C_LOC_PREP)))))
                                continue;
                        if (d->lang == MD_LANG_ES && i > 0 && is_word(&d->tok[i - 1]) &&
                            (cls(d, &d->tok[i - 1]) & (MD_C_DETERMINER | MD_C_LOC_PREP)) && t->rule->value == 9)
                                continue;
                        f = (struct found){ .first = i, .last = i, .m = 1, .relative = true };
                        civil_from_days(pub + (t->rule->value - 8), &f.y, &f.m, &f.day);
                        int r = add(d, &ds, &f);
                        if (r < 0)
                                return r;
                }
        }
        m->dates = ds.out;
        m->n_dates = ds.n;
        return 0;
}
