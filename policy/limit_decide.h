/*
 * limit_decide.h - a policy request's answer from the limits and Redis
 */
#ifndef WAYPOST_LIMIT_DECIDE_H
#define WAYPOST_LIMIT_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy_config.h"
#include "policy_request.h"
#include "recipient_domains.h"
#include "redis_link.h"

#define POLICY_ACTION_MAX 512

struct limit_decision;

/* The answer, "DUNNO" or an action; called once unless forgotten. */
typedef void (*limit_answer)(void *context, const char *action);

void limits_install(const struct policy_config *config,
    struct policy_config *previous, struct redis_link *link);
void limits_shutdown(void);
struct limit_decision *limits_decide(const struct policy_request *request,
    const struct recipient_domains *seen, limit_answer answer, void *context,
    char *action, size_t action_size);
void limits_forget(struct limit_decision *decision);

#endif
