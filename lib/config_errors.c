/*
 * NAME
 *	config_errors - the errors of one configuration load, bounded
 * SYNOPSIS
 *	#include "config_errors.h"
 *
 *	void config_errors_add(errors, format, ...)
 *
 *	void config_errors_vadd_at(errors, file, line, format, ap)
 * DESCRIPTION
 *	Every reader of configuration (the INI file and the tables it
 *	names) adds what it refuses here, one line per error, starting
 *	with the file and line ("FILE:LINE: message"), so that a program
 *	reports every error of a load at once and then refuses it.
 *	config_errors_vadd_at() writes that start itself ("FILE: message"
 *	when line is 0), for the readers' own error functions.
 *
 *	Bounds: at most CONFIG_ERRORS_MAX errors are kept, each cut at
 *	CONFIG_ERROR_TEXT_MAX bytes; the ones after that are only counted,
 *	in dropped.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "config_errors.h"

void
config_errors_add(struct config_errors *errors, const char *format, ...)
{
	va_list ap;

	if (errors->count == CONFIG_ERRORS_MAX) {
		errors->dropped++;
		return;
	}
	va_start(ap, format);
	vsnprintf(
	    errors->text[errors->count], CONFIG_ERROR_TEXT_MAX, format, ap);
	va_end(ap);
	errors->count++;
}

void
config_errors_vadd_at(struct config_errors *errors, const char *file, int line,
    const char *format, va_list ap)
{
	char message[CONFIG_ERROR_TEXT_MAX];

	vsnprintf(message, sizeof(message), format, ap);
	if (line > 0)
		config_errors_add(errors, "%s:%d: %s", file, line, message);
	else
		config_errors_add(errors, "%s: %s", file, message);
}
