/*
 * NAME
 *	event_log - libevent's own messages, through our logger
 * SYNOPSIS
 *	#include "event_log.h"
 *
 *	void event_log_route(void)
 * DESCRIPTION
 *	libevent writes its warnings ("Error from accept() call: ...") to
 *	standard error with no program name, where syslog never sees
 *	them. event_log_route() sends them through log.c instead, as
 *	"libevent: " and the message, at the matching level (libevent's
 *	debug messages only when debug logging is on); a fatal error of
 *	libevent's is logged before libevent ends the process.
 *
 *	A daemon that uses libevent calls it once, before its first event
 *	base.
 * SECURITY
 *	The messages go through log.c's escaping like every other line.
 */
#include "config.h"

#include <event2/event.h>

#include "event_log.h"
#include "log.h"

static void
event_message(int severity, const char *message)
{
	enum log_level level;

	switch (severity) {
	case EVENT_LOG_DEBUG:
		level = LOG_LEVEL_DEBUG;
		break;
	case EVENT_LOG_MSG:
		level = LOG_LEVEL_INFO;
		break;
	case EVENT_LOG_WARN:
		level = LOG_LEVEL_WARNING;
		break;
	default:
		level = LOG_LEVEL_ERROR;
		break;
	}
	log_event(level, NULL, "libevent: %s", message);
}

static void
event_fatal(int error)
{
	log_error("libevent: fatal error %d: stopping", error);
}

void
event_log_route(void)
{
	event_set_log_callback(event_message);
	event_set_fatal_callback(event_fatal);
}
