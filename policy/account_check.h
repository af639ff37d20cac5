/*
 * account_check.h - sender ownership, suspension, compromise, warm-up caps
 */
#ifndef WAYPOST_ACCOUNT_CHECK_H
#define WAYPOST_ACCOUNT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "domain_list.h"
#include "policy_config.h"
#include "policy_request.h"
#include "script_call.h"
#include "sender_identity.h"

struct account_check {
	unsigned asked;                   /* SCRIPT_ASKS_* */
	char user[IDENTITY_USER_MAX + 1]; /* lower case; "" none or unusable */
	bool has_sender;                  /* sender holds its members */
	struct identity_members sender;
	const struct warmup_section *warmup;
	char warmup_subject[DOMAIN_NAME_MAX + 1];
	const char *tenant;                       /* user, else sender */
	char recipient[IDENTITY_ADDRESS_MAX + 1]; /* folded; "" none */
};

bool account_check_prepare(const struct policy_config *config,
    const struct identity_file *identities,
    const struct policy_request *request, struct account_check *check,
    const char *queue_id, char *action, size_t action_size);
void account_check_call(const struct account_check *check,
    const struct policy_config *config, const struct policy_request *request,
    struct script_call *call);
/* The check an outcome names, as the metrics say it ("suspended"...). */
const char *account_check_name(enum script_outcome outcome);
bool account_check_answer(const struct account_check *check,
    const struct policy_config *config, const char *queue_id,
    const struct script_answer *answer, char *action, size_t action_size);

#endif
