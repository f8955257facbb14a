/* The whole pipeline on one Kafka message, as the daemon runs it (format
 * detected per message). The input's first byte is the length of the Kafka
 * key (255: no key), its second picks the message timestamp from a list of
 * ordinary and extreme values; the key's bytes follow, then the message.
 *
 * A message is either rejected with a code, a message and a stage, or gives
 * a record that is valid JSON whose id is the article's and whose dates
 * have the schema's form. */
#include <jansson.h>

#include "fuzz.h"
#include "pipeline/iso_date.h"

static const int64_t timestamps[] = {
        -1, 0, 1, 1613296800000, 1613296800123, 253402300799999 /* 9999-12-31T23:59:59 */,
        253402300800000 /* year 10000 */, -62135596800000 /* year 1 */, INT64_MAX, INT64_MIN, 99999999999999,
};

/* The schema's published_at: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ. */
static bool schema_date(const char *s) {
        static const char *const forms[] = { "dddd", "dddd-dd", "dddd-dd-dd", "dddd-dd-ddTdd:dd:ddZ" };
        for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
                const char *f = forms[i], *p = s;
                while (*f && *p && (*f == 'd' ? (*p >= '0' && *p <= '9') : *p == *f)) {
                        f++;
                        p++;
                }
                if (!*f && !*p)
                        return true;
        }
        return false;
}

static void check_record(const struct article *a, int64_t ts) {
        FUZZ_CHECK(a->json && a->json_len == strlen(a->json), "no record");
        json_error_t err;
        json_t *rec = json_loadb(a->json, a->json_len, 0, &err);
        FUZZ_CHECK(rec, "the record is not JSON: %s", err.text);
        const char *id = json_string_value(json_object_get(rec, "id"));
        FUZZ_CHECK(id && a->id && strcmp(id, a->id) == 0 && *id, "record id");
        json_t *pub = json_object_get(rec, "published_at");
        FUZZ_CHECK(!pub || (json_is_string(pub) && schema_date(json_string_value(pub))), "published_at \"%s\"",
                   json_string_value(pub));
        /* The message time, when it is one that the form can hold. */
        if (ts >= 0 && ts <= 253402300799999) {
                json_t *t = json_object_get(json_object_get(rec, "source"), "timestamp");
                FUZZ_CHECK(t && json_is_string(t) && schema_date(json_string_value(t)), "source.timestamp \"%s\"",
                           json_string_value(t));
        }
        const char *body = json_string_value(json_object_get(rec, "body"));
        FUZZ_CHECK(body && *body, "record without a body");
        json_decref(rec);
}

static struct fuzz_env env;

static void env_free(void) {
        fuzz_env_free(&env);
}

FUZZ_TARGET(pipeline) {
        if (!env.state) {
                /* The dedup index fills up with every input: a smaller cap
                 * keeps a long run within libFuzzer's memory limit (and
                 * exercises eviction). */
                static const char *const overrides[] = { "dedup.max_memory=64MiB", NULL };
                fuzz_env_init(&env, NULL, overrides);
                atexit(env_free);
        }
        if (size < 2)
                return 0;
        size_t key_len = data[0];
        int64_t ts = timestamps[data[1] % (sizeof(timestamps) / sizeof(timestamps[0]))];
        data += 2;
        size -= 2;
        const char *key = NULL;
        if (key_len != 255) {
                if (key_len > size)
                        key_len = size;
                key = (const char *)data;
                data += key_len;
                size -= key_len;
        } else {
                key_len = 0;
        }

        struct article a;
        article_init(&a, fuzz_arena(), data, size);
        a.source.topic = "articles.raw";
        a.source.partition = 0;
        a.source.offset = 42;
        a.source.timestamp_ms = ts;
        a.source.key = key;
        a.source.key_len = key_len;
        enum stage_verdict v = pipeline_process(env.state, &a);
        if (v == STAGE_REJECT) {
                fuzz_check_rejection(&a, true);
                FUZZ_CHECK(!a.json, "rejected with a record");
                return 0;
        }
        if (v == STAGE_DROP)    /* a duplicate, when the configuration drops them */
                return 0;
        FUZZ_CHECK(v == STAGE_CONTINUE, "verdict %d", (int)v);
        check_record(&a, ts);
        return 0;
}
