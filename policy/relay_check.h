/*
 * relay_check.h - no open relay: who may send to which recipients
 */
#ifndef WAYPOST_RELAY_CHECK_H
#define WAYPOST_RELAY_CHECK_H

#include <stdbool.h>

#include "policy_config.h"
#include "policy_request.h"

#define RELAY_DENIED_ACTION "REJECT 5.7.1 Relay access denied"

bool client_trusted(
    const struct policy_section *policy, const struct policy_request *request);
bool recipient_local(const struct policy_section *policy, const char *address);
bool relay_denied(
    const struct policy_section *policy, const struct policy_request *request);

#endif
