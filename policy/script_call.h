/*
 * script_call.h - one call of decide_script.lua: typed in, typed out
 */
#ifndef WAYPOST_SCRIPT_CALL_H
#define WAYPOST_SCRIPT_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "buffer.h"
#include "config_file.h"
#include "redis_link.h"
#include "script_words.h"

/* The account checks a call asks for. */
#define SCRIPT_ASKS_SUSPENSION  0x1u
#define SCRIPT_ASKS_OWNERSHIP   0x2u
#define SCRIPT_ASKS_COMPROMISE  0x4u
#define SCRIPT_ASKS_WARMUP      0x8u
#define SCRIPT_ASKS_SUPPRESSION 0x10u

/* How long a message's decision stays in Redis, milliseconds. */
#define SCRIPT_DECISION_KEEP_MS 300000
/* The longest suspension reason an answer carries. */
#define SCRIPT_REASON_MAX 512

struct script_limit {
	const char *name;
	const char *subject; /* as limit_subject.c makes it */
	long long max;
	long long window_ms;
	unsigned long long amount; /* charged, or needed free at a check */
};

struct script_call {
	bool charge; /* END-OF-MESSAGE: charge; else check only */
	bool dry;    /* a check that writes nothing, detailed */
	unsigned long long recipients; /* charged: the message's */
	const char *instance;          /* Postfix's message; "" none */
	unsigned asks;                 /* SCRIPT_ASKS_* */
	const char *user;              /* lower case; "" none */
	const char *sender;            /* lower case; "" none */
	const char *sender_domain;     /* "@domain"; "" none */
	const char *client;    /* the client address as Postfix sent it */
	const char *tenant;    /* lower case; "" none */
	const char *recipient; /* lower case; "" none */
	long long detector_window_ms;
	long long detector_max_addresses;
	long long detector_max_failures;
	const char *warmup_name; /* NULL: no warm-up key */
	const char *warmup_subject;
	const struct config_list *warmup_schedule;
	const struct script_limit *limits;
	size_t limit_count;
};

enum script_outcome {
	SCRIPT_PASSED,         /* room */
	SCRIPT_LIMIT_REACHED,  /* limit, count, max, seconds */
	SCRIPT_CHARGED_BEFORE, /* this message was charged, and passed */
	SCRIPT_SUSPENDED,      /* by_user, reason */
	SCRIPT_NOT_OWNED,
	SCRIPT_COMPROMISED, /* by_addresses, count */
	SCRIPT_WARMUP_CAP,  /* sent, cap, day */
	SCRIPT_SUPPRESSED,  /* for_tenant, since, reason */
	SCRIPT_UNAVAILABLE, /* reason: no answer, or none the contract has */
};

struct script_answer {
	enum script_outcome outcome;
	long long room;
	size_t limit; /* index into the call's limits */
	long long count, max, seconds;
	bool by_user;      /* SCRIPT_SUSPENDED: the user, not the domain */
	bool by_addresses; /* SCRIPT_COMPROMISED: addresses, not failures */
	long long sent, cap, day;
	bool for_tenant; /* SCRIPT_SUPPRESSED: the tenant's, not every one's */
	long long since; /* SCRIPT_SUPPRESSED: Unix seconds; 0 unknown */
	char reason[SCRIPT_REASON_MAX + 1];
};

/* A dry run's details (decide_script.lua's), beside its answer. */
struct script_limit_state {
	long long count, max; /* max: an override's, if any */
	long long seconds;    /* until it has room; 0: it passes */
};

struct script_details {
	bool user_suspended, domain_suspended;
	char user_reason[SCRIPT_REASON_MAX + 1];
	char domain_reason[SCRIPT_REASON_MAX + 1];
	int owned;                     /* 1 granted, 0 not, -1 not asked */
	long long addresses, failures; /* held by the detector; -1 not asked */
	bool suppressed, suppressed_any;
	long long since, since_any; /* Unix seconds; 0 unknown */
	char reason[SCRIPT_REASON_MAX + 1], reason_any[SCRIPT_REASON_MAX + 1];
	long long warmup_sent, warmup_cap, warmup_day; /* -1 not asked */
	struct script_limit_state *limits; /* the caller's, limit_count */
};

typedef void (*script_answered)(
    void *context, const struct script_answer *answer);

/* Where a call waits for Redis: in the caller's struct, so a call costs
 * no allocation of its own. */
struct script_pending {
	size_t limit_count;
	script_answered answered;
	void *context;
};

void script_call_words(const struct script_call *call, const char *prefix,
    struct script_words *words);
void script_call_cache_key(
    const struct script_words *words, size_t limit_count, struct buffer *key);
bool script_call_send(struct redis_link *link, struct script_words *words,
    struct script_pending *pending);
void script_answer_read(const redisReply *reply, const char *why,
    size_t limit_count, struct script_answer *answer);
void script_dry_run_read(const redisReply *reply, const char *why,
    size_t limit_count, struct script_answer *answer,
    struct script_details *details);
void script_activity_split(
    long long sent, long long *messages, long long *recipients);

#endif
