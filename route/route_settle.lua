-- route_settle.lua - settle one delivery event against a pool's charges,
-- once, in one atomic call
--
-- The contract (keys, arguments, reply) is route/route_contract.h; the
-- state's words are route_state.lua's. A lookup charged its address and
-- reserved the charge for the recipient (route_script.lua). A delivery
-- that reached the provider (sent or bounced) uses up one reservation
-- of its address and recipient, of today or else of yesterday: its
-- charge stands. When none is left, the queue manager routed it from
-- its cache without asking: it is counted now, today, at the provider
-- the last lookup of that recipient found. A stream id is settled once:
-- the ids of the last SETTLED_KEEP_MS are kept, so an event read again
-- (acknowledged too late, claimed from a consumer that died) counts
-- nothing twice.
local now = clock_ms()
local today = math.floor(now / DAY_MS)
local settled = KEYS[SETTLE_KEY_SETTLED]
local id = ARGV[SETTLE_ARGUMENT_ID]
if redis.call('ZSCORE', settled, id) then
  return {SETTLE_AGAIN}
end
redis.call('ZREMRANGEBYSCORE', settled, '-inf', now - SETTLED_KEEP_MS)
redis.call('ZADD', settled, now, id)
redis.call('PEXPIRE', settled, SETTLED_KEEP_MS)

local address = ARGV[SETTLE_ARGUMENT_ADDRESS]
local held_for = address .. ' ' .. ARGV[SETTLE_ARGUMENT_RECIPIENT]
local known
for day = today, today - 1, -1 do
  local key = KEYS[SETTLE_KEY_RESERVED] .. day
  local count, provider = reservation_of(redis.call('HGET', key, held_for))
  if count and count > 0 then
    redis.call('HSET', key, held_for, reservation_text(count - 1, provider))
    return {SETTLE_RESERVED, provider}
  end
  known = known or provider
end
if not known then
  return {SETTLE_UNKNOWN}
end
local field = address .. ' ' .. known
local first, sent = state_of(redis.call('HGET', KEYS[SETTLE_KEY_SOURCES],
  field), today)
redis.call('HSET', KEYS[SETTLE_KEY_SOURCES], field,
  state_text(first, today, sent + 1))
return {SETTLE_COUNTED, known, sent + 1}
