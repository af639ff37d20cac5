/*
 * default_policy.h - waypost-dkim's default header lists, for test programs
 */
#ifndef WAYPOST_TEST_DEFAULT_POLICY_H
#define WAYPOST_TEST_DEFAULT_POLICY_H

#include "dkim_sign.h"

void default_policy_init(struct header_policy *policy);

#endif
