/*
 * NAME
 *	rule_date - rule 4: a Date that RFC 5322 allows
 * SYNOPSIS
 *	#include "rules.h"
 *
 *	enum rule_result rule_date(context)
 * DESCRIPTION
 *	No Date: one is added, the arrival time in the relay's time zone.
 *	A Date that is not RFC 5322 3.3 is repaired when date_repair.c
 *	can read the same instant from it (ISO 8601, +02:00 zones, a
 *	missing comma, two-digit years...), else replaced by the arrival
 *	time; either way the old value is kept in X-Original-Date.
 */
#include "config.h"

#include "date_repair.h"
#include "header_text.h"
#include "rules.h"

enum rule_result
rule_date(struct rule_context *context)
{
	struct header_list *headers = context->headers;
	size_t at = header_list_find(headers, "Date", 0);
	struct buffer value = {0};
	char date[DATE_TEXT_MAX + 1];

	date[0] = ' ';
	if (at == HEADER_NOT_FOUND) {
		date_format(context->arrival, date + 1, sizeof(date) - 1);
		header_list_insert(headers, "Date", date);
		rule_log(context, "added Date");
		return RULE_PASS;
	}
	header_unfold_trim(header_list_value(headers, at), &value);
	switch (date_repair(value.data, date + 1, sizeof(date) - 1)) {
	case DATE_VALID:
		break;
	case DATE_REPAIRED:
		rule_replace_keeping(context, at, date, "X-Original-Date");
		rule_log(context, "repaired Date");
		break;
	case DATE_INVALID:
		date_format(context->arrival, date + 1, sizeof(date) - 1);
		rule_replace_keeping(context, at, date, "X-Original-Date");
		rule_log(
		    context, "replaced invalid Date with the arrival time");
		break;
	}
	buffer_free(&value);
	return RULE_PASS;
}
