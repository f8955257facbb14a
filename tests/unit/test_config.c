/* config/config.c: the INI file, INGESTD_* variables, -o overrides, their
 * precedence and error messages, printing, and the daemon's key tables
 * (daemon/settings.c) against the shipped config/ingestd.conf. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "daemon/settings.h"

/* Per-test state, freed by the teardown even when the test fails. */
struct ctx {
        struct config *c;
        char *err;
        char path[PATH_MAX];    /* a temporary INI file, when non-empty */
        char *out;              /* open_memstream() buffer */
        size_t out_len;
};

static int setup(void **state) {
        struct ctx *x = calloc(1, sizeof(*x));
        if (!x)
                return -1;
        x->c = config_new(settings_tables());
        *state = x;
        return x->c ? 0 : -1;
}

static int teardown(void **state) {
        struct ctx *x = *state;
        config_free(x->c);
        free(x->err);
        free(x->out);
        if (x->path[0])
                unlink(x->path);
        free(x);
        return 0;
}

/* Writes `text` to a new temporary file; its path goes to x->path. */
static const char *write_conf(struct ctx *x, const char *text) {
        const char *dir = getenv("TMPDIR");
        snprintf(x->path, sizeof(x->path), "%s/ingestd-unit-XXXXXX.conf", dir && *dir ? dir : "/tmp");
        int fd = mkstemps(x->path, 5);
        if (fd < 0)
                fail_msg("mkstemps: %s", strerror(errno));
        size_t len = strlen(text);
        assert_int_equal(write(fd, text, len), (ssize_t)len);
        close(fd);
        return x->path;
}

static int load_conf(struct ctx *x, const char *text) {
        return config_load_file(x->c, write_conf(x, text), &x->err);
}

static void assert_contains(const char *haystack, const char *needle) {
        if (!haystack || !strstr(haystack, needle))
                fail_msg("\"%s\" does not contain \"%s\"", haystack ? haystack : "(null)", needle);
}

static void assert_not_contains(const char *haystack, const char *needle) {
        if (haystack && strstr(haystack, needle))
                fail_msg("\"%s\" contains \"%s\"", haystack, needle);
}

/* The error of the last load names "FILE:LINE: section.key: " and says `what`. */
static void assert_file_error(struct ctx *x, unsigned line, const char *key, const char *what) {
        char want[PATH_MAX + 128];
        snprintf(want, sizeof(want), "%s:%u: %s: ", x->path, line, key);
        assert_non_null(x->err);
        assert_contains(x->err, want);
        assert_contains(x->err, what);
}

/* --- the file ------------------------------------------------------------ */

static void file_sets_values_with_origin(void **state) {
        struct ctx *x = *state;
        int r = load_conf(x, "# a comment\n"
                             "; another comment\n"
                             "\n"
                             "[parse]\n"
                             "format = json\n"
                             "max_message_bytes = 4MiB\n"
                             "\n"
                             "[emit]\n"
                             "include_body = no\n"
                             "[normalize]\n"
                             "max_invalid_utf8_ratio = 0.25\n"
                             "[kafka.consumer]\n"
                             "session.timeout.ms = 45000\n");
        if (r < 0)
                fail_msg("%s", x->err);
        assert_string_equal(config_get_string(x->c, "parse", "format"), "json");
        assert_int_equal(config_get_int(x->c, "parse", "max_message_bytes"), 4 * 1024 * 1024);
        assert_false(config_get_bool(x->c, "emit", "include_body"));
        assert_true(config_get_double(x->c, "normalize", "max_invalid_utf8_ratio") == 0.25);

        char origin[PATH_MAX + 16];
        snprintf(origin, sizeof(origin), "%s:5", x->path);
        assert_string_equal(config_get_origin(x->c, "parse", "format"), origin);
        snprintf(origin, sizeof(origin), "%s:9", x->path);
        assert_string_equal(config_get_origin(x->c, "emit", "include_body"), origin);
        /* Untouched keys keep their default. */
        assert_string_equal(config_get_string(x->c, "topics", "input"), "articles.raw");
        assert_string_equal(config_get_origin(x->c, "topics", "input"), "default");
}

static void file_unknown_key(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[parse]\nformat = json\n\nbody_field = content\n"), -ENOENT);
        assert_file_error(x, 4, "parse.body_field", "unknown key");
}

static void file_unknown_section(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[parse]\nformat = json\n[parser]\nformat = json\n"), -ENOENT);
        assert_file_error(x, 4, "parser.format", "unknown section");
}

static void file_bad_int(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[parse]\nmax_message_bytes = lots\n"), -EINVAL);
        assert_file_error(x, 2, "parse.max_message_bytes", "'lots' is not an integer");
}

static void file_int_out_of_range(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[counts]\n# zero would divide by zero\nwords_per_minute = 0\n"), -ERANGE);
        assert_file_error(x, 3, "counts.words_per_minute", "out of range");
}

static void file_bad_enum(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[parse]\nformat = xml\n"), -EINVAL);
        assert_file_error(x, 2, "parse.format", "'xml' is not one of auto|text|json");
}

static void file_bad_bool(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "\n\n[emit]\ninclude_body = maybe\n"), -EINVAL);
        assert_file_error(x, 4, "emit.include_body", "'maybe' is not a boolean");
}

static void file_bad_double(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[normalize]\nmax_invalid_utf8_ratio = 1.5\n"), -ERANGE);
        assert_file_error(x, 2, "normalize.max_invalid_utf8_ratio", "out of range");
}

static void file_key_outside_section(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "format = json\n[parse]\n"), -EINVAL);
        assert_file_error(x, 1, "format", "outside of any [section]");
}

static void file_syntax_error(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[parse]\nformat = json\nthis line has no equals sign\n"), -EINVAL);
        char want[PATH_MAX + 16];
        snprintf(want, sizeof(want), "%s:3: ", x->path);
        assert_contains(x->err, want);
        assert_contains(x->err, "syntax error");
}

static void file_first_error_is_reported(void **state) {
        struct ctx *x = *state;
        assert_int_equal(load_conf(x, "[parse]\nformat = xml\nnosuch = 1\n"), -EINVAL);
        assert_file_error(x, 2, "parse.format", "xml");
}

static void file_missing(void **state) {
        struct ctx *x = *state;
        assert_int_equal(config_load_file(x->c, "/nonexistent/ingestd.conf", &x->err), -ENOENT);
        assert_contains(x->err, "/nonexistent/ingestd.conf");
}

static void file_quoted_values(void **state) {
        struct ctx *x = *state;
        int r = load_conf(x, "[enrich]\ntext_separator = \"  --  \"\n[topics]\ninput = \"quoted\"\noutput = \"\"\n");
        if (r < 0)
                fail_msg("%s", x->err);
        assert_string_equal(config_get_string(x->c, "enrich", "text_separator"), "  --  ");
        assert_string_equal(config_get_string(x->c, "topics", "input"), "quoted");
        assert_string_equal(config_get_string(x->c, "topics", "output"), "");
}

/* Regression test for a fixed bug (config/config.c, unquote() and on_ini_entry()): config.c says
 * quotes let a value hold ';', but inih strips the inline comment (" ;...")
 * before unquote() sees the value, so the value becomes `"-- ` cut short. */
static void file_quoted_value_with_semicolon(void **state) {
        struct ctx *x = *state;
        int r = load_conf(x, "[enrich]\ntext_separator = \"-- ; --\"\n");
        if (r < 0)
                fail_msg("%s", x->err);
        assert_string_equal(config_get_string(x->c, "enrich", "text_separator"), "-- ; --");
}

/* A broker list of ten FQDNs is 330 bytes, more than inih's 200-byte line. */
static char *long_broker_list(void) {
        char *s = calloc(1, 1024);
        assert_non_null(s);
        for (int i = 0; i < 10; i++)
                sprintf(s + strlen(s), "%sbroker-%02d.kafka.prod.example.com:9092", i ? "," : "", i);
        return s;
}

/* Regression test for a fixed bug (config/config.c, config_load_file()/config_load_string() via
 * ini_parse_stream()): inih reads lines into a 200-byte buffer and parses the
 * rest of a longer line as further lines. The value is cut at 199 bytes; a
 * piece holding ':' or '=' becomes a bogus key (accepted without a word in
 * the [kafka*] sections), and any other piece is a "syntax error" on a line
 * the file does not have. Here: "FILE:4: syntax error" for a 2-line file. */
static void file_long_value_is_kept_whole(void **state) {
        struct ctx *x = *state;
        char *servers = long_broker_list();
        char text[2048];
        snprintf(text, sizeof(text), "[kafka]\nbootstrap.servers = %s\n", servers);
        int r = load_conf(x, text);
        free(servers);
        servers = NULL;
        if (r < 0) {
                /* Refusing the line would be acceptable too, if the error names it. */
                char want[PATH_MAX + 16];
                snprintf(want, sizeof(want), "%s:2: ", x->path);
                if (!strstr(x->err, want))
                        fail_msg("a 2-line file with a long line fails with \"%s\"", x->err);
                return;
        }
        servers = long_broker_list();
        const char *got = config_get_string(x->c, "kafka", "bootstrap.servers");
        if (strcmp(got, servers) != 0) {
                size_t got_len = strlen(got), want_len = strlen(servers);
                free(servers);
                fail_msg("bootstrap.servers silently truncated to %zu of %zu bytes", got_len, want_len);
        }
        free(servers);
}

/* Regression test for a fixed bug (config/config.c, reader_gets() and string_reader_gets()): the
 * line number counts reader calls, and inih calls the reader several times
 * for a line longer than its buffer, so every later error names a wrong line. */
static void file_line_numbers_after_long_line(void **state) {
        struct ctx *x = *state;
        char text[2048], comment[501];
        memset(comment, 'x', 500);
        comment[500] = '\0';
        snprintf(text, sizeof(text), "[parse]\n# %s\nnosuch = 1\n", comment);
        assert_int_equal(load_conf(x, text), -ENOENT);
        assert_file_error(x, 3, "parse.nosuch", "unknown key");
}

static void string_origin_and_lines(void **state) {
        struct ctx *x = *state;
        assert_int_equal(config_load_string(x->c, "[topics]\ninput = a,b\n\n[parse]\nformat = csv\n", "inline", &x->err),
                         -EINVAL);
        assert_contains(x->err, "inline:5: parse.format: ");
        assert_string_equal(config_get_string(x->c, "topics", "input"), "a,b");
        assert_string_equal(config_get_origin(x->c, "topics", "input"), "inline:2");
}

/* --- environment ----------------------------------------------------------- */

struct warnings {
        char text[8][256];
        size_t n;
};

static void collect_warning(const char *msg, void *userdata) {
        struct warnings *w = userdata;
        if (w->n < 8)
                snprintf(w->text[w->n++], sizeof(w->text[0]), "%s", msg);
}

struct pt_entry {
        char name[64], value[128], origin[64];
};
struct pt_list {
        struct pt_entry e[32];
        size_t n;
};

static void collect_pt(const char *name, const char *value, const char *origin, void *userdata) {
        struct pt_list *l = userdata;
        assert_true(l->n < 32);
        snprintf(l->e[l->n].name, sizeof(l->e[0].name), "%s", name);
        snprintf(l->e[l->n].value, sizeof(l->e[0].value), "%s", value);
        snprintf(l->e[l->n].origin, sizeof(l->e[0].origin), "%s", origin);
        l->n++;
}

/* The one entry named `name`, failing when it is missing or repeated. */
static const struct pt_entry *pt_find(const struct pt_list *l, const char *name) {
        const struct pt_entry *found = NULL;
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->e[i].name, name) == 0) {
                        if (found)
                                fail_msg("passthrough key %s reported twice", name);
                        found = &l->e[i];
                }
        return found;
}

static void env_overrides(void **state) {
        struct ctx *x = *state;
        char *envp[] = {
                "PATH=/usr/bin",
                "INGESTD_PARSE_FORMAT=json",
                "INGESTD_PARSE_MAX_MESSAGE_BYTES=2MiB",
                "INGESTD_KAFKA_BOOTSTRAP_SERVERS=broker-1:9092,broker-2:9092",
                "INGESTD_KAFKA_CONSUMER_SESSION_TIMEOUT_MS=45000",
                "INGESTD_KAFKA_PRODUCER_LINGER_MS=5",
                "INGESTD_KAFKA_CONSUMER_GROUP_ID=news",
                "INGESTD_NO_SUCH_KEY=1",
                "ingestd_parse_format=text",   /* names are case-sensitive */
                NULL,
        };
        struct warnings w = { 0 };
        int r = config_load_env(x->c, envp, collect_warning, &w, &x->err);
        if (r < 0)
                fail_msg("%s", x->err);
        assert_string_equal(config_get_string(x->c, "parse", "format"), "json");
        assert_string_equal(config_get_origin(x->c, "parse", "format"), "env INGESTD_PARSE_FORMAT");
        assert_int_equal(config_get_int(x->c, "parse", "max_message_bytes"), 2 * 1024 * 1024);
        assert_string_equal(config_get_string(x->c, "kafka", "bootstrap.servers"), "broker-1:9092,broker-2:9092");
        assert_string_equal(config_get_string(x->c, "kafka.consumer", "group.id"), "news");

        struct pt_list consumer = { 0 }, producer = { 0 }, kafka = { 0 };
        config_foreach_passthrough(x->c, "kafka.consumer", collect_pt, &consumer);
        config_foreach_passthrough(x->c, "kafka.producer", collect_pt, &producer);
        config_foreach_passthrough(x->c, "kafka", collect_pt, &kafka);
        const struct pt_entry *e = pt_find(&consumer, "session.timeout.ms");
        assert_non_null(e);
        assert_string_equal(e->value, "45000");
        assert_string_equal(e->origin, "env INGESTD_KAFKA_CONSUMER_SESSION_TIMEOUT_MS");
        e = pt_find(&producer, "linger.ms");
        assert_non_null(e);
        assert_string_equal(e->value, "5");
        /* Not misfiled into [kafka] as consumer.session.timeout.ms. */
        assert_null(pt_find(&kafka, "consumer.session.timeout.ms"));
        assert_null(pt_find(&kafka, "session.timeout.ms"));

        assert_int_equal(w.n, 1);
        assert_contains(w.text[0], "INGESTD_NO_SUCH_KEY");
}

static void env_bad_value(void **state) {
        struct ctx *x = *state;
        char *envp[] = { "INGESTD_PARSE_FORMAT=xml", NULL };
        assert_int_equal(config_load_env(x->c, envp, NULL, NULL, &x->err), -EINVAL);
        assert_contains(x->err, "env INGESTD_PARSE_FORMAT");
        assert_contains(x->err, "parse.format");
        assert_contains(x->err, "'xml'");
}

/* --- -o ------------------------------------------------------------------- */

static void override_sets_keys(void **state) {
        struct ctx *x = *state;
        static const char *const ok[] = {
                "parse.body_fields=content_html",
                "parse.max_message_bytes=512KiB",
                "kafka.bootstrap.servers=broker:9093",
                "kafka.consumer.session.timeout.ms=45000",
                "kafka.consumer.sasl.oauthbearer.config=principal=admin scope=news",
                "enrich.text_separator=",
                NULL,
        };
        for (size_t i = 0; ok[i]; i++)
                if (config_load_override(x->c, ok[i], &x->err) < 0)
                        fail_msg("-o %s: %s", ok[i], x->err);
        assert_string_equal(config_get_string(x->c, "parse", "body_fields"), "content_html");
        assert_string_equal(config_get_origin(x->c, "parse", "body_fields"), "-o");
        assert_int_equal(config_get_int(x->c, "parse", "max_message_bytes"), 512 * 1024);
        assert_string_equal(config_get_string(x->c, "kafka", "bootstrap.servers"), "broker:9093");
        assert_string_equal(config_get_string(x->c, "enrich", "text_separator"), "");

        struct pt_list consumer = { 0 }, kafka = { 0 };
        config_foreach_passthrough(x->c, "kafka.consumer", collect_pt, &consumer);
        config_foreach_passthrough(x->c, "kafka", collect_pt, &kafka);
        const struct pt_entry *e = pt_find(&consumer, "session.timeout.ms");
        assert_non_null(e);
        assert_string_equal(e->value, "45000");
        e = pt_find(&consumer, "sasl.oauthbearer.config");
        assert_non_null(e);
        assert_string_equal(e->value, "principal=admin scope=news");
        assert_null(pt_find(&kafka, "consumer.session.timeout.ms"));
}

static void override_errors(void **state) {
        struct ctx *x = *state;
        assert_int_equal(config_load_override(x->c, "nosuch.key=1", &x->err), -ENOENT);
        assert_contains(x->err, "nosuch.key");
        assert_contains(x->err, "unknown section");

        assert_int_equal(config_load_override(x->c, "parse.nosuch=1", &x->err), -ENOENT);
        assert_contains(x->err, "parse.nosuch");
        assert_contains(x->err, "unknown key");

        assert_int_equal(config_load_override(x->c, "parse.format", &x->err), -EINVAL);
        assert_contains(x->err, "expected section.key=value");

        assert_int_equal(config_load_override(x->c, "parse.format=yaml", &x->err), -EINVAL);
        assert_contains(x->err, "-o");
        assert_contains(x->err, "parse.format");
        assert_contains(x->err, "'yaml'");

        assert_int_equal(config_load_override(x->c, "parse.max_message_bytes=2GiB", &x->err), -ERANGE);
        assert_contains(x->err, "parse.max_message_bytes");
        /* A failed -o leaves the value alone. */
        assert_string_equal(config_get_string(x->c, "parse", "format"), "auto");
        assert_string_equal(config_get_string(x->c, "parse", "max_message_bytes"), "4MiB");
}

/* --- precedence: file < env < -o ------------------------------------------ */

static void precedence_file_env_override(void **state) {
        struct ctx *x = *state;
        int r = load_conf(x, "[topics]\ninput = from-file\noutput = from-file\ndeadletter = from-file\n"
                             "[kafka.consumer]\nfetch.min.bytes = 1\nfetch.wait.max.ms = 100\n");
        if (r < 0)
                fail_msg("%s", x->err);
        char *envp[] = { "INGESTD_TOPICS_OUTPUT=from-env", "INGESTD_TOPICS_DEADLETTER=from-env",
                         "INGESTD_KAFKA_CONSUMER_FETCH_WAIT_MAX_MS=200", NULL };
        assert_int_equal(config_load_env(x->c, envp, NULL, NULL, &x->err), 0);
        assert_int_equal(config_load_override(x->c, "topics.deadletter=from-o", &x->err), 0);

        char origin[PATH_MAX + 16];
        snprintf(origin, sizeof(origin), "%s:2", x->path);
        assert_string_equal(config_get_string(x->c, "topics", "input"), "from-file");
        assert_string_equal(config_get_origin(x->c, "topics", "input"), origin);
        assert_string_equal(config_get_string(x->c, "topics", "output"), "from-env");
        assert_string_equal(config_get_origin(x->c, "topics", "output"), "env INGESTD_TOPICS_OUTPUT");
        assert_string_equal(config_get_string(x->c, "topics", "deadletter"), "from-o");
        assert_string_equal(config_get_origin(x->c, "topics", "deadletter"), "-o");

        struct pt_list consumer = { 0 };
        config_foreach_passthrough(x->c, "kafka.consumer", collect_pt, &consumer);
        assert_string_equal(pt_find(&consumer, "fetch.min.bytes")->value, "1");
        assert_string_equal(pt_find(&consumer, "fetch.wait.max.ms")->value, "200");
}

/* The same through settings_load(), the function every mode of the daemon uses. */
static void precedence_settings_load(void **state) {
        struct ctx *x = *state;
        write_conf(x, "[topics]\ninput = from-file\noutput = from-file\ndeadletter = from-file\n");
        /* Hide the tests' own INGESTD_TEST_* variables, which settings_load()
         * would rightly warn about. */
        static const char *const hidden[] = { "INGESTD_TEST_SEED", "INGESTD_TEST_FIXTURES", "INGESTD_TEST_CONF",
                                              "INGESTD_TEST_SCHEMA" };
        char *saved[4];
        for (size_t i = 0; i < 4; i++) {
                const char *v = getenv(hidden[i]);
                saved[i] = v ? strdup(v) : NULL;
                unsetenv(hidden[i]);
        }
        setenv("INGESTD_TOPICS_OUTPUT", "from-env", 1);
        setenv("INGESTD_TOPICS_DEADLETTER", "from-env", 1);
        char *overrides[] = { "topics.deadletter=from-o" };
        struct config *c = settings_load(x->path, overrides, 1);
        unsetenv("INGESTD_TOPICS_OUTPUT");
        unsetenv("INGESTD_TOPICS_DEADLETTER");
        for (size_t i = 0; i < 4; i++)
                if (saved[i]) {
                        setenv(hidden[i], saved[i], 1);
                        free(saved[i]);
                }
        assert_non_null(c);
        config_free(x->c);
        x->c = c;
        assert_string_equal(config_get_string(c, "topics", "input"), "from-file");
        assert_string_equal(config_get_string(c, "topics", "output"), "from-env");
        assert_string_equal(config_get_string(c, "topics", "deadletter"), "from-o");
        /* An empty instance name becomes the host name. */
        assert_true(config_get_string(c, "ingestd", "instance")[0] != '\0');
}

/* --- values ------------------------------------------------------------------ */

static void int_size_suffixes(void **state) {
        static const struct {
                const char *s;
                int64_t v;
        } ok[] = {
                { "0", 0 },          { "42", 42 },                { "-7", -7 },        { "1k", 1000 },
                { "1K", 1000 },      { "1KiB", 1024 },            { "4MiB", 4194304 }, { "4 MiB", 4194304 },
                { "3M", 3000000 },   { "2G", 2000000000 },        { "1GiB", 1073741824 },
                { "9223372036854775807", INT64_MAX },
        };
        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                int64_t v = -1;
                if (config_parse_int(ok[i].s, &v) != 0)
                        fail_msg("'%s' rejected", ok[i].s);
                if (v != ok[i].v)
                        fail_msg("'%s' → %lld, expected %lld", ok[i].s, (long long)v, (long long)ok[i].v);
        }
        static const char *const bad[] = { "", "MiB", "4mb", "4 MB", "1.5MiB", "12abc", "0x10", NULL };
        for (size_t i = 0; bad[i]; i++) {
                int64_t v;
                if (config_parse_int(bad[i], &v) != -EINVAL)
                        fail_msg("'%s' accepted", bad[i]);
        }
        int64_t v;
        assert_int_equal(config_parse_int("9999999999G", &v), -ERANGE);
        assert_int_equal(config_parse_int("99999999999999999999", &v), -ERANGE);
}

static void bool_and_double_values(void **state) {
        static const char *const yes[] = { "true", "yes", "on", "1", "TRUE", "Yes", NULL };
        static const char *const no[] = { "false", "no", "off", "0", "FALSE", "Off", NULL };
        bool b;
        for (size_t i = 0; yes[i]; i++) {
                assert_int_equal(config_parse_bool(yes[i], &b), 0);
                assert_true(b);
        }
        for (size_t i = 0; no[i]; i++) {
                assert_int_equal(config_parse_bool(no[i], &b), 0);
                assert_false(b);
        }
        assert_int_equal(config_parse_bool("maybe", &b), -EINVAL);
        assert_int_equal(config_parse_bool("", &b), -EINVAL);

        double d;
        assert_int_equal(config_parse_double("0.01", &d), 0);
        assert_true(d == 0.01);
        assert_int_equal(config_parse_double("1e-3", &d), 0);
        assert_true(d == 0.001);
        assert_int_equal(config_parse_double("abc", &d), -EINVAL);
        assert_int_equal(config_parse_double("0.5x", &d), -EINVAL);
        assert_int_equal(config_parse_double("nan", &d), -EINVAL);
        assert_int_equal(config_parse_double("inf", &d), -EINVAL);
}

/* --- passthrough ---------------------------------------------------------------- */

static void passthrough_iteration(void **state) {
        struct ctx *x = *state;
        assert_true(config_is_passthrough_section("kafka"));
        assert_true(config_is_passthrough_section("kafka.consumer"));
        assert_true(config_is_passthrough_section("kafka.producer"));
        assert_false(config_is_passthrough_section("parse"));
        assert_false(config_is_passthrough_section("kafka.admin"));

        assert_int_equal(config_set(x->c, "kafka.consumer", "max.poll.interval.ms", "600000", "test", &x->err), 0);
        assert_int_equal(config_set(x->c, "kafka.consumer", "group.id", "other", "test", &x->err), 0);
        assert_int_equal(config_set(x->c, "kafka.consumer", "fetch.max.bytes", "1000", "test", &x->err), 0);
        /* Set twice: the later value, once. */
        assert_int_equal(config_set(x->c, "kafka.consumer", "fetch.max.bytes", "2000", "again", &x->err), 0);

        struct pt_list l = { 0 };
        config_foreach_passthrough(x->c, "kafka.consumer", collect_pt, &l);
        /* The declared defaults that were not overridden come first... */
        size_t n_defaults = 0;
        const struct config_key *const *tables = settings_tables();
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++)
                        if (strcmp(k->section, "kafka.consumer") == 0 && strcmp(k->name, "group.id") != 0) {
                                const struct pt_entry *e = pt_find(&l, k->name);
                                if (!e)
                                        fail_msg("the default of kafka.consumer.%s is not passed on", k->name);
                                assert_string_equal(e->value, k->default_value);
                                assert_string_equal(e->origin, "default");
                                n_defaults++;
                        }
        assert_true(n_defaults >= 1);   /* auto.offset.reset, at least */
        assert_int_equal(l.n, n_defaults + 3);
        for (size_t i = 0; i < n_defaults; i++)
                assert_string_equal(l.e[i].origin, "default");
        /* ...then what was set, once each, in the order first set. */
        assert_string_equal(l.e[n_defaults].name, "max.poll.interval.ms");
        assert_string_equal(l.e[n_defaults + 1].name, "group.id");
        assert_string_equal(l.e[n_defaults + 1].value, "other");
        assert_string_equal(l.e[n_defaults + 1].origin, "test");
        assert_string_equal(l.e[n_defaults + 2].name, "fetch.max.bytes");
        assert_string_equal(l.e[n_defaults + 2].value, "2000");
        assert_string_equal(l.e[n_defaults + 2].origin, "again");
        assert_non_null(pt_find(&l, "group.id"));   /* not also as a default */

        struct pt_list producer = { 0 };
        config_foreach_passthrough(x->c, "kafka.producer", collect_pt, &producer);
        assert_int_equal(producer.n, 0);
}

/* --- printing -------------------------------------------------------------------- */

static FILE *open_out(struct ctx *x) {
        free(x->out);
        x->out = NULL;
        FILE *f = open_memstream(&x->out, &x->out_len);
        assert_non_null(f);
        return f;
}

static void print_masks_secrets(void **state) {
        struct ctx *x = *state;
        assert_int_equal(config_set(x->c, "kafka", "sasl.username", "ingest", "test", &x->err), 0);
        assert_int_equal(config_set(x->c, "kafka", "sasl.password", "hunter2", "test", &x->err), 0);
        assert_int_equal(config_set(x->c, "kafka.producer", "ssl.key.password", "s3cret-key", "test", &x->err), 0);
        assert_int_equal(config_set(x->c, "kafka.consumer", "sasl.oauthbearer.client.secret", "tok3n", "test", &x->err), 0);
        assert_int_equal(config_load_override(x->c, "parse.format=json", &x->err), 0);
        FILE *f = open_out(x);
        config_print(x->c, f);
        fclose(f);
        assert_not_contains(x->out, "hunter2");
        assert_not_contains(x->out, "s3cret-key");
        assert_not_contains(x->out, "tok3n");
        assert_contains(x->out, "sasl.password = ********");
        assert_contains(x->out, "ssl.key.password = ********");
        assert_contains(x->out, "sasl.username = ingest");
        assert_contains(x->out, "[parse]\n");
        assert_contains(x->out, "# from: -o\nformat = json\n");
        assert_contains(x->out, "# from: default\ninput = articles.raw\n");
        assert_true(config_key_name_is_secret("sasl.password"));
        assert_false(config_key_name_is_secret("sasl.username"));
}

/* config_print() writes an INI file: read back, it gives the same values. */
static void print_reloads(void **state) {
        struct ctx *x = *state;
        assert_int_equal(config_load_override(x->c, "parse.format=json", &x->err), 0);
        assert_int_equal(config_load_override(x->c, "enrich.text_separator=  ==  ", &x->err), 0);
        assert_int_equal(config_load_override(x->c, "kafka.consumer.fetch.max.bytes=1000", &x->err), 0);
        FILE *f = open_out(x);
        config_print(x->c, f);
        fclose(f);

        struct config *c2 = config_new(settings_tables());
        char *err = NULL;
        int r = config_load_string(c2, x->out, "printed", &err);
        if (r < 0) {
                char msg[512];
                snprintf(msg, sizeof(msg), "reloading the printed config: %s", err);
                config_free(c2);
                free(err);
                fail_msg("%s", msg);
        }
        const struct config_key *const *tables = settings_tables();
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++) {
                        const char *a = config_get_string(x->c, k->section, k->name);
                        const char *b = config_get_string(c2, k->section, k->name);
                        if (strcmp(a, b) != 0) {
                                char msg[512];
                                snprintf(msg, sizeof(msg), "%s.%s: printed \"%s\", read back \"%s\"", k->section,
                                         k->name, a, b);
                                config_free(c2);
                                fail_msg("%s", msg);
                        }
                }
        struct pt_list l = { 0 };
        config_foreach_passthrough(c2, "kafka.consumer", collect_pt, &l);
        config_free(c2);
        assert_non_null(pt_find(&l, "fetch.max.bytes"));
        assert_string_equal(pt_find(&l, "fetch.max.bytes")->value, "1000");
}

/* --- the key tables and the shipped file -------------------------------------- */

/* Every declared default passes its own key's validation (config_get_int()
 * and friends rely on it). */
static void defaults_validate(void **state) {
        struct ctx *x = *state;
        const struct config_key *const *tables = settings_tables();
        size_t n = 0;
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++, n++) {
                        if (!k->default_value || !k->doc || !*k->doc)
                                fail_msg("%s.%s: no default or no documentation", k->section, k->name);
                        if (k->type == CONFIG_ENUM && !k->choices)
                                fail_msg("%s.%s: an enum without choices", k->section, k->name);
                        if (config_set(x->c, k->section, k->name, k->default_value, "default", &x->err) < 0)
                                fail_msg("the default of %s.%s does not validate: %s", k->section, k->name, x->err);
                }
        assert_true(n > 20);
}

static void keys_are_unique(void **state) {
        const struct config_key *const *tables = settings_tables();
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++)
                        for (size_t t2 = t; tables[t2]; t2++)
                                for (const struct config_key *k2 = t2 == t ? k + 1 : tables[t2]; k2->section; k2++)
                                        if (strcmp(k->section, k2->section) == 0 && strcmp(k->name, k2->name) == 0)
                                                fail_msg("%s.%s is declared twice", k->section, k->name);
}

static void shipped_conf_loads(void **state) {
        struct ctx *x = *state;
        const char *path = getenv("INGESTD_TEST_CONF");
        if (!path)
                fail_msg("INGESTD_TEST_CONF is not set (run the tests with `meson test`)");
        int r = config_load_file(x->c, path, &x->err);
        if (r < 0)
                fail_msg("%s", x->err);
        /* It holds the defaults: loading it changes no value. */
        const struct config_key *const *tables = settings_tables();
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++)
                        if (strcmp(config_get_string(x->c, k->section, k->name), k->default_value) != 0)
                                fail_msg("%s.%s = \"%s\" in %s, default \"%s\"", k->section, k->name,
                                         config_get_string(x->c, k->section, k->name), path, k->default_value);
}

/* config/ingestd.conf is its header comment followed by exactly what
 * config_print_defaults() prints: regenerate it after changing a key. */
static void shipped_conf_matches_defaults(void **state) {
        struct ctx *x = *state;
        const char *path = getenv("INGESTD_TEST_CONF");
        if (!path)
                fail_msg("INGESTD_TEST_CONF is not set (run the tests with `meson test`)");
        FILE *fp = fopen(path, "r");
        if (!fp)
                fail_msg("%s: %s", path, strerror(errno));
        static char file[1 << 16];
        size_t n = fread(file, 1, sizeof(file) - 1, fp);
        fclose(fp);
        file[n] = '\0';
        const char *body = file;
        while (*body == '#') {
                const char *nl = strchr(body, '\n');
                body = nl ? nl + 1 : body + strlen(body);
        }

        FILE *f = open_out(x);
        config_print_defaults(settings_tables(), f);
        fclose(f);
        if (strcmp(body, x->out) != 0) {
                size_t i = 0, line = 1;
                while (body[i] && body[i] == x->out[i]) {
                        if (body[i] == '\n')
                                line++;
                        i++;
                }
                fail_msg("%s differs from config_print_defaults() at line %zu after the header: file \"%.60s\", "
                         "generated \"%.60s\"",
                         path, line, body + i, x->out + i);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
                T(file_sets_values_with_origin),
                T(file_unknown_key),
                T(file_unknown_section),
                T(file_bad_int),
                T(file_int_out_of_range),
                T(file_bad_enum),
                T(file_bad_bool),
                T(file_bad_double),
                T(file_key_outside_section),
                T(file_syntax_error),
                T(file_first_error_is_reported),
                T(file_missing),
                T(file_quoted_values),
                T(file_quoted_value_with_semicolon),
                T(file_long_value_is_kept_whole),
                T(file_line_numbers_after_long_line),
                T(string_origin_and_lines),
                T(env_overrides),
                T(env_bad_value),
                T(override_sets_keys),
                T(override_errors),
                T(precedence_file_env_override),
                T(precedence_settings_load),
                T(int_size_suffixes),
                T(bool_and_double_values),
                T(passthrough_iteration),
                T(print_masks_secrets),
                T(print_reloads),
                T(defaults_validate),
                T(keys_are_unique),
                T(shipped_conf_loads),
                T(shipped_conf_matches_defaults),
#undef T
        };
        return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
