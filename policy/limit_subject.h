/*
 * limit_subject.h - what a limit counts a request under
 */
#ifndef WAYPOST_LIMIT_SUBJECT_H
#define WAYPOST_LIMIT_SUBJECT_H

#include <stdbool.h>

#include "buffer.h"
#include "policy_config.h"
#include "policy_request.h"

bool limit_subject(const struct limit_section *limit,
    const struct policy_section *policy, const struct policy_request *request,
    const char *recipient, struct buffer *subject);

#endif
