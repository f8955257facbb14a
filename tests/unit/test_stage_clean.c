/* The clean stage (pipeline/stage_clean.c), through the whole pipeline: a
 * scraped page with every kind of noise the issue lists, mojibake,
 * repeated paragraphs, configured phrases, a "Published" line as the
 * publication date, and a body that is nothing but boilerplate. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>

#include "pipeline_fixture.h"

/* The article's own text, which must survive cleaning unchanged. */
#define P1 "Opposition supporters gathered in the courtyards of residential buildings on Sunday evening."
#define P2 "Police detained dozens of people in Moscow and Saint Petersburg, a rights group said."
#define P3 "\xe2\x80\x9cWe will not be silenced,\xe2\x80\x9d the movement's coordinator told reporters."
#define P4 "The authorities had warned that unauthorized gatherings would be punished."

/* The same article as a scraper returns it. */
static const char noisy_page[] =
        "Skip to content\n"
        "Skip to main menu\n"
        "Accessibility links\n"
        "\n"
        "Live\n"
        "\n"
        P1 "\n"
        "\n"
        "Protesters light candles in a courtyard in Moscow. Image: Yuri Maltsev/REUTERS\n"
        "\n"
        "Share on Facebook\n"
        "Facebook Twitter WhatsApp Email\n"
        "\n"
        P2 "\n"
        "\n"
        "Advertisement\n"
        "\n"
        "We will win. pic.twitter.com/AbCdEf123 \xe2\x80\x94 Leonid Volkov (@leonidvolkov) March 23, 2021\n"
        "\n"
        P3 "\n"
        "\n"
        "| Date | City | Detained |\n"
        "| 14 Feb | Moscow | 120 |\n"
        "\n"
        "Subscribe to continue reading our coverage\n"
        "Already a subscriber? Log in\n"
        "\n"
        P2 "\n"
        "\n"
        P4 "\n"
        "\n"
        "You may also like\n"
        "Ten recipes for a rainy weekend\n"
        "Why house prices keep rising\n"
        "\n"
        "1. Most read: the best beaches in Europe\n"
        "2. Celebrity wedding in pictures\n"
        "3. What to watch this week\n"
        "\n"
        "Updated 14 February 2021, 18:32 GMT\n"
        "\xc2\xa9 2021 Example News. All rights reserved.\n";

static void noise_is_removed(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, noisy_page));
        assert_string_equal(f->a.body, P1 "\n\n" P2 "\n\n" P3 "\n\n" P4);
        assert_true(f->a.clean.done);
        assert_int_equal(f->a.clean.repeated_paragraphs, 1);
        /* 3 menu + Live + caption + 2 share + ad + tweet + 2 table + 2 paywall + repeat
         * + related header and 2 headlines + 3 numbered links + updated + copyright */
        assert_int_equal(f->a.clean.removed_lines, 22);
        /* The counts and the metadata see the cleaned text. */
        assert_int_equal(f->a.counts.paragraphs, 4);
        for (size_t i = 0; i < f->a.metadata.n_people; i++)
                if (strstr(f->a.metadata.people[i].name, "Maltsev") || strstr(f->a.metadata.people[i].name, "Volkov"))
                        fail_msg("a person from the page's chrome: %s", f->a.metadata.people[i].name);
        /* and the record says how many lines went */
        json_t *rec = json_loads(f->a.json, 0, NULL);
        assert_non_null(rec);
        assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "metadata"), "removed_lines")), 22);
        json_decref(rec);
}

static void mojibake_is_repaired(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* UTF-8 read as Windows-1252 and written out again as UTF-8: “ ” ’ é – and a no-break space. */
        pf_assert_accepted(f, pf_run_str(f,
                " title CafÃ© culture returns\n"
                "The cafÃ© reopened on Monday.\n"
                "\n"
                "â€œWe missed our customers,â€ the ownerâ€™s daughter said â€“ smiling.Â It was a good day."));
        assert_string_equal(f->a.title, "Café culture returns");
        assert_string_equal(f->a.body,
                "The café reopened on Monday.\n"
                "\n"
                "\xe2\x80\x9cWe missed our customers,\xe2\x80\x9d the owner\xe2\x80\x99s daughter said \xe2\x80\x93 smiling. It was a good day.");
        assert_int_equal(f->a.clean.mojibake_repairs, 7);
}

static void text_without_mojibake_is_untouched(void **state) {
        struct pf *f = *state = pf_new(NULL);
        static const char *const bodies[] = {
                "Der Müller aß Äpfel, Öl und Süßes: «Très bien», sagte Élodie. 50 °C, ±2, ¾, Ångström.",
                "Âge: 30 ans. Ça va. Où est la Côte d'Ivoire?",
                "Ἀθῆναι, Москва, 東京 and naïve café résumé.",
        };
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
                pf_assert_accepted(f, pf_run_str(f, bodies[i]));
                assert_string_equal(f->a.body, bodies[i]);
                assert_int_equal(f->a.clean.mojibake_repairs, 0);
                assert_int_equal(f->a.clean.removed_lines, 0);
        }
}

static void configured_phrases(void **state) {
        const char *const o[] = { "clean.extra_phrases=Our partners|Zum Newsticker", "clean.extra_prefixes=Sponsored by",
                                  NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f,
                "Our partners:\n\nThe council approved the budget on Tuesday.\n\nSponsored by Example Bank\n\n"
                "ZUM NEWSTICKER\n\nMembers voted 31 to 12."));
        assert_string_equal(f->a.body, "The council approved the budget on Tuesday.\n\nMembers voted 31 to 12.");
        assert_int_equal(f->a.clean.removed_lines, 3);
}

static void builtin_phrases_can_be_turned_off(void **state) {
        const char *const o[] = { "clean.builtin_phrases=false", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f, "Advertisement\n\nThe council approved the budget."));
        assert_string_equal(f->a.body, "Advertisement\n\nThe council approved the budget.");
}

static void short_lines_of_text_stay(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* Headlines and short paragraphs that merely start like boilerplate are text. */
        static const char body[] =
                "Live music returns to Berlin\n\n"
                "Updated guidance for schools was published on Monday, the ministry said in a long statement.\n\n"
                "Share prices rose.\n\n"
                "The share of renewable energy reached 46 percent.";
        pf_assert_accepted(f, pf_run_str(f, body));
        assert_string_equal(f->a.body, body);
}

static void published_line_gives_the_date(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                "Published 3 March 2021\n\nThe council approved the budget on Tuesday after a long debate."));
        assert_string_equal(f->a.body, "The council approved the budget on Tuesday after a long debate.");
        assert_string_equal(f->a.published_at, "2021-03-03");
        assert_string_equal(f->a.published_at_origin, "text");
        /* "on Tuesday" resolved against it: Wednesday 2021-03-03 → 2021-03-02 */
        assert_int_equal(f->a.metadata.n_dates, 1);
        assert_string_equal(f->a.metadata.dates[0].value, "2021-03-02");
}

static void nothing_but_boilerplate_is_rejected(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_rejected(f, pf_run_str(f, "Skip to content\n\nAdvertisement\n\nSubscribe now"), "empty_body", "clean");
}

static void repeats_can_be_kept(void **state) {
        const char *const o[] = { "clean.repeated_min_words=0", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f, P1 "\n\n" P1));
        assert_string_equal(f->a.body, P1 "\n\n" P1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_teardown(fn, pf_teardown)
                T(noise_is_removed),
                T(mojibake_is_repaired),
                T(text_without_mojibake_is_untouched),
                T(configured_phrases),
                T(builtin_phrases_can_be_turned_off),
                T(short_lines_of_text_stay),
                T(published_line_gives_the_date),
                T(nothing_but_boilerplate_is_rejected),
                T(repeats_can_be_kept),
#undef T
        };
        return cmocka_run_group_tests_name("stage_clean", tests, NULL, NULL);
}
