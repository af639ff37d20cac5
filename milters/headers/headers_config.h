/*
 * headers_config.h - the [headers] section of waypost.conf
 */
#ifndef WAYPOST_HEADERS_CONFIG_H
#define WAYPOST_HEADERS_CONFIG_H

#include <stdbool.h>

#include "cidr.h"
#include "config_common.h"
#include "config_file.h"

enum headers_on_oversize { OVERSIZE_REJECT, OVERSIZE_ACCEPT };
enum headers_differing { DIFFERING_KEEP_FIRST, DIFFERING_REJECT };
enum headers_unfoldable { UNFOLDABLE_REJECT, UNFOLDABLE_PASS };
enum headers_invalid_utf8 { INVALID_UTF8_DECODE, INVALID_UTF8_REJECT };
enum headers_fix_or_reject { FIX, REJECT, OFF };
enum headers_syntax { SYNTAX_REPAIR, SYNTAX_REJECT };
enum headers_ownership { OWNERSHIP_NO, OWNERSHIP_REJECT, OWNERSHIP_REWRITE };
enum headers_unavailable { UNAVAILABLE_TEMPFAIL, UNAVAILABLE_ACCEPT };

struct headers_section {
	struct daemon_settings daemon;
	bool report_only;                   /* rule 11 */
	struct cidr_list internal_networks; /* rule 7 applies to these */
	int on_oversize;
	bool duplicates; /* rule 1 */
	struct config_list single_headers;
	int differing_duplicates;
	bool check_from; /* rule 2 */
	int from_ownership;
	char *identities_file;
	bool identities_redis;
	int identities_unavailable;
	bool message_id; /* rule 3 */
	char *message_id_domain;
	bool date;            /* rule 4 */
	bool fold_long_lines; /* rule 5 */
	int unfoldable;
	long long references_max;
	bool encode_8bit; /* rule 6 */
	char *fallback_charset;
	int invalid_utf8;
	bool privacy; /* rule 7 */
	struct config_list privacy_headers;
	bool privacy_received;
	bool trust_headers; /* rule 8 */
	char *authserv_id;
	struct config_list remove_headers;
	int list_unsubscribe; /* rule 9 */
	int syntax;           /* rule 10 */
};

struct headers_config {
	struct log_settings log;
	struct redis_settings redis;
	struct headers_section headers;
};

extern const struct config_schema headers_schema;

#endif
