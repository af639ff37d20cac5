/*
 * script_contract.h - what policy/decide_script.lua and its caller share
 *
 * The positions of the script's keys and arguments, its reply codes and
 * the constants both sides need. Every "#define SCRIPT_NAME VALUE" line
 * here is also "local NAME = VALUE" at the top of the script: the build
 * writes them there (Makefile.am, policy/decide_script.c), so the C and
 * the Lua cannot drift. Values are integers or "strings", one per line.
 * Only policy/script_call.c uses this header; the script's own comments
 * say what each key and argument holds.
 */
#ifndef WAYPOST_SCRIPT_CONTRACT_H
#define WAYPOST_SCRIPT_CONTRACT_H

/* KEYS[]: these, then two per limit i (1..n): its counter and override. */
#define SCRIPT_KEY_INSTANCE          1
#define SCRIPT_KEY_SUSPENDED_USER    2
#define SCRIPT_KEY_SUSPENDED_DOMAIN  3
#define SCRIPT_KEY_SENDERS           4
#define SCRIPT_KEY_CLIENTS           5
#define SCRIPT_KEY_FAILURES          6
#define SCRIPT_KEY_WARMUP            7
#define SCRIPT_KEY_SUPPRESSED        8
#define SCRIPT_KEY_SUPPRESSED_ANY    9
#define SCRIPT_KEY_ACTIVITY_SENT     10
#define SCRIPT_KEY_ACTIVITY_REFUSALS 11
#define SCRIPT_KEYS_FIXED            11

/* ARGV[]: these, then four per limit i: name, max, window, amount. */
#define SCRIPT_ARGUMENT_MODE            1
#define SCRIPT_ARGUMENT_LIMITS          2
#define SCRIPT_ARGUMENT_KEEP            3
#define SCRIPT_ARGUMENT_CHECKS          4
#define SCRIPT_ARGUMENT_SENDER          5
#define SCRIPT_ARGUMENT_SENDER_DOMAIN   6
#define SCRIPT_ARGUMENT_CLIENT          7
#define SCRIPT_ARGUMENT_INSTANCE        8
#define SCRIPT_ARGUMENT_DETECTOR_WINDOW 9
#define SCRIPT_ARGUMENT_MAX_ADDRESSES   10
#define SCRIPT_ARGUMENT_MAX_FAILURES    11
#define SCRIPT_ARGUMENT_WINDOW_TEXT     12
#define SCRIPT_ARGUMENT_WARMUP_SCHEDULE 13
#define SCRIPT_ARGUMENT_TENANT          14
#define SCRIPT_ARGUMENT_RECIPIENTS      15
#define SCRIPT_ARGUMENTS_FIXED          15
#define SCRIPT_ARGUMENTS_PER_LIMIT      4

/* ARGV[SCRIPT_ARGUMENT_MODE] */
#define SCRIPT_MODE_CHECK  "check"
#define SCRIPT_MODE_CHARGE "charge"
#define SCRIPT_MODE_DRY    "dry"

/* ARGV[SCRIPT_ARGUMENT_CHECKS]: one letter per check asked. */
#define SCRIPT_CHECK_SUSPENSION  "s"
#define SCRIPT_CHECK_OWNERSHIP   "o"
#define SCRIPT_CHECK_COMPROMISE  "c"
#define SCRIPT_CHECK_WARMUP      "w"
#define SCRIPT_CHECK_SUPPRESSION "x"

/* Each daily cap of a warm-up schedule, right-aligned in the one
 * schedule argument: as wide as the largest cap and "unlimited". */
#define SCRIPT_CAP_WIDTH 10

/* The reply's first element, and what follows it:
 * {PASSED, room}                         every check and limit passed;
 * {LIMIT, i, count, max, seconds}        limit i (1..n) refuses;
 * {CHARGED_BEFORE}                       this message was charged and
 *                                        passed (a refusal then stored
 *                                        comes back as LIMIT);
 * {SUSPENDED, "user"|"domain", reason}
 * {NOT_OWNED}                            the sender is not the user's;
 * {COMPROMISED, "addresses"|"failures", count}
 * {WARMUP, sent, cap, day}               the day's warm-up cap;
 * {SUPPRESSED, "tenant"|"any", entry}    the recipient is suppressed
 *                                        for the tenant, or for every
 *                                        one; entry: "SINCE REASON";
 * {DRY_RUN, {one of the above}, details} a dry run (MODE_DRY). */
#define SCRIPT_REPLY_PASSED         0
#define SCRIPT_REPLY_LIMIT          1
#define SCRIPT_REPLY_CHARGED_BEFORE 2
#define SCRIPT_REPLY_SUSPENDED      3
#define SCRIPT_REPLY_NOT_OWNED      4
#define SCRIPT_REPLY_COMPROMISED    5
#define SCRIPT_REPLY_WARMUP         6
#define SCRIPT_REPLY_SUPPRESSED     7
#define SCRIPT_REPLY_DRY_RUN        8

/* A dry run's details: these (false or -1 when not asked), then three
 * per limit i: its count, its maximum (an override's, if any) and the
 * seconds until it has room (0: it passes). A detector's count is of the
 * addresses or messages it holds, before this one. */
#define SCRIPT_DETAIL_USER_SUSPENDED   1 /* the reason, or false */
#define SCRIPT_DETAIL_DOMAIN_SUSPENDED 2
#define SCRIPT_DETAIL_OWNED            3 /* 1 granted, 0 not */
#define SCRIPT_DETAIL_ADDRESSES        4
#define SCRIPT_DETAIL_FAILURES         5
#define SCRIPT_DETAIL_SUPPRESSED       6 /* "SINCE REASON", or false */
#define SCRIPT_DETAIL_SUPPRESSED_ANY   7
#define SCRIPT_DETAIL_WARMUP_SENT      8
#define SCRIPT_DETAIL_WARMUP_CAP       9 /* -1 also: unlimited */
#define SCRIPT_DETAIL_WARMUP_DAY       10
#define SCRIPT_DETAILS_FIXED           10
#define SCRIPT_DETAILS_PER_LIMIT       3

/* The hourly activity counts: an hour's length and how long its hashes
 * are kept after it ends, milliseconds; what a message adds to the
 * tenant's "sent" count besides its recipients (2^32: the recipients
 * are the low 32 bits, the messages the bits above). */
#define SCRIPT_ACTIVITY_HOUR_MS      3600000
#define SCRIPT_ACTIVITY_KEEP_MS      86400000
#define SCRIPT_ACTIVITY_MESSAGE_UNIT 4294967296

#define SCRIPT_SUSPENDED_USER        "user"
#define SCRIPT_SUPPRESSED_TENANT     "tenant"
#define SCRIPT_COMPROMISED_ADDRESSES "addresses"

/* The room of a passed request that nothing bounds. */
#define SCRIPT_ROOM_UNBOUNDED 1000000000

#endif
