/*
 * milter_client_facts.h - what a filter asks about its client and message
 */
#ifndef WAYPOST_MILTER_CLIENT_FACTS_H
#define WAYPOST_MILTER_CLIENT_FACTS_H

#include <stdbool.h>
#include <stddef.h>

#include "cidr.h"
#include "milter_engine.h"

/* Postfix queue IDs are at most 16 characters (long IDs); room to spare. */
#define MILTER_QUEUE_ID_MAX 32

extern const struct milter_macro_list milter_client_macros[];
extern const struct milter_macro_list milter_client_macros_eoh[];

const char *milter_queue_id(
    struct milter_context *context, char cache[MILTER_QUEUE_ID_MAX]);
bool milter_client_authenticated(const struct milter_context *context);
bool milter_client_internal(const struct milter_client_address *address,
    const struct cidr_list *networks);
void milter_client_from_macro(const struct milter_context *context,
    struct milter_client_address *address);

#endif
