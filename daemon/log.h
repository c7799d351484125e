/*
 * log.h — fieldsyncd's log: levels, to stderr with timestamps or to the
 * systemd journal. Thread-safe (one write per message).
 */
#ifndef FSY_LOG_H
#define FSY_LOG_H

#include <stdarg.h>

#include "config.h"

typedef struct fsy_log {
	fsy_log_level_t level;    /* messages above it are dropped */
	fsy_log_target_t target;  /* where they go */
} fsy_log_t;

/* Writes one message of the given level (printf format). To stderr:
 * "2024-05-01T08:00:00.123Z fieldsyncd[42] warn: message". To the
 * journal: the message with the matching syslog priority. */
void fsy_log(const fsy_log_t *log, fsy_log_level_t level, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/* As fsy_log with a va_list. */
void fsy_logv(const fsy_log_t *log, fsy_log_level_t level, const char *fmt,
    va_list ap) __attribute__((format(printf, 3, 0)));

#endif /* FSY_LOG_H */
