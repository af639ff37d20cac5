/*
 * route_contract.h - what route_decide.c and route_script.lua agree on
 *
 * make-script.sh writes each SCRIPT_ constant into the script as a Lua
 * local, so both sides read one definition.
 *
 * KEYS: [1] sources:{POOL}, a hash of "ADDRESS PROVIDER" to the address's
 *           warm-up state at that provider: "FIRST LAST SENT", the day
 *           (Redis' time, UTC, days since 1970) of its first charge, of
 *           its last, and its count on the last;
 *       [2] sources-suspended:{POOL}, a hash of "ADDRESS" or "ADDRESS
 *           PROVIDER" to the time (ms) a suspension ends, 0: until
 *           resumed.
 * ARGV: [1] the provider; then for each address of the pool, in order:
 *           the address, and its daily caps at that provider, words
 *           joined by spaces (SCRIPT_UNLIMITED for no cap; the last
 *           holds after the schedule ends; none: no cap).
 * Reply: {index, sent, cap, day}: the address chosen (1 for the first),
 *        charged, its count today after the charge, its cap and its
 *        day; {0, suspended}: none has budget left, suspended of them
 *        suspended.
 */
#ifndef WAYPOST_ROUTE_CONTRACT_H
#define WAYPOST_ROUTE_CONTRACT_H

#define SCRIPT_KEY_SOURCES            1
#define SCRIPT_KEY_SUSPENDED          2
#define SCRIPT_ARGUMENT_PROVIDER      1
#define SCRIPT_ARGUMENT_FIRST_ADDRESS 2
#define SCRIPT_UNLIMITED              -1
#define SCRIPT_DAY_MS                 86400000

#endif
