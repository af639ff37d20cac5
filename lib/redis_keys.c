/*
 * NAME
 *	redis_keys - the name of every Redis key Waypost reads or writes
 * SYNOPSIS
 *	#include "redis_keys.h"
 *
 *	int redis_key_parts(key)
 *
 *	size_t redis_key_append(out, prefix, key, name, subject)
 *	size_t redis_key_append_pattern(out, prefix, key, name, subject)
 *	bool redis_key_parse(text, prefix, key, name, subject)
 * DESCRIPTION
 *	The one module that knows how Waypost's Redis keys are named, so
 *	that every daemon, the policy script's caller and the tools an
 *	operator runs write and read the same keys. Nothing else writes a
 *	key's format; redis_keys.h lists them, waypost-policyd(8) documents
 *	them for operators.
 *
 *	redis_key_parts() says how many parts a key of kind key has: 1
 *	(a name) or 2 (a name, then a subject).
 *
 *	redis_key_append() appends to out the key of kind key, after the
 *	[redis] prefix: its fixed words, then name, then for the keys
 *	with two parts (a warm-up's and a limit's: a section NAME, then
 *	its SUBJECT; a suppression's: the TENANT, then the ADDRESS; an
 *	activity count's: the KIND, then the HOUR) ":"
 *	and subject. It returns the bytes appended.
 *
 *	Hash tags: the keys one decision of waypost-policyd reads and
 *	writes for one subject carry that subject in braces, "{...}", the
 *	part Redis Cluster hashes to choose a key's slot, so that they lie
 *	in one slot: per user "suspended:user:{USER}", "senders:{USER}",
 *	"clients:{USER}" (and the script's "clients:{USER}:SUB"),
 *	"failures:{USER}"; per tenant "suppressed:{TENANT}:ADDRESS",
 *	"expirations:{TENANT}:ADDRESS", "bounce-rate:{TENANT}" and the
 *	decision "instance:{TENANT}:INSTANCE"; per limit subject
 *	"limit:NAME:{SUBJECT}", "override:{SUBJECT}" and
 *	"warmup:NAME:{SUBJECT}"; per pool of source addresses, which
 *	waypost-routed's decision reads whole, "sources:{POOL}" and
 *	"sources-suspended:{POOL}", and it writes with them, as its settling
 *	does, "sources-reserved:{POOL}:DAY" (its scripts get the key of an
 *	empty last part and append the day) and "sources-settled:{POOL}".
 *	A user's tenant is the user, and a limit or warm-up keyed on the
 *	user (or on the sender, for mail with no login) has the tenant's
 *	text as its subject, so such a decision touches one slot. What lies outside it (a sender domain's
 *	suspension, a recipient's suppression for every tenant, the
 *	activity counts, limits keyed on anything else) is listed in
 *	doc/redis-cluster.md with how a Cluster would split it. The braces
 *	are the tag whatever the subject holds: Redis hashes from the first
 *	"{" of a key to the "}" after it, and neither the prefix (see
 *	redis_config_validate()) nor a key's fixed words hold one, so a
 *	subject's keys all hash the same text.
 *
 *	redis_key_append_pattern() appends a SCAN MATCH pattern of the
 *	keys of kind key: a part given is written as redis_key_append()
 *	writes it, with "*", "?", "[", "]" and "\\" escaped; a NULL part
 *	matches any (so "queue-id:*:4F3A21C0B2" finds a queue ID on every
 *	relay; "{*}" for a part in braces). redis_key_parse() reads a key
 *	back: false when text is no key of kind key under prefix; else name
 *	holds its first part and subject its last (empty for a key of one
 *	part), unescaped and without braces.
 *
 *	A key of one kind never equals a key of another, whatever the
 *	parts hold: the fixed words differ before any part begins, and of
 *	two parts only the last may hold ":": in the first, every "%" is
 *	written "%25" and every ":" "%3A" (section names hold neither, see
 *	lib/config_read.c, so their keys read as written; a tenant may). So
 *	the user "@example.net" and the domain example.net have two keys,
 *	"suspended:user:{@example.net}" and "suspended:domain:example.net",
 *	and the tenant "a:b" suppressing "c" is "suppressed:{a%3Ab}:c", never
 *	the tenant "a" suppressing "b:c". The all-tenant event stream is
 *	REDIS_KEY_EVENTS with the name "": "events", which no tenant's
 *	"events:TENANT" equals.
 *
 *	waypost-trackd's keys (track/record_store.c): its saved log
 *	position per relay; a message's record, named by the relay, the
 *	queue ID and the second it was first logged (short queue IDs are
 *	reused); the index of a relay's queue ID to the record's key and of a
 *	Message-ID to the set of its records' keys; the event streams; per
 *	tenant and recipient the times its mail expired in the queue; per
 *	tenant the hourly counts of the bounce-rate guard. The record script
 *	(track/record_script.lua) gets the keys of a recipient's entries as
 *	the key of an empty last part, to which it appends the recipient's
 *	address (lower case), as this module would.
 *
 *	waypost-hookd's keys (hook/hook_stream.c): per webhook the stream
 *	of events it gave up on (dead letters); per message (the part of an
 *	event's id before its recipient: QUEUEID.FIRSTSEEN) the list of the
 *	attempts to deliver its events; the set of the tenants whose webhook
 *	an operator set in Redis, and each one's settings (a hash). It reads
 *	the event streams above through a consumer group per webhook.
 *
 *	waypostctl's key (ctl/ctl_audit.c): the stream of every change an
 *	operator made with it, REDIS_KEY_AUDIT with the name "": "audit".
 *
 *	waypost-policyd's activity counts (policy/decide_script.lua): per
 *	KIND ("sent": messages and recipients; "refusals") and HOUR (Unix
 *	time in hours) a hash of tenant to count, which waypostctl top
 *	sums. The script gets each kind's key with an empty last part and
 *	appends the hour.
 *
 *	Parts come as the callers normalize them: users and addresses in
 *	lower case, domains as lib/mail_domain.c writes them.
 * SECURITY
 *	The parts are peers' text; keys are sent as binary-safe arguments,
 *	never interpolated into a command. A NULL part is a bug (panic).
 */
#include "config.h"

#include <string.h>

#include "log.h"
#include "redis_keys.h"

struct key_shape {
	const char *words; /* after the prefix, before the first part */
	int parts;         /* 1: name only; 2: name ":" subject */
	int tag;           /* the part written in braces: 1, 2 or 0 (none) */
};

static const struct key_shape shapes[REDIS_KEY_COUNT] = {
    [REDIS_KEY_INSTANCE] = {"instance:", 2, 1},
    [REDIS_KEY_SUSPENDED_USER] = {"suspended:user:", 1, 1},
    [REDIS_KEY_SUSPENDED_DOMAIN] = {"suspended:domain:", 1, 0},
    [REDIS_KEY_SENDERS] = {"senders:", 1, 1},
    [REDIS_KEY_CLIENTS] = {"clients:", 1, 1},
    [REDIS_KEY_FAILURES] = {"failures:", 1, 1},
    [REDIS_KEY_WARMUP] = {"warmup:", 2, 2},
    [REDIS_KEY_LIMIT] = {"limit:", 2, 2},
    [REDIS_KEY_OVERRIDE] = {"override:", 1, 1},
    [REDIS_KEY_SUPPRESSED] = {"suppressed:", 2, 1},
    [REDIS_KEY_SUPPRESSED_ANY] = {"suppressed-any:", 1, 0},
    [REDIS_KEY_TRACK_POSITION] = {"track-position:", 1, 0},
    [REDIS_KEY_MESSAGE] = {"message:", 2, 0},
    [REDIS_KEY_QUEUE_ID] = {"queue-id:", 2, 0},
    [REDIS_KEY_MESSAGE_ID] = {"message-id:", 1, 0},
    [REDIS_KEY_EVENTS] = {"events", 1, 0},
    [REDIS_KEY_TENANT_EVENTS] = {"events:", 1, 0},
    [REDIS_KEY_EXPIRATIONS] = {"expirations:", 2, 1},
    [REDIS_KEY_BOUNCE_RATE] = {"bounce-rate:", 1, 1},
    [REDIS_KEY_HOOK_DEAD] = {"hook-dead:", 1, 0},
    [REDIS_KEY_HOOK_ATTEMPTS] = {"hook-attempts:", 1, 0},
    [REDIS_KEY_WEBHOOKS] = {"webhooks", 1, 0},
    [REDIS_KEY_WEBHOOK] = {"webhook:", 1, 0},
    [REDIS_KEY_AUDIT] = {"audit", 1, 0},
    [REDIS_KEY_ACTIVITY] = {"activity:", 2, 0},
    [REDIS_KEY_SOURCES] = {"sources:", 1, 1},
    [REDIS_KEY_SOURCES_SUSPENDED] = {"sources-suspended:", 1, 1},
    [REDIS_KEY_SOURCES_RESERVED] = {"sources-reserved:", 2, 1},
    [REDIS_KEY_SOURCES_SETTLED] = {"sources-settled:", 1, 1},
};

/* Part i (1 or 2) of key: the first of two escaped (":" and "%"), so it
 * ends where the first ":" after it is; the tagged one in braces. */
static void
append_part(struct buffer *out, enum redis_key key, int i, const char *part)
{
	bool tagged = shapes[key].tag == i;

	if (tagged)
		buffer_append_char(out, '{');
	for (; *part != '\0'; part++) {
		if (i == 1 && shapes[key].parts == 2 && *part == '%')
			buffer_append_text(out, "%25");
		else if (i == 1 && shapes[key].parts == 2 && *part == ':')
			buffer_append_text(out, "%3A");
		else
			buffer_append_char(out, *part);
	}
	if (tagged)
		buffer_append_char(out, '}');
}

/* Part i of a pattern: as append_part() writes it, with the glob's
 * characters escaped; NULL matches any. */
static void
append_glob(struct buffer *out, enum redis_key key, int i, const char *part)
{
	struct buffer text = {0};

	if (part == NULL) {
		buffer_append_text(out, shapes[key].tag == i ? "{*}" : "*");
		return;
	}
	append_part(&text, key, i, part);
	for (const char *c = buffer_text(&text); *c != '\0'; c++) {
		if (strchr("*?[]\\", *c) != NULL)
			buffer_append_char(out, '\\');
		buffer_append_char(out, *c);
	}
	buffer_free(&text);
}

/* A fixed text in a pattern. */
static void
append_glob_text(struct buffer *out, const char *text)
{
	for (; *text != '\0'; text++) {
		if (strchr("*?[]\\", *text) != NULL)
			buffer_append_char(out, '\\');
		buffer_append_char(out, *text);
	}
}

static void
check_parts(enum redis_key key, bool name, bool subject)
{
	if ((unsigned)key >= REDIS_KEY_COUNT || !name ||
	    (shapes[key].parts == 2) != subject)
		log_panic("redis_keys: key %d with the wrong parts", (int)key);
}

int
redis_key_parts(enum redis_key key)
{
	if ((unsigned)key >= REDIS_KEY_COUNT)
		log_panic("redis_keys: no key %d", (int)key);
	return shapes[key].parts;
}

size_t
redis_key_append(struct buffer *out, const char *prefix, enum redis_key key,
    const char *name, const char *subject)
{
	size_t before = out->length;

	check_parts(key, name != NULL, subject != NULL);
	buffer_append_text(out, prefix);
	buffer_append_text(out, shapes[key].words);
	append_part(out, key, 1, name);
	if (subject != NULL) {
		buffer_append_char(out, ':');
		append_part(out, key, 2, subject);
	}
	return out->length - before;
}

size_t
redis_key_append_pattern(struct buffer *out, const char *prefix,
    enum redis_key key, const char *name, const char *subject)
{
	size_t before = out->length;

	check_parts(key, true, shapes[key].parts == 2);
	append_glob_text(out, prefix);
	append_glob_text(out, shapes[key].words);
	append_glob(out, key, 1, name);
	if (shapes[key].parts == 1)
		return out->length - before;
	buffer_append_char(out, ':');
	append_glob(out, key, 2, subject);
	return out->length - before;
}

/* Strips the braces of a tagged part [*start, *end): false when they
 * are not there. */
static bool
untag(enum redis_key key, int i, const char **start, const char **end)
{
	if (shapes[key].tag != i)
		return true;
	if (*end - *start < 2 || **start != '{' || (*end)[-1] != '}')
		return false;
	++*start;
	--*end;
	return true;
}

bool
redis_key_parse(const char *text, const char *prefix, enum redis_key key,
    struct buffer *name, struct buffer *subject)
{
	size_t prefix_length = strlen(prefix), words_length;
	const char *start, *end;

	check_parts(key, true, shapes[key].parts == 2);
	words_length = strlen(shapes[key].words);
	buffer_reset(name);
	buffer_reset(subject);
	if (strncmp(text, prefix, prefix_length) != 0 ||
	    strncmp(text + prefix_length, shapes[key].words, words_length) != 0)
		return false;
	start = text + prefix_length + words_length;
	if (shapes[key].parts == 1) {
		end = start + strlen(start);
		if (!untag(key, 1, &start, &end))
			return false;
		buffer_append(name, start, (size_t)(end - start));
		return true;
	}
	if ((end = strchr(start, ':')) == NULL || !untag(key, 1, &start, &end))
		return false;
	for (const char *c = start; c < end; c++) {
		if (strncmp(c, "%3A", 3) == 0) {
			buffer_append_char(name, ':');
			c += 2;
		} else if (strncmp(c, "%25", 3) == 0) {
			buffer_append_char(name, '%');
			c += 2;
		} else
			buffer_append_char(name, *c);
	}
	start = strchr(start, ':') + 1;
	end = start + strlen(start);
	if (!untag(key, 2, &start, &end))
		return false;
	buffer_append(subject, start, (size_t)(end - start));
	return true;
}
