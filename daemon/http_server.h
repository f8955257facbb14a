/* The HTTP endpoint (libmicrohttpd, its own thread): /metrics in
 * Prometheus' text format, /healthz (the processing loop is alive) and
 * /readyz (subscribed, partitions assigned or the group settled, a broker
 * reachable; 503 with the reason otherwise). */
#pragma once

#include <stdint.h>

struct metrics;
struct http_server;

/* listen: "HOST:PORT" (port 0: any free port). Returns NULL after logging. */
struct http_server *http_server_start(const char *listen, struct metrics *m, int64_t stall_ms);
/* The port actually bound. */
uint16_t http_server_port(const struct http_server *s);
void http_server_stop(struct http_server *s);
