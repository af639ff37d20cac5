/*
 * NAME
 *	socket_spec - milter-style socket addresses: unix:, inet:, inet6:
 * SYNOPSIS
 *	#include "socket_spec.h"
 *
 *	bool socket_spec_parse(text, spec, error, error_size)
 *	bool socket_spec_parse_address(text, spec, error, error_size)
 *	void socket_spec_format(spec, out, out_size)
 *	void socket_spec_format_address(spec, out, out_size)
 * DESCRIPTION
 *	The syntax is the one libmilter, OpenDKIM and Postfix's milter
 *	settings share, so an admin writes the same string on both sides:
 *
 *	    unix:/run/waypost/dkim.sock   (also local:/path)
 *	    inet:8891@127.0.0.1           (port, then host or IPv4 address)
 *	    inet6:8891@::1                (port, then IPv6 address or host)
 *
 *	socket_spec_parse_address() also takes a server's address as Redis
 *	users write it, HOST:PORT and [IPV6]:PORT, the same as
 *	inet:PORT@HOST and inet6:PORT@IPV6; socket_spec_format_address()
 *	writes it back that way.
 *
 *	The host is required: a daemon that listens on every address must
 *	say so with 0.0.0.0 or ::. Unix paths are absolute and fit sun_path.
 *	socket_spec_format() writes the canonical form, which libmilter
 *	accepts as its connection string.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "socket_spec.h"
#include "text_copy.h"

static bool
valid_host_name(const char *host)
{
	size_t label = 0;

	if (*host == '\0' || *host == '.' || *host == '-')
		return false;
	for (; *host; host++) {
		if (*host == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!((*host >= 'a' && *host <= 'z') ||
		        (*host >= 'A' && *host <= 'Z') ||
		        (*host >= '0' && *host <= '9') || *host == '-'))
			return false;
		if (++label > 63)
			return false;
	}
	return true;
}

static bool
parse_port(const char *text, size_t length, unsigned *port)
{
	unsigned value = 0;

	if (length == 0 || length > 5)
		return false;
	for (size_t i = 0; i < length; i++) {
		if (text[i] < '0' || text[i] > '9')
			return false;
		value = value * 10 + (unsigned)(text[i] - '0');
	}
	if (value == 0 || value > 65535)
		return false;
	*port = value;
	return true;
}

static bool
parse_unix(
    const char *path, struct socket_spec *spec, char *error, size_t error_size)
{
	if (path[0] != '/') {
		snprintf(error, error_size,
		    "unix socket path \"%.100s\" must be absolute", path);
		return false;
	}
	if (strlen(path) > SOCKET_PATH_MAX) {
		snprintf(error, error_size,
		    "unix socket path is longer than %d bytes",
		    SOCKET_PATH_MAX);
		return false;
	}
	spec->kind = SOCKET_UNIX;
	strcpy(spec->path, path);
	return true;
}

static bool
parse_inet(const char *rest, enum socket_kind kind, struct socket_spec *spec,
    char *error, size_t error_size)
{
	const char *at = strchr(rest, '@');
	unsigned char address[16];
	char host[SOCKET_HOST_MAX + 1];
	size_t length;

	if (at == NULL) {
		snprintf(error, error_size,
		    "\"%.100s\": expected PORT@HOST, e.g. 10025@127.0.0.1",
		    rest);
		return false;
	}
	if (!parse_port(rest, (size_t)(at - rest), &spec->port)) {
		snprintf(error, error_size,
		    "bad port \"%.*s\": expected 1 to 65535",
		    (int)((size_t)(at - rest) > 20 ? 20 : (size_t)(at - rest)),
		    rest);
		return false;
	}
	length = strlen(at + 1);
	if (kind == SOCKET_INET6 && length >= 2 && at[1] == '[' &&
	    at[length] == ']') {
		at++;
		length -= 2;
	}
	if (length == 0 || length > SOCKET_HOST_MAX) {
		snprintf(
		    error, error_size, "missing or too long host after '@'");
		return false;
	}
	memcpy(host, at + 1, length);
	host[length] = '\0';
	if (inet_pton(AF_INET, host, address) != 1 &&
	    inet_pton(AF_INET6, host, address) != 1 && !valid_host_name(host)) {
		snprintf(error, error_size, "bad host \"%.100s\"", host);
		return false;
	}
	if (kind == SOCKET_INET && strchr(host, ':') != NULL) {
		snprintf(error, error_size,
		    "\"%.100s\" is an IPv6 address: use inet6:", host);
		return false;
	}
	if (kind == SOCKET_INET6 && inet_pton(AF_INET, host, address) == 1) {
		snprintf(error, error_size,
		    "\"%.100s\" is an IPv4 address: use inet:", host);
		return false;
	}
	spec->kind = kind;
	strcpy(spec->host, host);
	return true;
}

/* HOST:PORT or [IPV6]:PORT, rewritten as PORT@HOST for parse_inet(). */
static bool
parse_host_port(
    const char *text, struct socket_spec *spec, char *error, size_t error_size)
{
	const char *colon = strrchr(text, ':');
	bool bracket = text[0] == '[';
	size_t host_length;
	char rewritten[SOCKET_SPEC_TEXT_MAX + 8];

	if (colon != NULL) {
		host_length = (size_t)(colon - text);
		if (bracket && host_length >= 2 && colon[-1] == ']')
			text++, host_length -= 2;
		else if (bracket || memchr(text, ':', host_length) != NULL)
			colon = NULL;
	}
	if (colon == NULL || host_length == 0 ||
	    host_length > SOCKET_HOST_MAX || strlen(colon + 1) > 5) {
		snprintf(error, error_size,
		    "\"%.100s\": expected unix:/path, inet:PORT@HOST, "
		    "inet6:PORT@HOST, HOST:PORT or [IPV6]:PORT",
		    text);
		return false;
	}
	snprintf(rewritten, sizeof(rewritten), "%s@%.*s", colon + 1,
	    (int)host_length, text);
	return parse_inet(rewritten, bracket ? SOCKET_INET6 : SOCKET_INET, spec,
	    error, error_size);
}

bool
socket_spec_parse(
    const char *text, struct socket_spec *spec, char *error, size_t error_size)
{
	memset(spec, 0, sizeof(*spec));
	if (strncmp(text, "unix:", 5) == 0)
		return parse_unix(text + 5, spec, error, error_size);
	if (strncmp(text, "local:", 6) == 0)
		return parse_unix(text + 6, spec, error, error_size);
	if (strncmp(text, "inet:", 5) == 0)
		return parse_inet(
		    text + 5, SOCKET_INET, spec, error, error_size);
	if (strncmp(text, "inet6:", 6) == 0)
		return parse_inet(
		    text + 6, SOCKET_INET6, spec, error, error_size);
	snprintf(error, error_size,
	    "\"%.100s\": expected unix:/path, inet:PORT@HOST or "
	    "inet6:PORT@HOST",
	    text);
	return false;
}

bool
socket_spec_parse_address(
    const char *text, struct socket_spec *spec, char *error, size_t error_size)
{
	static const char *const prefixes[] = {
	    "unix:", "local:", "inet:", "inet6:", NULL};

	for (size_t i = 0; prefixes[i] != NULL; i++)
		if (strncmp(text, prefixes[i], strlen(prefixes[i])) == 0)
			return socket_spec_parse(text, spec, error, error_size);
	memset(spec, 0, sizeof(*spec));
	return parse_host_port(text, spec, error, error_size);
}

void
socket_spec_format(const struct socket_spec *spec, char *out, size_t out_size)
{
	switch (spec->kind) {
	case SOCKET_UNIX:
		snprintf(out, out_size, "unix:%s", spec->path);
		break;
	case SOCKET_INET:
		snprintf(out, out_size, "inet:%u@%s", spec->port, spec->host);
		break;
	case SOCKET_INET6:
		snprintf(out, out_size, "inet6:%u@%s", spec->port, spec->host);
		break;
	default:
		text_copy(out, out_size, "");
		break;
	}
}

void
socket_spec_format_address(
    const struct socket_spec *spec, char *out, size_t out_size)
{
	if (spec->kind == SOCKET_INET)
		snprintf(out, out_size, "%s:%u", spec->host, spec->port);
	else if (spec->kind == SOCKET_INET6)
		snprintf(out, out_size, "[%s]:%u", spec->host, spec->port);
	else
		socket_spec_format(spec, out, out_size);
}
