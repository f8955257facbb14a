#include "http_server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

struct http_server {
        struct MHD_Daemon *mhd;
        struct metrics *metrics;
        int64_t stall_ms;
        uint16_t port;
};

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, char *body, size_t len,
                             enum MHD_ResponseMemoryMode mode) {
        struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
        if (!r)
                return MHD_NO;
        MHD_add_response_header(r, "Content-Type", type);
        enum MHD_Result ret = MHD_queue_response(c, status, r);
        MHD_destroy_response(r);
        return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg) {
        return reply(c, status, "text/plain; charset=utf-8", (char *)msg, strlen(msg), MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_data_size,
                                  void **con_cls) {
        (void)version;
        (void)upload_data;
        (void)upload_data_size;
        (void)con_cls;
        struct http_server *s = cls;
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
                return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET only\n");

        if (strcmp(url, "/metrics") == 0) {
                size_t len = 0;
                char *body = metrics_render(s->metrics, &len);
                if (!body)
                        return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
                return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", body, len,
                             MHD_RESPMEM_MUST_FREE);
        }
        if (strcmp(url, "/healthz") == 0) {
                int64_t since = metrics_since_heartbeat_ms(s->metrics);
                char msg[128];
                if (since > s->stall_ms) {
                        snprintf(msg, sizeof(msg), "stalled: the processing loop has not run for %lld ms\n",
                                 (long long)since);
                        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, msg);
                }
                return text(c, MHD_HTTP_OK, "ok\n");
        }
        if (strcmp(url, "/readyz") == 0) {
                struct metrics_snapshot snap;
                metrics_snapshot(s->metrics, &snap);
                if (!snap.subscribed)
                        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: not subscribed yet\n");
                if (snap.brokers_up <= 0)
                        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: no broker reachable\n");
                if (snap.rebalances == 0)
                        return text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "not ready: waiting for a partition assignment\n");
                char msg[128];
                snprintf(msg, sizeof(msg), "ready: %lld partition(s) assigned\n", (long long)snap.assigned);
                return text(c, MHD_HTTP_OK, msg);
        }
        return text(c, MHD_HTTP_NOT_FOUND, "not found: try /metrics, /healthz or /readyz\n");
}

struct http_server *http_server_start(const char *listen, struct metrics *m, int64_t stall_ms) {
        const char *colon = strrchr(listen, ':');
        if (!colon) {
                log_error("http.listen = %s: expected HOST:PORT", listen);
                return NULL;
        }
        char host[64];
        size_t hl = (size_t)(colon - listen);
        if (hl >= sizeof(host)) {
                log_error("http.listen = %s: host too long", listen);
                return NULL;
        }
        memcpy(host, listen, hl);
        host[hl] = '\0';
        struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1)) };
        if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
                log_error("http.listen = %s: %s is not an IPv4 address", listen, host);
                return NULL;
        }
        struct http_server *s = calloc(1, sizeof(*s));
        if (!s)
                return NULL;
        s->metrics = m;
        s->stall_ms = stall_ms;
        s->mhd = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, on_request, s,
                                  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
                                  MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
                                  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
        if (!s->mhd) {
                log_error("cannot listen on %s for /metrics (address in use?)", listen);
                free(s);
                return NULL;
        }
        const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
        s->port = info ? info->port : ntohs(addr.sin_port);
        log_info("metrics and health on http://%s:%u/metrics", host, (unsigned)s->port);
        return s;
}

uint16_t http_server_port(const struct http_server *s) {
        return s->port;
}

void http_server_stop(struct http_server *s) {
        if (!s)
                return;
        MHD_stop_daemon(s->mhd);
        free(s);
}
