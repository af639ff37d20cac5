/*
 * NAME
 *	log_time - the time at the start of a log line
 * SUMMARY
 *	Postfix's and syslog's time stamps, read into a time_t
 * SYNOPSIS
 *	#include "log_time.h"
 *
 *	size_t log_time_parse(data, length, clock, time)
 *	time_t log_time_from_civil(year, month, day, hour, minute, second)
 * DESCRIPTION
 *	log_time_parse() reads the time stamp that data[0, length) starts
 *	with, stores it in time and returns its length in bytes, or 0 if
 *	data does not start with one of these forms:
 *
 *	"Dec 01 10:00:00", written by Postfix's own maillog_file
 *	(postlogd; strftime "%b %d %H:%M:%S " in src/util/msg_logger.c),
 *	and by journalctl -o short;
 *
 *	"Dec  1 10:00:00", a traditional syslog file (rsyslog's
 *	RSYSLOG_TraditionalFileFormat): the day padded with a space;
 *
 *	"2026-12-01T10:00:00.123456+00:00", rsyslog's RSYSLOG_FileFormat
 *	(RFC 3339, the default of rsyslog's omfile and so of Debian 12's
 *	/var/log/mail.log): a fraction of up to 9 digits (dropped), then
 *	"Z", "+hh:mm" or "+hhmm" (journalctl -o short-iso); without a zone
 *	it is read as local time.
 *
 *	A time without a zone is local time: clock->utc_offset says how
 *	far east of UTC it is. A time without a year is put in the latest
 *	year that makes it at most LOG_LINE_FUTURE_SLACK after clock->now,
 *	so a "Dec 31 23:59:59" read on January 1st is last year's, and
 *	"Feb 29" goes back to the last leap year.
 *
 *	log_time_from_civil() is the time_t of a UTC date and time, by
 *	arithmetic (the days-from-civil method of the proleptic Gregorian
 *	calendar), with no time zone file, no locale and no allocation:
 *	the parser must not do I/O. month is 1 to 12.
 * BUGS
 *	The caller gives one UTC offset: lines written just before a
 *	daylight saving change and read after it are an hour off.
 */
#include "config.h"

#include <string.h>

#include "log_time.h"

#define SECONDS_PER_DAY 86400LL
#define YEARS_TRIED     9 /* next year back to 7 before: a leap day, 2100 */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

time_t
log_time_from_civil(
    long long year, int month, int day, int hour, int minute, int second)
{
	long long era, year_of_era, day_of_year, day_of_era, days;

	year -= month <= 2;
	era = (year >= 0 ? year : year - 399) / 400;
	year_of_era = year - era * 400;
	day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 +
	             day_of_year;
	days = era * 146097 + day_of_era - 719468;
	return (time_t)(days * SECONDS_PER_DAY + hour * 3600LL + minute * 60LL +
	                second);
}

static bool
leap_year(long long year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
days_in_month(long long year, int month)
{
	static const int days[] = {
	    31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

/* The year of a time_t, UTC. */
static long long
year_of(time_t when)
{
	long long days = (long long)when / SECONDS_PER_DAY;
	long long era, day_of_era, year_of_era, day_of_year, month_index;

	if ((long long)when % SECONDS_PER_DAY < 0)
		days--;
	days += 719468;
	era = (days >= 0 ? days : days - 146096) / 146097;
	day_of_era = days - era * 146097;
	year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 -
	                  day_of_era / 146096) /
	              365;
	day_of_year = day_of_era -
	              (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
	month_index = (5 * day_of_year + 2) / 153;
	return year_of_era + era * 400 + (month_index >= 10);
}

/* count decimal digits at data into value; false if one is not a digit */
static bool
digits(const char *data, size_t count, int *value)
{
	*value = 0;
	for (size_t i = 0; i < count; i++) {
		if (data[i] < '0' || data[i] > '9')
			return false;
		*value = *value * 10 + (data[i] - '0');
	}
	return true;
}

/* "HH:MM:SS" */
static bool
clock_time(const char *data, int *hour, int *minute, int *second)
{
	return digits(data, 2, hour) && data[2] == ':' &&
	       digits(data + 3, 2, minute) && data[5] == ':' &&
	       digits(data + 6, 2, second) && *hour <= 23 && *minute <= 59 &&
	       *second <= 60;
}

/* "Dec 01 10:00:00" or "Dec  1 10:00:00": 15 bytes, no year, local. */
static size_t
parse_without_year(const char *data, size_t length,
    const struct log_clock *clock, time_t *time)
{
	const char *found;
	int month, day, hour, minute, second;
	long long year;

	if (length < 15 || data[3] != ' ' || data[6] != ' ')
		return 0;
	for (found = months; *found != '\0'; found += 3)
		if (memcmp(found, data, 3) == 0)
			break;
	if (*found == '\0')
		return 0;
	month = (int)(found - months) / 3 + 1;
	if (data[4] == ' ') {
		if (!digits(data + 5, 1, &day) || day == 0)
			return 0;
	} else if (!digits(data + 4, 2, &day) || day == 0) {
		return 0;
	}
	if (!clock_time(data + 7, &hour, &minute, &second) || day > 31)
		return 0;
	year = year_of(clock->now + clock->utc_offset) + 1;
	for (int tried = 0; tried < YEARS_TRIED; tried++, year--) {
		time_t candidate;

		if (day > days_in_month(year, month))
			continue;
		candidate = log_time_from_civil(
		                year, month, day, hour, minute, second) -
		            clock->utc_offset;
		if (candidate <= clock->now + LOG_LINE_FUTURE_SLACK) {
			*time = candidate;
			return 15;
		}
	}
	return 0;
}

/* "Z", "+hh:mm", "+hhmm" or nothing (local time); bytes read, or -1. */
static long
parse_zone(const char *data, size_t length, long *offset,
    const struct log_clock *clock)
{
	int hours, minutes;
	long read;

	*offset = clock->utc_offset;
	if (length == 0 || data[0] == ' ')
		return 0;
	if (data[0] == 'Z') {
		*offset = 0;
		return 1;
	}
	if ((data[0] != '+' && data[0] != '-') || length < 5 ||
	    !digits(data + 1, 2, &hours))
		return -1;
	if (data[3] == ':') {
		if (length < 6 || !digits(data + 4, 2, &minutes))
			return -1;
		read = 6;
	} else if (digits(data + 3, 2, &minutes)) {
		read = 5;
	} else {
		return -1;
	}
	if (hours > 23 || minutes > 59)
		return -1;
	*offset = (hours * 3600L + minutes * 60L) * (data[0] == '-' ? -1 : 1);
	return read;
}

/* "2026-12-01T10:00:00[.123456][Z|+00:00|+0000]" */
static size_t
parse_rfc3339(const char *data, size_t length, const struct log_clock *clock,
    time_t *time)
{
	int year, month, day, hour, minute, second;
	size_t at = 19;
	long zone_length, offset;

	if (length < 19 || !digits(data, 4, &year) || data[4] != '-' ||
	    !digits(data + 5, 2, &month) || data[7] != '-' ||
	    !digits(data + 8, 2, &day) ||
	    (data[10] != 'T' && data[10] != ' ') ||
	    !clock_time(data + 11, &hour, &minute, &second))
		return 0;
	if (month < 1 || month > 12 || day < 1 ||
	    day > days_in_month(year, month))
		return 0;
	if (at < length && data[at] == '.') {
		size_t first = ++at;

		while (at < length && at - first < 9 && data[at] >= '0' &&
		       data[at] <= '9')
			at++;
		if (at == first)
			return 0;
	}
	zone_length = parse_zone(data + at, length - at, &offset, clock);
	if (zone_length < 0)
		return 0;
	*time = log_time_from_civil(year, month, day, hour, minute, second) -
	        offset;
	return at + (size_t)zone_length;
}

size_t
log_time_parse(const char *data, size_t length, const struct log_clock *clock,
    time_t *time)
{
	if (length > 0 && data[0] >= '0' && data[0] <= '9')
		return parse_rfc3339(data, length, clock, time);
	return parse_without_year(data, length, clock, time);
}
