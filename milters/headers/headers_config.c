/*
 * NAME
 *	headers_config - the [headers] section of waypost.conf
 * DESCRIPTION
 *	The keys of waypost-headers, one or more per numbered rule of
 *	waypost-headers(8), their defaults, and the checks that span keys:
 *
 *	.  header names in lists are RFC 5322 field names; privacy_headers
 *	   and remove_headers may hold fnmatch(3) patterns (X-Spam-*);
 *	.  fallback_charset must be one iconv(3) converts from;
 *	.  message_id_domain and authserv_id default to the host name, at
 *	   start;
 *	.  from_ownership needs an identity source: [redis] (the default)
 *	   or identities_file, whose lines headers_main.c checks.
 *
 *	The keys shared by every daemon (socket, user...) come from lib/.
 */
#include "config.h"

#include <iconv.h>
#include <stddef.h>
#include <string.h>

#include "header_field.h"
#include "headers_config.h"

static const char *const oversize_choices[] = {"reject", "accept", NULL};
static const char *const differing_choices[] = {"keep_first", "reject", NULL};
static const char *const unfoldable_choices[] = {"reject", "pass", NULL};
static const char *const invalid_utf8_choices[] = {"decode", "reject", NULL};
static const char *const fix_choices[] = {"fix", "reject", "no", NULL};
static const char *const syntax_choices[] = {"repair", "reject", NULL};
static const char *const ownership_choices[] = {
    "no", "reject", "rewrite", NULL};
static const char *const unavailable_choices[] = {"tempfail", "accept", NULL};

#define KEY(name, type, member, value, min, max, choices)                      \
	{                                                                      \
		name, type, offsetof(struct headers_section, member), value,   \
		    0, min, max, choices                                       \
	}

static const struct config_key headers_keys[] = {
    KEY("report_only", CONFIG_BOOL, report_only, "no", 0, 0, NULL),
    KEY("internal_networks", CONFIG_CIDR_LIST, internal_networks,
        "127.0.0.0/8, ::1", 0, 0, NULL),
    KEY("on_oversize", CONFIG_CHOICE, on_oversize, "reject", 0, 0,
        oversize_choices),
    KEY("duplicates", CONFIG_BOOL, duplicates, "yes", 0, 0, NULL),
    KEY("single_headers", CONFIG_LIST, single_headers,
        "From, Sender, Reply-To, To, Cc, Bcc, Message-ID, In-Reply-To, "
        "References, Subject, Date",
        0, 0, NULL),
    KEY("differing_duplicates", CONFIG_CHOICE, differing_duplicates,
        "keep_first", 0, 0, differing_choices),
    KEY("check_from", CONFIG_BOOL, check_from, "yes", 0, 0, NULL),
    KEY("from_ownership", CONFIG_CHOICE, from_ownership, "no", 0, 0,
        ownership_choices),
    KEY("identities_file", CONFIG_PATH, identities_file, NULL, 0, 0, NULL),
    KEY("identities_redis", CONFIG_BOOL, identities_redis, "yes", 0, 0, NULL),
    KEY("identities_unavailable", CONFIG_CHOICE, identities_unavailable,
        "tempfail", 0, 0, unavailable_choices),
    KEY("message_id", CONFIG_BOOL, message_id, "yes", 0, 0, NULL),
    KEY("message_id_domain", CONFIG_STRING, message_id_domain, NULL, 0, 0,
        NULL),
    KEY("date", CONFIG_BOOL, date, "yes", 0, 0, NULL),
    KEY("fold_long_lines", CONFIG_BOOL, fold_long_lines, "yes", 0, 0, NULL),
    KEY("unfoldable", CONFIG_CHOICE, unfoldable, "reject", 0, 0,
        unfoldable_choices),
    KEY("references_max", CONFIG_INTEGER, references_max, "0", 0, 10000, NULL),
    KEY("encode_8bit", CONFIG_BOOL, encode_8bit, "yes", 0, 0, NULL),
    KEY("fallback_charset", CONFIG_STRING, fallback_charset, "ISO-8859-1", 0, 0,
        NULL),
    KEY("invalid_utf8", CONFIG_CHOICE, invalid_utf8, "decode", 0, 0,
        invalid_utf8_choices),
    KEY("privacy", CONFIG_BOOL, privacy, "yes", 0, 0, NULL),
    KEY("privacy_headers", CONFIG_LIST, privacy_headers,
        "X-Originating-IP, X-PHP-Originating-Script, X-Mailer, User-Agent, "
        "X-Enigmail",
        0, 0, NULL),
    KEY("privacy_received", CONFIG_BOOL, privacy_received, "yes", 0, 0, NULL),
    KEY("trust_headers", CONFIG_BOOL, trust_headers, "yes", 0, 0, NULL),
    KEY("authserv_id", CONFIG_STRING, authserv_id, NULL, 0, 0, NULL),
    KEY("remove_headers", CONFIG_LIST, remove_headers,
        "X-Spam-Flag, X-Spam-Status, X-Spam-Level, X-Spam-Score", 0, 0, NULL),
    KEY("list_unsubscribe", CONFIG_CHOICE, list_unsubscribe, "fix", 0, 0,
        fix_choices),
    KEY("syntax", CONFIG_CHOICE, syntax, "repair", 0, 0, syntax_choices),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_default headers_defaults[] = {
    {"socket", "unix:" WAYPOST_RUN_DIR "/headers.sock"},
    {NULL, NULL},
};

/* A domain for Message-IDs: dot-atom-text, as RFC 5322 id-right. */
static bool
valid_domain(const char *domain)
{
	static const char special[] = "!#$%&'*+-/=?^_`{|}~";
	size_t length = strlen(domain);

	if (length == 0 || length > 255 || domain[0] == '.' ||
	    domain[length - 1] == '.' || strstr(domain, "..") != NULL)
		return false;
	for (size_t i = 0; i < length; i++) {
		char c = domain[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		        (c >= '0' && c <= '9') || c == '.' ||
		        strchr(special, c) != NULL))
			return false;
	}
	return true;
}

static void
validate_headers(void *section_struct, struct config_report *report)
{
	const struct headers_section *section = section_struct;
	iconv_t converter;

	header_field_check_names(
	    &section->single_headers, "single_headers", false, report);
	header_field_check_names(
	    &section->privacy_headers, "privacy_headers", false, report);
	header_field_check_names(
	    &section->remove_headers, "remove_headers", false, report);
	if (section->message_id_domain != NULL &&
	    !valid_domain(section->message_id_domain))
		config_report_error(report,
		    "message_id_domain: \"%s\" is not a domain name",
		    section->message_id_domain);
	if (section->authserv_id != NULL && !valid_domain(section->authserv_id))
		config_report_error(report,
		    "authserv_id: \"%s\" is not a host name",
		    section->authserv_id);
	if (section->from_ownership != OWNERSHIP_NO &&
	    !section->identities_redis && section->identities_file == NULL)
		config_report_error(report,
		    "from_ownership: no identity source (set identities_file, "
		    "or identities_redis = yes)");
	converter = iconv_open("UTF-8", section->fallback_charset);
	if (converter == (iconv_t)-1)
		config_report_error(report,
		    "fallback_charset: \"%s\" is not a character set iconv "
		    "knows",
		    section->fallback_charset);
	else
		iconv_close(converter);
}

static const struct config_section headers_sections[] = {
    {"log", false, offsetof(struct headers_config, log), 0,
        {{log_config_keys, 0}}, NULL, NULL},
    CONFIG_SECTION_REDIS(struct headers_config),
    {"headers", false, offsetof(struct headers_config, headers), 0,
        {{daemon_config_keys, offsetof(struct headers_section, daemon)},
            {headers_keys, 0}},
        headers_defaults, validate_headers},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema headers_schema = {
    sizeof(struct headers_config),
    headers_sections,
    config_suite_sections,
};
