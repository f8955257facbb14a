#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct config_entry {
        char *section;
        char *name;
        char *value;
        char *origin;
        const struct config_key *key;   /* NULL for undeclared passthrough keys */
};

struct config {
        const struct config_key *const *tables;
        struct config_entry *entries;
        size_t n_entries, cap_entries;
};

static const char *const passthrough_sections[] = { "kafka.consumer", "kafka.producer", "kafka", NULL };

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *xasprintf(const char *fmt, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, fmt);
        if (vasprintf(&s, fmt, ap) < 0)
                s = NULL;
        va_end(ap);
        return s;
}

static void set_error(char **ret_error, const char *origin, const char *section, const char *name,
                      const char *msg) {
        if (!ret_error)
                return;
        free(*ret_error);
        *ret_error = xasprintf("%s: %s%s%s: %s", origin ? origin : "config", section ? section : "",
                               section && name ? "." : "", name ? name : "", msg);
}

bool config_is_passthrough_section(const char *section) {
        for (size_t i = 0; passthrough_sections[i]; i++)
                if (strcmp(section, passthrough_sections[i]) == 0)
                        return true;
        return false;
}

bool config_key_name_is_secret(const char *name) {
        static const char *const words[] = { "password", "secret", "sasl.oauthbearer.config",
                                             "ssl.key.pem", "ssl_key", "ssl.keystore.password", NULL };
        for (size_t i = 0; words[i]; i++)
                if (strstr(name, words[i]))
                        return true;
        return false;
}

static const struct config_key *find_key(const struct config_key *const *tables, const char *section,
                                         const char *name) {
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++)
                        if (strcmp(k->section, section) == 0 && strcmp(k->name, name) == 0)
                                return k;
        return NULL;
}

static bool section_known(const struct config_key *const *tables, const char *section) {
        if (config_is_passthrough_section(section))
                return true;
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++)
                        if (strcmp(k->section, section) == 0)
                                return true;
        return false;
}

struct config *config_new(const struct config_key *const *tables) {
        struct config *c = calloc(1, sizeof(*c));
        if (!c)
                return NULL;
        c->tables = tables;
        return c;
}

void config_free(struct config *c) {
        if (!c)
                return;
        for (size_t i = 0; i < c->n_entries; i++) {
                free(c->entries[i].section);
                free(c->entries[i].name);
                free(c->entries[i].value);
                free(c->entries[i].origin);
        }
        free(c->entries);
        free(c);
}

int config_parse_int(const char *s, int64_t *ret) {
        static const struct {
                const char *suffix;
                int64_t factor;
        } units[] = {
                { "", 1 },          { "k", 1000 },         { "K", 1000 },         { "KiB", 1024 },
                { "M", 1000000 },   { "MiB", 1048576 },    { "G", 1000000000 },   { "GiB", 1073741824 },
        };
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (end == s)
                return -EINVAL;
        if (errno == ERANGE)
                return -ERANGE;
        while (*end == ' ')
                end++;
        for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
                if (strcmp(end, units[i].suffix) == 0) {
                        if (v > INT64_MAX / units[i].factor || v < INT64_MIN / units[i].factor)
                                return -ERANGE;
                        *ret = (int64_t)v * units[i].factor;
                        return 0;
                }
        }
        return -EINVAL;
}

int config_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "true", "yes", "on", "1", NULL };
        static const char *const no[] = { "false", "no", "off", "0", NULL };
        for (size_t i = 0; yes[i]; i++)
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
        for (size_t i = 0; no[i]; i++)
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        return -EINVAL;
}

int config_parse_double(const char *s, double *ret) {
        char *end = NULL;
        errno = 0;
        double v = strtod(s, &end);
        if (end == s || *end != '\0' || !isfinite(v))
                return -EINVAL;
        if (errno == ERANGE)
                return -ERANGE;
        *ret = v;
        return 0;
}

static bool enum_has_choice(const char *choices, const char *value) {
        size_t len = strlen(value);
        const char *p = choices;
        while (*p) {
                const char *bar = strchr(p, '|');
                size_t n = bar ? (size_t)(bar - p) : strlen(p);
                if (n == len && strncmp(p, value, n) == 0)
                        return true;
                if (!bar)
                        break;
                p = bar + 1;
        }
        return false;
}

/* Checks `value` against the key's type and range; on error returns a static
 * or malloc'd description through *ret_msg (malloc'd when *ret_free is set). */
static int validate(const struct config_key *k, const char *value, char **ret_msg) {
        int64_t i;
        double d;
        bool b;
        switch (k->type) {
        case CONFIG_STRING:
                return 0;
        case CONFIG_INT:
                if (config_parse_int(value, &i) < 0) {
                        *ret_msg = xasprintf("'%s' is not an integer (size suffixes k, KiB, M, MiB, G, GiB allowed)", value);
                        return -EINVAL;
                }
                if ((k->min != 0 || k->max != 0) && ((double)i < k->min || (double)i > k->max)) {
                        *ret_msg = xasprintf("%s is out of range [%.0f, %.0f]", value, k->min, k->max);
                        return -ERANGE;
                }
                return 0;
        case CONFIG_DOUBLE:
                if (config_parse_double(value, &d) < 0) {
                        *ret_msg = xasprintf("'%s' is not a number", value);
                        return -EINVAL;
                }
                if ((k->min != 0 || k->max != 0) && (d < k->min || d > k->max)) {
                        *ret_msg = xasprintf("%s is out of range [%g, %g]", value, k->min, k->max);
                        return -ERANGE;
                }
                return 0;
        case CONFIG_BOOL:
                if (config_parse_bool(value, &b) < 0) {
                        *ret_msg = xasprintf("'%s' is not a boolean (true/false, yes/no, on/off, 1/0)", value);
                        return -EINVAL;
                }
                return 0;
        case CONFIG_ENUM:
                if (!enum_has_choice(k->choices, value)) {
                        *ret_msg = xasprintf("'%s' is not one of %s", value, k->choices);
                        return -EINVAL;
                }
                return 0;
        }
        return -EINVAL;
}

int config_set(struct config *c, const char *section, const char *name, const char *value,
               const char *origin, char **ret_error) {
        const struct config_key *k = find_key(c->tables, section, name);
        if (!k && !config_is_passthrough_section(section)) {
                set_error(ret_error, origin, section, name,
                          section_known(c->tables, section) ? "unknown key" : "unknown section");
                return -ENOENT;
        }
        if (k) {
                char *msg = NULL;
                int r = validate(k, value, &msg);
                if (r < 0) {
                        set_error(ret_error, origin, section, name, msg ? msg : "invalid value");
                        free(msg);
                        return r;
                }
        }

        struct config_entry *e = NULL;
        for (size_t i = 0; i < c->n_entries; i++)
                if (strcmp(c->entries[i].section, section) == 0 && strcmp(c->entries[i].name, name) == 0) {
                        e = &c->entries[i];
                        break;
                }
        char *v = strdup(value), *o = strdup(origin ? origin : "?");
        if (!v || !o) {
                free(v);
                free(o);
                set_error(ret_error, origin, section, name, "out of memory");
                return -ENOMEM;
        }
        if (e) {
                free(e->value);
                free(e->origin);
                e->value = v;
                e->origin = o;
                return 0;
        }
        if (c->n_entries == c->cap_entries) {
                size_t cap = c->cap_entries ? c->cap_entries * 2 : 32;
                struct config_entry *ne = realloc(c->entries, cap * sizeof(*ne));
                if (!ne) {
                        free(v);
                        free(o);
                        set_error(ret_error, origin, section, name, "out of memory");
                        return -ENOMEM;
                }
                c->entries = ne;
                c->cap_entries = cap;
        }
        e = &c->entries[c->n_entries];
        e->section = strdup(section);
        e->name = strdup(name);
        if (!e->section || !e->name) {
                free(e->section);
                free(e->name);
                free(v);
                free(o);
                set_error(ret_error, origin, section, name, "out of memory");
                return -ENOMEM;
        }
        e->value = v;
        e->origin = o;
        e->key = k;
        c->n_entries++;
        return 0;
}

/* --- files ------------------------------------------------------------- */

struct file_reader {
        FILE *f;
        const char *path;
        unsigned line;
        unsigned newlines;
        struct config *c;
        char *error;
        int r;
};

/* Line numbers count newlines: inih may read a long line in several calls. */
static void count_lines(struct file_reader *fr, const char *chunk) {
        size_t n = 0;
        for (const char *p = chunk; *p; p++)
                n += *p == '\n';
        fr->newlines += n;
        size_t len = strlen(chunk);
        fr->line = fr->newlines + (len && chunk[len - 1] == '\n' ? 0 : 1);
}

static char *reader_gets(char *str, int num, void *stream) {
        struct file_reader *fr = stream;
        char *s = fgets(str, num, fr->f);
        if (s)
                count_lines(fr, s);
        return s;
}

static char *string_reader_gets(char *str, int num, void *stream) {
        struct file_reader *fr = stream;
        const char *p = (const char *)fr->f;   /* the remaining text */
        if (!p || !*p)
                return NULL;
        int n = 0;
        while (p[n] && p[n] != '\n' && n < num - 2)
                n++;
        if (p[n] == '\n')
                n++;
        memcpy(str, p, (size_t)n);
        str[n] = '\0';
        fr->f = (FILE *)(p + n);
        count_lines(fr, str);
        return str;
}

/* Drops one pair of surrounding double quotes, so that values with leading
 * or trailing spaces or with ';' can be written. */
static char *unquote(const char *value) {
        size_t len = strlen(value);
        if (len >= 2 && value[0] == '"' && value[len - 1] == '"')
                return strndup(value + 1, len - 2);
        return strdup(value);
}

static int on_ini_entry(void *user, const char *section, const char *name, const char *value) {
        struct file_reader *fr = user;
        char origin[4096];
        snprintf(origin, sizeof(origin), "%s:%u", fr->path, fr->line);
        if (!*section) {
                if (fr->r == 0) {
                        set_error(&fr->error, origin, NULL, name, "key outside of any [section]");
                        fr->r = -EINVAL;
                }
                return 0;
        }
        char *v = unquote(value ? value : "");
        if (!v)
                return 0;
        char *err = NULL;
        int r = config_set(fr->c, section, name, v, origin, &err);
        free(v);
        if (r < 0) {
                if (fr->r == 0) {
                        fr->r = r;
                        fr->error = err;
                } else {
                        free(err);
                }
                return 0;
        }
        return 1;
}

static int finish_parse(struct file_reader *fr, int ini_r, char **ret_error) {
        if (fr->r < 0) {
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = fr->error;
                } else {
                        free(fr->error);
                }
                return fr->r;
        }
        if (ini_r > 0) {
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = xasprintf("%s:%d: syntax error (expected [section], key = value, or a comment)",
                                               fr->path, ini_r);
                }
                return -EINVAL;
        }
        if (ini_r < 0) {
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = xasprintf("%s: out of memory while parsing", fr->path);
                }
                return -ENOMEM;
        }
        return 0;
}

/* inih as Debian builds it takes its options at run time: lines of any
 * length (a heap buffer that grows), and comments only on lines of their
 * own, so that a value may hold ';' or '#'. */
static void configure_inih(void) {
        ini_use_stack = false;
        ini_allow_realloc = true;
        ini_initial_alloc = 512;
        ini_max_line = 1 << 20;
        ini_allow_inline_comments = false;
        ini_allow_multiline = false;
}

int config_load_file(struct config *c, const char *path, char **ret_error) {
        configure_inih();
        FILE *f = fopen(path, "re");
        if (!f) {
                int r = -errno;
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = xasprintf("%s: %s", path, strerror(errno));
                }
                return r;
        }
        struct file_reader fr = { .f = f, .path = path, .c = c };
        int ini_r = ini_parse_stream(reader_gets, &fr, on_ini_entry, &fr);
        fclose(f);
        return finish_parse(&fr, ini_r, ret_error);
}

int config_load_string(struct config *c, const char *text, const char *origin, char **ret_error) {
        configure_inih();
        struct file_reader fr = { .f = (FILE *)text, .path = origin, .c = c };
        int ini_r = ini_parse_stream(string_reader_gets, &fr, on_ini_entry, &fr);
        return finish_parse(&fr, ini_r, ret_error);
}

/* --- environment and command line ---------------------------------------- */

/* INGESTD_ + section and key upper-cased, every other character as '_'. */
static void env_name(const char *section, const char *name, char *buf, size_t size) {
        size_t n = (size_t)snprintf(buf, size, "INGESTD_%s_%s", section, name);
        if (n >= size)
                n = size - 1;
        for (size_t i = 8; i < n; i++)
                buf[i] = isalnum((unsigned char)buf[i]) ? (char)toupper((unsigned char)buf[i]) : '_';
}

int config_load_env(struct config *c, char *const *envp, void (*warn)(const char *msg, void *userdata),
                    void *userdata, char **ret_error) {
        for (size_t i = 0; envp && envp[i]; i++) {
                const char *var = envp[i];
                if (strncmp(var, "INGESTD_", 8) != 0)
                        continue;
                /* Reserved for the test suite's fault switches. */
                if (strncmp(var, "INGESTD_TEST_", 13) == 0)
                        continue;
                const char *eq = strchr(var, '=');
                if (!eq)
                        continue;
                size_t nlen = (size_t)(eq - var);
                const char *value = eq + 1;
                char origin[512];
                snprintf(origin, sizeof(origin), "env %.*s", (int)nlen, var);

                bool matched = false;
                char buf[512];
                for (size_t t = 0; c->tables[t] && !matched; t++)
                        for (const struct config_key *k = c->tables[t]; k->section; k++) {
                                env_name(k->section, k->name, buf, sizeof(buf));
                                if (strlen(buf) == nlen && strncmp(buf, var, nlen) == 0) {
                                        int r = config_set(c, k->section, k->name, value, origin, ret_error);
                                        if (r < 0)
                                                return r;
                                        matched = true;
                                        break;
                                }
                        }
                if (matched)
                        continue;

                /* librdkafka properties: INGESTD_KAFKA_[CONSUMER_|PRODUCER_]A_B → a.b */
                static const struct {
                        const char *prefix, *section;
                } pt[] = { { "INGESTD_KAFKA_CONSUMER_", "kafka.consumer" },
                           { "INGESTD_KAFKA_PRODUCER_", "kafka.producer" },
                           { "INGESTD_KAFKA_", "kafka" } };
                for (size_t p = 0; p < sizeof(pt) / sizeof(pt[0]); p++) {
                        size_t plen = strlen(pt[p].prefix);
                        if (nlen > plen && strncmp(var, pt[p].prefix, plen) == 0) {
                                char key[512];
                                size_t klen = nlen - plen < sizeof(key) - 1 ? nlen - plen : sizeof(key) - 1;
                                for (size_t j = 0; j < klen; j++) {
                                        char ch = var[plen + j];
                                        key[j] = ch == '_' ? '.' : (char)tolower((unsigned char)ch);
                                }
                                key[klen] = '\0';
                                int r = config_set(c, pt[p].section, key, value, origin, ret_error);
                                if (r < 0)
                                        return r;
                                matched = true;
                                break;
                        }
                }
                if (!matched && warn) {
                        char msg[600];
                        snprintf(msg, sizeof(msg), "ignoring environment variable %.*s: no such configuration key",
                                 (int)nlen, var);
                        warn(msg, userdata);
                }
        }
        return 0;
}

int config_load_override(struct config *c, const char *assignment, char **ret_error) {
        const char *eq = strchr(assignment, '=');
        if (!eq) {
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = xasprintf("-o %s: expected section.key=value", assignment);
                }
                return -EINVAL;
        }
        size_t lhs_len = (size_t)(eq - assignment);
        char *lhs = strndup(assignment, lhs_len);
        if (!lhs)
                return -ENOMEM;
        /* The longest known section that prefixes the name wins, so that
         * kafka.consumer.x goes to [kafka.consumer], not [kafka]. */
        const char *best = NULL;
        size_t best_len = 0;
        for (size_t i = 0; passthrough_sections[i]; i++) {
                size_t l = strlen(passthrough_sections[i]);
                if (l < lhs_len && strncmp(lhs, passthrough_sections[i], l) == 0 && lhs[l] == '.' && l > best_len) {
                        best = passthrough_sections[i];
                        best_len = l;
                }
        }
        for (size_t t = 0; c->tables[t]; t++)
                for (const struct config_key *k = c->tables[t]; k->section; k++) {
                        size_t l = strlen(k->section);
                        if (l < lhs_len && strncmp(lhs, k->section, l) == 0 && lhs[l] == '.' && l > best_len) {
                                best = k->section;
                                best_len = l;
                        }
                }
        int r;
        if (!best) {
                if (ret_error) {
                        free(*ret_error);
                        *ret_error = xasprintf("-o %s: unknown section", lhs);
                }
                r = -ENOENT;
        } else {
                char *section = strndup(lhs, best_len);
                r = section ? config_set(c, section, lhs + best_len + 1, eq + 1, "-o", ret_error) : -ENOMEM;
                free(section);
        }
        free(lhs);
        return r;
}

/* --- getters ----------------------------------------------------------- */

static const struct config_entry *find_entry(const struct config *c, const char *section, const char *name) {
        for (size_t i = c->n_entries; i > 0; i--) {
                const struct config_entry *e = &c->entries[i - 1];
                if (strcmp(e->section, section) == 0 && strcmp(e->name, name) == 0)
                        return e;
        }
        return NULL;
}

static const struct config_key *must_find_key(const struct config *c, const char *section, const char *name) {
        const struct config_key *k = find_key(c->tables, section, name);
        if (!k) {
                fprintf(stderr, "ingestd: internal error: configuration key %s.%s is not declared\n", section, name);
                abort();
        }
        return k;
}

const char *config_get_string(const struct config *c, const char *section, const char *name) {
        const struct config_entry *e = find_entry(c, section, name);
        if (e)
                return e->value;
        return must_find_key(c, section, name)->default_value;
}

const char *config_get_origin(const struct config *c, const char *section, const char *name) {
        const struct config_entry *e = find_entry(c, section, name);
        return e ? e->origin : "default";
}

int64_t config_get_int(const struct config *c, const char *section, const char *name) {
        int64_t v = 0;
        /* Values were validated when set, and defaults by the unit tests. */
        (void)config_parse_int(config_get_string(c, section, name), &v);
        return v;
}

double config_get_double(const struct config *c, const char *section, const char *name) {
        double v = 0;
        (void)config_parse_double(config_get_string(c, section, name), &v);
        return v;
}

bool config_get_bool(const struct config *c, const char *section, const char *name) {
        bool v = false;
        (void)config_parse_bool(config_get_string(c, section, name), &v);
        return v;
}

void config_foreach_passthrough(const struct config *c, const char *section,
                                void (*cb)(const char *, const char *, const char *, void *), void *userdata) {
        /* Declared defaults first, unless overridden, then what was set. */
        for (size_t t = 0; c->tables[t]; t++)
                for (const struct config_key *k = c->tables[t]; k->section; k++)
                        if (strcmp(k->section, section) == 0 && !find_entry(c, section, k->name) && k->default_value &&
                            *k->default_value)
                                cb(k->name, k->default_value, "default", userdata);
        for (size_t i = 0; i < c->n_entries; i++)
                if (strcmp(c->entries[i].section, section) == 0)
                        cb(c->entries[i].name, c->entries[i].value, c->entries[i].origin, userdata);
}

/* --- printing ---------------------------------------------------------- */

static bool is_secret(const struct config_key *k, const char *name) {
        return (k && k->secret) || config_key_name_is_secret(name);
}

/* Calls cb for each declared key, grouped by section in the order sections
 * first appear in the tables (several tables may share a section). */
static void foreach_key_by_section(const struct config_key *const *tables,
                                   void (*cb)(const struct config_key *k, bool first_of_section, void *u), void *u) {
        for (size_t t = 0; tables[t]; t++)
                for (const struct config_key *k = tables[t]; k->section; k++) {
                        /* Skip sections already printed with an earlier key. */
                        bool seen = false;
                        for (size_t t2 = 0; t2 <= t && !seen; t2++)
                                for (const struct config_key *k2 = tables[t2]; k2->section && k2 != k; k2++)
                                        if (strcmp(k2->section, k->section) == 0) {
                                                seen = true;
                                                break;
                                        }
                        if (seen)
                                continue;
                        bool first = true;
                        for (size_t t3 = t; tables[t3]; t3++)
                                for (const struct config_key *k3 = t3 == t ? k : tables[t3]; k3->section; k3++)
                                        if (strcmp(k3->section, k->section) == 0) {
                                                cb(k3, first, u);
                                                first = false;
                                        }
                }
}

struct print_ctx {
        const struct config *c;
        FILE *f;
        bool any;
};

static void print_effective(const struct config_key *k, bool first, void *u) {
        struct print_ctx *p = u;
        if (first) {
                fprintf(p->f, "%s[%s]\n", p->any ? "\n" : "", k->section);
                p->any = true;
        }
        const char *v = config_get_string(p->c, k->section, k->name);
        bool quote = *v && (v[0] == ' ' || v[strlen(v) - 1] == ' ');
        fprintf(p->f, "# from: %s\n%s = %s%s%s\n", config_get_origin(p->c, k->section, k->name), k->name,
                quote ? "\"" : "", is_secret(k, k->name) && *v ? "********" : v, quote ? "\"" : "");
}

static void print_default(const struct config_key *k, bool first, void *u) {
        struct print_ctx *p = u;
        if (first)
                fprintf(p->f, "\n[%s]\n", k->section);
        fprintf(p->f, "# %s", k->doc);
        if (k->type == CONFIG_ENUM)
                fprintf(p->f, " One of: %s.", k->choices);
        const char *v = k->default_value ? k->default_value : "";
        bool quote = *v && (v[0] == ' ' || v[strlen(v) - 1] == ' ');
        fprintf(p->f, "\n%s = %s%s%s\n", k->name, quote ? "\"" : "", v, quote ? "\"" : "");
}

void config_print(const struct config *c, FILE *f) {
        struct print_ctx p = { .c = c, .f = f };
        foreach_key_by_section(c->tables, print_effective, &p);
        for (size_t s = 0; passthrough_sections[s]; s++) {
                bool header = false;
                for (size_t i = 0; i < c->n_entries; i++) {
                        const struct config_entry *e = &c->entries[i];
                        if (strcmp(e->section, passthrough_sections[s]) != 0 || e->key)
                                continue;
                        if (!header) {
                                fprintf(f, "\n[%s]\n", e->section);
                                header = true;
                        }
                        fprintf(f, "# from: %s\n%s = %s\n", e->origin, e->name,
                                is_secret(NULL, e->name) ? "********" : e->value);
                }
        }
}

void config_print_defaults(const struct config_key *const *tables, FILE *f) {
        struct print_ctx p = { .f = f };
        foreach_key_by_section(tables, print_default, &p);
}
