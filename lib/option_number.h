/*
 * option_number.h - a command-line number within bounds, or exit 2
 */
#ifndef WAYPOST_OPTION_NUMBER_H
#define WAYPOST_OPTION_NUMBER_H

long option_number(
    const char *program, const char *text, long minimum, long maximum);

#endif
