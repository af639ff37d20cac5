/*
 * dkim_config.h - the [dkim] section of waypost.conf
 */
#ifndef WAYPOST_DKIM_CONFIG_H
#define WAYPOST_DKIM_CONFIG_H

#include <stdbool.h>

#include "cidr.h"
#include "config_common.h"
#include "config_file.h"

enum dkim_on_error {
	DKIM_ON_ERROR_TEMPFAIL,
	DKIM_ON_ERROR_ACCEPT,
};

/* Index into canonicalization choices: header/body. */
enum dkim_canonicalization {
	DKIM_C_RELAXED_RELAXED,
	DKIM_C_RELAXED_SIMPLE,
	DKIM_C_SIMPLE_RELAXED,
	DKIM_C_SIMPLE_SIMPLE,
};

struct dkim_section {
	struct daemon_settings daemon;
	char *key_table;
	char *signing_table;
	struct cidr_list internal_networks;
	bool sign_authenticated;
	int canonicalization;
	struct config_list sign_headers;
	struct config_list oversign_headers;
	long long signature_ttl;          /* milliseconds; 0: no x= */
	long long smtp_line_length_limit; /* Postfix's; 0: no limit */
	char *fallback_key;
	int on_error;
	bool require_safe_keys;
};

struct dkim_config {
	struct log_settings log;
	struct dkim_section dkim;
};

extern const struct config_schema dkim_schema;
extern const char dkim_default_sign_headers[];
extern const char dkim_default_oversign_headers[];

#endif
