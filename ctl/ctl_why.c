/*
 * NAME
 *	ctl_why - waypostctl why: what waypost-policyd would answer, and why
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_why(ctl, argc, argv)
 * DESCRIPTION
 *	why USER SENDER RECIPIENT [CLIENT] makes the request smtpd sends
 *	at RCPT (protocol_state RCPT, no queue ID, instance, size or
 *	recipient count yet; USER "-" for a client that did not log in,
 *	SENDER "<>" for the null sender, no CLIENT for none) and decides
 *	it as waypost-policyd does, with its code
 *	(policy/policy_decide.c's decide_dry_run()): the relay and
 *	account checks made in C, then one call of decide_script.lua, but
 *	as a dry run, which charges nothing and writes nothing, and says
 *	how every check and limit stands. ctl_why_report.c prints it.
 *
 *	The limits and checks are those of the whole waypost.conf (-c):
 *	[policy], every [limit] and [warmup], identities_file, loaded and
 *	checked as waypost-policyd loads them.
 *
 *	Exit status: as every command (ctl_main.c); EX_TEMPFAIL, after the
 *	report, when Redis did not answer the script (the answer shown is
 *	then the one fail_mode gives).
 * SECURITY
 *	Every argument is checked before the request is made
 *	(ctl_args.c): no line break can add an attribute. The script runs
 *	with EVAL, as waypost-policyd's runs, with every key and argument
 *	binary-safe. Log lines of the decision are not printed.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_file.h"
#include "ctl_why.h"
#include "decide_script.h"
#include "log.h"
#include "xmalloc.h"

static int
usage(void)
{
	return ctl_fail(EX_USAGE,
	    "usage: waypostctl why USER SENDER RECIPIENT [CLIENT] (USER \"-\": "
	    "none; SENDER \"<>\": the null sender)");
}

static int
read_arguments(int argc, char **argv, struct ctl_why *why)
{
	char error[CTL_ERROR_MAX];

	if (argc < 3 || argc > 4)
		return usage();
	why->user = strcmp(argv[0], "-") == 0 ? "" : argv[0];
	why->sender = strcmp(argv[1], "<>") == 0 ? "" : argv[1];
	why->recipient = argv[2];
	why->client = argc == 4 ? argv[3] : "";
	if ((why->user[0] != '\0' &&
	        !ctl_parse_value(why->user, "user", error, sizeof(error))) ||
	    (why->sender[0] != '\0' && !ctl_parse_value(why->sender, "sender",
	                                   error, sizeof(error))) ||
	    !ctl_parse_value(
	        why->recipient, "recipient", error, sizeof(error)) ||
	    (why->client[0] != '\0' &&
	        !ctl_parse_client(why->client, error, sizeof(error))))
		return ctl_fail(EX_DATAERR, "%s", error);
	return EX_OK;
}

/* The request as smtpd writes it at RCPT, parsed by the daemon's own
 * parser; block must outlive it. */
static int
make_request(struct ctl_why *why, struct buffer *block)
{
	char error[CTL_ERROR_MAX];

	buffer_printf(block,
	    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
	    "protocol_name=ESMTP\nclient_address=%s\nsender=%s\n"
	    "recipient=%s\nrecipient_count=0\nsize=0\nsasl_method=%s\n"
	    "sasl_username=%s\n\n",
	    why->client, why->sender, why->recipient,
	    why->user[0] != '\0' ? "PLAIN" : "", why->user);
	if (!policy_request_parse(block->data, block->length, &why->request,
	        error, sizeof(error)))
		return ctl_fail(EX_DATAERR, "not a request: %s", error);
	return EX_OK;
}

static int
config_failed(struct config_errors *errors, const char *path)
{
	return ctl_fail(EX_CONFIG, "%s%s",
	    errors->count ? errors->text[0] : path,
	    errors->count + errors->dropped > 1 ? " (and more errors)" : "");
}

/* waypost.conf as waypost-policyd loads it, with its identities_file. */
static int
load_policy(const char *path, struct policy_config **config,
    struct identity_file *identities)
{
	struct config_errors *errors = xcalloc(1, sizeof(*errors));
	int status = EX_OK;

	*config = config_load_file(&policy_schema, path, errors);
	if (*config == NULL)
		status = config_failed(errors, path);
	else {
		policy_config_check(*config, errors);
		if (errors->count + errors->dropped > 0 ||
		    ((*config)->policy.identities_file != NULL &&
		        !identity_file_load((*config)->policy.identities_file,
		            identities, errors)))
			status = config_failed(errors, path);
	}
	free(errors);
	return status;
}

/* decide_dry_run()'s call of the script: EVAL, on waypostctl's
 * connection. */
static struct redisReply *
evaluate(
    void *context, const struct script_words *words, char *why, size_t why_size)
{
	struct ctl *ctl = context;
	const char **argv = xcalloc(words->count + 2, sizeof(*argv));
	size_t *lengths = xcalloc(words->count + 2, sizeof(*lengths));
	const char *at = words->text.data;
	redisReply *reply;

	argv[0] = "EVAL";
	lengths[0] = 4;
	argv[1] = decide_script;
	lengths[1] = strlen(decide_script);
	for (size_t i = 0; i < words->count; i++) {
		argv[i + 2] = at;
		lengths[i + 2] = words->lengths[i];
		at += words->lengths[i];
	}
	reply = redisCommandArgv(
	    ctl->connection, (int)words->count + 2, argv, lengths);
	if (reply == NULL)
		snprintf(why, why_size, "%s", ctl->connection->errstr);
	free(argv);
	free(lengths);
	return reply;
}

int
ctl_why(struct ctl *ctl, int argc, char **argv)
{
	struct ctl_why why = {0};
	struct policy_config *config = NULL;
	struct identity_file identities = {0};
	struct buffer block = {0};
	int status = read_arguments(argc, argv, &why);

	if (status == EX_OK)
		status = make_request(&why, &block);
	if (status == EX_OK)
		status = load_policy(ctl->config_path, &config, &identities);
	if (status == EX_OK)
		status = ctl_connect(ctl);
	if (status == EX_OK) {
		enum log_level level = log_get_level();

		why.config = config;
		log_set_level(LOG_LEVEL_PANIC);
		decide_dry_run(
		    config, &identities, &why.request, evaluate, ctl, &why.run);
		log_set_level(level);
		ctl_why_report(ctl, &why);
		if (why.run.stage == DECIDE_ASKS_REDIS &&
		    why.run.answer.outcome == SCRIPT_UNAVAILABLE)
			status = ctl_fail(EX_TEMPFAIL,
			    "Redis did not answer the dry run: %.300s",
			    why.run.answer.reason);
		decide_dry_run_free(&why.run);
	}
	identity_file_free(&identities);
	if (config != NULL)
		config_free(&policy_schema, config);
	buffer_free(&block);
	return status;
}
