/* URL canonicalization (see url_canon.h). */
#include "url_canon.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Query parameters that only say where a click came from. */
static const char *const tracking_exact[] = {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid", "yclid",
        "igshid", "twclid", "ttclid", "li_fat_id", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "ocid",
        "cmpid", "icid", "ncid", "ref_src", "ref_url", "sr_share", "at_medium", "at_campaign", "s_cid",
        "__twitter_impression", "oly_anon_id", "oly_enc_id", "vero_id", "rb_clickid", NULL,
};

struct out {
        char *p;
        size_t len, cap;
        bool overflow;
};

static void put(struct out *o, char c) {
        if (o->len + 1 < o->cap)
                o->p[o->len++] = c;
        else
                o->overflow = true;
}

static void put_n(struct out *o, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                put(o, s[i]);
}

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static bool is_unreserved(unsigned char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
               c == '_' || c == '~';
}

static void put_escaped(struct out *o, unsigned char c) {
        static const char hex[] = "0123456789ABCDEF";
        put(o, '%');
        put(o, hex[c >> 4]);
        put(o, hex[c & 15]);
}

/* Copies s[0..n) with percent-escapes normalized: unreserved characters
 * decoded, the others in upper-case hex; bytes above 0x7f escaped. */
static void put_normalized(struct out *o, const char *s, size_t n) {
        for (size_t i = 0; i < n; i++) {
                unsigned char c = (unsigned char)s[i];
                if (c == '%' && i + 2 < n) {
                        int hi = hexval(s[i + 1]);
                        int lo = hexval(s[i + 2]);
                        if (hi >= 0 && lo >= 0) {
                                unsigned char v = (unsigned char)(hi * 16 + lo);
                                if (is_unreserved(v))
                                        put(o, (char)v);
                                else
                                        put_escaped(o, v);
                                i += 2;
                                continue;
                        }
                }
                if (c >= 0x80)
                        put_escaped(o, c);
                else
                        put(o, (char)c);
        }
}

/* RFC 3986 5.2.4, in place on p[0..*len) (which starts with '/'). */
static void remove_dot_segments(char *p, size_t *len) {
        size_t in = 0, n = *len, w = 0;
        while (in < n) {
                /* The input always starts with '/' here. */
                size_t seg_end = in + 1;
                while (seg_end < n && p[seg_end] != '/')
                        seg_end++;
                size_t seg_len = seg_end - in - 1;
                const char *seg = p + in + 1;
                if (seg_len == 1 && seg[0] == '.') {
                        in = seg_end;
                        if (in >= n)
                                p[w++] = '/';
                        continue;
                }
                if (seg_len == 2 && seg[0] == '.' && seg[1] == '.') {
                        /* Removes the last "/segment" written. */
                        while (w > 0 && p[w - 1] != '/')
                                w--;
                        if (w > 0)
                                w--;
                        in = seg_end;
                        if (in >= n)
                                p[w++] = '/';
                        continue;
                }
                memmove(p + w, p + in, seg_end - in);
                w += seg_end - in;
                in = seg_end;
        }
        if (w == 0)
                p[w++] = '/';
        *len = w;
}

static bool is_tracking(const char *name, size_t n) {
        if (n >= 4 && strncasecmp(name, "utm_", 4) == 0)
                return true;
        for (size_t i = 0; tracking_exact[i]; i++)
                if (strlen(tracking_exact[i]) == n && strncasecmp(tracking_exact[i], name, n) == 0)
                        return true;
        return false;
}

struct span {
        const char *p;
        size_t n;
};

static int span_cmp(const void *a, const void *b) {
        const struct span *x = a, *y = b;
        size_t n = x->n < y->n ? x->n : y->n;
        int c = memcmp(x->p, y->p, n);
        if (c)
                return c;
        return x->n < y->n ? -1 : x->n > y->n;
}

static uint32_t default_port(const char *scheme, size_t n) {
        if (n == 4 && memcmp(scheme, "http", 4) == 0)
                return 80;
        if (n == 5 && memcmp(scheme, "https", 5) == 0)
                return 443;
        if (n == 3 && memcmp(scheme, "ftp", 3) == 0)
                return 21;
        return 0;
}

size_t dedup_url_canonicalize(const char *url, size_t len, char *out_buf, size_t cap) {
        if (!url || cap == 0)
                return 0;
        while (len && (url[0] == ' ' || url[0] == '\t' || url[0] == '\n' || url[0] == '\r')) {
                url++;
                len--;
        }
        while (len && (url[len - 1] == ' ' || url[len - 1] == '\t' || url[len - 1] == '\n' || url[len - 1] == '\r'))
                len--;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
                        return 0;

        /* scheme "://" */
        size_t i = 0;
        if (i >= len || !((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
                return 0;
        while (i < len && ((url[i] >= 'a' && url[i] <= 'z') || (url[i] >= 'A' && url[i] <= 'Z') ||
                           (url[i] >= '0' && url[i] <= '9') || url[i] == '+' || url[i] == '-' || url[i] == '.'))
                i++;
        if (len - i < 3 || memcmp(url + i, "://", 3) != 0)
                return 0;
        struct out o = { out_buf, 0, cap, false };
        char scheme[32];
        size_t scheme_len = i < sizeof(scheme) ? i : 0;
        if (!scheme_len)
                return 0;
        for (size_t k = 0; k < i; k++) {
                char c = url[k];
                scheme[k] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
        }
        put_n(&o, scheme, scheme_len);
        put_n(&o, "://", 3);
        i += 3;

        /* authority: [userinfo@]host[:port] */
        size_t auth = i;
        while (i < len && url[i] != '/' && url[i] != '?' && url[i] != '#')
                i++;
        size_t auth_end = i;
        for (size_t k = auth_end; k > auth; k--)
                if (url[k - 1] == '@') {
                        auth = k;
                        break;
                }
        size_t host = auth, host_end;
        if (host < auth_end && url[host] == '[') {
                host_end = host;
                while (host_end < auth_end && url[host_end] != ']')
                        host_end++;
                if (host_end == auth_end)
                        return 0;
                host_end++;
        } else {
                host_end = host;
                while (host_end < auth_end && url[host_end] != ':')
                        host_end++;
        }
        size_t port = host_end, port_end = auth_end;
        if (port < port_end) {
                if (url[port] != ':')
                        return 0;
                port++;
        }
        size_t hl = host_end - host;
        while (hl > 0 && url[host + hl - 1] == '.')
                hl--;
        if (hl == 0)
                return 0;
        for (size_t k = 0; k < hl; k++) {
                char c = url[host + k];
                put(&o, (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c);
        }
        uint32_t pv = 0;
        bool has_port = false;
        for (size_t k = port; k < port_end; k++) {
                if (url[k] < '0' || url[k] > '9')
                        return 0;
                pv = pv * 10 + (uint32_t)(url[k] - '0');
                if (pv > 65535)
                        return 0;
                has_port = true;
        }
        if (has_port && pv != default_port(scheme, scheme_len)) {
                char num[8];
                int nn = 0;
                char rev[8];
                uint32_t v = pv;
                do {
                        rev[nn++] = (char)('0' + v % 10);
                        v /= 10;
                } while (v);
                for (int k = 0; k < nn; k++)
                        num[k] = rev[nn - 1 - k];
                put(&o, ':');
                put_n(&o, num, (size_t)nn);
        }

        /* path */
        size_t path = i;
        while (i < len && url[i] != '?' && url[i] != '#')
                i++;
        size_t path_start = o.len;
        if (path == i)
                put(&o, '/');
        else
                put_normalized(&o, url + path, i - path);
        if (o.overflow)
                return 0;
        size_t plen = o.len - path_start;
        remove_dot_segments(o.p + path_start, &plen);
        o.len = path_start + plen;

        /* query, without tracking and empty parameters, sorted */
        if (i < len && url[i] == '?') {
                size_t q = ++i;
                while (i < len && url[i] != '#')
                        i++;
                size_t qlen = i - q;
                if (qlen) {
                        /* Normalized parameters go to scratch first (up to three
                         * bytes for one), then sorted into the output. */
                        char *scratch = malloc(3 * qlen + 1);
                        struct span *spans = malloc((qlen / 2 + 1) * sizeof(*spans));
                        if (!scratch || !spans) {
                                free(scratch);
                                free(spans);
                                return 0;
                        }
                        struct out s = { scratch, 0, 3 * qlen + 1, false };
                        size_t ns = 0;
                        for (size_t a = q; a < i;) {
                                size_t b = a;
                                while (b < i && url[b] != '&')
                                        b++;
                                size_t name_end = a;
                                while (name_end < b && url[name_end] != '=')
                                        name_end++;
                                if (b > a && !is_tracking(url + a, name_end - a)) {
                                        size_t start = s.len;
                                        put_normalized(&s, url + a, b - a);
                                        spans[ns++] = (struct span){ scratch + start, s.len - start };
                                }
                                a = b + 1;
                        }
                        qsort(spans, ns, sizeof(*spans), span_cmp);
                        for (size_t k = 0; k < ns; k++) {
                                put(&o, k ? '&' : '?');
                                put_n(&o, spans[k].p, spans[k].n);
                        }
                        free(scratch);
                        free(spans);
                }
        }
        if (o.overflow)
                return 0;
        o.p[o.len] = '\0';
        return o.len;
}
