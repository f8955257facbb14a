/* The metadata stage on any text: the input's first byte picks the language
 * the detector would have named, its second a publication date (none, a
 * day, a month, a date-time, the ends of the range); the rest is the body,
 * normalized first as in the pipeline. Whatever the text, every list stays
 * within its configured cap, every string it extracts is well-formed UTF-8,
 * and every date has the schema's form. */
#include "fuzz.h"

static struct fuzz_env normalize, metadata;

static void env_free(void) {
        fuzz_env_free(&normalize);
        fuzz_env_free(&metadata);
}

static const char *const languages[] = { NULL, "und", "en", "fr", "de", "es", "ru", "fi", "el", "zh" };
static const char *const dates[] = { NULL, "2021-02-14", "2021-03", "2021-02-14T10:00:00Z", "1000-01-01",
                                     "9999-12-31" };

static bool has_form(const char *s, const char *f) {
        for (; *f && *s; f++, s++)
                if (*f == 'd' ? !(*s >= '0' && *s <= '9') : *s != *f)
                        return false;
        return !*f && !*s;
}

static bool schema_date(const char *s) {
        return has_form(s, "dddd") || has_form(s, "dddd-dd") || has_form(s, "dddd-dd-dd") ||
               has_form(s, "dddd-dd-ddTdd:dd:ddZ");
}

static void check_text(const char *what, size_t i, const char *s) {
        FUZZ_CHECK(s, "%s %zu is NULL", what, i);
        FUZZ_CHECK(fuzz_is_text(s, strlen(s)), "%s %zu is not UTF-8", what, i);
}

static void check_cap(const char *what, size_t n, const char *key) {
        int64_t cap = config_get_int(metadata.cfg, "metadata", key);
        FUZZ_CHECK((int64_t)n <= cap, "%zu %s, more than metadata.%s (%lld)", n, what, key, (long long)cap);
}

static void check_entities(const char *what, const struct article_entity *e, size_t n, const char *key) {
        check_cap(what, n, key);
        for (size_t i = 0; i < n; i++) {
                check_text(what, i, e[i].name);
                FUZZ_CHECK(e[i].count >= 1, "%s %zu mentioned %u times", what, i, (unsigned)e[i].count);
                FUZZ_CHECK(memchr(e[i].country, '\0', sizeof(e[i].country)) &&
                                   (!e[i].country[0] || (strlen(e[i].country) == 2 && e[i].country[0] >= 'A' &&
                                                         e[i].country[0] <= 'Z')),
                           "%s %zu: country \"%.3s\"", what, i, e[i].country);
        }
}

static void check_strings(const char *what, const char *const *s, size_t n, const char *key) {
        if (key)
                check_cap(what, n, key);
        for (size_t i = 0; i < n; i++)
                check_text(what, i, s[i]);
}

FUZZ_TARGET(metadata) {
        if (!metadata.state) {
                fuzz_env_init(&normalize, &stage_normalize, NULL);
                fuzz_env_init(&metadata, &stage_metadata, NULL);
                atexit(env_free);
        }
        if (size < 2)
                return 0;
        const char *language = languages[data[0] % (sizeof(languages) / sizeof(languages[0]))];
        const char *published = dates[data[1] % (sizeof(dates) / sizeof(dates[0]))];
        data += 2;
        size -= 2;

        struct arena *ar = fuzz_arena();
        struct article a;
        article_init(&a, ar, data, size);
        a.body = arena_strndup(ar, (const char *)data, size);
        a.body_len = size;
        a.id = arena_strdup(ar, "fuzz-id");
        FUZZ_CHECK(a.body && a.id, "out of memory");
        if (published) {
                a.published_at = arena_strdup(ar, published);
                a.published_at_origin = "field";
        }
        if (stage_normalize.process(normalize.state, &a) != STAGE_CONTINUE)
                return 0;
        a.language.code = language;

        enum stage_verdict v = stage_metadata.process(metadata.state, &a);
        if (v == STAGE_REJECT) {
                fuzz_check_rejection(&a, false);
                return 0;
        }
        FUZZ_CHECK(v == STAGE_CONTINUE, "verdict %d", (int)v);
        const struct article_metadata *m = &a.metadata;
        FUZZ_CHECK(m->done, "the stage did not say it ran");
        if (m->title)
                check_text("title", 0, m->title);
        if (m->lead)
                check_text("lead", 0, m->lead);
        check_entities("people", m->people, m->n_people, "max_people");
        check_entities("organizations", m->organizations, m->n_organizations, "max_organizations");
        check_entities("locations", m->locations, m->n_locations, "max_locations");
        check_cap("quotes", m->n_quotes, "max_quotes");
        for (size_t i = 0; i < m->n_quotes; i++) {
                check_text("quote", i, m->quotes[i].text);
                if (m->quotes[i].speaker)
                        check_text("speaker", i, m->quotes[i].speaker);
        }
        check_strings("cited sources", m->cited_sources, m->n_cited_sources, NULL);
        check_cap("dates", m->n_dates, "max_dates");
        for (size_t i = 0; i < m->n_dates; i++) {
                check_text("date", i, m->dates[i].text);
                const char *p = m->dates[i].precision;
                const char *form = !p ? NULL : !strcmp(p, "day") ? "dddd-dd-dd" : !strcmp(p, "month") ? "dddd-dd"
                                                : !strcmp(p, "year") ? "dddd" : NULL;
                FUZZ_CHECK(form && memchr(m->dates[i].value, '\0', sizeof(m->dates[i].value)) &&
                                   has_form(m->dates[i].value, form),
                           "date %zu: \"%.11s\" with precision %s", i, m->dates[i].value, p ? p : "(none)");
        }
        check_strings("keywords", m->keywords, m->n_keywords, "max_keywords");
        check_strings("hashtags", m->hashtags, m->n_hashtags, "max_hashtags");
        check_strings("links", m->urls, m->n_urls, "max_urls");
        check_strings("e-mail addresses", m->emails, m->n_emails, "max_emails");
        FUZZ_CHECK(!a.published_at || (schema_date(a.published_at) && a.published_at_origin),
                   "published_at \"%s\"", a.published_at);
        return 0;
}
