/* log.c — levelled log lines to stderr or the journal (see log.h). */
#include <stdio.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#ifdef FSY_HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "log.h"

static const int priorities[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void
fsy_logv(const fsy_log_t *log, fsy_log_level_t level, const char *fmt,
    va_list ap)
{
	char msg[1024], ts[32];
	struct timeval tv;
	struct tm tm;

	if (level > log->level || (unsigned)level > FSY_LOG_DEBUG)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
#ifdef FSY_HAVE_SYSTEMD
	if (log->target == FSY_LOGT_JOURNAL) {
		sd_journal_print(priorities[level], "%s", msg);
		return;
	}
#else
	(void)priorities;
#endif
	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	fprintf(stderr, "%s.%03dZ fieldsyncd[%ld] %s: %s\n", ts,
	    (int)(tv.tv_usec / 1000), (long)getpid(),
	    fsy_config_log_level_name(level), msg);
}

void
fsy_log(const fsy_log_t *log, fsy_log_level_t level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fsy_logv(log, level, fmt, ap);
	va_end(ap);
}
