/*
 * log.h - Postfix-style logging to syslog or stderr
 */
#ifndef WAYPOST_LOG_H
#define WAYPOST_LOG_H

#include <stdbool.h>

enum log_level {
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_INFO,
	LOG_LEVEL_NOTICE,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_ERROR,
	LOG_LEVEL_FATAL,
	LOG_LEVEL_PANIC,
};

/* Destinations, may be combined: before a daemon detaches, errors go to
 * the terminal that started it as well as to syslog. */
#define LOG_TO_SYSLOG 0x1
#define LOG_TO_STDERR 0x2

/* The longest log line, escaping included, before "..." marks the cut. */
#define LOG_LINE_MAX 2048

/* Names for the [log] level and facility keys, NULL-terminated. */
extern const char *const log_level_names[];
extern const char *const log_facility_names[];

#define LOG_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

void log_open(const char *program, int destinations, int facility_index);
void log_set_level(enum log_level minimum);
enum log_level log_get_level(void);
bool log_enabled(enum log_level level);
const char *log_program(void);

void log_event(enum log_level level, const char *queue_id, const char *format,
    ...) LOG_PRINTF(3, 4);
void log_debug(const char *format, ...) LOG_PRINTF(1, 2);
void log_info(const char *format, ...) LOG_PRINTF(1, 2);
void log_notice(const char *format, ...) LOG_PRINTF(1, 2);
void log_warning(const char *format, ...) LOG_PRINTF(1, 2);
void log_error(const char *format, ...) LOG_PRINTF(1, 2);
_Noreturn void log_fatal(const char *format, ...) LOG_PRINTF(1, 2);
_Noreturn void log_panic(const char *format, ...) LOG_PRINTF(1, 2);

#endif
