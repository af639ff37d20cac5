/*
 * NAME
 *	config_value - parse, format and free one typed configuration value
 * SYNOPSIS
 *	#include "config_value.h"
 *
 *	bool config_value_parse(key, text, target, error, error_size)
 *	void config_value_format(key, target, out, out_size)
 *	void config_value_free(key, target)
 * DESCRIPTION
 *	One place knows every value type of the configuration file (see
 *	config_file.h for the list). config_value_parse() converts the text
 *	of one key into the C object at target, or writes why it cannot
 *	into error, naming what was expected. It never leaves a partly
 *	parsed value behind. config_value_format() writes the canonical
 *	text back, which config_value_parse() reads to the same value:
 *	"waypost-dkim -n" prints a file that loads again.
 *
 *	Durations are kept in milliseconds, sizes in bytes; a bare number is
 *	seconds or bytes. Units are ms, s, m, h, d, w and K, M, G (powers of
 *	1024, either case). Overflow is an error, never a wrap.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cidr.h"
#include "config_value.h"
#include "socket_spec.h"
#include "text_copy.h"
#include "word_list.h"
#include "xmalloc.h"

#define CONFIG_LIST_MAX  256
#define ACCOUNT_NAME_MAX 32

struct unit {
	const char *suffix;
	long long factor;
};

static const struct unit duration_units[] = {
    {"w", 7LL * 24 * 3600 * 1000},
    {"d", 24LL * 3600 * 1000},
    {"h", 3600LL * 1000},
    {"m", 60LL * 1000},
    {"s", 1000},
    {"ms", 1},
    {NULL, 0},
};

static const struct unit size_units[] = {
    {"G", 1024LL * 1024 * 1024},
    {"M", 1024LL * 1024},
    {"K", 1024},
    {"", 1},
    {NULL, 0},
};

/* Digits, then a unit from the table (bare digits use bare_factor). */
static bool
parse_with_unit(const char *text, const struct unit *units, bool fold_case,
    long long bare_factor, long long *result)
{
	long long number = 0;
	const char *cursor = text;

	if (!isdigit((unsigned char)*cursor))
		return false;
	for (; isdigit((unsigned char)*cursor); cursor++) {
		if (number > (LLONG_MAX - 9) / 10)
			return false;
		number = number * 10 + (*cursor - '0');
	}
	if (*cursor == '\0') {
		if (number > LLONG_MAX / bare_factor)
			return false;
		*result = number * bare_factor;
		return true;
	}
	for (; units->suffix; units++) {
		if (fold_case ? strcasecmp(cursor, units->suffix) != 0
		              : strcmp(cursor, units->suffix) != 0)
			continue;
		if (number > LLONG_MAX / units->factor)
			return false;
		*result = number * units->factor;
		return true;
	}
	return false;
}

static void
format_with_unit(
    long long value, const struct unit *units, char *out, size_t size)
{
	for (; units->suffix; units++) {
		if (value != 0 && value % units->factor == 0) {
			snprintf(out, size, "%lld%s", value / units->factor,
			    units->suffix);
			return;
		}
	}
	snprintf(out, size, "%lld", value); /* 0: no unit divides it */
}

bool
config_parse_duration(const char *text, long long *milliseconds)
{
	return parse_with_unit(text, duration_units, false, 1000, milliseconds);
}

bool
config_parse_size(const char *text, long long *bytes)
{
	return parse_with_unit(text, size_units, true, 1, bytes);
}

void
config_format_duration(long long milliseconds, char *out, size_t size)
{
	if (milliseconds == 0)
		snprintf(out, size, "0s");
	else
		format_with_unit(milliseconds, duration_units, out, size);
}

void
config_format_size(long long bytes, char *out, size_t size)
{
	format_with_unit(bytes, size_units, out, size);
}

bool
config_parse_bool(const char *text, bool *value)
{
	static const char *const truths[] = {"yes", "true", "on", "1", NULL};
	static const char *const lies[] = {"no", "false", "off", "0", NULL};

	for (size_t i = 0; truths[i]; i++) {
		if (strcasecmp(text, truths[i]) == 0) {
			*value = true;
			return true;
		}
		if (strcasecmp(text, lies[i]) == 0) {
			*value = false;
			return true;
		}
	}
	return false;
}

static bool
parse_integer(const char *text, long long *value)
{
	char *end;

	if (!isdigit((unsigned char)text[text[0] == '-']))
		return false;
	errno = 0;
	*value = strtoll(text, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool
parse_mode(const char *text, long long *value)
{
	size_t length = strlen(text);

	if (length == 0 || length > 4 || strspn(text, "01234567") != length)
		return false;
	*value = strtoll(text, NULL, 8);
	return true;
}

static bool
valid_account_name(const char *name)
{
	size_t length = strlen(name);

	return length > 0 && length <= ACCOUNT_NAME_MAX && name[0] != '-' &&
	       strspn(name,
	           "abcdefghijklmnopqrstuvwxyz"
	           "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == length;
}

static void
list_free(struct config_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	list->items = NULL;
	list->count = 0;
}

static bool
parse_list(
    const char *text, struct config_list *list, char *error, size_t error_size)
{
	const char *cursor = text, *word;
	size_t length;

	list->count = 0;
	list->items = NULL;
	while (word_list_next(&cursor, &word, &length)) {
		if (list->count == CONFIG_LIST_MAX) {
			snprintf(error, error_size, "more than %d items",
			    CONFIG_LIST_MAX);
			list_free(list);
			return false;
		}
		list->items = xreallocarray(
		    list->items, list->count + 1, sizeof(*list->items));
		list->items[list->count++] = xstrndup(word, length);
	}
	return true;
}

static void
describe_choices(const char *const *choices, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; choices[i] && used < size; i++)
		used += (size_t)snprintf(
		    out + used, size - used, "%s%s", i ? ", " : "", choices[i]);
}

static void
describe_bound(
    const struct config_key *key, long long value, char *out, size_t size)
{
	if (key->type == CONFIG_DURATION)
		config_format_duration(value, out, size);
	else if (key->type == CONFIG_SIZE)
		config_format_size(value, out, size);
	else if (key->type == CONFIG_MODE)
		snprintf(out, size, "%04llo", value);
	else
		snprintf(out, size, "%lld", value);
}

static bool
check_bounds(const struct config_key *key, long long value, char *error,
    size_t error_size)
{
	char low[64], high[64];

	if (key->min == 0 && key->max == 0)
		return true;
	if (value >= key->min && value <= key->max)
		return true;
	describe_bound(key, key->min, low, sizeof(low));
	describe_bound(key, key->max, high, sizeof(high));
	snprintf(error, error_size, "must be between %s and %s", low, high);
	return false;
}

/* Scalars: text to a long long, with what was expected if it fails. */
static bool
parse_number(const struct config_key *key, const char *text, long long *value,
    char *error, size_t error_size)
{
	bool ok = false;
	const char *expected = "";

	switch (key->type) {
	case CONFIG_INTEGER:
		ok = parse_integer(text, value);
		expected = "a whole number";
		break;
	case CONFIG_DURATION:
		ok = config_parse_duration(text, value);
		expected = "a duration such as 500ms, 90s, 15m, 1h, 1d or 1w";
		break;
	case CONFIG_SIZE:
		ok = config_parse_size(text, value);
		expected = "a size such as 512, 64K, 10M or 1G";
		break;
	case CONFIG_MODE:
		ok = parse_mode(text, value);
		expected = "octal permission bits such as 0660";
		break;
	default:
		break;
	}
	if (!ok) {
		snprintf(error, error_size, "bad value \"%.100s\": expected %s",
		    text, expected);
		return false;
	}
	return check_bounds(key, *value, error, error_size);
}

static bool
parse_account(const struct config_key *key, const char *text, char **target,
    char *error, size_t error_size)
{
	bool exists;

	if (!valid_account_name(text)) {
		snprintf(error, error_size, "bad %s name \"%.100s\"",
		    key->type == CONFIG_USER ? "user" : "group", text);
		return false;
	}
	exists = key->type == CONFIG_USER ? getpwnam(text) != NULL
	                                  : getgrnam(text) != NULL;
	if (!exists) {
		snprintf(error, error_size, "no such %s \"%s\"",
		    key->type == CONFIG_USER ? "user" : "group", text);
		return false;
	}
	*target = xstrdup(text);
	return true;
}

bool
config_value_parse(const struct config_key *key, const char *text, void *target,
    char *error, size_t error_size)
{
	long long number;
	char choices[256];

	switch (key->type) {
	case CONFIG_PATH:
		if (text[0] != '/') {
			snprintf(error, error_size,
			    "\"%.100s\" is not an absolute path", text);
			return false;
		}
		/* FALLTHROUGH */
	case CONFIG_STRING:
		*(char **)target = xstrdup(text);
		return true;
	case CONFIG_USER:
	case CONFIG_GROUP:
		return parse_account(key, text, target, error, error_size);
	case CONFIG_BOOL:
		if (config_parse_bool(text, target))
			return true;
		snprintf(error, error_size,
		    "bad value \"%.100s\": expected yes or no", text);
		return false;
	case CONFIG_INTEGER:
	case CONFIG_DURATION:
	case CONFIG_SIZE:
		if (!parse_number(key, text, &number, error, error_size))
			return false;
		*(long long *)target = number;
		return true;
	case CONFIG_MODE:
		if (!parse_number(key, text, &number, error, error_size))
			return false;
		*(unsigned *)target = (unsigned)number;
		return true;
	case CONFIG_CHOICE:
		for (int i = 0; key->choices[i]; i++) {
			if (strcmp(text, key->choices[i]) == 0) {
				*(int *)target = i;
				return true;
			}
		}
		describe_choices(key->choices, choices, sizeof(choices));
		snprintf(error, error_size,
		    "bad value \"%.100s\": expected one of %s", text, choices);
		return false;
	case CONFIG_LIST:
		return parse_list(text, target, error, error_size);
	case CONFIG_CIDR_LIST:
		return cidr_list_parse(text, target, error, error_size);
	case CONFIG_SOCKET:
		return socket_spec_parse(text, target, error, error_size);
	case CONFIG_ADDRESS:
		return socket_spec_parse_address(
		    text, target, error, error_size);
	}
	snprintf(error, error_size, "internal error: unknown type");
	return false;
}

bool
config_value_is_set(const struct config_key *key, const void *target)
{
	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_USER:
	case CONFIG_GROUP:
		return *(char *const *)target != NULL;
	case CONFIG_LIST:
		return ((const struct config_list *)target)->count > 0;
	case CONFIG_CIDR_LIST:
		return ((const struct cidr_list *)target)->count > 0;
	case CONFIG_SOCKET:
	case CONFIG_ADDRESS:
		return ((const struct socket_spec *)target)->kind !=
		       SOCKET_NONE;
	default:
		return true;
	}
}

/* Append "a, b, c" to out without overflowing it; "..." marks a cut. */
static void
format_items(size_t count, const char *(*item)(const void *, size_t, char *),
    const void *list, char *out, size_t size)
{
	size_t used = 0;
	char buffer[CIDR_TEXT_MAX];

	out[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		const char *text = item(list, i, buffer);
		int length = snprintf(
		    out + used, size - used, "%s%s", i ? ", " : "", text);

		if (length < 0 || (size_t)length >= size - used) {
			if (size >= 4)
				strcpy(out + size - 4, "...");
			return;
		}
		used += (size_t)length;
	}
}

static const char *
list_item(const void *list, size_t i, char *buffer)
{
	(void)buffer;
	return ((const struct config_list *)list)->items[i];
}

static const char *
cidr_item(const void *list, size_t i, char *buffer)
{
	cidr_format(&((const struct cidr_list *)list)->networks[i], buffer,
	    CIDR_TEXT_MAX);
	return buffer;
}

void
config_value_format(const struct config_key *key, const void *target, char *out,
    size_t out_size)
{
	const char *text;

	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_USER:
	case CONFIG_GROUP:
		text = *(char *const *)target;
		text_copy(out, out_size, text ? text : "");
		break;
	case CONFIG_BOOL:
		text_copy(out, out_size, *(const bool *)target ? "yes" : "no");
		break;
	case CONFIG_INTEGER:
		snprintf(out, out_size, "%lld", *(const long long *)target);
		break;
	case CONFIG_DURATION:
		config_format_duration(
		    *(const long long *)target, out, out_size);
		break;
	case CONFIG_SIZE:
		config_format_size(*(const long long *)target, out, out_size);
		break;
	case CONFIG_MODE:
		snprintf(out, out_size, "%04o", *(const unsigned *)target);
		break;
	case CONFIG_CHOICE:
		text_copy(out, out_size, key->choices[*(const int *)target]);
		break;
	case CONFIG_LIST:
		format_items(((const struct config_list *)target)->count,
		    list_item, target, out, out_size);
		break;
	case CONFIG_CIDR_LIST:
		format_items(((const struct cidr_list *)target)->count,
		    cidr_item, target, out, out_size);
		break;
	case CONFIG_SOCKET:
		socket_spec_format(target, out, out_size);
		break;
	case CONFIG_ADDRESS:
		socket_spec_format_address(target, out, out_size);
		break;
	}
}

void
config_value_free(const struct config_key *key, void *target)
{
	switch (key->type) {
	case CONFIG_STRING:
	case CONFIG_PATH:
	case CONFIG_USER:
	case CONFIG_GROUP:
		free(*(char **)target);
		*(char **)target = NULL;
		break;
	case CONFIG_LIST:
		list_free(target);
		break;
	case CONFIG_CIDR_LIST:
		cidr_list_free(target);
		break;
	default:
		break;
	}
}
