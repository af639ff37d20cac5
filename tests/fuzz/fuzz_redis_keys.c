/*
 * fuzz_redis_keys.c - fuzz target: Redis key names, made and read back
 *
 * The keys waypostctl reads back come from Redis' SCAN, so they are
 * whatever the keyspace holds (lib/redis_keys.c). The input's first
 * byte picks a kind of key; the rest, split at its first newline, gives
 * the key's two parts (the second dropped for a kind of one part).
 * Checks: the key made of them reads back into exactly those parts (the
 * escaping of a first part and the braces of a hash tag undone), and
 * not as a key of another kind whose words differ; the SCAN pattern of
 * them is made without fault; the whole input read as a key of that kind
 * either fails or gives parts no longer than it.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "redis_keys.h"

#define PREFIX "w:"

/* bytes [0, size) as a C string, cut at a NUL */
static char *
text_of(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

static void
check_round_trip(enum redis_key kind, const char *name, const char *subject)
{
	struct buffer key = {0}, pattern = {0}, got_name = {0}, got = {0};

	redis_key_append(&key, PREFIX, kind, name, subject);
	if (!redis_key_parse(buffer_text(&key), PREFIX, kind, &got_name, &got))
		__builtin_trap();
	if (strcmp(buffer_text(&got_name), name) != 0)
		__builtin_trap();
	if (strcmp(buffer_text(&got), subject != NULL ? subject : "") != 0)
		__builtin_trap();
	redis_key_append_pattern(&pattern, PREFIX, kind, name, subject);
	if (pattern.length < key.length)
		__builtin_trap(); /* escaping only adds */
	buffer_free(&key);
	buffer_free(&pattern);
	buffer_free(&got_name);
	buffer_free(&got);
}

static void
check_any_text(enum redis_key kind, const char *text)
{
	struct buffer name = {0}, subject = {0};

	if (redis_key_parse(text, PREFIX, kind, &name, &subject) &&
	    name.length + subject.length > strlen(text))
		__builtin_trap();
	buffer_free(&name);
	buffer_free(&subject);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum redis_key kind;
	char *rest, *newline, *subject = "";

	if (size < 1)
		return 0;
	kind = (enum redis_key)(data[0] % REDIS_KEY_COUNT);
	rest = text_of(data + 1, size - 1);
	check_any_text(kind, rest);
	newline = strchr(rest, '\n');
	if (newline != NULL) {
		*newline = '\0';
		subject = newline + 1;
	}
	check_round_trip(
	    kind, rest, redis_key_parts(kind) == 2 ? subject : NULL);
	free(rest);
	return 0;
}
