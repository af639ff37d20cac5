/*
 * record_contract.h - what record_batch.c sends record_script.lua
 *
 * One EVALSHA per batch of log lines, no KEYS (the keys are in ARGV,
 * each made by lib/redis_keys.c): the fixed arguments below, then one
 * group per operation: its code, the count of its arguments, and those.
 * make-script.sh gives the script every SCRIPT_ constant as a Lua local
 * (SCRIPT_OP_OUTCOME is OP_OUTCOME there), so both sides read this file.
 * Fields are only ever added, at the end of a group or of the fixed
 * arguments, with SCRIPT_VERSION raised.
 */
#ifndef WAYPOST_RECORD_CONTRACT_H
#define WAYPOST_RECORD_CONTRACT_H

#define SCRIPT_VERSION 3

/* The fixed arguments, ARGV[1..ARG_FIXED]. */
#define SCRIPT_ARG_VERSION        1
#define SCRIPT_ARG_POSITION_KEY   2  /* "" for standard input: none kept */
#define SCRIPT_ARG_POSITION       3  /* "DEVICE INODE OFFSET HASH" */
#define SCRIPT_ARG_RECORD_TTL     4  /* seconds */
#define SCRIPT_ARG_EVENTS_MAX     5  /* entries of a stream, about */
#define SCRIPT_ARG_DEFER_INTERVAL 6  /* seconds between deferred events */
#define SCRIPT_ARG_EVENTS_KEY     7  /* the stream of every tenant */
#define SCRIPT_ARG_SUPPRESS_TTL   8  /* seconds */
#define SCRIPT_ARG_SUPPRESS_ANY   9  /* "1": for every tenant too */
#define SCRIPT_ARG_SOFT_COUNT     10 /* expirations before suppression */
#define SCRIPT_ARG_SOFT_SPAN      11 /* seconds they must span at least */
#define SCRIPT_ARG_GUARD_WINDOW   12 /* seconds */
#define SCRIPT_ARG_GUARD_MINIMUM  13 /* outcomes before judging */
#define SCRIPT_ARG_GUARD_WARN     14 /* per mille */
#define SCRIPT_ARG_GUARD_PAUSE    15 /* per mille; 0: never */
#define SCRIPT_ARG_POSITION_START 16 /* the saved one the batch follows */
#define SCRIPT_ARG_FIXED          16

/* A Message-ID's index (message-id:MESSAGEID) is a string: the keys of
 * the records with that Message-ID, oldest first, separated by a space,
 * the newest SCRIPT_MESSAGE_ID_KEYS_MAX of them. A string, not a set:
 * Redis 7.0 keeps even a one-member set as a hash table (248 bytes
 * against 120). Version 2 made a set; one is replaced when next met. */
#define SCRIPT_MESSAGE_ID_KEYS_MAX 16

/* The reply: an array, first a word, then queue ID and text pairs to log.
 * A batch whose start is not the saved position is refused with an error
 * that begins with SCRIPT_MOVED, unless the saved position is its end
 * (the batch went through already: a call that timed out and was run
 * after all), which is SCRIPT_KNOWN. */
#define SCRIPT_DONE  "done"
#define SCRIPT_KNOWN "known"
#define SCRIPT_MOVED "MOVED"

/* Operations. */
#define SCRIPT_OP_MESSAGE    1 /* what a message's lines say of it */
#define SCRIPT_OP_OUTCOME    2 /* one recipient's delivery attempt */
#define SCRIPT_OP_EXPIRED    3 /* returned to sender: every deferred one */
#define SCRIPT_OP_DROPPED    4 /* removed by an admin (postsuper) */
#define SCRIPT_OP_REMOVED    5 /* out of the queue, done */
#define SCRIPT_OP_SUPPRESSED 6 /* refused at RCPT as suppressed */

/* Arguments every operation starts with, 1-based within its group. */
#define SCRIPT_M_RECORD          1 /* the record's key; "" for NOQUEUE */
#define SCRIPT_M_QUEUE_INDEX     2 /* queue-id:RELAY:ID, to the record */
#define SCRIPT_M_TENANT_EVENTS   3 /* "" when no tenant */
#define SCRIPT_M_TIME            4 /* Unix seconds of the line */
#define SCRIPT_M_ISO_TIME        5 /* the same, RFC 3339 UTC */
#define SCRIPT_M_QUEUE_ID        6
#define SCRIPT_M_FIRST_SEEN      7 /* Unix seconds */
#define SCRIPT_M_MESSAGE_ID      8 /* "" when not known */
#define SCRIPT_M_SENDER          9 /* "" for <>, or not known */
#define SCRIPT_M_TENANT          10
#define SCRIPT_M_ORIGIN          11 /* "postfix" for its own mail, else "" */
#define SCRIPT_M_NOTIFICATION_OF 12
#define SCRIPT_M_NEW             13 /* "1": the record is made here */
#define SCRIPT_M_COMMON          13

/* OP_MESSAGE, after the common ones. */
#define SCRIPT_M_MESSAGE_ID_INDEX 14 /* "" when no Message-ID */
#define SCRIPT_M_ACCEPTED         15 /* "1": qmgr took it: the accepted event */
#define SCRIPT_M_USER             16 /* sasl_username */
#define SCRIPT_M_CLIENT           17
#define SCRIPT_M_SIZE             18
#define SCRIPT_M_RECIPIENTS       19 /* nrcpt */
#define SCRIPT_M_MESSAGE_COUNT    19

/* OP_OUTCOME, OP_SUPPRESSED, after the common ones. */
#define SCRIPT_O_SUPPRESS_PREFIX     14 /* + address; "" for no tenant */
#define SCRIPT_O_SUPPRESS_ANY_PREFIX 15 /* + address */
#define SCRIPT_O_EXPIRATIONS_PREFIX  16 /* + address; "" for no tenant */
#define SCRIPT_O_GUARD               17 /* bounce-rate:TENANT, or "" */
#define SCRIPT_O_SUSPEND             18 /* the key the guard sets, or "" */
#define SCRIPT_O_TYPE                19 /* an event type, below */
#define SCRIPT_O_RECIPIENT           20 /* as logged */
#define SCRIPT_O_ADDRESS             21 /* lower case: the keys' part */
#define SCRIPT_O_ORIGINAL            22 /* orig_to, or "" */
#define SCRIPT_O_RELAY               23
#define SCRIPT_O_DSN                 24
#define SCRIPT_O_REPLY               25
#define SCRIPT_O_CLASS               26
#define SCRIPT_O_SUPPRESS            27 /* "hard", "soft" or "" */
#define SCRIPT_O_BOUNCE              28 /* "1": counts as a bounce */
#define SCRIPT_O_EVENT_ID            29 /* "" but for a refusal (NOQUEUE) */
#define SCRIPT_O_SERVICE             30 /* postfix/NAME/smtp: NAME, or "" */
#define SCRIPT_O_COUNT               30

/* OP_EXPIRED, OP_DROPPED, OP_REMOVED take the common ones and, for the
 * first two, the outcome's keys (14 to 18). */
#define SCRIPT_X_COUNT 18

#endif
