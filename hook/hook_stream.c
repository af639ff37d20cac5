/*
 * NAME
 *	hook_stream - waypost-hookd's own keys: dead letters and attempts
 * SYNOPSIS
 *	#include "hook_stream.h"
 *
 *	bool hook_streams_dead(streams, webhook, dead_max, body, body_length,
 *		status, error, attempts)
 *	bool hook_streams_attempt(streams, message, line, attempts_max,
 *		ttl_ms)
 * DESCRIPTION
 *	A webhook reads its events through lib/event_streams.c, with the
 *	consumer group "waypost-hookd:NAME" (HOOK_STREAM_GROUP) and the
 *	label "webhook NAME"; these write what only
 *	waypost-hookd writes, on the same link, with every key from
 *	lib/redis_keys.c:
 *
 *	.  hook_streams_dead(): XADD to hook-dead:NAME (MAXLEN ~ dead_max)
 *	   of the event with the last status, error and attempts;
 *	.  hook_streams_attempt(): LPUSH of one attempt's line to
 *	   hook-attempts:MESSAGE, with a TTL, trimmed to attempts_max when
 *	   the push's reply says it is longer: one LTRIM per list grown
 *	   past its cap rather than one per attempt (two commands per
 *	   attempt instead of three: issue 22's batches spend much of
 *	   Redis's time on them). The list may hold a few lines more while
 *	   the LTRIM is on its way.
 *
 *	Each returns false when the link has no connection; replies are
 *	checked only for errors (lib/event_streams.c logs them).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hook_stream.h"
#include "redis_keys.h"
#include "script_words.h"
#include "xmalloc.h"

/* What an LPUSH's reply needs to trim its list. */
struct trim {
	struct event_streams *streams;
	long long attempts_max;
	char key[]; /* NUL-terminated */
};

bool
hook_streams_dead(struct event_streams *streams, const char *webhook,
    long long dead_max, const char *body, size_t body_length, long status,
    const char *error, int attempts)
{
	struct script_words words = {0};

	script_word_text(&words, "XADD");
	script_word_begin(&words);
	redis_key_append(&words.text, event_streams_prefix(streams),
	    REDIS_KEY_HOOK_DEAD, webhook, NULL);
	script_word_end(&words);
	script_word_text(&words, "MAXLEN");
	script_word_text(&words, "~");
	script_word(&words, "%lld", dead_max);
	script_word_text(&words, "*");
	script_word_text(&words, "event");
	script_word_begin(&words);
	buffer_append(&words.text, body, body_length);
	script_word_end(&words);
	script_word_text(&words, "webhook");
	script_word_text(&words, webhook);
	script_word_text(&words, "status");
	script_word(&words, "%ld", status);
	script_word_text(&words, "error");
	script_word_text(&words, error);
	script_word_text(&words, "attempts");
	script_word(&words, "%d", attempts);
	script_word_text(&words, "time");
	script_word(&words, "%lld", (long long)time(NULL));
	return event_streams_send(streams, &words);
}

static void
on_pushed(void *context, const redisReply *reply, const char *why)
{
	struct trim *trim = context;
	struct script_words words = {0};

	event_streams_checked(trim->streams, reply, why);
	if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
	    reply->integer > trim->attempts_max) {
		script_word_text(&words, "LTRIM");
		script_word_text(&words, trim->key);
		script_word_text(&words, "0");
		script_word(&words, "%lld", trim->attempts_max - 1);
		(void)event_streams_send(trim->streams, &words);
	}
	free(trim);
}

bool
hook_streams_attempt(struct event_streams *streams, const char *message,
    const char *line, long long attempts_max, long long ttl_ms)
{
	struct buffer key = {0};
	struct script_words words = {0};
	struct trim *trim;
	bool sent;

	redis_key_append(&key, event_streams_prefix(streams),
	    REDIS_KEY_HOOK_ATTEMPTS, message, NULL);
	trim = xmalloc(sizeof(*trim) + key.length + 1);
	trim->streams = streams;
	trim->attempts_max = attempts_max;
	memcpy(trim->key, buffer_text(&key), key.length + 1);
	script_word_text(&words, "LPUSH");
	script_word_text(&words, buffer_text(&key));
	script_word_text(&words, line);
	sent = event_streams_send_then(streams, &words, on_pushed, trim);
	if (!sent) {
		free(trim); /* no call: done() is never called */
	} else {
		script_word_text(&words, "PEXPIRE");
		script_word_text(&words, buffer_text(&key));
		script_word(&words, "%lld", ttl_ms);
		sent = event_streams_send(streams, &words);
	}
	buffer_free(&key);
	return sent;
}
