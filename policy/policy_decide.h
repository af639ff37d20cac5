/*
 * policy_decide.h - a policy request's answer from the limits and Redis
 */
#ifndef WAYPOST_POLICY_DECIDE_H
#define WAYPOST_POLICY_DECIDE_H

#include <stdbool.h>
#include <stddef.h>

#include "account_check.h"
#include "policy_config.h"
#include "policy_request.h"
#include "recipient_domains.h"
#include "redis_link.h"
#include "script_call.h"
#include "script_words.h"
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

/* Where decide() stopped: its answer was made before Redis, or not. */
enum decide_stage {
	DECIDE_NOTHING_TO_ASK, /* DUNNO: no check or limit applies */
	DECIDE_RELAY_DENIED,   /* relay_check.c refused */
	DECIDE_REFUSED_EARLY,  /* account_check.c refused without Redis */
	DECIDE_ASKS_REDIS,     /* the script answered (or could not) */
};

/* A dry run's call of the script: the reply (the caller's to free with
 * freeReplyObject()), or NULL with why. */
typedef struct redisReply *(*decide_eval)(void *context,
    const struct script_words *words, char *why, size_t why_size);

struct decide_dry_run {
	enum decide_stage stage;
	struct account_check check;        /* the checks asked, of whom */
	size_t count;                      /* the limits that apply */
	size_t *indexes;                   /* into config->limits */
	struct script_limit *limits;       /* subject, max, window, amount */
	struct script_limit_state *states; /* DECIDE_ASKS_REDIS */
	struct script_answer answer;       /* DECIDE_ASKS_REDIS */
	struct script_details details;     /* DECIDE_ASKS_REDIS */
	char action[POLICY_ACTION_MAX];    /* as Postfix would get it */
};

void decide_dry_run(const struct policy_config *config,
    const struct identity_file *identities,
    const struct policy_request *request, decide_eval eval, void *context,
    struct decide_dry_run *run);
void decide_dry_run_free(struct decide_dry_run *run);

#endif
