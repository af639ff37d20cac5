/*
 * config_errors.h - the errors of one configuration load, bounded
 */
#ifndef WAYPOST_CONFIG_ERRORS_H
#define WAYPOST_CONFIG_ERRORS_H

#include <stdarg.h>
#include <stddef.h>

#define CONFIG_ERRORS_MAX     32
#define CONFIG_ERROR_TEXT_MAX 512

struct config_errors {
	size_t count;
	size_t dropped;
	char text[CONFIG_ERRORS_MAX][CONFIG_ERROR_TEXT_MAX];
};

void config_errors_add(struct config_errors *errors, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
void config_errors_vadd_at(struct config_errors *errors, const char *file,
    int line, const char *format, va_list ap)
    __attribute__((format(printf, 4, 0)));

#endif
