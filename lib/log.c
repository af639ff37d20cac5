/*
 * NAME
 *	log - Postfix-style logging to syslog or stderr
 * SYNOPSIS
 *	#include "log.h"
 *
 *	void log_open(program, destinations, facility_index)
 *	void log_set_level(minimum)
 *	void log_event(level, queue_id, format, ...)
 *	void log_info(format, ...), log_warning(...), ...
 *	void log_fatal(format, ...), log_panic(format, ...)
 * DESCRIPTION
 *	One call writes one line, shaped like Postfix's own:
 *
 *	    waypost-dkim[4711]: 4F1A2B3C4D: signed with s1._domainkey.example.com
 *	    waypost-dkim[4711]: 4F1A2B3C4D: warning: key file is world-readable
 *
 *	The queue ID comes first whenever the caller knows it (log_event()
 *	with a non-NULL queue_id), so grep on a queue ID finds every line
 *	of every program about that message. Then comes the level word for
 *	debug, warning, error, fatal and panic lines, as in Postfix.
 *
 *	The whole line, queue ID included, goes through text_escape(): no
 *	byte that came from a peer can start a new line or smuggle a
 *	terminal escape. Lines are cut at LOG_LINE_MAX with "..." at the end.
 *
 *	LOG_TO_SYSLOG writes with openlog(LOG_PID) to the configured
 *	facility (mail by default); LOG_TO_STDERR (foreground mode) writes
 *	the same text with "program[pid]: " in front, one write(2) per line
 *	so lines from several threads never interleave. Both may be on at
 *	once: a daemon starting in the background reports errors to the
 *	terminal too until it detaches.
 *
 *	log_fatal() logs and exits with status 1 (bad configuration, broken
 *	environment); log_panic() logs and aborts (a bug in Waypost).
 * SECURITY
 *	Safe to call from several threads; not async-signal-safe.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "text_copy.h"
#include "text_escape.h"

const char *const log_level_names[] = {
    "debug",
    "info",
    "notice",
    "warning",
    "error",
    NULL,
};

const char *const log_facility_names[] = {
    "mail",
    "daemon",
    "user",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
    NULL,
};

static const int facility_codes[] = {
    LOG_MAIL,
    LOG_DAEMON,
    LOG_USER,
    LOG_LOCAL0,
    LOG_LOCAL1,
    LOG_LOCAL2,
    LOG_LOCAL3,
    LOG_LOCAL4,
    LOG_LOCAL5,
    LOG_LOCAL6,
    LOG_LOCAL7,
};

static char program_name[64] = "waypost";
static int destinations = LOG_TO_STDERR;
static atomic_int minimum_level = LOG_LEVEL_INFO;

void
log_open(const char *program, int where, int facility_index)
{
	int facility = LOG_MAIL;

	text_copy(program_name, sizeof(program_name), program);
	destinations = where;
	if (facility_index >= 0 &&
	    (size_t)facility_index <
	        sizeof(facility_codes) / sizeof(facility_codes[0]))
		facility = facility_codes[facility_index];
	closelog();
	if (where & LOG_TO_SYSLOG) {
		openlog(program_name, LOG_PID | LOG_NDELAY, facility);
	}
}

void
log_set_level(enum log_level minimum)
{
	atomic_store(&minimum_level, (int)minimum);
}

enum log_level
log_get_level(void)
{
	return (enum log_level)atomic_load(&minimum_level);
}

bool
log_enabled(enum log_level level)
{
	return (int)level >= atomic_load(&minimum_level);
}

const char *
log_program(void)
{
	return program_name;
}

static const char *
level_prefix(enum log_level level)
{
	switch (level) {
	case LOG_LEVEL_DEBUG:
		return "debug: ";
	case LOG_LEVEL_WARNING:
		return "warning: ";
	case LOG_LEVEL_ERROR:
		return "error: ";
	case LOG_LEVEL_FATAL:
		return "fatal: ";
	case LOG_LEVEL_PANIC:
		return "panic: ";
	default:
		return "";
	}
}

static int
syslog_priority(enum log_level level)
{
	static const int priorities[] = {
	    LOG_DEBUG,
	    LOG_INFO,
	    LOG_NOTICE,
	    LOG_WARNING,
	    LOG_ERR,
	    LOG_CRIT,
	    LOG_CRIT,
	};

	return priorities[level];
}

static void log_write(enum log_level level, const char *queue_id,
    const char *format, va_list ap) __attribute__((format(printf, 3, 0)));

static void
log_write(
    enum log_level level, const char *queue_id, const char *format, va_list ap)
{
	char raw[LOG_LINE_MAX];
	char escaped[LOG_LINE_MAX];
	char line[LOG_LINE_MAX + sizeof(program_name) + 32];
	int saved_errno = errno;
	size_t used = 0;
	size_t consumed;
	int length;
	bool truncated = false;

	if (queue_id != NULL && *queue_id != '\0')
		used = (size_t)snprintf(raw, sizeof(raw), "%.64s: ", queue_id);
	used += text_copy(raw + used, sizeof(raw) - used, level_prefix(level));
	length = vsnprintf(raw + used, sizeof(raw) - used, format, ap);
	if (length < 0)
		length = snprintf(raw + used, sizeof(raw) - used,
		    "(unformattable log message)");
	if ((size_t)length >= sizeof(raw) - used)
		truncated = true;
	used = strlen(raw);
	consumed = text_escape(escaped, sizeof(escaped) - 3, raw, used);
	if (consumed < used || truncated)
		strcat(escaped, "...");

	if (destinations & LOG_TO_SYSLOG)
		syslog(syslog_priority(level), "%s", escaped);
	if (destinations & LOG_TO_STDERR) {
		length = snprintf(line, sizeof(line), "%s[%ld]: %s\n",
		    program_name, (long)getpid(), escaped);
		if (length > 0 && (size_t)length < sizeof(line) &&
		    write(STDERR_FILENO, line, (size_t)length) < 0) {
			/* Nowhere left to report a failed write to stderr. */
		}
	}
	errno = saved_errno;
}

void
log_event(enum log_level level, const char *queue_id, const char *format, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, format);
	log_write(level, queue_id, format, ap);
	va_end(ap);
}

#define LOG_SHORTHAND(function, level)                                         \
	void function(const char *format, ...)                                 \
	{                                                                      \
		va_list ap;                                                    \
                                                                               \
		if (!log_enabled(level))                                       \
			return;                                                \
		va_start(ap, format);                                          \
		log_write(level, NULL, format, ap);                            \
		va_end(ap);                                                    \
	}

LOG_SHORTHAND(log_debug, LOG_LEVEL_DEBUG)
LOG_SHORTHAND(log_info, LOG_LEVEL_INFO)
LOG_SHORTHAND(log_notice, LOG_LEVEL_NOTICE)
LOG_SHORTHAND(log_warning, LOG_LEVEL_WARNING)
LOG_SHORTHAND(log_error, LOG_LEVEL_ERROR)

void
log_fatal(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	log_write(LOG_LEVEL_FATAL, NULL, format, ap);
	va_end(ap);
	exit(1);
}

void
log_panic(const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	log_write(LOG_LEVEL_PANIC, NULL, format, ap);
	va_end(ap);
	abort();
}
