/*
 * account_check.h - sender ownership, suspension, compromise, warm-up caps
 */
#ifndef WAYPOST_ACCOUNT_CHECK_H
#define WAYPOST_ACCOUNT_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "domain_list.h"
#include "policy_config.h"
#include "policy_request.h"
#include "script_words.h"
#include "sender_identity.h"

/* The checks asked of Redis; decide_script.lua's letters. */
#define ACCOUNT_SUSPENSION 0x1u /* s */
#define ACCOUNT_OWNERSHIP  0x2u /* o */
#define ACCOUNT_COMPROMISE 0x4u /* c */
#define ACCOUNT_WARMUP     0x8u /* w */

#define ACCOUNT_KEYS      6  /* KEYS[2..7] of decide_script.lua */
#define ACCOUNT_ARGUMENTS 10 /* ARGV[4..13] */
/* Each daily cap of a warm-up schedule, right-aligned, in ARGV[13]: as
 * wide as WARMUP_CAP_MAX and "unlimited". */
#define ACCOUNT_CAP_WIDTH 10

struct account_check {
	unsigned asked;
	char user[IDENTITY_USER_MAX + 1]; /* lower case; "" none or unusable */
	bool has_sender;                  /* sender holds its members */
	struct identity_members sender;
	const struct warmup_section *warmup;
	char warmup_subject[DOMAIN_NAME_MAX + 1];
};

bool account_check_prepare(const struct policy_config *config,
    const struct identity_file *identities,
    const struct policy_request *request, struct account_check *check,
    const char *queue_id, char *action, size_t action_size);
void account_check_keys(const struct account_check *check, const char *prefix,
    struct script_words *words);
void account_check_arguments(const struct account_check *check,
    const struct policy_config *config, const struct policy_request *request,
    struct script_words *words);
bool account_check_reply(const struct account_check *check,
    const struct policy_config *config, const char *queue_id,
    const redisReply *reply, char *action, size_t action_size);

#endif
