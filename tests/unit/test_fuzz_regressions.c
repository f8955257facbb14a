/* The fuzz targets of tests/fuzz/, compiled here with -DFUZZ_REPLAY, run
 * under the ordinary sanitizer build on every file of
 * tests/fuzz/regressions/<target>/ (inputs that once crashed a target, kept
 * after the fix) and of tests/fuzz/corpus/<target>/ (the seeds). A target's
 * invariants abort on a broken one, so a regression fails this test even
 * where clang and libFuzzer are not installed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int fuzz_parse_text(const uint8_t *data, size_t size);
int fuzz_parse_json(const uint8_t *data, size_t size);
int fuzz_utf8(const uint8_t *data, size_t size);
int fuzz_normalize(const uint8_t *data, size_t size);
int fuzz_clean(const uint8_t *data, size_t size);
int fuzz_metadata(const uint8_t *data, size_t size);
int fuzz_pipeline(const uint8_t *data, size_t size);
int fuzz_config(const uint8_t *data, size_t size);
int fuzz_iso_date(const uint8_t *data, size_t size);
#ifdef FUZZ_HAVE_DEDUP
int fuzz_dedup_fingerprint(const uint8_t *data, size_t size);
#endif

struct target {
        const char *name;
        int (*run)(const uint8_t *data, size_t size);
};

static const struct target targets[] = {
        { "parse_text", fuzz_parse_text },
        { "parse_json", fuzz_parse_json },
        { "utf8", fuzz_utf8 },
        { "normalize", fuzz_normalize },
        { "clean", fuzz_clean },
        { "metadata", fuzz_metadata },
        { "pipeline", fuzz_pipeline },
        { "config", fuzz_config },
        { "iso_date", fuzz_iso_date },
#ifdef FUZZ_HAVE_DEDUP
        { "dedup_fingerprint", fuzz_dedup_fingerprint },
#endif
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

static const char *fuzz_dir(void) {
        const char *d = getenv("INGESTD_FUZZ_DIR");
        if (!d || !*d)
                fail_msg("INGESTD_FUZZ_DIR is not set (run the tests with `meson test`)");
        return d;
}

/* Reads a file into a heap buffer of exactly its size, so that AddressSanitizer
 * sees a read one byte past the input. */
static uint8_t *read_exact(const char *path, size_t *ret_len) {
        FILE *f = fopen(path, "rb");
        if (!f)
                fail_msg("%s: %s", path, strerror(errno));
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fseek(f, 0, SEEK_SET);
        assert_true(n >= 0);
        uint8_t *buf = malloc(n ? (size_t)n : 1);
        assert_non_null(buf);
        if (n && fread(buf, 1, (size_t)n, f) != (size_t)n)
                fail_msg("%s: short read", path);
        fclose(f);
        *ret_len = (size_t)n;
        return buf;
}

/* Runs every file of DIR/<kind>/<target>/ through the target; returns how many. */
static size_t replay_dir(const struct target *t, const char *kind) {
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/%s/%s", fuzz_dir(), kind, t->name);
        DIR *d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                fail_msg("%s: %s", dir, strerror(errno));
        }
        size_t n = 0;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char path[8192];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                size_t len;
                uint8_t *data = read_exact(path, &len);
                print_message("%s/%s/%s (%zu bytes)\n", kind, t->name, e->d_name, len);
                t->run(data, len);
                free(data);
                n++;
        }
        closedir(d);
        return n;
}

static void replay(void **state) {
        const struct target *t = *state;
        size_t regressions = replay_dir(t, "regressions");
        size_t seeds = replay_dir(t, "corpus");
        print_message("%s: %zu regression input(s), %zu seed(s)\n", t->name, regressions, seeds);
        assert_true(seeds > 0);
}

/* Every folder of regressions/ belongs to a target built here, so that an
 * input is never left out by a misspelt name. */
static void regression_folders_known(void **state) {
        (void)state;
        char dir[4096];
        snprintf(dir, sizeof(dir), "%s/regressions", fuzz_dir());
        DIR *d = opendir(dir);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                bool known = false;
                for (size_t i = 0; i < N_TARGETS && !known; i++)
                        known = strcmp(e->d_name, targets[i].name) == 0;
#ifndef FUZZ_HAVE_DEDUP
                /* Its target is built once pipeline/dedup/ is. */
                known = known || strcmp(e->d_name, "dedup_fingerprint") == 0;
#endif
                if (!known) {
                        closedir(d);
                        fail_msg("tests/fuzz/regressions/%s: no such fuzz target", e->d_name);
                }
        }
        closedir(d);
}

int main(void) {
        struct CMUnitTest tests[N_TARGETS + 1];
        for (size_t i = 0; i < N_TARGETS; i++)
                tests[i] = (struct CMUnitTest){ .name = targets[i].name, .test_func = replay,
                                                .initial_state = (void *)&targets[i] };
        tests[N_TARGETS] = (struct CMUnitTest){ .name = "regression_folders_known",
                                                .test_func = regression_folders_known };
        return _cmocka_run_group_tests("fuzz_regressions", tests, N_TARGETS + 1, NULL, NULL);
}
