/*
 * NAME
 *	ctl_output - waypostctl's answers: a table for people, JSON for
 *	scripts
 * SYNOPSIS
 *	#include "ctl.h"
 *
 *	struct ctl_list *ctl_list_new(ctl, columns, headers)
 *	void ctl_list_add(list, object, cells)
 *	void ctl_list_end(list)
 *	void ctl_result(ctl, object, human)
 *	void ctl_print_line(text)
 *	void ctl_format_remaining(milliseconds, out, size)
 *	void ctl_format_time(seconds, out, size)
 * DESCRIPTION
 *	A list is printed, without --json, as a table: a line of headers,
 *	then a line per row, the columns padded to their widest cell;
 *	nothing at all when it has no rows. With --json, each row is one
 *	JSON object on a line of its own, printed as it comes.
 *	ctl_list_add() takes object (a row as JSON) and copies cells (the
 *	same row as text, one per column); ctl_list_end() prints and frees.
 *
 *	ctl_result() prints one result: object as one line of JSON, or the
 *	line human. It takes object. ctl_print_line() prints one line of
 *	text, as a cell is printed.
 *
 *	ctl_format_remaining() writes a time left as its two largest units
 *	("6d 23h", "59m 58s", "4s"); ctl_format_time() a Unix time in
 *	ISO 8601, UTC ("2025-12-01T00:00:00Z").
 * SECURITY
 *	Cells are printed as Redis holds them, after a control character
 *	became "?", so a value cannot move the terminal's cursor.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "xmalloc.h"

struct ctl_list {
	bool json;
	size_t columns;
	const char *const *headers;
	char **cells; /* rows * columns */
	size_t rows;
};

struct ctl_list *
ctl_list_new(const struct ctl *ctl, size_t columns, const char *const *headers)
{
	struct ctl_list *list = xcalloc(1, sizeof(*list));

	list->json = ctl->json;
	list->columns = columns;
	list->headers = headers;
	return list;
}

static void
print_json(json_t *object)
{
	char *text = json_dumps(object, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (text != NULL)
		puts(text);
	free(text);
	json_decref(object);
}

static char *
printable(const char *text)
{
	char *copy = xstrdup(text);

	for (char *c = copy; *c != '\0'; c++)
		if ((unsigned char)*c < ' ' || *c == 127)
			*c = '?';
	return copy;
}

void
ctl_list_add(struct ctl_list *list, json_t *object, const char *const *cells)
{
	if (list->json) {
		print_json(object);
		return;
	}
	list->cells = xreallocarray(list->cells,
	    (list->rows + 1) * list->columns, sizeof(*list->cells));
	for (size_t i = 0; i < list->columns; i++)
		list->cells[list->rows * list->columns + i] =
		    printable(cells[i]);
	list->rows++;
	json_decref(object); /* after the copies: cells may be its own */
}

static void
print_row(
    const struct ctl_list *list, const size_t *widths, const char *const *cells)
{
	for (size_t i = 0; i < list->columns; i++) {
		if (i + 1 < list->columns)
			printf("%-*s  ", (int)widths[i], cells[i]);
		else
			printf("%s\n", cells[i]);
	}
}

void
ctl_list_end(struct ctl_list *list)
{
	size_t *widths = xcalloc(list->columns, sizeof(*widths));

	for (size_t i = 0; i < list->columns; i++)
		widths[i] = strlen(list->headers[i]);
	for (size_t i = 0; i < list->rows * list->columns; i++) {
		size_t length = strlen(list->cells[i]);

		if (length > widths[i % list->columns])
			widths[i % list->columns] = length;
	}
	if (list->rows > 0)
		print_row(list, widths, list->headers);
	for (size_t row = 0; row < list->rows; row++)
		print_row(list, widths,
		    (const char *const *)&list->cells[row * list->columns]);
	for (size_t i = 0; i < list->rows * list->columns; i++)
		free(list->cells[i]);
	free(list->cells);
	free(widths);
	free(list);
	fflush(stdout);
}

void
ctl_result(const struct ctl *ctl, json_t *object, const char *human)
{
	if (ctl->json) {
		print_json(object);
		return;
	}
	json_decref(object);
	ctl_print_line(human);
}

void
ctl_print_line(const char *text)
{
	char *shown = printable(text);

	puts(shown);
	free(shown);
}

void
ctl_format_remaining(long long milliseconds, char *out, size_t size)
{
	static const struct {
		const char *name;
		long long seconds;
	} units[] = {{"d", 86400}, {"h", 3600}, {"m", 60}, {"s", 1}};
	long long seconds = (milliseconds + 999) / 1000;
	size_t used = 0;
	int shown = 0;

	out[0] = '\0';
	for (size_t i = 0; i < 4 && shown < 2 && used < size; i++) {
		long long count = seconds / units[i].seconds;

		if (count == 0 && shown == 0)
			continue;
		seconds -= count * units[i].seconds;
		if (count == 0)
			break;
		used += (size_t)snprintf(out + used, size - used, "%s%lld%s",
		    shown ? " " : "", count, units[i].name);
		shown++;
	}
	if (shown == 0)
		snprintf(out, size, "0s");
}

void
ctl_format_time(long long seconds, char *out, size_t size)
{
	time_t when = (time_t)seconds;
	struct tm utc;

	if (gmtime_r(&when, &utc) == NULL ||
	    strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0)
		snprintf(out, size, "%lld", seconds);
}
