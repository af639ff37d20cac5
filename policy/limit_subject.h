/*
 * limit_subject.h - what a limit counts a request under
 */
#ifndef WAYPOST_LIMIT_SUBJECT_H
#define WAYPOST_LIMIT_SUBJECT_H

#include <stdbool.h>

#include "buffer.h"
#include "policy_config.h"
#include "policy_request.h"

#define LIMIT_SUBJECT_TEXT_MAX 1024 /* an operator's subject, bytes */

bool limit_subject(const struct limit_section *limit,
    const struct policy_section *policy, const struct policy_request *request,
    const char *recipient, struct buffer *subject);
bool limit_subject_parse(const struct limit_section *limit,
    const struct policy_section *policy, const char *text,
    struct buffer *subject);
bool limit_exempt(
    const struct limit_section *limit, const struct policy_request *request);

#endif
