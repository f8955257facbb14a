/* The service manager protocol (sd_notify): readiness, status, watchdog,
 * reload and stop notifications. Every call is a no-op when the process was
 * not started by systemd with Type=notify ($NOTIFY_SOCKET unset), so the
 * same code runs in a terminal and under systemd. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct notifier {
        uint64_t watchdog_usec;     /* 0: no watchdog requested */
        uint64_t last_ping_usec;
        uint64_t last_status_usec;
        uint64_t status_interval_usec;
};

void notifier_init(struct notifier *n, uint64_t status_interval_usec);

void notify_ready(void);
/* RELOADING=1 with MONOTONIC_USEC, as systemd 253's notify-reload expects
 * (harmless for Type=notify on older versions). */
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Asks for more time for the current start or stop phase. */
void notify_extend_timeout(uint64_t usec);

/* Pings the watchdog when half its interval has passed since the last ping.
 * Called by the processing loop only when it is healthy, so a wedged loop
 * stops the pings and systemd restarts the service. */
void notifier_watchdog(struct notifier *n);
/* True when a STATUS= update is due (every status_interval). */
bool notifier_status_due(struct notifier *n);

uint64_t notify_now_usec(void);
