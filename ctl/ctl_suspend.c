/*
 * NAME
 *	ctl_suspend - waypostctl suspend, lift and suspended
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	int ctl_suspend(ctl, argc, argv)
 *	int ctl_lift(ctl, argc, argv)
 * DESCRIPTION
 *	The keys waypost-policyd's suspension check reads: the string
 *	"suspended:user:USER" or "suspended:domain:DOMAIN" holding the
 *	reason, which the refusal's log line names. suspend USER|@DOMAIN
 *	--reason TEXT [--for DURATION] sets it, with an expiry when --for
 *	is given (replacing a suspension there was, reason and expiry);
 *	lift deletes it. Each is one transaction with its audit entry
 *	(ctl_redis.c), whose before and after are the reason, followed by
 *	" (until TIME)" when it expires; a lift of what is not suspended
 *	changes nothing and writes no entry.
 *
 *	The listing of every suspension is ctl_suspended.c.
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
#include "text_copy.h"

struct suspension {
	struct ctl_subject subject;
	const char *reason;                   /* suspend: the new one */
	long long for_ms;                     /* suspend: 0 until lifted */
	bool was;                             /* there was one */
	char shown[IDENTITY_ADDRESS_MAX + 2]; /* USER or @DOMAIN */
	char before[CTL_REASON_MAX + 64], after[CTL_REASON_MAX + 64];
	struct buffer key;
};

static const char *
kind(const struct ctl_subject *subject)
{
	return subject->domain ? "domain" : "user";
}

/* reason, and " (until TIME)" when it expires in milliseconds. */
static void
describe(char *out, size_t size, const char *reason, long long milliseconds)
{
	char until[40] = "";

	if (milliseconds > 0) {
		time_t end = time(NULL) + (time_t)((milliseconds + 999) / 1000);
		struct tm utc;

		gmtime_r(&end, &utc);
		strftime(
		    until, sizeof(until), " (until %Y-%m-%dT%H:%M:%SZ)", &utc);
	}
	snprintf(out, size, "%s%s", reason, until);
}

/* The suspension there is now into before; was says whether one is. */
static int
read_before(struct ctl *ctl, struct suspension *suspension)
{
	char *reason;
	long long ttl_ms;
	int status = ctl_get_string(
	    ctl, buffer_text(&suspension->key), &reason, &ttl_ms);

	if (status == EX_OK) {
		suspension->was = reason != NULL;
		describe(suspension->before, sizeof(suspension->before),
		    suspension->was ? reason : "", ttl_ms);
	}
	free(reason);
	return status;
}

static int
prepare_suspend(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct suspension *suspension = context;
	int status = read_before(ctl, suspension);

	describe(suspension->after, sizeof(suspension->after),
	    suspension->reason, suspension->for_ms);
	change->command = "suspend";
	change->subject = suspension->shown;
	change->before = suspension->before;
	change->after = suspension->after;
	return status;
}

static void
writes_suspend(struct ctl *ctl, void *context)
{
	struct suspension *suspension = context;
	char milliseconds[24];

	snprintf(
	    milliseconds, sizeof(milliseconds), "%lld", suspension->for_ms);
	ctl_append(ctl, suspension->for_ms > 0 ? 5 : 3,
	    (const char *[]){"SET", buffer_text(&suspension->key),
	        suspension->reason, "PX", milliseconds},
	    NULL);
}

static int
prepare_lift(struct ctl *ctl, void *context, struct ctl_change *change)
{
	struct suspension *suspension = context;
	int status = read_before(ctl, suspension);

	if (status == EX_OK && !suspension->was)
		return ctl_unchanged(ctl);
	change->command = "lift";
	change->subject = suspension->shown;
	change->before = suspension->before;
	change->after = "";
	return status;
}

static void
writes_lift(struct ctl *ctl, void *context)
{
	struct suspension *suspension = context;

	ctl_append(ctl, 2,
	    (const char *[]){"DEL", buffer_text(&suspension->key)}, NULL);
}

/* The subject as the audit entry names it: "@DOMAIN" or USER. */
static void
subject_text(const struct ctl_subject *subject, char *out, size_t size)
{
	snprintf(out, size, "%s%s", subject->domain ? "@" : "", subject->name);
}

static int
run(struct ctl *ctl, struct suspension *suspension, ctl_prepare prepare,
    ctl_writes writes)
{
	int status = ctl_connect(ctl);

	subject_text(
	    &suspension->subject, suspension->shown, sizeof(suspension->shown));
	ctl_key(ctl, &suspension->key,
	    suspension->subject.domain ? REDIS_KEY_SUSPENDED_DOMAIN
	                               : REDIS_KEY_SUSPENDED_USER,
	    suspension->subject.name);
	if (status == EX_OK)
		status = ctl_change_run(ctl, buffer_text(&suspension->key),
		    "string", prepare, writes, suspension);
	buffer_free(&suspension->key);
	return status;
}

/* --reason TEXT and --for DURATION, in any order. */
static int
suspend_options(int argc, char **argv, struct suspension *suspension)
{
	char error[CTL_ERROR_MAX];

	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return ctl_fail(
			    EX_USAGE, "suspend: %s needs a value", argv[i]);
		if (strcmp(argv[i], "--reason") == 0) {
			if (!ctl_parse_reason(
			        argv[i + 1], error, sizeof(error)))
				return ctl_fail(
				    EX_DATAERR, "suspend: %s", error);
			suspension->reason = argv[i + 1];
		} else if (strcmp(argv[i], "--for") == 0) {
			if (!ctl_parse_for(argv[i + 1], &suspension->for_ms,
			        error, sizeof(error)))
				return ctl_fail(
				    EX_DATAERR, "suspend: %s", error);
		} else
			return ctl_fail(EX_USAGE,
			    "suspend: unknown option \"%.100s\"", argv[i]);
	}
	if (suspension->reason == NULL)
		return ctl_fail(EX_USAGE, "suspend: --reason TEXT is required");
	return EX_OK;
}

int
ctl_suspend(struct ctl *ctl, int argc, char **argv)
{
	struct suspension suspension = {0};
	char error[CTL_ERROR_MAX];
	char human[CTL_ERROR_MAX * 2], remaining[32] = "until lifted";
	int status;
	json_t *object;

	if (argc < 1)
		return ctl_fail(EX_USAGE,
		    "usage: waypostctl suspend "
		    "USER|@DOMAIN [--for DURATION] --reason "
		    "TEXT");
	if (!ctl_parse_subject(
	        argv[0], &suspension.subject, error, sizeof(error)))
		return ctl_fail(EX_DATAERR, "suspend: %s", error);
	if ((status = suspend_options(argc - 1, argv + 1, &suspension)) !=
	    EX_OK)
		return status;
	status = run(ctl, &suspension, prepare_suspend, writes_suspend);
	if (status != EX_OK)
		return status;
	object = json_object();
	json_object_set_new(
	    object, "kind", json_string(kind(&suspension.subject)));
	json_object_set_new(
	    object, "subject", json_string(suspension.subject.name));
	json_object_set_new(object, "reason", json_string(suspension.reason));
	json_object_set_new(object, "expires_in",
	    suspension.for_ms > 0 ? json_integer(suspension.for_ms / 1000)
	                          : json_null());
	json_object_set_new(object, "replaced",
	    suspension.was ? json_string(suspension.before) : json_null());
	if (suspension.for_ms > 0) {
		char duration[24];

		ctl_format_remaining(
		    suspension.for_ms, duration, sizeof(duration));
		snprintf(remaining, sizeof(remaining), "for %s", duration);
	}
	snprintf(human, sizeof(human), "%s %s suspended %s: %s",
	    kind(&suspension.subject), suspension.subject.name, remaining,
	    suspension.reason);
	ctl_result(ctl, object, human);
	return EX_OK;
}

int
ctl_lift(struct ctl *ctl, int argc, char **argv)
{
	struct suspension suspension = {0};
	char error[CTL_ERROR_MAX], human[CTL_ERROR_MAX * 2];
	int status;
	json_t *object;

	if (argc != 1)
		return ctl_fail(
		    EX_USAGE, "usage: waypostctl lift USER|@DOMAIN");
	if (!ctl_parse_subject(
	        argv[0], &suspension.subject, error, sizeof(error)))
		return ctl_fail(EX_DATAERR, "lift: %s", error);
	status = run(ctl, &suspension, prepare_lift, writes_lift);
	if (status != EX_OK)
		return status;
	object = json_object();
	json_object_set_new(
	    object, "kind", json_string(kind(&suspension.subject)));
	json_object_set_new(
	    object, "subject", json_string(suspension.subject.name));
	json_object_set_new(object, "lifted", json_boolean(suspension.was));
	json_object_set_new(object, "reason",
	    suspension.was ? json_string(suspension.before) : json_null());
	if (suspension.was)
		snprintf(human, sizeof(human),
		    "%s %s: suspension lifted (was: %s)",
		    kind(&suspension.subject), suspension.subject.name,
		    suspension.before);
	else
		snprintf(human, sizeof(human), "%s %s was not suspended",
		    kind(&suspension.subject), suspension.subject.name);
	ctl_result(ctl, object, human);
	return EX_OK;
}
