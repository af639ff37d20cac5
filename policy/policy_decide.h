/*
 * policy_decide.h - a policy request's answer from the limits and Redis
 */
#ifndef WAYPOST_POLICY_DECIDE_H
#define WAYPOST_POLICY_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "policy_config.h"
#include "policy_request.h"
#include "recipient_domains.h"
#include "redis_link.h"
#include "swap_slot.h"

#define POLICY_ACTION_MAX 512

struct decision;

/* The answer, "DUNNO" or an action; called once unless forgotten. */
typedef void (*decide_answer)(void *context, const char *action);

struct swap_item *decide_build(
    const void *config, struct config_errors *errors);
void decide_start(struct redis_link *link);
void decide_shutdown(void);
struct decision *decide(const struct policy_request *request,
    const struct recipient_domains *seen, decide_answer answer, void *context,
    char *action, size_t action_size);
void decide_forget(struct decision *decision);

#endif
