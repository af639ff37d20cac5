/*
 * NAME
 *	date_repair - check an RFC 5322 Date, repair the common wrong ones
 * SYNOPSIS
 *	#include "date_repair.h"
 *
 *	enum date_state date_repair(value, out, out_size)
 *	void date_format(when, out, out_size)
 * DESCRIPTION
 *	date_repair() reads an unfolded Date value. DATE_VALID: it is an
 *	RFC 5322 date-time ([day-name ","] day month 4-digit-year
 *	hh:mm[:ss] zone, the zone numeric or an obsolete name such as GMT,
 *	a trailing comment allowed), with a day-name that matches the date.
 *
 *	Otherwise it tries the forms legacy software writes, and when the
 *	date and time are unambiguous writes the same instant in RFC 5322
 *	form to out (DATE_REPAIRED):
 *
 *	.  ISO 8601: 2026-11-23T10:00:00Z, 2026-11-23 10:00:00.123+02:00;
 *	.  a zone with a colon (+02:00), or none at all (written -0000,
 *	   which RFC 5322 3.3 defines as "no zone information");
 *	.  a missing or wrong comma, a wrong day-name;
 *	.  a two- or three-digit year (RFC 5322 4.3: 00-49 is 20xx, 50-999
 *	   is 1900 plus);
 *	.  the C library's asctime() form: Mon Nov 23 10:00:00 2026.
 *
 *	Anything else is DATE_INVALID: the caller replaces it.
 *
 *	date_format() writes a time in RFC 5322 form in the relay's time
 *	zone.
 * SECURITY
 *	The value is from the client: fixed-size fields, every number
 *	range-checked, no strptime() (locale-dependent).
 */
#include "config.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "date_repair.h"

static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const days[] = {
    "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};

struct date {
	int year, month, day; /* month 1-12 */
	int hour, minute, second;
	int zone_minutes; /* east of UTC */
	bool zone_known;
	int day_name; /* 0-6, or -1 */
};

/* Tokens: numbers, words and single punctuation, white space and
 * comments dropped. */
#define TOKENS_MAX 24
#define TOKEN_MAX  16

struct tokens {
	char text[TOKENS_MAX][TOKEN_MAX];
	size_t count;
};

static bool
tokenize(const char *value, struct tokens *tokens)
{
	const char *p = value;
	int depth = 0;

	tokens->count = 0;
	while (*p) {
		size_t length = 0;

		if (*p == '(') {
			depth++, p++;
			continue;
		}
		if (*p == ')' && depth > 0) {
			depth--, p++;
			continue;
		}
		if (depth > 0 || isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (tokens->count == TOKENS_MAX)
			return false;
		if (isalnum((unsigned char)*p)) {
			bool digits = isdigit((unsigned char)*p);

			while (*p && isalnum((unsigned char)*p) &&
			       (isdigit((unsigned char)*p) != 0) == digits) {
				if (length + 1 == TOKEN_MAX)
					return false;
				tokens->text[tokens->count][length++] = *p++;
			}
		} else
			tokens->text[tokens->count][length++] = *p++;
		tokens->text[tokens->count++][length] = '\0';
	}
	return depth == 0;
}

static bool
is_number(const char *token, size_t min_digits, size_t max_digits)
{
	size_t length = strlen(token);

	if (length < min_digits || length > max_digits)
		return false;
	for (size_t i = 0; i < length; i++)
		if (!isdigit((unsigned char)token[i]))
			return false;
	return true;
}

static int
lookup(const char *token, const char *const *names, int count, bool prefix)
{
	size_t length = strlen(token);

	for (int i = 0; i < count; i++)
		if (prefix ? length >= 3 && strncasecmp(token, names[i], 3) == 0
		           : strcasecmp(token, names[i]) == 0)
			return i;
	return -1;
}

static bool
leap(int year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
month_days(int year, int month)
{
	static const int lengths[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return lengths[month - 1] + (month == 2 && leap(year));
}

/* Sakamoto's method: 0 is Sunday. */
static int
weekday(int year, int month, int day)
{
	static const int offsets[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};

	year -= month < 3;
	return (year + year / 4 - year / 100 + year / 400 + offsets[month - 1] +
	           day) %
	       7;
}

static bool
in_range(const struct date *date)
{
	return date->year >= 1900 && date->year <= 9999 && date->month >= 1 &&
	       date->month <= 12 && date->day >= 1 &&
	       date->day <= month_days(date->year, date->month) &&
	       date->hour >= 0 && date->hour <= 23 && date->minute >= 0 &&
	       date->minute <= 59 && date->second >= 0 && date->second <= 60;
}

/* Obsolete zone names of RFC 5322 4.3, in minutes east of UTC. */
static bool
named_zone(const char *token, int *minutes)
{
	static const struct {
		const char *name;
		int minutes;
	} zones[] = {{"UT", 0}, {"UTC", 0}, {"GMT", 0}, {"Z", 0}, {"EST", -300},
	    {"EDT", -240}, {"CST", -360}, {"CDT", -300}, {"MST", -420},
	    {"MDT", -360}, {"PST", -480}, {"PDT", -420}};

	for (size_t i = 0; i < sizeof(zones) / sizeof(zones[0]); i++)
		if (strcasecmp(token, zones[i].name) == 0) {
			*minutes = zones[i].minutes;
			return true;
		}
	return false;
}

/* The tokens from *at: hh ":" mm [":" ss ["." fraction]] */
static bool
read_time(const struct tokens *tokens, size_t *at, struct date *date)
{
	size_t i = *at;

	if (i + 2 >= tokens->count || !is_number(tokens->text[i], 1, 2) ||
	    strcmp(tokens->text[i + 1], ":") != 0 ||
	    !is_number(tokens->text[i + 2], 2, 2))
		return false;
	date->hour = atoi(tokens->text[i]);
	date->minute = atoi(tokens->text[i + 2]);
	date->second = 0;
	i += 3;
	if (i + 1 < tokens->count && strcmp(tokens->text[i], ":") == 0 &&
	    is_number(tokens->text[i + 1], 2, 2)) {
		date->second = atoi(tokens->text[i + 1]);
		i += 2;
		if (i + 1 < tokens->count &&
		    strcmp(tokens->text[i], ".") == 0 &&
		    is_number(tokens->text[i + 1], 1, 9))
			i += 2; /* fractions of a second: dropped */
	}
	*at = i;
	return true;
}

/* A zone from *at: +hhmm, +hh:mm, +hh, a name, or nothing. strict:
 * only the RFC 5322 forms (+hhmm or a name). */
static bool
read_zone(const struct tokens *tokens, size_t *at, struct date *date,
    bool strict, bool *repaired)
{
	size_t i = *at;
	int sign, hours, minutes = 0;

	date->zone_known = false;
	date->zone_minutes = 0;
	if (i == tokens->count) {
		*repaired = true;
		return !strict;
	}
	if (named_zone(tokens->text[i], &date->zone_minutes)) {
		date->zone_known = true;
		*repaired |= strcasecmp(tokens->text[i], "Z") == 0 ||
		             strcasecmp(tokens->text[i], "UTC") == 0;
		*at = i + 1;
		return true;
	}
	if (strcmp(tokens->text[i], "+") != 0 &&
	    strcmp(tokens->text[i], "-") != 0)
		return false;
	sign = tokens->text[i][0] == '-' ? -1 : 1;
	if (++i == tokens->count)
		return false;
	if (is_number(tokens->text[i], 4, 4)) {
		hours = atoi(tokens->text[i]) / 100;
		minutes = atoi(tokens->text[i]) % 100;
		i++;
	} else if (!strict && is_number(tokens->text[i], 1, 2)) {
		hours = atoi(tokens->text[i++]);
		if (i + 1 < tokens->count &&
		    strcmp(tokens->text[i], ":") == 0 &&
		    is_number(tokens->text[i + 1], 2, 2)) {
			minutes = atoi(tokens->text[i + 1]);
			i += 2;
		}
		*repaired = true;
	} else
		return false;
	if (hours > 23 || minutes > 59)
		return false;
	date->zone_minutes = sign * (hours * 60 + minutes);
	/* -0000: RFC 5322 3.3's "no information about the zone" */
	date->zone_known = !(sign < 0 && date->zone_minutes == 0);
	*at = i;
	return true;
}

static int
full_year(const char *token)
{
	int year = atoi(token);
	size_t length = strlen(token);

	if (length == 2)
		return year < 50 ? 2000 + year : 1900 + year;
	if (length == 3)
		return 1900 + year;
	return year;
}

/* [day-name [","]] day month year time [zone] */
static bool
read_rfc_like(
    const struct tokens *tokens, struct date *date, bool strict, bool *repaired)
{
	size_t i = 0;

	date->day_name = -1;
	if (i < tokens->count &&
	    (date->day_name = lookup(tokens->text[i], days, 7, true)) >= 0) {
		*repaired |= strlen(tokens->text[i]) != 3;
		i++;
		if (i < tokens->count && strcmp(tokens->text[i], ",") == 0)
			i++;
		else if (strict)
			return false;
		else
			*repaired = true;
	}
	if (i + 2 >= tokens->count || !is_number(tokens->text[i], 1, 2) ||
	    (date->month = lookup(tokens->text[i + 1], months, 12, !strict) +
	                   1) == 0 ||
	    !is_number(tokens->text[i + 2], strict ? 4 : 2, 4))
		return false;
	*repaired |=
	    strlen(tokens->text[i + 1]) != 3 || strlen(tokens->text[i + 2]) < 4;
	date->day = atoi(tokens->text[i]);
	date->year = full_year(tokens->text[i + 2]);
	i += 3;
	return read_time(tokens, &i, date) &&
	       read_zone(tokens, &i, date, strict, repaired) &&
	       i == tokens->count;
}

/* day-name month day time [zone] year: asctime() and Unix date(1). */
static bool
read_asctime(const struct tokens *tokens, struct date *date)
{
	size_t i = 0;
	bool repaired = false;

	if (tokens->count < 7 ||
	    (date->day_name = lookup(tokens->text[0], days, 7, true)) < 0 ||
	    (date->month = lookup(tokens->text[1], months, 12, true) + 1) ==
	        0 ||
	    !is_number(tokens->text[2], 1, 2))
		return false;
	date->day = atoi(tokens->text[2]);
	i = 3;
	if (!read_time(tokens, &i, date))
		return false;
	date->zone_known = false;
	if (i + 1 < tokens->count &&
	    !read_zone(tokens, &i, date, false, &repaired))
		return false;
	if (i + 1 != tokens->count || !is_number(tokens->text[i], 4, 4))
		return false;
	date->year = atoi(tokens->text[i]);
	return true;
}

/* yyyy "-" mm "-" dd ["T"] time [zone] */
static bool
read_iso(const struct tokens *tokens, struct date *date)
{
	size_t i = 0;
	bool repaired = false;

	date->day_name = -1;
	if (tokens->count < 5 || !is_number(tokens->text[0], 4, 4) ||
	    strcmp(tokens->text[1], "-") != 0 ||
	    !is_number(tokens->text[2], 1, 2) ||
	    strcmp(tokens->text[3], "-") != 0)
		return false;
	date->year = atoi(tokens->text[0]);
	date->month = atoi(tokens->text[2]);
	if (!is_number(tokens->text[4], 1, 2))
		return false;
	date->day = atoi(tokens->text[4]);
	i = 5;
	/* The tokenizer splits "23T10" into "23", "T", "10". */
	if (i < tokens->count && strcasecmp(tokens->text[i], "T") == 0)
		i++;
	if (!read_time(tokens, &i, date))
		return false;
	return read_zone(tokens, &i, date, false, &repaired) &&
	       i == tokens->count;
}

static void
write_date(const struct date *date, char *out, size_t out_size)
{
	int zone =
	    date->zone_minutes < 0 ? -date->zone_minutes : date->zone_minutes;

	snprintf(out, out_size, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    days[weekday(date->year, date->month, date->day)], date->day,
	    months[date->month - 1], date->year, date->hour, date->minute,
	    date->second,
	    date->zone_known && date->zone_minutes >= 0 ? '+' : '-', zone / 60,
	    zone % 60);
}

enum date_state
date_repair(const char *value, char *out, size_t out_size)
{
	struct tokens tokens;
	struct date date;
	bool repaired = false;

	if (!tokenize(value, &tokens))
		return DATE_INVALID;
	if (read_rfc_like(&tokens, &date, true, &repaired) && !repaired &&
	    in_range(&date) &&
	    (date.day_name < 0 ||
	        date.day_name == weekday(date.year, date.month, date.day)))
		return DATE_VALID;
	memset(&date, 0, sizeof(date));
	if (!read_rfc_like(&tokens, &date, false, &repaired) &&
	    !read_iso(&tokens, &date) && !read_asctime(&tokens, &date))
		return DATE_INVALID;
	if (!in_range(&date))
		return DATE_INVALID;
	write_date(&date, out, out_size);
	return DATE_REPAIRED;
}

void
date_format(time_t when, char *out, size_t out_size)
{
	struct tm local;
	long offset;
	int minutes;

	localtime_r(&when, &local);
	offset = local.tm_gmtoff / 60;
	minutes = (int)(offset < 0 ? -offset : offset);
	snprintf(out, out_size, "%s, %d %s %04d %02d:%02d:%02d %c%02d%02d",
	    days[local.tm_wday], local.tm_mday, months[local.tm_mon],
	    local.tm_year + 1900, local.tm_hour, local.tm_min, local.tm_sec,
	    offset < 0 ? '-' : '+', minutes / 60, minutes % 60);
}
