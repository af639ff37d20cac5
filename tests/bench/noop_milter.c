/*
 * NAME
 *	waypost-noop-milter - a milter that only accepts: make bench's floor
 * SYNOPSIS
 *	waypost-noop-milter SOCKET
 * DESCRIPTION
 *	A filter on Debian's libmilter that looks at nothing and accepts
 *	every message, so that bench_headers.py can show what the milter
 *	protocol itself costs on this machine, beside waypost-headers.
 *	SOCKET is libmilter's connection spec (unix:/path, inet:PORT@HOST);
 *	a stale unix socket is removed. It runs in the foreground until
 *	SIGTERM or SIGINT.
 *
 *	It asks for the same protocol steps as waypost-headers (connect,
 *	MAIL FROM, each header, end of headers, end of message; no replies
 *	but at the end of the message), so the two see the same commands on
 *	the wire and differ only in what they do with them. A step the MTA
 *	does not let it leave unanswered is answered with continue.
 *
 *	For benchmarks only: it is not installed, and it logs nothing.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <libmilter/mfapi.h>

/* As waypost-headers asks (headers_milter.c), without the actions. */
#define WANTED_PROTOCOL                                                        \
	(SMFIP_NOHELO | SMFIP_NORCPT | SMFIP_NODATA | SMFIP_NOUNKNOWN |        \
	    SMFIP_NOBODY | SMFIP_NR_CONN | SMFIP_NR_MAIL | SMFIP_NR_HDR |      \
	    SMFIP_NR_EOH | SMFIP_HDR_LEADSPC)

/* The protocol steps this connection negotiated, as libmilter's private. */
struct connection {
	unsigned long protocol;
};

/* No reply where the MTA agreed to none, else the reply it waits for. */
static sfsistat
no_reply(SMFICTX *context, unsigned long step)
{
	const struct connection *connection = smfi_getpriv(context);

	if (connection != NULL && (connection->protocol & step) != 0)
		return SMFIS_NOREPLY;
	return SMFIS_CONTINUE;
}

static sfsistat
noop_negotiate(SMFICTX *context, unsigned long actions, unsigned long protocol,
    unsigned long unused_2, unsigned long unused_3, unsigned long *actions_out,
    unsigned long *protocol_out, unsigned long *unused_2_out,
    unsigned long *unused_3_out)
{
	struct connection *connection = smfi_getpriv(context);

	(void)actions;
	(void)unused_2;
	(void)unused_3;
	if (connection == NULL) {
		connection = malloc(sizeof(*connection));
		if (connection == NULL)
			return SMFIS_TEMPFAIL;
		smfi_setpriv(context, connection);
	}
	connection->protocol = protocol & WANTED_PROTOCOL;
	*actions_out = 0;
	*protocol_out = connection->protocol;
	*unused_2_out = 0;
	*unused_3_out = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
noop_connect(SMFICTX *context, char *host, _SOCK_ADDR *address)
{
	(void)host;
	(void)address;
	return no_reply(context, SMFIP_NR_CONN);
}

static sfsistat
noop_envfrom(SMFICTX *context, char **arguments)
{
	(void)arguments;
	return no_reply(context, SMFIP_NR_MAIL);
}

static sfsistat
noop_header(SMFICTX *context, char *name, char *value)
{
	(void)name;
	(void)value;
	return no_reply(context, SMFIP_NR_HDR);
}

static sfsistat
noop_eoh(SMFICTX *context)
{
	return no_reply(context, SMFIP_NR_EOH);
}

static sfsistat
noop_eom(SMFICTX *context)
{
	(void)context;
	return SMFIS_ACCEPT;
}

static sfsistat
noop_close(SMFICTX *context)
{
	free(smfi_getpriv(context));
	smfi_setpriv(context, NULL);
	return SMFIS_CONTINUE;
}

static struct smfiDesc noop_filter = {
    .xxfi_name = "waypost-noop-milter",
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_NONE,
    .xxfi_connect = noop_connect,
    .xxfi_envfrom = noop_envfrom,
    .xxfi_header = noop_header,
    .xxfi_eoh = noop_eoh,
    .xxfi_eom = noop_eom,
    .xxfi_close = noop_close,
    .xxfi_negotiate = noop_negotiate,
};

int
main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: waypost-noop-milter SOCKET\n");
		return 2;
	}
	if (smfi_setconn(argv[1]) == MI_FAILURE ||
	    smfi_register(noop_filter) == MI_FAILURE ||
	    smfi_opensocket(true) == MI_FAILURE) {
		fprintf(stderr, "waypost-noop-milter: cannot listen on %s\n",
		    argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
