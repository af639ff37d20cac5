/*
 * NAME
 *	route_mx - the MX hosts of recipient domains, looked up on the event
 *	loop with c-ares and cached
 * SYNOPSIS
 *	#include "route_mx.h"
 *
 *	struct route_mx *route_mx_new(base, servers, cache_ms, error,
 *		error_size)
 *	struct route_mx_wait *route_mx_lookup(mx, domain, done, context)
 *	void route_mx_forget(wait)
 *	void route_mx_free(mx)
 * DESCRIPTION
 *	A recipient domain that no [provider] lists may still be a
 *	provider's: a company's domain hosted by Google or Microsoft has
 *	their MX hosts. waypost-routed asks DNS for its MX records with
 *	c-ares (Debian's libc-ares), whose sockets and timer are events of
 *	the daemon's libevent loop: no thread, and a lookup waiting for DNS
 *	holds back no other.
 *
 *	route_mx_new() makes the resolver: the servers of
 *	/etc/resolv.conf, or servers ("host:port" each) when given; NULL
 *	with the reason in error when c-ares cannot start.
 *
 *	route_mx_lookup() calls done(context, hosts, count) with the MX
 *	hosts of domain (lower case, at most ROUTE_MX_HOSTS_MAX, none when
 *	it has none or the lookup failed). From the cache (or when c-ares
 *	refuses the name), at once, before NULL is returned; otherwise when DNS answers, or after
 *	ROUTE_MX_TIMEOUT_MS, and the wait is returned, so
 *	route_mx_forget() can stop done from being called (the Postfix
 *	connection went away). Lookups of a domain already being looked up
 *	wait for the same query.
 *
 *	The cache keeps a domain's answer for cache_ms, an empty or failed
 *	one for a tenth of it (at least a second), so a DNS failure is
 *	retried soon; at most ROUTE_MX_CACHE_MAX domains, the expired ones
 *	dropped first, all of them when none has expired.
 * SECURITY
 *	Answers are parsed by c-ares; a host name is kept only if it is at
 *	most 253 bytes, and lower-cased.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ares.h>
#include <arpa/nameser.h>

#include "buffer.h"
#include "log.h"
#include "monotonic.h"
#include "route_mx.h"
#include "xmalloc.h"

#define BUCKETS      4096
#define SOCKETS_MAX  16
#define HOST_MAX     253
#define NEGATIVE_MIN 1000 /* ms an empty or failed answer is kept */

struct route_mx_wait {
	struct entry *entry;
	route_mx_done done; /* NULL: forgotten */
	void *context;
	struct route_mx_wait *next;
};

struct entry {
	char *domain;
	char *hosts[ROUTE_MX_HOSTS_MAX];
	size_t count;
	double expires_ms;           /* 0 while the query runs */
	struct route_mx_wait *waits; /* while the query runs */
	struct route_mx *mx;
	struct entry *next;
};

struct watched {
	ares_socket_t fd;
	struct event *event;
};

struct route_mx {
	struct event_base *base;
	ares_channel channel;
	struct event *timer;
	struct watched sockets[SOCKETS_MAX];
	long long cache_ms;
	struct entry *buckets[BUCKETS];
	size_t count;
};

static unsigned
bucket_of(const char *domain)
{
	unsigned hash = 2166136261u;

	for (const char *p = domain; *p; p++)
		hash = (hash ^ (unsigned char)*p) * 16777619u;
	return hash % BUCKETS;
}

static void
entry_free(struct entry *entry)
{
	for (size_t i = 0; i < entry->count; i++)
		free(entry->hosts[i]);
	free(entry->domain);
	free(entry);
}

/* Room for one more: the expired answers out, or all answers. */
static void
make_room(struct route_mx *mx, double now)
{
	for (int pass = 0; pass < 2 && mx->count >= ROUTE_MX_CACHE_MAX; pass++)
		for (unsigned i = 0; i < BUCKETS; i++) {
			struct entry **link = &mx->buckets[i];

			while (*link != NULL) {
				struct entry *entry = *link;

				if (entry->expires_ms > 0 &&
				    (pass == 1 || entry->expires_ms <= now)) {
					*link = entry->next;
					entry_free(entry);
					mx->count--;
				} else
					link = &entry->next;
			}
		}
}

static void schedule_timer(struct route_mx *mx);

static void
on_io(evutil_socket_t fd, short what, void *argument)
{
	struct route_mx *mx = argument;

	ares_process_fd(mx->channel, (what & EV_READ) ? fd : ARES_SOCKET_BAD,
	    (what & EV_WRITE) ? fd : ARES_SOCKET_BAD);
	schedule_timer(mx);
}

static void
on_timer(evutil_socket_t fd, short what, void *argument)
{
	struct route_mx *mx = argument;

	(void)fd;
	(void)what;
	ares_process_fd(mx->channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	schedule_timer(mx);
}

static void
schedule_timer(struct route_mx *mx)
{
	struct timeval most = {1, 0}, when;

	if (ares_timeout(mx->channel, &most, &when) != NULL)
		event_add(mx->timer, &when);
}

/* c-ares opens, changes or closes a socket: its event follows. */
static void
on_socket_state(void *argument, ares_socket_t fd, int readable, int writable)
{
	struct route_mx *mx = argument;
	struct watched *slot = NULL, *free_slot = NULL;

	for (int i = 0; i < SOCKETS_MAX; i++) {
		if (mx->sockets[i].event != NULL && mx->sockets[i].fd == fd)
			slot = &mx->sockets[i];
		else if (mx->sockets[i].event == NULL && free_slot == NULL)
			free_slot = &mx->sockets[i];
	}
	if (slot != NULL) {
		event_free(slot->event);
		slot->event = NULL;
	}
	if (!readable && !writable)
		return;
	if (slot == NULL)
		slot = free_slot;
	if (slot == NULL) {
		log_warning(
		    "MX lookups: more than %d DNS sockets", SOCKETS_MAX);
		return;
	}
	slot->fd = fd;
	slot->event = event_new(mx->base, fd,
	    EV_PERSIST | (readable ? EV_READ : 0) | (writable ? EV_WRITE : 0),
	    on_io, mx);
	if (slot->event == NULL)
		log_fatal("out of memory");
	event_add(slot->event, NULL);
}

static void
answer(struct entry *entry, const char *const *hosts, size_t count)
{
	struct route_mx_wait *wait = entry->waits;

	entry->waits = NULL;
	while (wait != NULL) {
		struct route_mx_wait *next = wait->next;

		if (wait->done != NULL)
			wait->done(wait->context, hosts, count);
		free(wait);
		wait = next;
	}
}

static void
on_answer(
    void *argument, int status, int timeouts, unsigned char *data, int length)
{
	struct entry *entry = argument;
	struct route_mx *mx = entry->mx;
	struct ares_mx_reply *replies = NULL;

	(void)timeouts;
	if (status == ARES_SUCCESS &&
	    ares_parse_mx_reply(data, length, &replies) == ARES_SUCCESS)
		for (struct ares_mx_reply *one = replies;
		     one != NULL && entry->count < ROUTE_MX_HOSTS_MAX;
		     one = one->next) {
			size_t size = strlen(one->host);
			char *host;

			if (size == 0 || size > HOST_MAX)
				continue;
			host = xstrdup(one->host);
			for (char *p = host; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			entry->hosts[entry->count++] = host;
		}
	else if (status != ARES_ENODATA && status != ARES_ENOTFOUND &&
	         status != ARES_EDESTRUCTION)
		log_warning("MX lookup of %s: %s", entry->domain,
		    ares_strerror(status));
	if (replies != NULL)
		ares_free_data(replies);
	entry->expires_ms =
	    monotonic_ms_exact() + (double)(entry->count > 0 ? mx->cache_ms
	                                    : mx->cache_ms / 10 > NEGATIVE_MIN
	                                        ? mx->cache_ms / 10
	                                        : NEGATIVE_MIN);
	answer(entry, (const char *const *)entry->hosts, entry->count);
}

struct route_mx *
route_mx_new(struct event_base *base, const struct config_list *servers,
    long long cache_ms, char *error, size_t error_size)
{
	struct route_mx *mx = xcalloc(1, sizeof(*mx));
	struct ares_options options = {0};
	int status;

	mx->base = base;
	mx->cache_ms = cache_ms;
	options.sock_state_cb = on_socket_state;
	options.sock_state_cb_data = mx;
	options.timeout = ROUTE_MX_TIMEOUT_MS / 2;
	options.tries = 2;
	status = ares_init_options(&mx->channel, &options,
	    ARES_OPT_SOCK_STATE_CB | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES);
	if (status == ARES_SUCCESS && servers != NULL && servers->count > 0) {
		struct buffer list = {0};

		for (size_t i = 0; i < servers->count; i++)
			buffer_printf(
			    &list, "%s%s", i ? "," : "", servers->items[i]);
		status =
		    ares_set_servers_ports_csv(mx->channel, buffer_text(&list));
		buffer_free(&list);
	}
	if (status != ARES_SUCCESS) {
		snprintf(
		    error, error_size, "c-ares: %s", ares_strerror(status));
		if (mx->channel != NULL)
			ares_destroy(mx->channel);
		free(mx);
		return NULL;
	}
	mx->timer = evtimer_new(base, on_timer, mx);
	if (mx->timer == NULL)
		log_fatal("out of memory");
	return mx;
}

struct route_mx_wait *
route_mx_lookup(
    struct route_mx *mx, const char *domain, route_mx_done done, void *context)
{
	unsigned bucket = bucket_of(domain);
	struct entry **link = &mx->buckets[bucket], *entry;
	struct route_mx_wait *wait;
	double now = monotonic_ms_exact();

	while ((entry = *link) != NULL) {
		if (strcmp(entry->domain, domain) == 0)
			break;
		link = &entry->next;
	}
	if (entry != NULL && entry->expires_ms > 0 &&
	    entry->expires_ms <= now) {
		*link = entry->next;
		entry_free(entry);
		mx->count--;
		entry = NULL;
	}
	if (entry != NULL && entry->expires_ms > 0) {
		done(context, (const char *const *)entry->hosts, entry->count);
		return NULL;
	}
	wait = xcalloc(1, sizeof(*wait));
	wait->done = done;
	wait->context = context;
	if (entry == NULL) {
		make_room(mx, now);
		entry = xcalloc(1, sizeof(*entry));
		entry->domain = xstrdup(domain);
		entry->mx = mx;
		entry->next = mx->buckets[bucket];
		mx->buckets[bucket] = entry;
		mx->count++;
		wait->entry = entry;
		entry->waits = wait;
		ares_query(
		    mx->channel, domain, ns_c_in, ns_t_mx, on_answer, entry);
		/* c-ares may answer at once (a name it refuses): then done
		 * was called, and wait is gone. */
		if (entry->expires_ms > 0)
			return NULL;
		schedule_timer(mx);
		return wait;
	}
	wait->entry = entry;
	wait->next = entry->waits;
	entry->waits = wait;
	return wait;
}

void
route_mx_forget(struct route_mx_wait *wait)
{
	if (wait != NULL)
		wait->done = NULL;
}

void
route_mx_free(struct route_mx *mx)
{
	if (mx == NULL)
		return;
	ares_destroy(mx->channel); /* the queries end: ARES_EDESTRUCTION */
	for (int i = 0; i < SOCKETS_MAX; i++)
		if (mx->sockets[i].event != NULL)
			event_free(mx->sockets[i].event);
	event_free(mx->timer);
	for (unsigned i = 0; i < BUCKETS; i++)
		while (mx->buckets[i] != NULL) {
			struct entry *entry = mx->buckets[i];

			mx->buckets[i] = entry->next;
			entry_free(entry);
		}
	free(mx);
}
