/*
 * default_policy - the header policy waypost-dkim signs with by default
 *
 * The sign_headers and oversign_headers defaults of [dkim], parsed as the
 * configuration parses them, for the test programs that sign without a
 * configuration file. header_policy_free() releases it.
 */
#include "config.h"

#include "config_value.h"
#include "default_policy.h"
#include "dkim_config.h"

void
default_policy_init(struct header_policy *policy)
{
	static const struct config_key list = {
	    "l", CONFIG_LIST, 0, NULL, 0, 0, 0, NULL};
	struct config_list sign, oversign;
	char error[128];

	config_value_parse(
	    &list, dkim_default_sign_headers, &sign, error, sizeof(error));
	config_value_parse(&list, dkim_default_oversign_headers, &oversign,
	    error, sizeof(error));
	header_policy_init(policy, &sign, &oversign);
	config_value_free(&list, &sign);
	config_value_free(&list, &oversign);
}
