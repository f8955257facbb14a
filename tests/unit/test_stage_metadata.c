/* The metadata stage (pipeline/metadata/), through the whole pipeline:
 * golden tests on the seed article and on articles written for this test
 * in French, German, Spanish and Russian (tests/fixtures/unit/metadata-*.txt),
 * then the single rules: merged mentions and glued words, title and lead,
 * dates, keywords, links, limits, and a deterministic order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>

#include "pipeline_fixture.h"

static const struct article_entity *find_entity(const struct article_entity *e, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(e[i].name, name) == 0)
                        return &e[i];
        return NULL;
}

static void assert_entities(const char *what, const struct article_entity *e, size_t n, const char *const *want) {
        for (size_t i = 0; want[i]; i++)
                if (!find_entity(e, n, want[i])) {
                        fprintf(stderr, "%s:", what);
                        for (size_t k = 0; k < n; k++)
                                fprintf(stderr, " [%s]", e[k].name);
                        fprintf(stderr, "\n");
                        fail_msg("%s: \"%s\" not found", what, want[i]);
                }
}

/* The quotation that starts with `start` has speaker `speaker`. */
static void assert_quote(const struct article_metadata *m, const char *start, const char *speaker) {
        for (size_t i = 0; i < m->n_quotes; i++) {
                if (strncmp(m->quotes[i].text, start, strlen(start)) != 0)
                        continue;
                if (!m->quotes[i].speaker || strcmp(m->quotes[i].speaker, speaker) != 0)
                        fail_msg("\"%s…\": speaker %s, want %s", start, m->quotes[i].speaker ? m->quotes[i].speaker : "none",
                                 speaker);
                return;
        }
        fail_msg("no quotation \"%s…\" among %zu", start, m->n_quotes);
}

static const struct article_date *find_date(const struct article_metadata *m, const char *value) {
        for (size_t i = 0; i < m->n_dates; i++)
                if (strcmp(m->dates[i].value, value) == 0)
                        return &m->dates[i];
        return NULL;
}

static void assert_date(const struct article_metadata *m, const char *value, const char *precision, const char *text) {
        const struct article_date *d = find_date(m, value);
        if (!d)
                fail_msg("date %s not found among %zu", value, m->n_dates);
        assert_string_equal(d->precision, precision);
        if (text)
                assert_string_equal(d->text, text);
}

static bool has_string(const char *const *list, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (strcmp(list[i], s) == 0)
                        return true;
        return false;
}

static struct pf *run_file(void **state, const char *path) {
        struct pf *f = *state = pf_new(NULL);
        size_t len;
        char *text = pf_read_file(path, &len);
        enum stage_verdict v = pf_run(f, text, len);
        free(text);
        pf_assert_accepted(f, v);
        assert_true(f->a.metadata.done);
        return f;
}

/* --- golden articles ------------------------------------------------------------------ */

static void seed_golden(void **state) {
        struct pf *f = run_file(state, pf_env_path("INGESTD_TEST_SEED"));
        const struct article_metadata *m = &f->a.metadata;
        static const char *const people[] = { "Alexei Navalny", "Leonid Volkov", "Vladimir Putin", NULL };
        assert_entities("people", m->people, m->n_people, people);
        /* merged: Navalny, Navalny's, Navalnyi, Navalnyin, Alexei Navalnyin are one person */
        assert_string_equal(m->people[0].name, "Alexei Navalny");
        assert_true(m->people[0].count >= 10);
        for (size_t i = 0; i < m->n_people; i++)
                if (strstr(m->people[i].name, "Navalnyi") || strcmp(m->people[i].name, "Putin") == 0)
                        fail_msg("an unmerged mention: %s", m->people[i].name);
        assert_int_equal(m->n_people, 3);
        static const char *const places[] = { "Russia", "Germany", "Berlin", "Siberia", "Lithuania", NULL };
        assert_entities("locations", m->locations, m->n_locations, places);
        assert_string_equal(find_entity(m->locations, m->n_locations, "Russia")->country, "RU");
        assert_string_equal(find_entity(m->locations, m->n_locations, "Berlin")->kind, "city");
        assert_non_null(find_entity(m->organizations, m->n_organizations, "Reuters"));
        assert_non_null(find_entity(m->organizations, m->n_organizations, "Kremlin"));
        assert_int_equal(m->n_cited_sources, 1);
        assert_string_equal(m->cited_sources[0], "Reuters");
        /* both quotations with their speakers; the quoted tag and the one-word term are not quotations */
        assert_int_equal(m->n_quotes, 2);
        assert_quote(m, "[Presidentti Vladimir] Putin there is fear", "Leonid Volkov");
        assert_quote(m, "This respondent is being exploited", "Vladimir Putin");
        /* dates against the publication date, Sunday 2021-02-14 */
        assert_string_equal(f->a.published_at, "2021-02-14");
        assert_date(m, "2021-02-14", "day", "Sunday");
        assert_date(m, "2021-02-11", "day", "Thursday");
        assert_date(m, "2020-08", "month", "in August");
        assert_date(m, "2021-01", "month", "in January");
        assert_true(find_date(m, "2021-02-11")->relative);
        /* no title in the input: the first sentence; the lead is the first paragraph */
        assert_string_equal(m->title_origin, "text");
        assert_int_equal(strncmp(m->title, "Street demonstrations have been suspended", 41), 0);
        assert_int_equal(strncmp(m->lead, "Street demonstrations have been suspended", 41), 0);
        assert_true(m->n_keywords > 0 && m->n_keywords <= 10);
        assert_true(has_string(m->keywords, m->n_keywords, "Navalny") || has_string(m->keywords, m->n_keywords, "demonstrations"));
        for (size_t i = 0; i < m->n_keywords; i++)
                if (strcmp(m->keywords[i], "the") == 0 || strcmp(m->keywords[i], "have") == 0)
                        fail_msg("a stop word among the keywords: %s", m->keywords[i]);
}

static void french_golden(void **state) {
        struct pf *f = run_file(state, pf_fixture("metadata-fr.txt"));
        const struct article_metadata *m = &f->a.metadata;
        assert_string_equal(f->a.language.code, "fr");
        static const char *const people[] = { "Alexandre Morel", "Camille Vidal", "Bernard Lacombe", NULL };
        assert_entities("people", m->people, m->n_people, people);
        assert_int_equal(find_entity(m->people, m->n_people, "Alexandre Morel")->count, 3);
        static const char *const places[] = { "France", "Lyon", "Allemagne", "Paris", NULL };
        assert_entities("locations", m->locations, m->n_locations, places);
        assert_string_equal(find_entity(m->locations, m->n_locations, "Allemagne")->country, "DE");
        assert_int_equal(m->n_cited_sources, 1);
        assert_string_equal(m->cited_sources[0], "AFP");
        assert_quote(m, "Nous ne renoncerons jamais", "Camille Vidal");
        assert_quote(m, "La loi s'applique", "Bernard Lacombe");     /* "a-t-il affirmé" */
        assert_date(m, "2021-03-14", "day", "dimanche");
        assert_date(m, "2021-03-11", "day", "jeudi");
        assert_date(m, "2021-01", "month", "en janvier");
        assert_date(m, "2021-04", "month", "en avril");
}

static void german_golden(void **state) {
        struct pf *f = run_file(state, pf_fixture("metadata-de.txt"));
        const struct article_metadata *m = &f->a.metadata;
        assert_string_equal(f->a.language.code, "de");
        static const char *const people[] = { "Jan Brenner", "Maria Hahn", "Klaus Wendt", NULL };
        assert_entities("people", m->people, m->n_people, people);
        assert_true(find_entity(m->people, m->n_people, "Jan Brenner")->count >= 2);
        static const char *const places[] = { "Deutschland", "Leipzig", "Österreich", "Berlin", NULL };
        assert_entities("locations", m->locations, m->n_locations, places);
        assert_int_equal(m->n_cited_sources, 1);
        assert_string_equal(m->cited_sources[0], "dpa");
        assert_quote(m, "Wir lassen uns nicht", "Maria Hahn");
        assert_quote(m, "Das Versammlungsrecht gilt", "Klaus Wendt");     /* "sagte er" */
        assert_date(m, "2021-03-14", "day", "Sonntag");
        assert_date(m, "2021-03-11", "day", "Donnerstag");
        assert_date(m, "2021-01", "month", "im Januar");
        assert_date(m, "2021-04", "month", "im April");
}

static void spanish_golden(void **state) {
        struct pf *f = run_file(state, pf_fixture("metadata-es.txt"));
        const struct article_metadata *m = &f->a.metadata;
        assert_string_equal(f->a.language.code, "es");
        static const char *const people[] = { "Raúl Medina", "Lucía Navarro", "Tomás Quintana", NULL };
        assert_entities("people", m->people, m->n_people, people);
        /* "Medina" is also a city: here it is the person, three times */
        assert_int_equal(find_entity(m->people, m->n_people, "Raúl Medina")->count, 3);
        assert_null(find_entity(m->locations, m->n_locations, "Medina"));
        static const char *const places[] = { "España", "Valencia", "Francia", "Madrid", NULL };
        assert_entities("locations", m->locations, m->n_locations, places);
        assert_int_equal(m->n_cited_sources, 1);
        assert_string_equal(m->cited_sources[0], "EFE");
        assert_quote(m, "No vamos a dejar", "Lucía Navarro");
        assert_quote(m, "La ley es igual", "Tomás Quintana");     /* "dijo", the subject left out */
        assert_date(m, "2021-03-14", "day", "domingo");
        assert_date(m, "2021-03-11", "day", "jueves");
        assert_date(m, "2021-04", "month", "en abril");
}

static void russian_golden(void **state) {
        struct pf *f = run_file(state, pf_fixture("metadata-ru.txt"));
        const struct article_metadata *m = &f->a.metadata;
        assert_string_equal(f->a.language.code, "ru");
        /* case forms merge: Игоря Белова, Белов, Белова */
        const struct article_entity *belov = NULL;
        for (size_t i = 0; i < m->n_people; i++)
                if (strstr(m->people[i].name, "Белов"))
                        belov = &m->people[i];
        assert_non_null(belov);
        assert_int_equal(belov->count, 3);
        static const char *const people[] = { "Ольга Зайцева", "Виктор Гусев", NULL };
        assert_entities("people", m->people, m->n_people, people);
        assert_int_equal(find_entity(m->people, m->n_people, "Виктор Гусев")->count, 2);
        /* "России", "Германии": found by their stems, named in the nominative */
        static const char *const places[] = { "Россия", "Германия", "Новосибирске", NULL };
        assert_entities("locations", m->locations, m->n_locations, places);
        assert_int_equal(m->n_cited_sources, 1);
        assert_string_equal(m->cited_sources[0], "TASS");
        assert_quote(m, "Мы не отступим", "Ольга Зайцева");
        assert_quote(m, "Закон один для всех", "Виктор Гусев");
        assert_date(m, "2021-03-14", "day", "воскресенье");
        assert_date(m, "2021-03-11", "day", "четверг");
        assert_date(m, "2021-01", "month", "в январе");
}

/* --- single rules ------------------------------------------------------------------------- */

static void glued_words_and_variants_merge(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                " date 2021-02-14 Opposition leader Alexei Navalny returned to Moscow in January. "
                "Navalnyheld talks with his lawyers on Monday, and Navalny's supporters rallied. "
                "The lawyers held a press conference after the meeting."));
        const struct article_metadata *m = &f->a.metadata;
        assert_int_equal(m->n_people, 1);
        assert_string_equal(m->people[0].name, "Alexei Navalny");
        assert_int_equal(m->people[0].count, 3);
}

static void title_and_lead_from_the_body(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                "Floods close roads in the north\n\n"
                "Heavy rain flooded several towns on Monday. Schools stayed closed.\n\n"
                "More rain is expected."));
        assert_string_equal(f->a.metadata.title, "Floods close roads in the north");
        assert_string_equal(f->a.metadata.lead, "Heavy rain flooded several towns on Monday. Schools stayed closed.");
        assert_null(f->a.title);
}

static void title_from_the_input_is_kept(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "{\"title\": \"Budget approved\", \"body\": \"Budget approved\\n\\n"
                                            "The council approved the budget.\\n\\nIt takes effect in May.\"}"));
        assert_string_equal(f->a.title, "Budget approved");
        assert_string_equal(f->a.metadata.title_origin, "input");
        assert_string_equal(f->a.metadata.lead, "The council approved the budget.");
}

static void dateline_gives_the_date(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                "DUBLIN, November 10, 2021 \xe2\x80\x94 A court in Dublin ruled on Wednesday against the company. "
                "Its lawyer said it would appeal before Christmas."));
        assert_string_equal(f->a.published_at, "2021-11-10");
        assert_string_equal(f->a.published_at_origin, "text");
        assert_date(&f->a.metadata, "2021-11-10", "day", NULL);
}

static void a_date_from_the_input_wins(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, " date 2021-11-12 DUBLIN, November 10, 2021 \xe2\x80\x94 A court ruled."));
        assert_string_equal(f->a.published_at, "2021-11-12");
        assert_string_equal(f->a.published_at_origin, "header");
}

static void absolute_dates(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                " date 2021-06-15 The talks began on 14 February 2021 and resumed on March 3, 2021. "
                "A first round had failed in 2019. The deadline is 2021-07-01, or 01.08.2021 at the latest. "
                "They met again on 2 May."));
        const struct article_metadata *m = &f->a.metadata;
        assert_date(m, "2021-02-14", "day", "14 February 2021");
        assert_date(m, "2021-03-03", "day", "March 3, 2021");
        assert_date(m, "2019", "year", "in 2019");
        assert_date(m, "2021-07-01", "day", "2021-07-01");
        assert_date(m, "2021-08-01", "day", "01.08.2021");
        assert_date(m, "2021-05-02", "day", "2 May");
        assert_false(find_date(m, "2021-03-03")->relative);
        assert_true(find_date(m, "2021-05-02")->relative);   /* the year comes from the publication date */
}

static void dates_in_other_languages(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                " date 2021-06-15 Die Gespräche begannen am 14. Februar 2021 in Wien und sollen bis Freitag dauern. "
                "Gestern gab es eine Pause. Seit 2019 wird verhandelt."));
        const struct article_metadata *m = &f->a.metadata;
        assert_date(m, "2021-02-14", "day", "14. Februar 2021");
        assert_date(m, "2021-06-18", "day", "Freitag");         /* "bis": ahead, Tuesday 2021-06-15 + 3 */
        assert_date(m, "2021-06-14", "day", "Gestern");
        assert_date(m, "2019", "year", "Seit 2019");
        pf_assert_accepted(f, pf_run_str(f,
                " date 2021-06-15 Las negociaciones comenzaron el 14 de febrero de 2021 y la próxima reunión será "
                "el próximo lunes. Ayer no hubo acuerdo."));
        m = &f->a.metadata;
        assert_date(m, "2021-02-14", "day", "14 de febrero de 2021");
        assert_date(m, "2021-06-21", "day", "próximo lunes");
        assert_date(m, "2021-06-14", "day", "Ayer");
}

static void relative_dates_need_a_day(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* a month-only publication date: no weekday can be resolved, a month can */
        pf_assert_accepted(f, pf_run_str(f, " date 2021-03 The vote took place on Thursday. It had been planned in August."));
        const struct article_metadata *m = &f->a.metadata;
        assert_int_equal(m->n_dates, 1);
        assert_date(m, "2020-08", "month", "in August");
}

static void a_month_ahead_in_a_sentence_about_the_future(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, " date 2022-05-19 Le défenseur a été suspendu pour trois matchs mercredi. "
                                            "Il pourra rejouer dès la reprise du championnat en août."));
        assert_date(&f->a.metadata, "2022-08", "month", "en août");
        assert_date(&f->a.metadata, "2022-05-18", "day", "mercredi");
}

/* Organizations the rules find by their kind, their head word, an outlet's
 * article, a French elision or a German compound, named as the text writes
 * them; and the speaker next to a role compound. */
static void organizations_by_rule(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, " date 2021-04-09 Le Conseil d'État a suspendu jeudi un arrêté du maire de "
                                            "Nice, a rapporté Le Monde. La Confédération générale du travail a salué la décision."));
        static const char *const fr[] = { "Conseil d'État", "Le Monde", "Confédération générale du travail", NULL };
        assert_entities("organizations", f->a.metadata.organizations, f->a.metadata.n_organizations, fr);
        pf_free(f);

        f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, " date 2021-07-28 Der Autobauer Volkswagen hat am Dienstag seine Prognose "
                                            "angehoben. „Das Gesetz schützt Menschen, die Missstände aufdecken“, sagte der "
                                            "SPD-Abgeordnete Jonas Richter. Die Gewerkschaft Verdi fordert mehr Personal."));
        static const char *const de[] = { "Volkswagen", "SPD", "Verdi", NULL };
        assert_entities("organizations", f->a.metadata.organizations, f->a.metadata.n_organizations, de);
        assert_quote(&f->a.metadata, "Das Gesetz schützt", "Jonas Richter");
        assert_null(find_entity(f->a.metadata.organizations, f->a.metadata.n_organizations, "Gewerkschaft"));
        pf_free(f);

        f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, " date 2021-06-01 Авиакомпания «Аэрофлот» увеличит число рейсов в Сочи, "
                                            "передает ТАСС. Сбербанк в понедельник открыл новый центр в Казани."));
        static const char *const ru[] = { "Аэрофлот", "ТАСС", "Сбербанк", NULL };
        assert_entities("organizations", f->a.metadata.organizations, f->a.metadata.n_organizations, ru);
        /* sources keep the agency's canonical name, for counting across languages */
        assert_true(has_string(f->a.metadata.cited_sources, f->a.metadata.n_cited_sources, "TASS"));
}

static void hashtags_links_and_addresses(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                "Supporters shared the tag #FreeNavalny and #LoveIsStrongerThanFear on social media. "
                "Details at https://example.org/news/item?id=7 (in English) and www.example.com/ru. "
                "Contact press@example.org or the desk (@newsdesk) for interviews; #1 is not a tag."));
        const struct article_metadata *m = &f->a.metadata;
        assert_int_equal(m->n_hashtags, 2);
        assert_string_equal(m->hashtags[0], "#FreeNavalny");
        assert_string_equal(m->hashtags[1], "#LoveIsStrongerThanFear");
        assert_int_equal(m->n_urls, 2);
        assert_string_equal(m->urls[0], "https://example.org/news/item?id=7");
        assert_string_equal(m->urls[1], "www.example.com/ru");
        assert_int_equal(m->n_emails, 1);
        assert_string_equal(m->emails[0], "press@example.org");
}

static void limits_are_configurable(void **state) {
        const char *const o[] = { "metadata.max_people=1", "metadata.max_locations=2", "metadata.max_keywords=3",
                                  "metadata.max_quotes=1", "metadata.max_dates=1", NULL };
        struct pf *f = *state = pf_new(o);
        size_t len;
        char *seed = pf_read_file(pf_env_path("INGESTD_TEST_SEED"), &len);
        enum stage_verdict v = pf_run(f, seed, len);
        free(seed);
        pf_assert_accepted(f, v);
        const struct article_metadata *m = &f->a.metadata;
        assert_int_equal(m->n_people, 1);
        assert_string_equal(m->people[0].name, "Alexei Navalny");   /* the most mentioned */
        assert_int_equal(m->n_locations, 2);
        assert_string_equal(m->locations[0].name, "Russia");
        assert_int_equal(m->n_keywords, 3);
        assert_int_equal(m->n_quotes, 1);
        assert_int_equal(m->n_dates, 1);
}

/* The same article twice gives the same record, field for field. */
static void output_is_deterministic(void **state) {
        struct pf *f = *state = pf_new(NULL);
        size_t len;
        char *seed = pf_read_file(pf_env_path("INGESTD_TEST_SEED"), &len);
        pf_assert_accepted(f, pf_run(f, seed, len));
        json_t *a = json_loads(f->a.json, 0, NULL);
        char *first = json_dumps(json_object_get(a, "metadata"), JSON_SORT_KEYS);
        json_decref(a);
        pf_assert_accepted(f, pf_run(f, seed, len));
        json_t *b = json_loads(f->a.json, 0, NULL);
        char *second = json_dumps(json_object_get(b, "metadata"), JSON_SORT_KEYS);
        json_decref(b);
        free(seed);
        assert_string_equal(first, second);
        free(first);
        free(second);
}

static void empty_and_odd_bodies(void **state) {
        struct pf *f = *state = pf_new(NULL);
        static const char *const bodies[] = {
                "...", "“", "« »", "\xe2\x80\x9e\xe2\x80\x9c", "#", "@", "http://", "Mr.", "1.", "[[[]]]", "2021-13-45",
                "31/02/2021", "\xd0\x92", "A B C D E F G H I J K L M N O P Q R S T U V W X Y Z",
        };
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
                pf_assert_accepted(f, pf_run_str(f, bodies[i]));
                assert_true(f->a.metadata.done);
                assert_int_equal(f->a.metadata.n_dates, 0);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, pf_teardown)
                T(seed_golden),
                T(french_golden),
                T(german_golden),
                T(spanish_golden),
                T(russian_golden),
                T(glued_words_and_variants_merge),
                T(title_and_lead_from_the_body),
                T(title_from_the_input_is_kept),
                T(dateline_gives_the_date),
                T(a_date_from_the_input_wins),
                T(absolute_dates),
                T(dates_in_other_languages),
                T(relative_dates_need_a_day),
                T(a_month_ahead_in_a_sentence_about_the_future),
                T(organizations_by_rule),
                T(hashtags_links_and_addresses),
                T(limits_are_configurable),
                T(output_is_deterministic),
                T(empty_and_odd_bodies),
#undef T
        };
        return cmocka_run_group_tests_name("stage_metadata", tests, NULL, NULL);
}
