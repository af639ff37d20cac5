/*
 * NAME
 *	dkim_config - the [dkim] section of waypost.conf
 * DESCRIPTION
 *	The keys of waypost-dkim, their defaults and the rules that span
 *	keys (see waypost.conf(5) and waypost-dkim(8)):
 *
 *	.  key_table and signing_table name OpenDKIM-format files
 *	   (file:/path or /path; the signing table may be refile:/path);
 *	   a signing_table or a fallback_key is needed, or nothing is
 *	   ever signed;
 *	.  sign_headers must include From (RFC 6376 5.4);
 *	.  oversign_headers entries are header names, each with an
 *	   optional "?" suffix: "Date?" oversigns Date only when the
 *	   message has one, "From" always;
 *	.  header names are RFC 5322 field names.
 *
 *	The keys shared by every daemon (socket, user...) come from lib/.
 */
#include "config.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "dkim_config.h"
#include "dkim_line_break.h"
#include "dkim_tables.h"
#include "header_field.h"

static const char *const canonicalization_choices[] = {
    "relaxed/relaxed",
    "relaxed/simple",
    "simple/relaxed",
    "simple/simple",
    NULL,
};

static const char *const on_error_choices[] = {"tempfail", "accept", NULL};

const char dkim_default_sign_headers[] =
    "From, Sender, Reply-To, Subject, Date, Message-ID, To, Cc, "
    "MIME-Version, Content-Type, Content-Transfer-Encoding, In-Reply-To, "
    "References, List-Id, List-Help, List-Unsubscribe, "
    "List-Unsubscribe-Post, List-Subscribe, List-Post, List-Owner, "
    "List-Archive, Resent-Date, Resent-From, Resent-Sender, Resent-To, "
    "Resent-Cc, Resent-Message-ID";

const char dkim_default_oversign_headers[] =
    "From, Reply-To, Subject, To, Cc, Date?, Message-ID?, Sender?, "
    "MIME-Version?, Content-Type?, Content-Transfer-Encoding?, "
    "In-Reply-To?, References?";

/* A number's macro as the text a default is written in. */
#define TEXT_OF(number) #number
#define TEXT(number)    TEXT_OF(number)

#define KEY(name, type, member, value, flags, min, max, choices)               \
	{                                                                      \
		name, type, offsetof(struct dkim_section, member), value,      \
		    flags, min, max, choices                                   \
	}

static const struct config_key dkim_keys[] = {
    KEY("key_table", CONFIG_STRING, key_table, NULL, CONFIG_REQUIRED, 0, 0,
        NULL),
    KEY("signing_table", CONFIG_STRING, signing_table, NULL, 0, 0, 0, NULL),
    KEY("internal_networks", CONFIG_CIDR_LIST, internal_networks,
        "127.0.0.0/8, ::1", 0, 0, 0, NULL),
    KEY("sign_authenticated", CONFIG_BOOL, sign_authenticated, "yes", 0, 0, 0,
        NULL),
    KEY("canonicalization", CONFIG_CHOICE, canonicalization, "relaxed/relaxed",
        0, 0, 0, canonicalization_choices),
    KEY("sign_headers", CONFIG_LIST, sign_headers, dkim_default_sign_headers, 0,
        0, 0, NULL),
    KEY("oversign_headers", CONFIG_LIST, oversign_headers,
        dkim_default_oversign_headers, 0, 0, 0, NULL),
    KEY("signature_ttl", CONFIG_DURATION, signature_ttl, "0", 0, 0,
        3650LL * 24 * 3600 * 1000, NULL),
    KEY("smtp_line_length_limit", CONFIG_INTEGER, smtp_line_length_limit,
        TEXT(LINE_BREAK_DEFAULT), 0, 0, LINE_BREAK_MAX, NULL),
    KEY("fallback_key", CONFIG_STRING, fallback_key, NULL, 0, 0, 0, NULL),
    KEY("on_error", CONFIG_CHOICE, on_error, "tempfail", 0, 0, 0,
        on_error_choices),
    KEY("require_safe_keys", CONFIG_BOOL, require_safe_keys, "yes", 0, 0, 0,
        NULL),
    {NULL, 0, 0, NULL, 0, 0, 0, NULL},
};

static const struct config_default dkim_defaults[] = {
    {"socket", "unix:" WAYPOST_RUN_DIR "/dkim.sock"},
    {NULL, NULL},
};

static void
check_table(const char *spec, const char *key, bool allow_refile,
    struct config_report *report)
{
	const char *path;
	bool refile;

	if (spec != NULL && !table_path(spec, allow_refile, &path, &refile))
		config_report_error(report,
		    "%s: \"%s\": expected %s/absolute/path", key, spec,
		    allow_refile ? "file:, refile: or " : "file: or ");
}

static void
validate_dkim(void *section_struct, struct config_report *report)
{
	const struct dkim_section *section = section_struct;
	bool from = false;

	check_table(section->key_table, "key_table", false, report);
	check_table(section->signing_table, "signing_table", true, report);
	if (section->signing_table == NULL && section->fallback_key == NULL)
		config_report_error(report,
		    "set signing_table, fallback_key or both: without them "
		    "nothing is signed");
	if (section->smtp_line_length_limit == 1)
		config_report_error(report,
		    "smtp_line_length_limit: 1: expected 0 (no limit) or at "
		    "least 2, as Postfix's smtp_line_length_limit");
	header_field_check_names(
	    &section->sign_headers, "sign_headers", false, report);
	header_field_check_names(
	    &section->oversign_headers, "oversign_headers", true, report);
	for (size_t i = 0; i < section->sign_headers.count; i++)
		from |= strcasecmp(section->sign_headers.items[i], "From") == 0;
	if (!from)
		config_report_error(
		    report, "sign_headers: must include From (RFC 6376 5.4)");
}

static const struct config_section dkim_sections[] = {
    {"log", false, offsetof(struct dkim_config, log), 0, {{log_config_keys, 0}},
        NULL, NULL},
    {"dkim", false, offsetof(struct dkim_config, dkim), 0,
        {{daemon_config_keys, offsetof(struct dkim_section, daemon)},
            {dkim_keys, 0}},
        dkim_defaults, validate_dkim},
    {NULL, false, 0, 0, {{NULL, 0}}, NULL, NULL},
};

const struct config_schema dkim_schema = {
    sizeof(struct dkim_config),
    dkim_sections,
    config_suite_sections,
};
