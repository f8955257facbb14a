/* Canonical URLs, so that one article reached through different links has
 * one URL hash.
 *
 *  - surrounding whitespace is trimmed; a URL needs a scheme followed by
 *    "://" and a host, and no whitespace or control character inside;
 *  - scheme and host are lower-cased, a trailing dot of the host and any
 *    user:password@ are removed, and the port too when it is the scheme's
 *    default (http 80, https 443, ftp 21) or empty;
 *  - the path gets its dot segments resolved (RFC 3986 5.2.4), an empty path
 *    becomes "/"; in path and query, percent-escapes are written with
 *    upper-case hex digits and those of unreserved characters (letters,
 *    digits, - . _ ~) are decoded;
 *  - the fragment is removed;
 *  - query parameters used for tracking are removed (utm_*, fbclid, gclid
 *    and the others in url_canon.c), as are empty ones; the rest are sorted,
 *    so that their order does not matter; an empty query is dropped.
 *
 * http and https, and "www." or not, stay distinct: a site may serve
 * different things there. */
#pragma once

#include <stddef.h>

/* Writes the canonical form of url[0..len) into out (NUL-terminated) and
 * returns its length; returns 0 when url is not an absolute URL with a host,
 * or when the result would not fit in cap bytes. */
size_t dedup_url_canonicalize(const char *url, size_t len, char *out, size_t cap);
