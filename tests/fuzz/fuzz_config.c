/* The configuration loader on any text, with the real key tables (the
 * daemon's and every stage's): config_load_string() either fails with a
 * message or leaves a configuration whose every key reads back, prints,
 * and builds a pipeline (or is refused by a stage with a message). The
 * first line is also tried as a `-o section.key=value` override. */
#include "fuzz.h"

static void check_keys(const struct config *c) {
        for (const struct config_key *const *t = settings_tables(); *t; t++)
                for (const struct config_key *k = *t; k->section; k++) {
                        const char *v = config_get_string(c, k->section, k->name);
                        FUZZ_CHECK(v, "%s.%s has no value", k->section, k->name);
                        FUZZ_CHECK(config_get_origin(c, k->section, k->name), "%s.%s has no origin", k->section,
                                   k->name);
                        switch (k->type) {
                        case CONFIG_INT: {
                                int64_t i;
                                FUZZ_CHECK(config_parse_int(v, &i) == 0, "%s.%s = '%s' accepted, not an integer",
                                           k->section, k->name, v);
                                FUZZ_CHECK((k->min == 0 && k->max == 0) || ((double)i >= k->min && (double)i <= k->max),
                                           "%s.%s = %s accepted, out of range", k->section, k->name, v);
                                break;
                        }
                        case CONFIG_DOUBLE: {
                                double d;
                                FUZZ_CHECK(config_parse_double(v, &d) == 0, "%s.%s = '%s' accepted, not a number",
                                           k->section, k->name, v);
                                FUZZ_CHECK((k->min == 0 && k->max == 0) || (d >= k->min && d <= k->max),
                                           "%s.%s = %s accepted, out of range", k->section, k->name, v);
                                break;
                        }
                        case CONFIG_BOOL: {
                                bool b;
                                FUZZ_CHECK(config_parse_bool(v, &b) == 0, "%s.%s = '%s' accepted, not a boolean",
                                           k->section, k->name, v);
                                break;
                        }
                        default:
                                break;
                        }
                }
}

FUZZ_TARGET(config) {
        static FILE *devnull;
        if (!devnull && !(devnull = fopen("/dev/null", "we")))
                abort();
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';

        struct config *c = config_new(settings_tables());
        FUZZ_CHECK(c, "config_new");
        char *err = NULL;
        int r = config_load_string(c, text, "fuzz.conf", &err);
        FUZZ_CHECK((r < 0) == (err != NULL), "returned %d with message \"%s\"", r, err ? err : "(none)");
        free(err);
        err = NULL;

        char *nl = strchr(text, '\n');
        if (nl)
                *nl = '\0';
        r = config_load_override(c, text, &err);
        FUZZ_CHECK(r == 0 || err, "override refused without a message");
        free(err);
        err = NULL;

        check_keys(c);
        config_print(c, devnull);
        struct pipeline *p = pipeline_new(c, &err);
        FUZZ_CHECK(p || err, "pipeline refused without a message");
        pipeline_free(p);
        free(err);
        config_free(c);
        free(text);
        return 0;
}
