/* The language stage (pipeline/stage_language.c, CLD2 behind
 * pipeline/language_cld2.h), run through the whole pipeline as the daemon
 * runs it: the seed article, news paragraphs in sixteen languages, a
 * quotation in another language, text with too few letters, the input's
 * language as a hint, sampling of long bodies, and the record's language
 * object. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <jansson.h>

#include "pipeline_fixture.h"
#include "pipeline/language_cld2.h"
#include "pipeline/stage.h"

static void assert_und(const struct article *a) {
        assert_non_null(a->language.code);
        assert_string_equal(a->language.code, "und");
        assert_string_equal(a->language.name, "Undetermined");
        assert_false(a->language.reliable);
        assert_true(a->language.confidence == 0.0);
        assert_int_equal(a->language.n_alternatives, 0);
}

static bool has_alternative(const struct article *a, const char *code) {
        for (size_t i = 0; i < a->language.n_alternatives; i++)
                if (strcmp(a->language.alternatives[i].code, code) == 0)
                        return true;
        return false;
}

/* --- detection ------------------------------------------------------------------- */

static void seed_is_english_and_reliable(void **state) {
        struct pf *f = *state = pf_new(NULL);
        size_t len;
        char *seed = pf_read_file(pf_env_path("INGESTD_TEST_SEED"), &len);
        enum stage_verdict v = pf_run(f, seed, len);
        free(seed);
        pf_assert_accepted(f, v);
        assert_string_equal(f->a.language.code, "en");
        assert_string_equal(f->a.language.name, "English");
        assert_true(f->a.language.reliable);
        assert_true(f->a.language.confidence >= 0.9 && f->a.language.confidence <= 1.0);
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_NONE);
}

/* One news paragraph per language, each written for this test. */
static const struct {
        const char *code, *name, *text;
} paragraphs[] = {
        { "fr", "French",
          "Le gouvernement a annoncé mardi une série de mesures destinées à soutenir les petites entreprises touchées "
          "par la hausse des prix de l'énergie. Selon le ministre de l'Économie, ces aides seront versées dès le mois "
          "prochain et concerneront plus de deux cent mille sociétés." },
        { "de", "German",
          "Die Bundesregierung hat am Dienstag ein neues Maßnahmenpaket vorgestellt, das kleine Unternehmen bei den "
          "gestiegenen Energiekosten entlasten soll. Nach Angaben des Wirtschaftsministeriums sollen die Hilfen "
          "bereits im kommenden Monat ausgezahlt werden." },
        { "es", "Spanish",
          "El Gobierno anunció el martes un paquete de medidas para ayudar a las pequeñas empresas afectadas por la "
          "subida de los precios de la energía. Según el ministro de Economía, las ayudas se pagarán a partir del "
          "próximo mes y beneficiarán a más de doscientas mil compañías." },
        { "it", "Italian",
          "Il governo ha annunciato martedì un pacchetto di misure per sostenere le piccole imprese colpite "
          "dall'aumento dei prezzi dell'energia. Secondo il ministro dell'Economia, gli aiuti saranno versati a "
          "partire dal mese prossimo e riguarderanno oltre duecentomila aziende." },
        { "pt", "Portuguese",
          "O governo anunciou na terça-feira um pacote de medidas para apoiar as pequenas empresas afetadas pelo "
          "aumento dos preços da energia. Segundo o ministro da Economia, os apoios serão pagos a partir do próximo "
          "mês e vão abranger mais de duzentas mil empresas." },
        { "nl", "Dutch",
          "De regering heeft dinsdag een pakket maatregelen aangekondigd om kleine bedrijven te steunen die worden "
          "getroffen door de stijgende energieprijzen. Volgens de minister van Economische Zaken wordt de steun "
          "vanaf volgende maand uitbetaald aan meer dan tweehonderdduizend ondernemingen." },
        { "sv", "Swedish",
          "Regeringen presenterade på tisdagen ett paket med åtgärder för att stödja småföretag som drabbats av de "
          "stigande energipriserna. Enligt näringsministern ska stödet betalas ut redan nästa månad och omfatta mer "
          "än tvåhundratusen företag." },
        { "fi", "Finnish",
          "Hallitus esitteli tiistaina toimenpidepaketin, jolla tuetaan kohonneista energian hinnoista kärsiviä "
          "pienyrityksiä. Elinkeinoministerin mukaan tuet maksetaan jo ensi kuussa, ja ne koskevat yli "
          "kahtasataatuhatta yritystä." },
        { "pl", "Polish",
          "Rząd ogłosił we wtorek pakiet działań mających wesprzeć małe firmy dotknięte wzrostem cen energii. "
          "Według ministra gospodarki pomoc zostanie wypłacona już w przyszłym miesiącu i obejmie ponad dwieście "
          "tysięcy przedsiębiorstw." },
        { "cs", "Czech",
          "Vláda v úterý oznámila balíček opatření na podporu malých firem zasažených růstem cen energií. Podle "
          "ministra průmyslu bude pomoc vyplácena už od příštího měsíce a týkat se bude více než dvou set tisíc "
          "podniků." },
        { "tr", "Turkish",
          "Hükümet salı günü, artan enerji fiyatlarından etkilenen küçük işletmeleri desteklemek için bir önlem "
          "paketi açıkladı. Ekonomi bakanına göre yardımlar önümüzdeki aydan itibaren ödenecek ve iki yüz binden "
          "fazla şirketi kapsayacak." },
        { "ru", "Russian",
          "Правительство во вторник объявило о пакете мер поддержки малого бизнеса, пострадавшего от роста цен на "
          "энергоносители. По словам министра экономики, выплаты начнутся уже в следующем месяце и затронут более "
          "двухсот тысяч компаний." },
        { "el", "Greek",
          "Η κυβέρνηση ανακοίνωσε την Τρίτη ένα πακέτο μέτρων για τη στήριξη των μικρών επιχειρήσεων που πλήττονται "
          "από την αύξηση των τιμών της ενέργειας. Σύμφωνα με τον υπουργό Οικονομικών, οι ενισχύσεις θα "
          "καταβληθούν από τον επόμενο μήνα." },
        { "ar", "Arabic",
          "أعلنت الحكومة يوم الثلاثاء عن حزمة من الإجراءات لدعم الشركات الصغيرة المتضررة من ارتفاع أسعار الطاقة. "
          "وقال وزير الاقتصاد إن المساعدات ستصرف اعتبارا من الشهر المقبل وستشمل أكثر من مئتي ألف شركة." },
        { "ja", "Japanese",
          "政府は火曜日、エネルギー価格の高騰に苦しむ中小企業を支援するための一連の対策を発表した。"
          "経済相によると、支援金は来月から支払われ、二十万社以上が対象となる見込みだ。" },
        { "zh", "Chinese",
          "政府周二宣布了一系列措施，以支持受能源价格上涨影响的小企业。据经济部长介绍，补贴将从下个月开始发放，"
          "预计将惠及二十多万家企业。" },
};

static void sixteen_languages(void **state) {
        struct pf *f = *state = pf_new(NULL);
        for (size_t i = 0; i < sizeof(paragraphs) / sizeof(paragraphs[0]); i++) {
                pf_assert_accepted(f, pf_run_str(f, paragraphs[i].text));
                if (strcmp(f->a.language.code, paragraphs[i].code) != 0)
                        fail_msg("%s paragraph detected as %s", paragraphs[i].code, f->a.language.code);
                assert_string_equal(f->a.language.name, paragraphs[i].name);
                if (!f->a.language.reliable)
                        fail_msg("%s paragraph: not reliable", paragraphs[i].code);
                assert_true(f->a.language.confidence > 0.5);
        }
}

static void quotation_shows_among_alternatives(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f,
                "The Finnish government said on Tuesday that it would keep its climate targets despite the energy "
                "crisis.\n\n"
                "\"Hallitus ei aio luopua ilmastotavoitteistaan, vaikka tilanne on vaikea ja moni kansalainen on "
                "huolissaan sähkön hinnasta\", pääministeri sanoi eduskunnassa.\n\n"
                "Opposition leaders called the plan unrealistic and demanded a vote of confidence before the end of "
                "the month."));
        assert_string_equal(f->a.language.code, "en");
        if (!has_alternative(&f->a, "fi"))
                fail_msg("Finnish is not among the %zu alternatives", f->a.language.n_alternatives);
        /* Shares: the English part is the larger one. */
        assert_true(f->a.language.alternatives[0].percent > 0);
        assert_true(f->a.language.alternatives[0].percent < 50);
        assert_true(f->a.language.confidence > 0.5 && f->a.language.confidence < 1.0);
}

/* --- too little to tell ------------------------------------------------------------ */

static void empty_body_is_und(void **state) {
        /* normalize rejects an empty body before this stage; the stage alone
         * still answers und for one. */
        struct pf *f = *state = pf_new(NULL);
        void *st = NULL;
        char *err = NULL;
        assert_int_equal(stage_language.init(f->cfg, &st, &err), 0);
        article_init(&f->a, f->arena, (const uint8_t *)"", 0);
        f->a.body = arena_strdup(f->arena, "");
        f->a.body_len = 0;
        assert_int_equal(stage_language.process(st, &f->a), STAGE_CONTINUE);
        assert_und(&f->a);
        stage_language.fini(st);
}

static void no_letters_is_und(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "1234 5678 90\n\n2021-02-14 +358 40 123 4567 | 99.5 % | 1,000,000"));
        assert_und(&f->a);
        pf_assert_accepted(f, pf_run_str(f, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80 \xF0\x9F\x8E\x89 \xF0\x9F\x91\x8D"
                                            "\xF0\x9F\x91\x8D \xF0\x9F\x87\xAB\xF0\x9F\x87\xAE \xE2\x9D\xA4\xEF\xB8\x8F"));
        assert_und(&f->a);
        pf_assert_accepted(f, pf_run_str(f, "... --- !!! ??? *** ### ((( ))) /// :-) ;-)"));
        assert_und(&f->a);
}

static void too_few_letters_is_und(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* CLD2 alone calls "Hello world" reliably English. */
        pf_assert_accepted(f, pf_run_str(f, "Hello world"));
        assert_und(&f->a);
        pf_assert_accepted(f, pf_run_str(f, "Breaking: 12 dead"));
        assert_und(&f->a);
}

static void min_letters_is_a_config_key(void **state) {
        const char *const o[] = { "language.min_letters=5", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f, "Hello world"));
        assert_string_equal(f->a.language.code, "en");
}

/* --- the input's language ------------------------------------------------------------ */

static void hint_that_agrees(void **state) {
        struct pf *f = *state = pf_new(NULL);
        char json[1024];
        snprintf(json, sizeof(json), "{\"id\": \"fr-1\", \"language\": \"fr\", \"body\": \"%s\"}", paragraphs[0].text);
        pf_assert_accepted(f, pf_run_str(f, json));
        assert_string_equal(f->a.language_hint, "fr");
        assert_string_equal(f->a.language.code, "fr");
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_AGREES);

        /* Tags and names stand for their language. */
        snprintf(json, sizeof(json), "{\"id\": \"fr-2\", \"language\": \"fr-CA\", \"body\": \"%s\"}", paragraphs[0].text);
        pf_assert_accepted(f, pf_run_str(f, json));
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_AGREES);
        snprintf(json, sizeof(json), "{\"id\": \"fr-3\", \"language\": \"French\", \"body\": \"%s\"}", paragraphs[0].text);
        pf_assert_accepted(f, pf_run_str(f, json));
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_AGREES);
}

static void hint_is_not_the_answer(void **state) {
        struct pf *f = *state = pf_new(NULL);
        /* The JSON field and the text header both claim German for English. */
        pf_assert_accepted(f, pf_run_str(f, "{\"id\": \"x\", \"language\": \"de\", \"body\": \"The government announced "
                                            "new measures on Tuesday to help small businesses hit by rising energy "
                                            "prices, the economy minister said.\"}"));
        assert_string_equal(f->a.language_hint, "de");
        assert_string_equal(f->a.language.code, "en");
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_DISAGREES);

        pf_assert_accepted(f, pf_run_str(f, "language de The government announced new measures on Tuesday to help "
                                            "small businesses hit by rising energy prices."));
        assert_string_equal(f->a.language_hint, "de");
        assert_string_equal(f->a.language.code, "en");
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_DISAGREES);

        /* A claim that names no language disagrees too. */
        pf_assert_accepted(f, pf_run_str(f, "{\"id\": \"y\", \"language\": \"xx-unknown\", \"body\": \"The government "
                                            "announced new measures on Tuesday to help small businesses.\"}"));
        assert_string_equal(f->a.language.code, "en");
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_DISAGREES);

        /* Nothing detected, nothing to compare. */
        pf_assert_accepted(f, pf_run_str(f, "{\"id\": \"z\", \"language\": \"en\", \"body\": \"12:30\"}"));
        assert_und(&f->a);
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_NONE);
}

static void hint_can_be_ignored(void **state) {
        const char *const o[] = { "language.use_hint=false", NULL };
        struct pf *f = *state = pf_new(o);
        pf_assert_accepted(f, pf_run_str(f, "{\"id\": \"x\", \"language\": \"de\", \"body\": \"The government announced "
                                            "new measures on Tuesday to help small businesses.\"}"));
        assert_string_equal(f->a.language.code, "en");
        assert_int_equal(f->a.language.hint, ARTICLE_LANGUAGE_HINT_DISAGREES);
}

static void canonical_codes(void **state) {
        (void)state;
        assert_string_equal(language_cld2_canonical_code("en-GB"), "en");
        assert_string_equal(language_cld2_canonical_code("EN"), "en");
        assert_string_equal(language_cld2_canonical_code(" sv "), "sv");
        assert_string_equal(language_cld2_canonical_code("Swedish"), "sv");
        assert_string_equal(language_cld2_canonical_code("iw"), "he");
        assert_string_equal(language_cld2_canonical_code("he"), "he");
        assert_string_equal(language_cld2_canonical_code("no"), "nb");
        assert_string_equal(language_cld2_canonical_code("nb"), "nb");
        assert_string_equal(language_cld2_canonical_code("zh-TW"), "zh");
        assert_string_equal(language_cld2_canonical_code("pt_BR"), "pt");
        assert_null(language_cld2_canonical_code("und"));
        assert_null(language_cld2_canonical_code(""));
        assert_null(language_cld2_canonical_code("not a language at all, far too long to be a tag"));
}

/* --- long bodies ---------------------------------------------------------------------- */

/* `unit` repeated up to at least `min` bytes, paragraphs apart. */
static char *repeat_text(const char *unit, size_t min, size_t *ret_len) {
        size_t ul = strlen(unit), n = 0;
        char *s = malloc(min + ul + 3);
        assert_non_null(s);
        while (n < min) {
                memcpy(s + n, unit, ul);
                n += ul;
                memcpy(s + n, "\n\n", 2);
                n += 2;
        }
        s[n] = '\0';
        *ret_len = n;
        return s;
}

static void long_body_is_sampled(void **state) {
        /* The bodies repeat one paragraph: keep the clean stage from removing the repeats. */
        const char *const o[] = { "clean.repeated_min_words=0", NULL };
        struct pf *f = *state = pf_new(o);
        size_t len;
        char *seed = pf_read_file(pf_env_path("INGESTD_TEST_SEED"), NULL);
        char *body = repeat_text(seed, 50 * 1024, &len);
        free(seed);
        pf_assert_accepted(f, pf_run(f, body, len));
        assert_string_equal(f->a.language.code, "en");
        assert_true(f->a.language.reliable);
        assert_true(f->a.language.sampled);

        /* Multi-byte text, and text without spaces, are cut at characters. */
        for (size_t i = 0; i < sizeof(paragraphs) / sizeof(paragraphs[0]); i++) {
                free(body);
                body = repeat_text(paragraphs[i].text, 20 * 1024, &len);
                pf_assert_accepted(f, pf_run(f, body, len));
                assert_true(f->a.language.sampled);
                if (strcmp(f->a.language.code, paragraphs[i].code) != 0)
                        fail_msg("sampled %s detected as %s", paragraphs[i].code, f->a.language.code);
        }
        free(body);
}

static void sampling_can_be_turned_off(void **state) {
        const char *const o[] = { "language.sample_head_bytes=0", NULL };
        struct pf *f = *state = pf_new(o);
        size_t len;
        char *body = repeat_text(paragraphs[12].text, 20 * 1024, &len);
        pf_assert_accepted(f, pf_run(f, body, len));
        free(body);
        assert_string_equal(f->a.language.code, "el");
        assert_false(f->a.language.sampled);
}

static void sample_reaches_past_the_head(void **state) {
        /* An English lead on a long French article: the slices see French. */
        struct pf *f = *state = pf_new(NULL);
        size_t len;
        char *french = repeat_text(paragraphs[0].text, 8 * 1024, &len);
        char *body = NULL;
        assert_true(asprintf(&body, "%s\n\n%s", "The government announced new measures on Tuesday to help small "
                                               "businesses hit by rising energy prices, the economy minister said "
                                               "in Paris. Opposition leaders called the plan too little, too late, "
                                               "and demanded a vote before the end of the month in parliament.",
                             french) > 0);
        free(french);
        pf_assert_accepted(f, pf_run_str(f, body));
        free(body);
        assert_true(f->a.language.sampled);
        bool both = (strcmp(f->a.language.code, "en") == 0 && has_alternative(&f->a, "fr")) ||
                    (strcmp(f->a.language.code, "fr") == 0 && has_alternative(&f->a, "en"));
        if (!both)
                fail_msg("detected %s with %zu alternatives", f->a.language.code, f->a.language.n_alternatives);
}

/* --- the record ------------------------------------------------------------------------- */

static void record_has_the_language_object(void **state) {
        struct pf *f = *state = pf_new(NULL);
        pf_assert_accepted(f, pf_run_str(f, "{\"id\": \"x\", \"language\": \"de\", \"body\": \"The government announced "
                                            "new measures on Tuesday to help small businesses hit by rising energy "
                                            "prices, the economy minister said.\"}"));
        json_error_t err;
        json_t *rec = json_loads(f->a.json, 0, &err);
        assert_non_null(rec);
        assert_string_equal(json_string_value(json_object_get(rec, "language_hint")), "de");
        json_t *l = json_object_get(rec, "language");
        assert_true(json_is_object(l));
        assert_string_equal(json_string_value(json_object_get(l, "code")), "en");
        assert_string_equal(json_string_value(json_object_get(l, "name")), "English");
        assert_true(json_is_number(json_object_get(l, "confidence")));
        double c = json_number_value(json_object_get(l, "confidence"));
        assert_true(c > 0.5 && c <= 1.0);
        assert_true(json_is_boolean(json_object_get(l, "reliable")));
        assert_true(json_is_array(json_object_get(l, "alternatives")));
        assert_true(json_is_false(json_object_get(l, "hint_agrees")));
        assert_null(json_object_get(l, "sampled"));
        /* Hundredths, not binary fractions. */
        assert_null(strstr(f->a.json, "99999"));
        assert_null(strstr(f->a.json, "00000"));
        json_decref(rec);

        pf_assert_accepted(f, pf_run_str(f, "12345"));
        rec = json_loads(f->a.json, 0, &err);
        assert_non_null(rec);
        l = json_object_get(rec, "language");
        assert_string_equal(json_string_value(json_object_get(l, "code")), "und");
        assert_true(json_is_false(json_object_get(l, "reliable")));
        assert_int_equal(json_array_size(json_object_get(l, "alternatives")), 0);
        assert_null(json_object_get(l, "hint_agrees"));
        json_decref(rec);
}

#define T(f) cmocka_unit_test_teardown(f, pf_teardown)

int main(void) {
        const struct CMUnitTest tests[] = {
                T(seed_is_english_and_reliable),
                T(sixteen_languages),
                T(quotation_shows_among_alternatives),
                T(empty_body_is_und),
                T(no_letters_is_und),
                T(too_few_letters_is_und),
                T(min_letters_is_a_config_key),
                T(hint_that_agrees),
                T(hint_is_not_the_answer),
                T(hint_can_be_ignored),
                cmocka_unit_test(canonical_codes),
                T(long_body_is_sampled),
                T(sampling_can_be_turned_off),
                T(sample_reaches_past_the_head),
                T(record_has_the_language_object),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
