#include "notify.h"

#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>
#include <time.h>

uint64_t notify_now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

void notifier_init(struct notifier *n, uint64_t status_interval_usec) {
        uint64_t usec = 0;
        n->watchdog_usec = sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
        n->last_ping_usec = 0;
        n->last_status_usec = 0;
        n->status_interval_usec = status_interval_usec;
}

void notify_ready(void) {
        sd_notify(0, "READY=1\nSTATUS=running");
}

void notify_reloading(void) {
        sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading the configuration",
                   (unsigned long long)notify_now_usec());
}

void notify_stopping(void) {
        sd_notify(0, "STOPPING=1\nSTATUS=stopping: finishing the records in flight");
}

void notify_status(const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        sd_notifyf(0, "STATUS=%s", buf);
}

void notify_extend_timeout(uint64_t usec) {
        sd_notifyf(0, "EXTEND_TIMEOUT_USEC=%llu", (unsigned long long)usec);
}

void notifier_watchdog(struct notifier *n) {
        if (!n->watchdog_usec)
                return;
        uint64_t now = notify_now_usec();
        if (now - n->last_ping_usec >= n->watchdog_usec / 2) {
                sd_notify(0, "WATCHDOG=1");
                n->last_ping_usec = now;
        }
}

bool notifier_status_due(struct notifier *n) {
        uint64_t now = notify_now_usec();
        if (now - n->last_status_usec >= n->status_interval_usec) {
                n->last_status_usec = now;
                return true;
        }
        return false;
}
