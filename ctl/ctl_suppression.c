/*
 * NAME
 *	ctl_suppression - waypostctl suppression add and remove
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_suppression(ctl, argc, argv)
 * DESCRIPTION
 *	The keys waypost-trackd writes when a recipient bounces for good
 *	and waypost-policyd's suppression check reads at RCPT: the string
 *	"suppressed:TENANT:ADDRESS" (one tenant) or "suppressed-any:ADDRESS"
 *	(every tenant), holding "SINCE REASON", SINCE in Unix seconds.
 *
 *	suppression add ADDRESS --tenant T|--any --reason TEXT [--for
 *	DURATION] sets it, since now, with an expiry when --for is given
 *	(replacing the suppression there was); suppression remove ADDRESS
 *	--tenant T|--any deletes it. Each is one transaction with its
 *	audit entry (ctl_redis.c), whose before and after are "since TIME:
 *	REASON", followed by " (until TIME)" when it expires; a remove of
 *	what is not suppressed changes nothing and writes no entry.
 *
 *	Addresses and tenants are written as the daemons write them, in
 *	lower case (ctl_args.c). list and why are ctl_suppression_list.c.
 * SECURITY
 *	The reason is checked (ctl_args.c): it reaches SMTP clients in
 *	the refusal.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"

#define ENTRY_MAX (CTL_REASON_MAX + 128)

struct suppression {
	bool any;
	bool tenant_given;
	char tenant[IDENTITY_USER_MAX + 1];
	char address[IDENTITY_ADDRESS_MAX + 1];
	const char *reason; /* add: the new one */
	long long for_ms;   /* add: 0 until removed */
	char value[ENTRY_MAX];
	bool was;
	char shown[IDENTITY_ADDRESS_MAX + IDENTITY_USER_MAX + 32];
	char before[ENTRY_MAX + 64], after[ENTRY_MAX + 64];
	struct buffer key;
};

/* An entry as "since TIME: REASON (until TIME)". */
static void
describe(char *out, size_t size, const char *entry, long long milliseconds)
{
	char since_text[32] = "", until[40] = "";
	long long since;
	const char *reason = ctl_suppression_split(entry, &since);

	if (since > 0) {
		char when[24];

		ctl_format_time(since, when, sizeof(when));
		snprintf(since_text, sizeof(since_text), "since %s: ", when);
	}
	if (milliseconds > 0) {
		char when[24];

		ctl_format_time(time(NULL) + (milliseconds + 999) / 1000, when,
		    sizeof(when));
		snprintf(until, sizeof(until), " (until %s)", when);
	}
	snprintf(out, size, "%s%s%s", since_text, reason, until);
}

static int
read_before(struct ctl *ctl, struct suppression *suppression)
{
	char *entry;
	long long ttl_ms;
	int status = ctl_get_string(
	    ctl, buffer_text(&suppression->key), &entry, &ttl_ms);

	if (status == EX_OK) {
		suppression->was = entry != NULL;
		describe(suppression->before, sizeof(suppression->before),
		    suppression->was ? entry : "", ttl_ms);
		if (!suppression->was)
			suppression->before[0] = '\0';
	}
	free(entry);
	return status;
}

static int
prepare_add(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct suppression *suppression = context;
	int status = read_before(ctl, suppression);

	snprintf(suppression->value, sizeof(suppression->value), "%lld %s",
	    (long long)time(NULL), suppression->reason);
	describe(suppression->after, sizeof(suppression->after),
	    suppression->value, suppression->for_ms);
	change->command = "suppression add";
	change->subject = suppression->shown;
	change->before = suppression->before;
	change->after = suppression->after;
	return status;
}

static void
writes_add(struct ctl *ctl, void *context)
{
	struct suppression *suppression = context;
	char milliseconds[24];

	snprintf(
	    milliseconds, sizeof(milliseconds), "%lld", suppression->for_ms);
	ctl_append(ctl, suppression->for_ms > 0 ? 5 : 3,
	    (const char *[]){"SET", buffer_text(&suppression->key),
	        suppression->value, "PX", milliseconds},
	    NULL);
}

static int
prepare_remove(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct suppression *suppression = context;
	int status = read_before(ctl, suppression);

	if (status == EX_OK && !suppression->was)
		return ctl_unchanged(ctl);
	change->command = "suppression remove";
	change->subject = suppression->shown;
	change->before = suppression->before;
	change->after = "";
	return status;
}

static void
writes_remove(struct ctl *ctl, void *context)
{
	struct suppression *suppression = context;

	ctl_append(ctl, 2,
	    (const char *[]){"DEL", buffer_text(&suppression->key)}, NULL);
}

static int
run(struct ctl *ctl, struct suppression *suppression, ctl_prepare prepare,
    ctl_writes writes)
{
	int status = ctl_connect(ctl);

	if (suppression->any) {
		snprintf(suppression->shown, sizeof(suppression->shown),
		    "%s (every tenant)", suppression->address);
		ctl_key(ctl, &suppression->key, REDIS_KEY_SUPPRESSED_ANY,
		    suppression->address);
	} else {
		snprintf(suppression->shown, sizeof(suppression->shown),
		    "%s (tenant %s)", suppression->address,
		    suppression->tenant);
		ctl_key_pair(ctl, &suppression->key, REDIS_KEY_SUPPRESSED,
		    suppression->tenant, suppression->address);
	}
	if (status == EX_OK)
		status = ctl_change_run(ctl, buffer_text(&suppression->key),
		    "string", prepare, writes, suppression);
	buffer_free(&suppression->key);
	return status;
}

/* One option of add or remove, with its value when it takes one; the
 * arguments it used, or 0 after ctl_fail(). */
static int
option(const char *verb, bool add, int argc, char **argv,
    struct suppression *suppression, int *status)
{
	char error[CTL_ERROR_MAX];

	if (strcmp(argv[0], "--any") == 0) {
		suppression->any = true;
		return 1;
	}
	if (strcmp(argv[0], "--tenant") != 0 &&
	    (!add || (strcmp(argv[0], "--reason") != 0 &&
	                 strcmp(argv[0], "--for") != 0))) {
		*status = ctl_fail(EX_USAGE,
		    "suppression %s: unknown option \"%.100s\"", verb, argv[0]);
		return 0;
	}
	if (argc < 2) {
		*status = ctl_fail(EX_USAGE, "suppression %s: %s needs a value",
		    verb, argv[0]);
		return 0;
	}
	if (strcmp(argv[0], "--tenant") == 0) {
		suppression->tenant_given = true;
		if (ctl_parse_user(argv[1], suppression->tenant,
		        sizeof(suppression->tenant), error, sizeof(error)))
			return 2;
	} else if (strcmp(argv[0], "--reason") == 0) {
		suppression->reason = argv[1];
		if (ctl_parse_reason(argv[1], error, sizeof(error)))
			return 2;
	} else if (ctl_parse_for(
	               argv[1], &suppression->for_ms, error, sizeof(error)))
		return 2;
	*status = ctl_fail(EX_DATAERR, "suppression %s: %s", verb, error);
	return 0;
}

static int
options(const char *verb, bool add, int argc, char **argv,
    struct suppression *suppression)
{
	int status = EX_OK;

	for (int i = 0; i < argc;) {
		int used =
		    option(verb, add, argc - i, argv + i, suppression, &status);

		if (used == 0)
			return status;
		i += used;
	}
	if (suppression->any == suppression->tenant_given)
		return ctl_fail(EX_USAGE,
		    "suppression %s: give --tenant TENANT or --any (every "
		    "tenant), one of them",
		    verb);
	if (add && suppression->reason == NULL)
		return ctl_fail(
		    EX_USAGE, "suppression add: --reason TEXT is required");
	return EX_OK;
}

static json_t *
result(const struct suppression *suppression)
{
	json_t *object = json_object();

	json_object_set_new(
	    object, "address", json_string(suppression->address));
	json_object_set_new(object, "tenant",
	    suppression->any ? json_null() : json_string(suppression->tenant));
	return object;
}

static int
add(struct ctl *ctl, struct suppression *suppression)
{
	char human[ENTRY_MAX * 4];
	json_t *object;
	int status = run(ctl, suppression, prepare_add, writes_add);

	if (status != EX_OK)
		return status;
	object = result(suppression);
	json_object_set_new(object, "reason", json_string(suppression->reason));
	json_object_set_new(object, "expires_in",
	    suppression->for_ms > 0 ? json_integer(suppression->for_ms / 1000)
	                            : json_null());
	json_object_set_new(object, "replaced",
	    suppression->was ? json_string(suppression->before) : json_null());
	snprintf(human, sizeof(human), "%s suppressed %s", suppression->shown,
	    suppression->after);
	ctl_result(ctl, object, human);
	return EX_OK;
}

static int
remove_one(struct ctl *ctl, struct suppression *suppression)
{
	char human[ENTRY_MAX * 4];
	json_t *object;
	int status = run(ctl, suppression, prepare_remove, writes_remove);

	if (status != EX_OK)
		return status;
	object = result(suppression);
	json_object_set_new(object, "removed", json_boolean(suppression->was));
	json_object_set_new(object, "was",
	    suppression->was ? json_string(suppression->before) : json_null());
	if (suppression->was)
		snprintf(human, sizeof(human),
		    "%s: suppression removed (was: %s)", suppression->shown,
		    suppression->before);
	else
		snprintf(human, sizeof(human), "%s was not suppressed",
		    suppression->shown);
	ctl_result(ctl, object, human);
	return EX_OK;
}

static int
usage(void)
{
	return ctl_fail(EX_USAGE,
	    "usage: waypostctl suppression list [TENANT] | add ADDRESS "
	    "--tenant TENANT|--any [--for DURATION] --reason TEXT | remove "
	    "ADDRESS --tenant TENANT|--any | why ADDRESS [--tenant TENANT]");
}

int
ctl_suppression(struct ctl *ctl, int argc, char **argv)
{
	struct suppression *suppression;
	char error[CTL_ERROR_MAX];
	bool adding;
	int status;

	if (argc >= 1 && strcmp(argv[0], "list") == 0)
		return ctl_suppression_list(ctl, argc - 1, argv + 1);
	if (argc >= 1 && strcmp(argv[0], "why") == 0)
		return ctl_suppression_why(ctl, argc - 1, argv + 1);
	if (argc < 2 ||
	    (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "remove") != 0))
		return usage();
	adding = strcmp(argv[0], "add") == 0;
	suppression = calloc(1, sizeof(*suppression));
	if (suppression == NULL)
		return ctl_fail(EX_OSERR, "out of memory");
	if (!ctl_parse_address(argv[1], suppression->address,
	        sizeof(suppression->address), error, sizeof(error)))
		status =
		    ctl_fail(EX_DATAERR, "suppression %s: %s", argv[0], error);
	else
		status =
		    options(argv[0], adding, argc - 2, argv + 2, suppression);
	if (status == EX_OK)
		status = adding ? add(ctl, suppression)
		                : remove_one(ctl, suppression);
	free(suppression);
	return status;
}
