-- route_script.lua - choose a pool's source address with budget left at
-- a provider, and charge it, in one atomic call
--
-- The contract (keys, arguments, reply) is route/route_contract.h; the
-- state's words are route_state.lua's. Least used first: of the
-- addresses not suspended whose count today is below their cap at the
-- provider, the one with the lowest count (the first of equals); its
-- count goes up by one. An address's day in its
-- schedule is the days since its first charge at that provider, so
-- each address warms up from the day it first carries mail there. The
-- charge is also reserved for the recipient, until waypost-routed
-- settles it from the delivery's event (route_settle.lua).
local now = clock_ms()
local today = math.floor(now / DAY_MS)
local provider = ARGV[ARGUMENT_PROVIDER]
local fields, blocks = {}, {}
for i = ARGUMENT_FIRST_ADDRESS, #ARGV, 2 do
  local address = ARGV[i]
  fields[#fields + 1] = address .. ' ' .. provider
  blocks[#blocks + 1] = address
  blocks[#blocks + 1] = address .. ' ' .. provider
end
local states = redis.call('HMGET', KEYS[KEY_SOURCES], unpack(fields))
local ends = redis.call('HMGET', KEYS[KEY_SUSPENDED], unpack(blocks))

local function suspended(n)
  for j = 2 * n - 1, 2 * n do
    local until_ms = tonumber(ends[j])
    if until_ms and (until_ms == 0 or until_ms > now) then
      return true
    end
  end
  return false
end

local function cap_of(caps, day)
  local last
  local n = 0
  for word in string.gmatch(caps, '%S+') do
    last = tonumber(word)
    if n == day then
      return last
    end
    n = n + 1
  end
  return last or UNLIMITED
end

local best, best_sent, best_cap, best_day, best_first
local held = 0
for n = 1, #fields do
  if suspended(n) then
    held = held + 1
  else
    local first, sent = state_of(states[n], today)
    local day = math.max(0, today - first)
    local cap = cap_of(ARGV[ARGUMENT_FIRST_ADDRESS + 2 * n - 1], day)
    if (cap == UNLIMITED or sent < cap) and
        (best == nil or sent < best_sent) then
      best, best_sent, best_cap, best_day, best_first = n, sent, cap, day,
        first
    end
  end
end
if best == nil then
  return {0, held}
end
redis.call('HSET', KEYS[KEY_SOURCES], fields[best],
  state_text(best_first, today, best_sent + 1))
local reserved = KEYS[KEY_RESERVED] .. today
local held_for = blocks[2 * best - 1] .. ' ' .. ARGV[ARGUMENT_RECIPIENT]
local count = reservation_of(redis.call('HGET', reserved, held_for))
redis.call('HSET', reserved, held_for,
  reservation_text((count or 0) + 1, provider))
redis.call('EXPIRE', reserved, RESERVED_TTL)
return {best, best_sent + 1, best_cap, best_day}
