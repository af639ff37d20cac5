/*
 * log_message.h - what one Postfix daemon logged about one queue file
 */
#ifndef WAYPOST_LOG_MESSAGE_H
#define WAYPOST_LOG_MESSAGE_H

#include <stdbool.h>

#include "log_line.h"

enum log_line_kind log_message_parse(
    const char *text, const char *end, struct log_line *line);

#endif
