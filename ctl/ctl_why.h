/*
 * ctl_why.h - waypostctl why: the request, and its dry run's report
 */
#ifndef WAYPOST_CTL_WHY_H
#define WAYPOST_CTL_WHY_H

#include "ctl.h"
#include "policy_config.h"
#include "policy_decide.h"
#include "policy_request.h"

struct ctl_why {
	const struct policy_config *config;
	const char *user, *sender, *recipient, *client; /* "" none */
	struct policy_request request;
	struct decide_dry_run run;
};

/* The checks' rows, as they are printed. */
struct ctl_why_rows {
	const struct ctl_why *why;
	json_t *checks;         /* with --json */
	struct ctl_list *human; /* without */
	bool redis;             /* the script answered */
};

void ctl_why_checks(struct ctl_why_rows *rows);
void ctl_why_report(const struct ctl *ctl, const struct ctl_why *why);

#endif
