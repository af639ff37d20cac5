/*
 * NAME
 *	bounce_reply - what Postfix's status text of one delivery attempt says
 * SUMMARY
 *	the SMTP stage, and the words the bounce rules match
 * SYNOPSIS
 *	#include "bounce_reply.h"
 *
 *	void bounce_reply_read(status_text, reply)
 *	const char *bounce_stage_name(stage)
 *	bool bounce_stage_from_name(name, length, &stage)
 *	bool bounce_dsn_parse(text, length, wildcards, &dsn)
 * DESCRIPTION
 *	A delivery agent's log line ends in "status=bounced (TEXT)". When a
 *	server answered, TEXT is Postfix's framing around its reply:
 *
 *	    host mx.example.com[192.0.2.1] said: 550 5.1.1 <a@example.com>:
 *	    User unknown (in reply to RCPT TO command)
 *	    host mx.example.com[192.0.2.1] refused to talk to me: 554 ...
 *
 *	possibly after Postfix's own words ("delivery temporarily
 *	suspended: host ... refused to talk to me: ..."). Otherwise TEXT
 *	is Postfix's own ("connect to ...: Connection timed out").
 *
 *	bounce_reply_read() finds the stage from the "(in reply to COMMAND
 *	command)" suffix (RCPT TO, end of DATA, ...) or the greeting
 *	refusal, and keeps the text the rules match: TEXT in lower case
 *	(ASCII), without any "host NAME[ADDRESS] said: " or "...refused to
 *	talk to me: " framing and without the suffix, so that a server's
 *	name ("mx.spamexperts.com") never matches a rule meant for what it
 *	said. Postfix's own sentences keep the names they contain.
 *
 *	bounce_dsn_parse() reads an enhanced status code X.Y.Z (RFC 3463:
 *	class 2, 4 or 5, then one to three digits twice); with wildcards,
 *	any part may be "*", stored as -1.
 * SECURITY
 *	The text is untrusted: a remote server chose most of it. Only the
 *	first BOUNCE_REPLY_MAX bytes of the kept text are kept; the stage
 *	is read from the end of the whole text. Nothing is allocated.
 */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "bounce_reply.h"

static const char *const stage_names[BOUNCE_STAGE_COUNT] = {
    [BOUNCE_STAGE_NONE] = "none",
    [BOUNCE_STAGE_GREETING] = "greeting",
    [BOUNCE_STAGE_HELO] = "helo",
    [BOUNCE_STAGE_MAIL] = "mail",
    [BOUNCE_STAGE_RCPT] = "rcpt",
    [BOUNCE_STAGE_DATA] = "data",
};

/* The commands of Postfix's "(in reply to X command)", by stage. */
static const struct {
	const char *command;
	enum bounce_stage stage;
} commands[] = {
    {"RCPT TO", BOUNCE_STAGE_RCPT},
    {"end of DATA", BOUNCE_STAGE_DATA},
    {"DATA", BOUNCE_STAGE_DATA},
    {"MAIL FROM", BOUNCE_STAGE_MAIL},
    {"EHLO", BOUNCE_STAGE_HELO},
    {"HELO", BOUNCE_STAGE_HELO},
    {"LHLO", BOUNCE_STAGE_HELO},
    {"STARTTLS", BOUNCE_STAGE_HELO},
    {"AUTH", BOUNCE_STAGE_HELO},
    {"XFORWARD", BOUNCE_STAGE_HELO},
    {"XCLIENT", BOUNCE_STAGE_HELO},
};

#define SUFFIX_START " (in reply to "
#define SUFFIX_END   " command)"
#define SAID         " said: "
#define REFUSED      " refused to talk to me: "

const char *
bounce_stage_name(enum bounce_stage stage)
{
	if ((unsigned)stage >= BOUNCE_STAGE_COUNT)
		return "?";
	return stage_names[stage];
}

bool
bounce_stage_from_name(
    const char *name, size_t length, enum bounce_stage *stage)
{
	for (int i = 0; i < BOUNCE_STAGE_COUNT; i++)
		if (strlen(stage_names[i]) == length &&
		    memcmp(stage_names[i], name, length) == 0) {
			*stage = (enum bounce_stage)i;
			return true;
		}
	return false;
}

/* Where the "(in reply to X command)" suffix starts, and its stage;
 * length when there is none. */
static size_t
find_suffix(const char *text, size_t length, enum bounce_stage *stage)
{
	size_t end = length, suffix_end = strlen(SUFFIX_END);
	size_t start_length = strlen(SUFFIX_START);

	while (end > 0 && isspace((unsigned char)text[end - 1]))
		end--;
	if (end < suffix_end + start_length ||
	    memcmp(text + end - suffix_end, SUFFIX_END, suffix_end) != 0)
		return length;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		size_t command = strlen(commands[i].command);
		size_t start = end - suffix_end;

		if (start < command + start_length)
			continue;
		start -= command;
		if (memcmp(text + start, commands[i].command, command) != 0 ||
		    memcmp(text + start - start_length, SUFFIX_START,
		        start_length) != 0)
			continue;
		*stage = commands[i].stage;
		return start - start_length;
	}
	return length;
}

/* The length of "host NAME[ADDRESS] said: " (or "refused to talk to
 * me: ") at text, 0 if there is none; *refused tells which. */
static size_t
framing_length(const char *text, size_t length, bool *refused)
{
	const char *close;
	size_t name;

	if (length < 5 || memcmp(text, "host ", 5) != 0)
		return 0;
	name = 5 + strcspn(text + 5, " [");
	if (name >= length || text[name] != '[' || name == 5)
		return 0;
	close = memchr(text + name, ']', length - name);
	if (close == NULL ||
	    memchr(text + name, ' ', (size_t)(close - text) - name) != NULL)
		return 0;
	name = (size_t)(close - text) + 1;
	if (length - name >= strlen(SAID) &&
	    memcmp(text + name, SAID, strlen(SAID)) == 0) {
		*refused = false;
		return name + strlen(SAID);
	}
	if (length - name >= strlen(REFUSED) &&
	    memcmp(text + name, REFUSED, strlen(REFUSED)) == 0) {
		*refused = true;
		return name + strlen(REFUSED);
	}
	return 0;
}

void
bounce_reply_read(const char *status_text, struct bounce_reply *reply)
{
	size_t length = strlen(status_text), end, i = 0;
	bool refused = false, any_refused = false;

	reply->stage = BOUNCE_STAGE_NONE;
	reply->length = 0;
	end = find_suffix(status_text, length, &reply->stage);
	while (i < end && reply->length < BOUNCE_REPLY_MAX) {
		if (i == 0 || (i >= 2 && status_text[i - 2] == ':' &&
		                  status_text[i - 1] == ' ')) {
			size_t skip =
			    framing_length(status_text + i, end - i, &refused);

			if (skip > 0) {
				any_refused |= refused;
				i += skip;
				continue;
			}
		}
		reply->text[reply->length++] =
		    (char)tolower((unsigned char)status_text[i++]);
	}
	reply->text[reply->length] = '\0';
	if (reply->stage == BOUNCE_STAGE_NONE && any_refused)
		reply->stage = BOUNCE_STAGE_GREETING;
}

/* One to three digits, or "*" when wildcards are allowed. */
static bool
dsn_part(const char **cursor, const char *end, bool wildcards, int *part)
{
	const char *start = *cursor;
	int value = 0;

	if (wildcards && start < end && *start == '*') {
		*part = -1;
		*cursor = start + 1;
		return true;
	}
	while (*cursor < end && isdigit((unsigned char)**cursor) &&
	       *cursor - start < 3)
		value = value * 10 + (*(*cursor)++ - '0');
	*part = value;
	return *cursor > start;
}

bool
bounce_dsn_parse(
    const char *text, size_t length, bool wildcards, struct bounce_dsn *dsn)
{
	const char *cursor = text, *end = text + length;

	for (int i = 0; i < 3; i++) {
		if (i > 0 && (cursor >= end || *cursor++ != '.'))
			return false;
		if (!dsn_part(&cursor, end, wildcards, &dsn->part[i]))
			return false;
	}
	if (cursor != end)
		return false;
	return dsn->part[0] == -1 || dsn->part[0] == 2 || dsn->part[0] == 4 ||
	       dsn->part[0] == 5;
}
