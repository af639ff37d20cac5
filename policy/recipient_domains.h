/*
 * recipient_domains.h - the recipient domains of the message in progress
 */
#ifndef WAYPOST_RECIPIENT_DOMAINS_H
#define WAYPOST_RECIPIENT_DOMAINS_H

#include <stddef.h>

#include "policy_request.h"

#define RECIPIENT_DOMAINS_MAX 1000 /* Postfix's smtpd_recipient_limit */
#define RECIPIENT_DOMAIN_MAX  255
#define INSTANCE_MAX          64

struct recipient_domain {
	char name[RECIPIENT_DOMAIN_MAX + 1]; /* lower case */
	unsigned long long recipients;
};

struct recipient_domains {
	char instance[INSTANCE_MAX + 1];
	struct recipient_domain *domains;
	size_t count;
};

void recipient_domains_note(
    struct recipient_domains *seen, const struct policy_request *request);
const struct recipient_domains *recipient_domains_of(
    const struct recipient_domains *seen, const struct policy_request *request);
void recipient_domains_free(struct recipient_domains *seen);

#endif
