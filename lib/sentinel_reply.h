/*
 * sentinel_reply.h - what Redis Sentinel and ROLE answer, read
 */
#ifndef WAYPOST_SENTINEL_REPLY_H
#define WAYPOST_SENTINEL_REPLY_H

#include <stdbool.h>
#include <stddef.h>

#include <hiredis/hiredis.h>

#include "socket_spec.h"

bool sentinel_reply_master(const redisReply *reply, struct socket_spec *master,
    char *why, size_t why_size);
bool sentinel_reply_master_state(const redisReply *reply,
    struct socket_spec *master, long long *epoch, char *why, size_t why_size);
bool sentinel_switch_parse(const char *text, size_t length,
    const char *master_name, struct socket_spec *master);
bool sentinel_role_is_master(const redisReply *reply);
bool sentinel_same_address(
    const struct socket_spec *one, const struct socket_spec *other);

#endif
