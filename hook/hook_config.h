/*
 * hook_config.h - the [hooks] and [webhook "NAME"] sections of waypost.conf
 */
#ifndef WAYPOST_HOOK_CONFIG_H
#define WAYPOST_HOOK_CONFIG_H

#include <stdbool.h>

#include "config_common.h"
#include "config_file.h"

#define HOOK_BATCH_MAX       1000
#define HOOK_SECRETS_MAX     2 /* the new one, and the old during a rotation */
#define HOOK_STATUSES_MAX    16
#define HOOK_CONCURRENCY_MAX 256

struct hooks_section {
	struct daemon_settings daemon; /* no socket: see lib/daemon.h */
	char *consumer;                /* NULL: the host's name */
	long long poll_interval;       /* milliseconds */
	long long wake_delay;          /* milliseconds */
	long long attempts_ttl;        /* milliseconds */
	long long attempts_max;        /* kept per message */
	long long dead_max;            /* entries of each dead-letter stream */
	long long claim_idle;          /* milliseconds; 0: never claims */
};

struct webhook_section {
	char *name; /* first: the instance name */
	int line;   /* second: its header's line in the file */
	char *url;
	struct config_list secret;
	char *secret_file;
	struct config_list tenants; /* "*": every tenant's events */
	struct config_list events;  /* "*": every type */
	char *batch;                /* "off" or a number of events */
	long long batch_wait;       /* milliseconds */
	long long timeout;
	long long retry_for;
	long long retry_min;
	long long retry_max;
	struct config_list stop_status;
	char *ca_file;
	long long concurrency;
	long long breaker_failures;
	long long backlog_max;  /* unread events kept per stream */
	long long response_max; /* bytes of an answer kept for the log */
	/* Filled in by the check of the section: */
	int batch_size; /* 1: off */
	bool all_tenants, all_events;
	int stop_statuses[HOOK_STATUSES_MAX];
	int stop_status_count;
};

struct hook_config {
	struct log_settings log;
	struct redis_settings redis;
	struct hooks_section hooks;
	struct config_instances webhooks; /* struct webhook_section */
};

extern const struct config_schema hook_schema;

bool hook_event_type_known(const char *type);

#endif
