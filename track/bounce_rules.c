/*
 * NAME
 *	bounce_rules - the bounce classes file: rules read, checked and kept
 * SUMMARY
 *	the reader of waypost-bounce-classes(5)
 * SYNOPSIS
 *	#include "bounce_rules.h"
 *
 *	struct bounce_rules *bounce_rules_load(path, errors)
 *	struct bounce_rules *bounce_rules_parse(file, data, size, errors)
 *	void bounce_rules_print(rules, out)
 *	void bounce_rules_free(rules)
 * DESCRIPTION
 *	One rule per line: a class, then conditions, all of which must
 *	hold (see waypost-bounce-classes(5)):
 *
 *	    CLASS [dsn=X.Y.Z,...] [stage=S,...] [relay=none]
 *	          [text="..."]... [regex="..."]...
 *
 *	Several text= and regex= of one rule are alternatives: one of
 *	them must match. A value is quoted with " or ' when it holds white
 *	space or "#"; there are no escapes, so a value holds at most one
 *	kind of quote. "#" outside quotes starts a comment.
 *
 *	bounce_rules_load() reads a file (refused when others may write
 *	it: it decides what is suppressed) and bounce_rules_parse() a
 *	buffer. Every line they cannot use adds an error "FILE:LINE:
 *	reason" to errors, and then they return NULL: a file with one bad
 *	line is refused whole, so a reload keeps the rules in use.
 *	bounce_rules_print() writes the rules back in the same grammar,
 *	texts in lower case, one line each, never longer than it was read:
 *	the rules read back from it are the same.
 *
 *	Text matches ignore case (ASCII) and are plain substrings, which
 *	is what most rules need and cannot go wrong on the "." "[" "("
 *	every reply is full of; regex= is a POSIX extended regular
 *	expression (regcomp(3), REG_ICASE | REG_NOSUB), for the few rules
 *	that need an order of words or an anchor.
 * SECURITY
 *	The file is the admin's, but a mistake in it must not crash or
 *	mislead the daemon. Bounds: BOUNCE_RULES_FILE_MAX bytes,
 *	BOUNCE_RULES_LINE_MAX bytes per line, BOUNCE_RULES_MAX rules,
 *	BOUNCE_RULE_DSN_MAX codes, BOUNCE_RULE_PATTERNS_MAX texts and
 *	regexes and BOUNCE_RULE_TEXT_MAX bytes each per rule. NUL and
 *	control bytes are refused. A regex may hold at most
 *	BOUNCE_RULE_REGEX_PLUS_MAX "+" and no interval {n,m}: glibc's
 *	regcomp() copies what they repeat, so nested they cost memory as
 *	a power of their count. Back-references (\1 to \9) are refused:
 *	regexec() backtracks on them, in time exponential in the length of
 *	a reply the remote server wrote.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bounce_rules.h"
#include "file_read.h"
#include "xmalloc.h"

/* One line being read. */
struct rule_line {
	const char *file;
	int number;
	struct config_errors *errors;
	char *cursor;
	bool failed;
	char text[BOUNCE_RULES_LINE_MAX + 1];
};

static void line_error(struct rule_line *line, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

static void
line_error(struct rule_line *line, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	config_errors_vadd_at(
	    line->errors, line->file, line->number, format, ap);
	va_end(ap);
	line->failed = true;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* The next word, NUL-terminated in place: a name=value pair or the
 * class. NULL at the end of the line or at a comment. */
static char *
next_word(struct rule_line *line, char **value)
{
	char *word, *end;

	*value = NULL;
	while (is_blank(*line->cursor))
		line->cursor++;
	if (*line->cursor == '\0' || *line->cursor == '#')
		return NULL;
	word = line->cursor;
	end = word + strcspn(word, " \t=\"'");
	if (*end == '"' || *end == '\'') {
		line_error(line,
		    "a quote inside \"%.*s\": only a value after "
		    "NAME= may be quoted",
		    (int)(end - word), word);
		return NULL;
	}
	if (*end != '=') {
		line->cursor = end + (*end != '\0');
		*end = '\0';
		return word;
	}
	*end++ = '\0';
	if (*end == '"' || *end == '\'') {
		char *close = strchr(end + 1, *end);

		if (close == NULL) {
			line_error(line, "%s=: the quote %c is not closed",
			    word, *end);
			return NULL;
		}
		if (close[1] != '\0' && !is_blank(close[1])) {
			line_error(line,
			    "%s=: white space must follow the closing quote",
			    word);
			return NULL;
		}
		*value = end + 1;
		*close = '\0';
		line->cursor = close + 1 + (close[1] != '\0');
		return word;
	}
	*value = end;
	end += strcspn(end, " \t\"'");
	if (*end == '"' || *end == '\'') {
		line_error(
		    line, "%s=: a quote inside a value must start it", word);
		return NULL;
	}
	line->cursor = end + (*end != '\0');
	*end = '\0';
	return word;
}

static bool
parse_dsn(struct rule_line *line, struct bounce_rule *rule, const char *value)
{
	const char *item = value;

	for (;;) {
		size_t length = strcspn(item, ",");

		if (rule->dsn_count == BOUNCE_RULE_DSN_MAX) {
			line_error(line, "dsn=: more than %d codes",
			    BOUNCE_RULE_DSN_MAX);
			return false;
		}
		if (!bounce_dsn_parse(
		        item, length, true, &rule->dsn[rule->dsn_count])) {
			line_error(line,
			    "dsn=: \"%.*s\" is not a status code like 5.1.1, "
			    "5.7.* or 4.*.* (class 2, 4, 5 or *)",
			    (int)length, item);
			return false;
		}
		rule->dsn_count++;
		if (item[length] == '\0')
			return true;
		item += length + 1;
	}
}

static bool
parse_stage(struct rule_line *line, struct bounce_rule *rule, const char *value)
{
	const char *item = value;

	if (strcmp(value, "any") == 0)
		return true;
	for (;;) {
		size_t length = strcspn(item, ",");
		enum bounce_stage stage;

		if (!bounce_stage_from_name(item, length, &stage)) {
			line_error(line,
			    "stage=: \"%.*s\" is not a stage (greeting, helo, "
			    "mail, rcpt, data, none, or any alone)",
			    (int)length, item);
			return false;
		}
		rule->stages |= 1u << stage;
		if (item[length] == '\0')
			return true;
		item += length + 1;
	}
}

/* Why a regex would cost regcomp() or regexec() too much, or NULL. glibc
 * compiles "x+" as "xx*", a copy of x, and "x{n}" as n copies: nested,
 * that grows as a power (26 "+" in a row took over 2 GB in the fuzzer).
 * So interval expressions are refused and "+" outside brackets is
 * bounded; so is how deep "+" nests ("x++", "(x+)+"): five levels of a
 * group holding an anchor, "(^|[^a-z])+++++b", took regcomp() 16 s
 * (the fuzzer found it; four take 14 ms). "*" and "?" on a repeated
 * atom nest it as deep ("(^|[^(-z])+++??????" overflowed regcomp's
 * recursion, found by the fuzzer too), so all three count toward the
 * depth; only "+" toward the copies. A back-reference makes
 * regexec() backtrack: "(a*)*\1b" took 2.2 s on 160 "a" and grows as a
 * power of the length, and the reply is the remote server's, so those
 * are refused too. */
static const char *
regex_too_costly(const char *value)
{
	/* The "+" depth of the innermost open groups, and of the last atom
	 * (-1: none, as after "|" or "("). */
	int plus = 0, depths[BOUNCE_RULE_REGEX_GROUPS_MAX + 1], open = 0;
	int atom = -1;
	bool in_bracket = false;

	depths[0] = 0;
	for (const char *c = value; *c != '\0'; c++) {
		if (in_bracket) {
			if (*c == ']') {
				in_bracket = false;
				atom = 0;
			}
		} else if (*c == '\\' && c[1] >= '1' && c[1] <= '9') {
			return "back-references are not allowed: matching "
			       "them takes time exponential in the reply's "
			       "length";
		} else if (*c == '\\' && c[1] != '\0') {
			c++;
			atom = 0;
		} else if (*c == '[') {
			in_bracket = true;
			/* "[]...]" and "[^]...]": that "]" is a member. */
			c += c[1] == '^';
			c += c[1] == ']';
		} else if (*c == '{') {
			return "interval expressions {n,m} are not allowed: "
			       "write the repetition out";
		} else if (*c == '(') {
			if (open == BOUNCE_RULE_REGEX_GROUPS_MAX)
				return "groups nested too deep";
			depths[++open] = 0;
			atom = -1;
		} else if (*c == ')' && open > 0) {
			atom = depths[open--];
		} else if (*c == '|') {
			atom = -1;
		} else if (*c == '+' || *c == '*' || *c == '?') {
			if (*c == '+' && ++plus > BOUNCE_RULE_REGEX_PLUS_MAX)
				return "too many \"+\" (each is a copy in regcomp)";
			if (atom >= 0 && ++atom > BOUNCE_RULE_REGEX_PLUS_DEPTH)
				return "\"+\" nested too deep (\"x++\", \"(x+)+\": "
				       "regcomp copies copies)";
		} else {
			atom = 0;
		}
		if (atom > depths[open])
			depths[open] = atom;
	}
	return NULL;
}

static bool
add_pattern(struct rule_line *line, struct bounce_rule *rule, const char *name,
    const char *value)
{
	const char *costly;

	if (rule->text_count + rule->regex_count == BOUNCE_RULE_PATTERNS_MAX) {
		line_error(line, "more than %d text= and regex= in one rule",
		    BOUNCE_RULE_PATTERNS_MAX);
		return false;
	}
	if (strlen(value) > BOUNCE_RULE_TEXT_MAX) {
		line_error(line, "%s=: longer than %d bytes", name,
		    BOUNCE_RULE_TEXT_MAX);
		return false;
	}
	if (strcmp(name, "text") == 0) {
		char *text = xstrdup(value);

		for (char *c = text; *c; c++)
			if (*c >= 'A' && *c <= 'Z')
				*c = (char)(*c - 'A' + 'a');
		rule->texts = xreallocarray(
		    rule->texts, rule->text_count + 1, sizeof(*rule->texts));
		rule->texts[rule->text_count++] = text;
	} else if ((costly = regex_too_costly(value)) != NULL) {
		line_error(line, "regex=\"%.100s\": %s", value, costly);
		return false;
	} else {
		regex_t regex;
		char message[200];
		int status = regcomp(
		    &regex, value, REG_EXTENDED | REG_ICASE | REG_NOSUB);

		if (status != 0) {
			regerror(status, &regex, message, sizeof(message));
			line_error(
			    line, "regex=\"%.100s\": %s", value, message);
			return false;
		}
		rule->regexes = xreallocarray(rule->regexes,
		    rule->regex_count + 1, sizeof(*rule->regexes));
		rule->regex_sources = xreallocarray(rule->regex_sources,
		    rule->regex_count + 1, sizeof(*rule->regex_sources));
		rule->regexes[rule->regex_count] = regex;
		rule->regex_sources[rule->regex_count++] = xstrdup(value);
	}
	return true;
}

/* One NAME=VALUE condition into rule; seen holds the single ones. */
static bool
parse_condition(struct rule_line *line, struct bounce_rule *rule,
    const char *name, const char *value, unsigned *seen)
{
	static const char *const single[] = {"dsn", "stage", "relay"};

	if (value == NULL) {
		line_error(line,
		    "\"%.100s\": expected NAME=VALUE (dsn=, stage=, relay=, "
		    "text=, regex=)",
		    name);
		return false;
	}
	if (value[0] == '\0') {
		line_error(line, "%.100s=: empty value", name);
		return false;
	}
	for (unsigned i = 0; i < 3; i++)
		if (strcmp(name, single[i]) == 0) {
			if (*seen & (1u << i)) {
				line_error(line,
				    "%s= given twice (list several values "
				    "with commas)",
				    name);
				return false;
			}
			*seen |= 1u << i;
		}
	if (strcmp(name, "dsn") == 0)
		return parse_dsn(line, rule, value);
	if (strcmp(name, "stage") == 0)
		return parse_stage(line, rule, value);
	if (strcmp(name, "relay") == 0) {
		if (strcmp(value, "none") == 0) {
			rule->relay_none = true;
			return true;
		}
		line_error(line,
		    "relay=: \"%.100s\" (only relay=none is known)", value);
		return false;
	}
	if (strcmp(name, "text") == 0 || strcmp(name, "regex") == 0)
		return add_pattern(line, rule, name, value);
	line_error(line,
	    "unknown condition \"%.100s=\" (dsn=, stage=, relay=, text=, "
	    "regex=)",
	    name);
	return false;
}

static void
rule_clear(struct bounce_rule *rule)
{
	for (size_t i = 0; i < rule->text_count; i++)
		free(rule->texts[i]);
	for (size_t i = 0; i < rule->regex_count; i++) {
		regfree(&rule->regexes[i]);
		free(rule->regex_sources[i]);
	}
	free(rule->texts);
	free(rule->regexes);
	free(rule->regex_sources);
	memset(rule, 0, sizeof(*rule));
}

/* "unknown, invalid-recipient, ...", for the error of a bad class. */
static const char *
class_list(char *list, size_t size)
{
	size_t used = 0;

	list[0] = '\0';
	for (int i = 0; i < BOUNCE_CLASS_COUNT && used < size; i++)
		used += (size_t)snprintf(list + used, size - used, "%s%s",
		    i > 0 ? ", " : "", bounce_class_name((enum bounce_class)i));
	return list;
}

/* The line in line->text into rule; false if it holds no rule. */
static bool
parse_rule(struct rule_line *line, struct bounce_rule *rule)
{
	char *word, *value, list[300];
	unsigned seen = 0;

	memset(rule, 0, sizeof(*rule));
	line->cursor = line->text;
	if ((word = next_word(line, &value)) == NULL)
		return false;
	if (value != NULL ||
	    !bounce_class_from_name(word, strlen(word), &rule->class)) {
		line_error(line, "\"%.100s\" is not a class (one of: %s)", word,
		    class_list(list, sizeof(list)));
		return false;
	}
	rule->line = line->number;
	while ((word = next_word(line, &value)) != NULL)
		if (!parse_condition(line, rule, word, value, &seen))
			break;
	if (!line->failed && rule->dsn_count == 0 && rule->stages == 0 &&
	    !rule->relay_none && rule->text_count + rule->regex_count == 0)
		line_error(line,
		    "%s: a rule needs a condition (what no rule matches is "
		    "already unknown)",
		    bounce_class_name(rule->class));
	if (line->failed) {
		rule_clear(rule);
		return false;
	}
	return true;
}

/* The next line of data into line->text; false at the end. */
static bool
next_line(
    struct rule_line *line, const char *data, size_t size, size_t *position)
{
	const char *start, *end;
	size_t length;

	if (*position >= size)
		return false;
	start = data + *position;
	end = memchr(start, '\n', size - *position);
	length = end ? (size_t)(end - start) : size - *position;
	*position += length + (end != NULL);
	line->number++;
	line->failed = false;
	line->text[0] = '\0';
	if (length > 0 && start[length - 1] == '\r')
		length--;
	if (length > BOUNCE_RULES_LINE_MAX) {
		line_error(
		    line, "line longer than %d bytes", BOUNCE_RULES_LINE_MAX);
		return true;
	}
	for (size_t i = 0; i < length; i++)
		if (((unsigned char)start[i] < 0x20 && start[i] != '\t') ||
		    start[i] == 0x7f) {
			line_error(line, "a control byte (0x%02x) in the line",
			    (unsigned char)start[i]);
			return true;
		}
	memcpy(line->text, start, length);
	line->text[length] = '\0';
	return true;
}

struct bounce_rules *
bounce_rules_parse(const char *file, const char *data, size_t size,
    struct config_errors *errors)
{
	struct bounce_rules *rules = xcalloc(1, sizeof(*rules));
	struct rule_line *line = xcalloc(1, sizeof(*line));
	size_t before = errors->count + errors->dropped, position = 0;
	struct bounce_rule rule;

	rules->file = xstrdup(file);
	line->file = file;
	line->errors = errors;
	while (next_line(line, data, size, &position)) {
		if (line->failed || !parse_rule(line, &rule))
			continue;
		if (rules->count == BOUNCE_RULES_MAX) {
			line_error(
			    line, "more than %d rules", BOUNCE_RULES_MAX);
			rule_clear(&rule);
			break;
		}
		rules->rules = xreallocarray(
		    rules->rules, rules->count + 1, sizeof(*rules->rules));
		rules->rules[rules->count++] = rule;
	}
	if (rules->count == 0 && errors->count + errors->dropped == before)
		config_errors_add(errors,
		    "%s: no rules (every outcome would be unknown)", file);
	free(line);
	if (errors->count + errors->dropped != before) {
		bounce_rules_free(rules);
		return NULL;
	}
	return rules;
}

struct bounce_rules *
bounce_rules_load(const char *path, struct config_errors *errors)
{
	struct bounce_rules *rules;
	char error[CONFIG_ERROR_TEXT_MAX];
	struct stat st;
	size_t size;
	char *data = file_read(
	    path, BOUNCE_RULES_FILE_MAX, &size, &st, error, sizeof(error));

	if (data == NULL) {
		config_errors_add(errors, "%s", error);
		return NULL;
	}
	if (st.st_mode & S_IWOTH) {
		config_errors_add(errors,
		    "%s: others may write it (mode %03o): it decides which "
		    "addresses are suppressed; chmod o-w it",
		    path, (unsigned)(st.st_mode & 0777));
		free(data);
		return NULL;
	}
	rules = bounce_rules_parse(path, data, size, errors);
	free(data);
	return rules;
}

/* A value as it was read: quoted only when it must be, in the quote it
 * does not hold, so that no printed line is longer than the line read. */
static void
print_value(FILE *out, const char *name, const char *value)
{
	char quote = strchr(value, '"') ? '\'' : '"';

	if (strpbrk(value, " \t\"'") == NULL)
		fprintf(out, " %s=%s", name, value);
	else
		fprintf(out, " %s=%c%s%c", name, quote, value, quote);
}

static void
print_rule(const struct bounce_rule *rule, FILE *out)
{
	fputs(bounce_class_name(rule->class), out);
	for (size_t i = 0; i < rule->dsn_count; i++) {
		fputs(i == 0 ? " dsn=" : ",", out);
		for (int part = 0; part < 3; part++) {
			if (part > 0)
				fputc('.', out);
			if (rule->dsn[i].part[part] < 0)
				fputc('*', out);
			else
				fprintf(out, "%d", rule->dsn[i].part[part]);
		}
	}
	if (rule->stages != 0) {
		const char *separator = " stage=";

		for (int stage = 0; stage < BOUNCE_STAGE_COUNT; stage++)
			if (rule->stages & (1u << stage)) {
				fprintf(out, "%s%s", separator,
				    bounce_stage_name(
				        (enum bounce_stage)stage));
				separator = ",";
			}
	}
	if (rule->relay_none)
		fputs(" relay=none", out);
	for (size_t i = 0; i < rule->text_count; i++)
		print_value(out, "text", rule->texts[i]);
	for (size_t i = 0; i < rule->regex_count; i++)
		print_value(out, "regex", rule->regex_sources[i]);
	fputc('\n', out);
}

void
bounce_rules_print(const struct bounce_rules *rules, FILE *out)
{
	for (size_t i = 0; i < rules->count; i++)
		print_rule(&rules->rules[i], out);
}

void
bounce_rules_free(struct bounce_rules *rules)
{
	if (rules == NULL)
		return;
	for (size_t i = 0; i < rules->count; i++)
		rule_clear(&rules->rules[i]);
	free(rules->rules);
	free(rules->file);
	free(rules);
}
