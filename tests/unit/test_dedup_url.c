/* pipeline/dedup/url_canon.c: canonical URLs — scheme and host case, default
 * ports, user info, fragments, tracking parameters, parameter order,
 * percent-escapes, dot segments — and what is not a URL. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pipeline/dedup/url_canon.h"

static void check(const char *in, const char *want) {
        size_t len = strlen(in);
        char *copy = malloc(len ? len : 1);   /* exactly len bytes */
        assert_non_null(copy);
        memcpy(copy, in, len);
        char out[1024];
        size_t n = dedup_url_canonicalize(copy, len, out, sizeof(out));
        free(copy);
        if (!want) {
                if (n != 0)
                        fail_msg("\"%s\" → \"%s\"; expected no URL", in, out);
                return;
        }
        if (n == 0)
                fail_msg("\"%s\" → no URL; expected \"%s\"", in, want);
        if (strcmp(out, want) != 0 || n != strlen(want))
                fail_msg("\"%s\" → \"%s\"; expected \"%s\"", in, out, want);
}

static void scheme_host_port(void **state) {
        (void)state;
        check("https://www.example.com/news/a", "https://www.example.com/news/a");
        check("HTTPS://WWW.Example.COM/News/A", "https://www.example.com/News/A");   /* the path keeps its case */
        check("https://www.example.com:443/a", "https://www.example.com/a");
        check("http://www.example.com:80/a", "http://www.example.com/a");
        check("http://www.example.com:443/a", "http://www.example.com:443/a");
        check("https://www.example.com:8443/a", "https://www.example.com:8443/a");
        check("https://www.example.com:/a", "https://www.example.com/a");
        check("https://www.example.com:0443/a", "https://www.example.com/a");
        check("https://user:secret@www.example.com/a", "https://www.example.com/a");
        check("https://www.example.com./a", "https://www.example.com/a");
        check("https://www.example.com", "https://www.example.com/");
        check("https://www.example.com?x=1", "https://www.example.com/?x=1");
        check("https://[2001:DB8::1]:8080/a", "https://[2001:db8::1]:8080/a");
        check("  https://example.com/a \n", "https://example.com/a");
        /* http and https, www or not: not the same. */
        check("http://example.com/a", "http://example.com/a");
}

static void fragment_and_tracking(void **state) {
        (void)state;
        check("https://example.com/a#comments", "https://example.com/a");
        check("https://example.com/a?utm_source=twitter&utm_medium=social", "https://example.com/a");
        check("https://example.com/a?id=7&utm_campaign=x&fbclid=IwAR0x", "https://example.com/a?id=7");
        check("https://example.com/a?gclid=abc&UTM_Source=x&page=2", "https://example.com/a?page=2");
        check("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2");    /* sorted */
        check("https://example.com/a?a=1&&b=2&", "https://example.com/a?a=1&b=2");  /* empty ones dropped */
        check("https://example.com/a?", "https://example.com/a");
        check("https://example.com/a?utm_x=1#frag", "https://example.com/a");
        check("https://example.com/a?ref=home", "https://example.com/a?ref=home");  /* not tracking */
}

static void escapes_and_dots(void **state) {
        (void)state;
        check("https://example.com/%7euser/%2fx", "https://example.com/~user/%2Fx");
        check("https://example.com/a%2db", "https://example.com/a-b");
        check("https://example.com/caf\xc3\xa9", "https://example.com/caf%C3%A9");
        check("https://example.com/caf%c3%a9", "https://example.com/caf%C3%A9");
        check("https://example.com/a/./b/../c", "https://example.com/a/c");
        check("https://example.com/a/b/..", "https://example.com/a/");
        check("https://example.com/../a", "https://example.com/a");
        check("https://example.com/a/%2E/b", "https://example.com/a/b");
        check("https://example.com/100%", "https://example.com/100%");
        check("https://example.com/?q=a%20b", "https://example.com/?q=a%20b");
}

static void not_urls(void **state) {
        (void)state;
        check("", NULL);
        check("example.com/a", NULL);
        check("/news/a", NULL);
        check("mailto:someone@example.com", NULL);
        check("https:///a", NULL);
        check("https://", NULL);
        check("https://exa mple.com/a", NULL);
        check("https://example.com:http/a", NULL);
        check("https://example.com:99999/a", NULL);
        check("https://[::1/a", NULL);
        check("1http://example.com/", NULL);
        check("https://example.com/a\x01", NULL);
}

static void small_buffer(void **state) {
        (void)state;
        char out[8];
        assert_int_equal(dedup_url_canonicalize("https://example.com/a", 21, out, sizeof(out)), 0);
        char out2[22];     /* 21 characters and the NUL */
        assert_int_equal(dedup_url_canonicalize("https://example.com/a", 21, out2, sizeof(out2)), 21);
        assert_string_equal(out2, "https://example.com/a");
        char out3[21];
        assert_int_equal(dedup_url_canonicalize("https://example.com/a", 21, out3, sizeof(out3)), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(scheme_host_port),
                cmocka_unit_test(fragment_and_tracking),
                cmocka_unit_test(escapes_and_dots),
                cmocka_unit_test(not_urls),
                cmocka_unit_test(small_buffer),
        };
        return cmocka_run_group_tests_name("dedup_url", tests, NULL, NULL);
}
