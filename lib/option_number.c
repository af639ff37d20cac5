/*
 * NAME
 *	option_number - a command-line number within bounds, or exit 2
 * SYNOPSIS
 *	#include "option_number.h"
 *
 *	long option_number(program, text, minimum, maximum)
 * DESCRIPTION
 *	For the test and load tools' options (-c 8, -n 1000): text as a
 *	decimal number from minimum to maximum; anything else is a usage
 *	error, said on standard error with the program's name, and the
 *	program exits with status 2.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "option_number.h"

long
option_number(const char *program, const char *text, long minimum, long maximum)
{
	char *end;
	long value = strtol(text, &end, 10);

	if (*text == '\0' || *end != '\0' || value < minimum ||
	    value > maximum) {
		fprintf(stderr, "%s: \"%s\" is not a number from %ld to %ld\n",
		    program, text, minimum, maximum);
		exit(2);
	}
	return value;
}
