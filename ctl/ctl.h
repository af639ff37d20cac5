/*
 * ctl.h - waypostctl's private interfaces: arguments, Redis, output
 */
#ifndef WAYPOST_CTL_H
#define WAYPOST_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <sysexits.h>

#include <hiredis/hiredis.h>
#include <jansson.h>

#include "buffer.h"
#include "config_common.h"
#include "redis_keys.h"
#include "sender_identity.h"

struct limit_section;
struct policy_config;

#define CTL_REASON_MAX      500    /* bytes of a suspension's reason */
#define CTL_FOR_MIN_MS      1000LL /* --for: at least a second */
#define CTL_FOR_MAX_MS      (3660LL * 24 * 3600 * 1000) /* about 10 years */
#define CTL_AUDIT_COUNT     20       /* audit entries shown by default */
#define CTL_AUDIT_COUNT_MAX 10000    /* audit --count */
#define CTL_AUDIT_KEEP      "100000" /* entries the stream keeps, about */
#define CTL_GRANTS_MAX      100      /* grants in one command */
#define CTL_SCAN_MAX        1000000  /* suspensions listed */
#define CTL_WATCH_TRIES     5        /* a key changed while we wrote it */
#define CTL_ERROR_MAX       512
#define CTL_ATTEMPTS_MAX    1000 /* webhook attempts listed */
#define CTL_NUMBER_MAX      32   /* a number as text, with its NUL */
#define CTL_VALUE_MAX       IDENTITY_ADDRESS_MAX /* why's user, sender... */
#define CTL_TOP_HOURS_MAX   24    /* top --window: the hours kept */
#define CTL_TOP_COUNT_MAX   10000 /* top --count */
#define CTL_TOP_COUNT       10    /* senders top shows by default */

/* message show, events follow, webhook attempts by Message-ID */
#define CTL_MESSAGE_ID_MAX 998          /* bytes waypost-trackd keeps of one */
#define CTL_QUEUE_ID_MAX   32           /* bytes: Postfix's long queue IDs */
#define CTL_RELAY_MAX      255          /* bytes of a relay's name */
#define CTL_RECORDS_MAX    64           /* records one message show reads */
#define CTL_RECIPIENTS_MAX 10000        /* recipients shown of one record */
#define CTL_FOLLOW_MAX     1000000000LL /* events follow --count */
#define CTL_FOLLOW_BATCH   100          /* entries one XREAD asks for */
#define CTL_STREAM_ID_MAX  48           /* bytes of "MS-SEQ" */

/* A suspension's subject: a user, or (written "@DOMAIN") a domain. */
struct ctl_subject {
	bool domain;
	char name[IDENTITY_ADDRESS_MAX + 1]; /* normalized, without "@" */
};

/* A message as an operator names it: what the text may be, "" for what
 * it cannot. */
struct ctl_message_ref {
	char message_id[CTL_MESSAGE_ID_MAX + 1]; /* without <> */
	char queue_id[CTL_QUEUE_ID_MAX + 1];
};

/* The keys of a message's records, oldest first, each once. */
struct ctl_records {
	char *keys[CTL_RECORDS_MAX];
	size_t count;
};

struct ctl {
	const char *config_path; /* waypost.conf: the daemons' sections */
	const struct redis_settings *redis;
	struct redis_pool *pool;
	redisContext *connection;
	int queued; /* commands of the transaction being written */
	bool json;
	const char *who; /* the invoking login name */
};

/* One change, as the audit stream records it. */
struct ctl_change {
	const char *command;
	const char *subject;
	const char *before;
	const char *after;
};

/* One limit of waypost-policyd that counts a subject (ctl_quota.c). */
struct ctl_quota_limit {
	const struct limit_section *limit;
	struct buffer subject;           /* as the daemon names it */
	struct buffer counter, override; /* their keys */
};

struct ctl_quota {
	struct policy_config *config;
	struct ctl_quota_limit *limits;
	size_t count;
};

/* Where a subject stands in one limit, as the daemon reads it. */
struct ctl_usage {
	long long used;
	long long max;      /* after the override */
	long long frees_in; /* seconds until one more fits; 0: it does */
	bool overridden;
	long long override; /* the override's value, when overridden */
};

/* ctl_args.c: what the command line may hold, normalized. */
bool ctl_parse_user(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_subject(const char *text, struct ctl_subject *subject,
    char *error, size_t error_size);
bool ctl_parse_grant(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_for(
    const char *text, long long *milliseconds, char *error, size_t error_size);
bool ctl_parse_reason(const char *text, char *error, size_t error_size);
bool ctl_parse_count(const char *text, long long max, long long *count,
    char *error, size_t error_size);
bool ctl_parse_address(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_message(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_message_ref(const char *text, struct ctl_message_ref *ref,
    char *error, size_t error_size);
bool ctl_parse_relay(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_stream_id(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_domain(
    const char *text, char *out, size_t size, char *error, size_t error_size);
bool ctl_parse_max(
    const char *text, long long *max, char *error, size_t error_size);
bool ctl_parse_value(
    const char *text, const char *what, char *error, size_t error_size);
bool ctl_parse_client(const char *text, char *error, size_t error_size);
bool ctl_parse_window(
    const char *text, long long *hours, char *error, size_t error_size);

/* ctl_redis.c: one blocking connection and the transaction of a change. */
int ctl_fail(int code, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
int ctl_connect(struct ctl *ctl);
void ctl_key(const struct ctl *ctl, struct buffer *out, enum redis_key key,
    const char *name);
void ctl_key_pair(const struct ctl *ctl, struct buffer *out, enum redis_key key,
    const char *name, const char *subject);
int ctl_command(struct ctl *ctl, redisReply **reply, int count,
    const char **words, const size_t *lengths);
int ctl_redis_time(struct ctl *ctl, long long *seconds);
int ctl_get_string(
    struct ctl *ctl, const char *key, char **value, long long *ttl_ms);
#define CTL_NOTHING (-1) /* a prepare's answer: nothing to change */
typedef int (*ctl_prepare)(
    struct ctl *ctl, void *context, struct ctl_change *change);
typedef void (*ctl_writes)(struct ctl *ctl, void *context);
void ctl_append(
    struct ctl *ctl, int count, const char **words, const size_t *lengths);
int ctl_watch(struct ctl *ctl, const char *key, const char *type);
int ctl_unchanged(struct ctl *ctl);
int ctl_change_run(struct ctl *ctl, const char *key, const char *type,
    ctl_prepare prepare, ctl_writes writes, void *context);
void ctl_disconnect(struct ctl *ctl);

/* ctl_scan.c: every key matching a pattern, with SCAN. */
typedef int (*ctl_scan_each)(struct ctl *ctl, const char *key, void *context);
int ctl_scan(
    struct ctl *ctl, const char *pattern, ctl_scan_each each, void *context);

/* ctl_message_find.c: a message's records, through the indexes. */
int ctl_message_find(struct ctl *ctl, const struct ctl_message_ref *ref,
    const char *relay, struct ctl_records *records);
void ctl_records_free(struct ctl_records *records);
bool ctl_record_id(const struct ctl *ctl, const char *key, struct buffer *relay,
    char *id, size_t size);

/* ctl_output.c: human tables, or JSON. */
struct ctl_list;
struct ctl_list *ctl_list_new(
    const struct ctl *ctl, size_t columns, const char *const *headers);
void ctl_list_add(
    struct ctl_list *list, json_t *object, const char *const *cells);
void ctl_list_end(struct ctl_list *list);
void ctl_result(const struct ctl *ctl, json_t *object, const char *human);
void ctl_print_line(const char *text);
void ctl_format_remaining(long long milliseconds, char *out, size_t size);
void ctl_format_time(long long seconds, char *out, size_t size);

/* The commands: each returns an exit code (sysexits.h). */
int ctl_senders(struct ctl *ctl, int argc, char **argv);
int ctl_suspend(struct ctl *ctl, int argc, char **argv);
int ctl_lift(struct ctl *ctl, int argc, char **argv);
int ctl_suspended(struct ctl *ctl, int argc, char **argv);
int ctl_audit(struct ctl *ctl, int argc, char **argv);
int ctl_suppression(struct ctl *ctl, int argc, char **argv);
int ctl_suppression_list(struct ctl *ctl, int argc, char **argv);
int ctl_suppression_why(struct ctl *ctl, int argc, char **argv);
const char *ctl_suppression_split(const char *entry, long long *since);
int ctl_webhook(struct ctl *ctl, int argc, char **argv);
int ctl_webhook_list(struct ctl *ctl, int argc, char **argv);
int ctl_webhook_attempts(struct ctl *ctl, int argc, char **argv);
int ctl_message(struct ctl *ctl, int argc, char **argv);
int ctl_events(struct ctl *ctl, int argc, char **argv);
int ctl_why(struct ctl *ctl, int argc, char **argv);
int ctl_top(struct ctl *ctl, int argc, char **argv);
struct hook_tenant_field;
size_t ctl_webhook_fields(
    const redisReply *hash, struct hook_tenant_field *fields);
void ctl_audit_append(struct ctl *ctl, const struct ctl_change *change);
int ctl_quota(struct ctl *ctl, int argc, char **argv);
int ctl_quota_change(struct ctl *ctl, int argc, char **argv);
int ctl_quota_find(struct ctl *ctl, const char *subject, const char *limit,
    struct ctl_quota *quota);
int ctl_quota_usage(struct ctl *ctl, const struct ctl_quota_limit *limit,
    struct ctl_usage *usage);
void ctl_quota_free(struct ctl_quota *quota);
int ctl_warmup(struct ctl *ctl, int argc, char **argv);
int ctl_source(struct ctl *ctl, int argc, char **argv);

#endif
