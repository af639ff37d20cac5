/*
 * header_field.h - one message header, as milters see it
 *
 * The name as sent, and the value with its leading space and its folds
 * (LF or CRLF), as libmilter delivers them with SMFIP_HDR_LEADSPC.
 */
#ifndef WAYPOST_HEADER_FIELD_H
#define WAYPOST_HEADER_FIELD_H

struct header_field {
	char *name;
	char *value;
};

#endif
