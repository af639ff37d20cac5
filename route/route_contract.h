/*
 * route_contract.h - what route_decide.c and route_settle.c agree on with
 * route_script.lua and route_settle.lua
 *
 * make-script.sh writes each SCRIPT_ constant into both scripts as a Lua
 * local, so every side reads one definition.
 *
 * The keys of a pool (lib/redis_keys.c names them, one hash tag each):
 *   sources:{POOL}, a hash of "ADDRESS PROVIDER" to the address's warm-up
 *       state at that provider: "FIRST LAST SENT", the day (Redis' time,
 *       UTC, days since 1970) of its first charge, of its last, and its
 *       count on the last;
 *   sources-suspended:{POOL}, a hash of "ADDRESS" or "ADDRESS PROVIDER"
 *       to the time (ms) a suspension ends, 0: until resumed;
 *   sources-reserved:{POOL}:DAY, per day a hash of "ADDRESS RECIPIENT"
 *       to "COUNT PROVIDER": the lookups of that day that chose the
 *       address for the recipient and no delivery record settled yet;
 *       kept SCRIPT_RESERVED_TTL seconds;
 *   sources-settled:{POOL}, a sorted set of the stream ids of the
 *       delivery events settled, scored by the time (ms) they were, kept
 *       SCRIPT_SETTLED_KEEP_MS.
 *
 * route_script.lua, at each lookup:
 * KEYS: [1] sources, [2] sources-suspended, [3] sources-reserved:{POOL}:
 *       (the script appends the day).
 * ARGV: [1] the provider, [2] the recipient (lower case); then for each
 *       address of the pool, in order: the address, and its daily caps
 *       at that provider, words joined by spaces (SCRIPT_UNLIMITED for no
 *       cap; the last holds after the schedule ends; none: no cap).
 * Reply: {index, sent, cap, day}: the address chosen (1 for the first),
 *        charged and reserved for the recipient, its count today after
 *        the charge, its cap and its day; {0, suspended}: none has
 *        budget left, suspended of them suspended.
 *
 * route_settle.lua, for each delivery event (sent or bounced) through one
 * of the pool's addresses:
 * KEYS: [1] sources, [2] sources-reserved:{POOL}:, [3] sources-settled.
 * ARGV: [1] the event's stream id, [2] the address, [3] the recipient
 *       (lower case).
 * Reply: {SCRIPT_SETTLE_AGAIN}: that id was settled already;
 *        {SCRIPT_SETTLE_RESERVED, provider}: a lookup charged it, its
 *        reservation is used up; {SCRIPT_SETTLE_COUNTED, provider, sent}:
 *        no lookup was left for it (qmgr routed it from its cache): it
 *        is counted now, sent its address's count today;
 *        {SCRIPT_SETTLE_UNKNOWN}: no lookup of today or yesterday chose
 *        that address for the recipient: not counted.
 */
#ifndef WAYPOST_ROUTE_CONTRACT_H
#define WAYPOST_ROUTE_CONTRACT_H

#define SCRIPT_KEY_SOURCES            1
#define SCRIPT_KEY_SUSPENDED          2
#define SCRIPT_KEY_RESERVED           3
#define SCRIPT_ARGUMENT_PROVIDER      1
#define SCRIPT_ARGUMENT_RECIPIENT     2
#define SCRIPT_ARGUMENT_FIRST_ADDRESS 3
#define SCRIPT_UNLIMITED              -1
#define SCRIPT_DAY_MS                 86400000
#define SCRIPT_RESERVED_TTL           172800 /* s: two days */

#define SCRIPT_SETTLE_KEY_SOURCES        1
#define SCRIPT_SETTLE_KEY_RESERVED       2
#define SCRIPT_SETTLE_KEY_SETTLED        3
#define SCRIPT_SETTLE_ARGUMENT_ID        1
#define SCRIPT_SETTLE_ARGUMENT_ADDRESS   2
#define SCRIPT_SETTLE_ARGUMENT_RECIPIENT 3
#define SCRIPT_SETTLED_KEEP_MS           3600000 /* an hour */
#define SCRIPT_SETTLE_AGAIN              0
#define SCRIPT_SETTLE_RESERVED           1
#define SCRIPT_SETTLE_COUNTED            2
#define SCRIPT_SETTLE_UNKNOWN            3

#endif
