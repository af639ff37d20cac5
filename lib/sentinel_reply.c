/*
 * NAME
 *	sentinel_reply - what Redis Sentinel and ROLE answer, read
 * SYNOPSIS
 *	#include "sentinel_reply.h"
 *
 *	bool sentinel_reply_master(reply, master, why, why_size)
 *	bool sentinel_reply_master_state(reply, master, epoch, why,
 *		why_size)
 *	bool sentinel_switch_parse(text, length, master_name, master)
 *	bool sentinel_role_is_master(reply)
 *	bool sentinel_same_address(one, other)
 * DESCRIPTION
 *	The replies a Sentinel client reads, as the Sentinel client
 *	specification gives them, in one place for the blocking client
 *	(sentinel_ask.c) and the one on an event loop (sentinel_watch.c).
 *
 *	sentinel_reply_master() reads the reply to SENTINEL
 *	get-master-addr-by-name: an array of the master's IP and port.
 *	False, with why, for a null (the sentinel does not know the name),
 *	an error or any other shape.
 *
 *	sentinel_reply_master_state() reads the reply to SENTINEL MASTER:
 *	an array of field names and values, in any order, of which it
 *	takes "ip", "port" and "config-epoch" (a number of at most 18
 *	digits, into epoch). The configuration epoch grows with every
 *	failover, so of two sentinels' answers the one with the higher is
 *	the newer: a sentinel that has not yet heard of a failover still
 *	names the old master, under the old epoch. False, with why, for an
 *	error, a field missing or malformed, or any other shape.
 *
 *	sentinel_switch_parse() reads a +switch-master message, "NAME
 *	OLDIP OLDPORT NEWIP NEWPORT", of length bytes: true when it is
 *	about master_name, with the new master's address.
 *
 *	sentinel_role_is_master() is true when a ROLE reply says "master".
 *
 *	sentinel_same_address() compares two TCP addresses.
 * SECURITY
 *	Replies and messages come from the network: every field is
 *	length-checked before it is copied, a port must be 1 to 65535 and
 *	an address what socket_spec_parse_address() accepts.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "sentinel_reply.h"

#define FIELD_MAX SOCKET_HOST_MAX

/* "HOST" and "PORT" as they come, into an address. */
static bool
address_of(const char *host, size_t host_length, const char *port,
    size_t port_length, struct socket_spec *address)
{
	char text[SOCKET_SPEC_TEXT_MAX + 8], error[256];
	unsigned long number = 0;

	if (host_length == 0 || host_length > FIELD_MAX || port_length == 0 ||
	    port_length > 5 || memchr(host, '\0', host_length) != NULL)
		return false;
	for (size_t i = 0; i < port_length; i++) {
		if (port[i] < '0' || port[i] > '9')
			return false;
		number = number * 10 + (unsigned long)(port[i] - '0');
	}
	if (number < 1 || number > 65535)
		return false;
	/* An IPv6 address goes in brackets. */
	snprintf(text, sizeof(text),
	    memchr(host, ':', host_length) != NULL ? "[%.*s]:%lu" : "%.*s:%lu",
	    (int)host_length, host, number);
	return socket_spec_parse_address(text, address, error, sizeof(error)) &&
	       address->kind != SOCKET_UNIX;
}

bool
sentinel_reply_master(const redisReply *reply, struct socket_spec *master,
    char *why, size_t why_size)
{
	if (reply == NULL) {
		snprintf(why, why_size, "no reply");
		return false;
	}
	if (reply->type == REDIS_REPLY_NIL) {
		snprintf(why, why_size, "does not know the master");
		return false;
	}
	if (reply->type == REDIS_REPLY_ERROR) {
		snprintf(why, why_size, "%.200s", reply->str);
		return false;
	}
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
	    reply->element[0]->type != REDIS_REPLY_STRING ||
	    reply->element[1]->type != REDIS_REPLY_STRING ||
	    !address_of(reply->element[0]->str, reply->element[0]->len,
	        reply->element[1]->str, reply->element[1]->len, master)) {
		snprintf(why, why_size, "an answer that is no address");
		return false;
	}
	return true;
}

/* The value of field name in a flat array of names and values, or
 * NULL. */
static const redisReply *
field(const redisReply *reply, const char *name)
{
	size_t length = strlen(name);

	for (size_t i = 0; i + 1 < reply->elements; i += 2) {
		const redisReply *key = reply->element[i];

		if (key->type == REDIS_REPLY_STRING && key->len == length &&
		    memcmp(key->str, name, length) == 0)
			return reply->element[i + 1]->type == REDIS_REPLY_STRING
			           ? reply->element[i + 1]
			           : NULL;
	}
	return NULL;
}

bool
sentinel_reply_master_state(const redisReply *reply, struct socket_spec *master,
    long long *epoch, char *why, size_t why_size)
{
	const redisReply *ip, *port, *number;

	if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
		return sentinel_reply_master(reply, master, why, why_size);
	if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0 ||
	    (ip = field(reply, "ip")) == NULL ||
	    (port = field(reply, "port")) == NULL ||
	    !address_of(ip->str, ip->len, port->str, port->len, master)) {
		snprintf(why, why_size, "an answer that names no master");
		return false;
	}
	if ((number = field(reply, "config-epoch")) == NULL ||
	    number->len == 0 || number->len > 18) {
		snprintf(why, why_size, "an answer with no config-epoch");
		return false;
	}
	*epoch = 0;
	for (size_t i = 0; i < number->len; i++) {
		if (number->str[i] < '0' || number->str[i] > '9') {
			snprintf(
			    why, why_size, "a config-epoch that is no number");
			return false;
		}
		*epoch = *epoch * 10 + (number->str[i] - '0');
	}
	return true;
}

/* The next word of text[*at..length), space-separated. */
static bool
next_word(const char *text, size_t length, size_t *at, const char **word,
    size_t *word_length)
{
	while (*at < length && text[*at] == ' ')
		(*at)++;
	*word = text + *at;
	while (*at < length && text[*at] != ' ')
		(*at)++;
	*word_length = (size_t)(text + *at - *word);
	return *word_length > 0;
}

bool
sentinel_switch_parse(const char *text, size_t length, const char *master_name,
    struct socket_spec *master)
{
	const char *words[5];
	size_t lengths[5], at = 0;

	for (size_t i = 0; i < 5; i++)
		if (!next_word(text, length, &at, &words[i], &lengths[i]))
			return false;
	while (at < length && text[at] == ' ')
		at++;
	return at == length && lengths[0] == strlen(master_name) &&
	       memcmp(words[0], master_name, lengths[0]) == 0 &&
	       address_of(words[3], lengths[3], words[4], lengths[4], master);
}

bool
sentinel_role_is_master(const redisReply *reply)
{
	return reply != NULL && reply->type == REDIS_REPLY_ARRAY &&
	       reply->elements >= 1 &&
	       reply->element[0]->type == REDIS_REPLY_STRING &&
	       reply->element[0]->len == 6 &&
	       memcmp(reply->element[0]->str, "master", 6) == 0;
}

bool
sentinel_same_address(
    const struct socket_spec *one, const struct socket_spec *other)
{
	return one->kind == other->kind && one->port == other->port &&
	       strcmp(one->host, other->host) == 0 &&
	       strcmp(one->path, other->path) == 0;
}
