-- decide_script.lua - every Redis check and limit of one request, atomically
--
-- Run by waypost-policyd with EVALSHA (EVAL after NOSCRIPT), one call per
-- request, so the account checks and all limits of a request are read and
-- updated in one round trip and as one step: a request that any check or
-- limit refuses charges no limit.
--
-- KEYS[1]  the message's decision, "<prefix>instance:<instance>"
-- KEYS[2]  "<prefix>suspended:user:<user>", KEYS[3]
--          "<prefix>suspended:domain:<domain>" of the sender ("" when
--          there is none)
-- KEYS[4]  "<prefix>senders:<user>", the user's grants
-- KEYS[5], KEYS[6]  "<prefix>clients:<user>", "<prefix>failures:<user>":
--          the compromise detector's HyperLogLogs, one per sub-window,
--          whose keys this script names by adding ":<sub-window>" (and
--          ":<sub-window>:older", the count of the six before it)
-- KEYS[7]  "<prefix>warmup:<warm-up name>:<domain or group>", a string:
--          "<first day> <day> <sent>", see Warm-up below
-- KEYS[6 + 2i], KEYS[7 + 2i]  limit i's counter hash and its override
--          hash: "<prefix>limit:<name>:<subject>", "<prefix>override:<subject>"
-- ARGV[1]  "check" (MAIL, RCPT, DATA: read only) or "charge" (END-OF-MESSAGE)
-- ARGV[2]  n, the number of limits
-- ARGV[3]  how long a decision is kept, milliseconds
-- ARGV[4]  the checks asked for, one letter each: s suspension, o sender
--          ownership, c compromise detection, w warm-up cap
-- ARGV[5], ARGV[6]  the sender, and "@" its domain, in lower case
-- ARGV[7], ARGV[8]  the client address; the message (instance)
-- ARGV[9..12]  the detector's window (ms), maximum client addresses,
--          maximum messages with a sender it does not own, and the
--          window as the configuration writes it ("1h")
-- ARGV[13] the warm-up schedule: its daily caps, each a number or
--          "unlimited" right-aligned in CAP_WIDTH characters, so that day
--          d's cap is one string.sub, not a parse of the schedule (make
--          bench measured that parse as the warm-up check's costliest
--          part)
-- ARGV[10 + 4i..13 + 4i]  limit i: name, max, window (ms), amount
--
-- Suspension: a string key whose value is the reason and whose expiry,
-- when it has one, lifts it. The detector counts, per user, the distinct
-- client addresses and the distinct messages refused for their sender,
-- each in HyperLogLogs of a sixth of its window; it counts the last seven,
-- so an address or message is counted for at least the window and at most
-- a sixth of it longer (conservative). Above either maximum it suspends
-- the user (reason "auto: ...") with no expiry, and refuses.
--
-- Limits: the window slides in sub-buckets of g = max(1 s, window / 60): a
-- hash field per bucket (its number, time / g) holds what was charged in
-- it. The count is the sum of every bucket that overlaps the last window,
-- the oldest one whole: conservative, so no window-long interval ever
-- admits more than max, at the cost of refusing up to one bucket (g)
-- early. The time is Redis' own, so relays with skewed clocks agree.
-- The hash also keeps that sum and the oldest bucket it covers ("sum",
-- "low"), so a request reads a few fields, not every bucket (make bench
-- measured the whole-hash read as most of Redis' time per call).
--
-- Warm-up: a string of three numbers: the day (Redis' time, UTC) of the
-- first message charged, and the day and count of the last ("20410 20412
-- 37"). Day d since the first (0: that day) has the d+1th cap of the
-- schedule, the last cap after its end.
--
-- Every string this script reads (the stored decision, the suspensions,
-- the warm-up) comes in one MGET: the account checks add as few calls as
-- they can (make bench measures them against the limits alone).
--
-- The reply: {0, room} passed everything, room being how many more requests
-- of the same amounts the limits and the warm-up cap would pass after this
-- one, as they stand (ROOM_UNBOUNDED: nothing bounds it), which
-- waypost-policyd's check cache spends (policy/check_cache.c);
-- {1, i, count, max, seconds} when
-- limit i refuses (seconds: until enough of it leaves the window);
-- {2, decision} when this message was charged before (the decision then
-- stored: "ok" or "i:count:max:seconds"), so a message asked about twice
-- at END-OF-MESSAGE is charged once and answered the same; {3, "user" or
-- "domain", reason} suspended; {4} the sender is not the user's;
-- {5, "addresses" or "failures", count} the detector suspended the user
-- just now; {6, sent, cap, day} the warm-up cap of the day is reached.

local CAP_WIDTH = 10 -- account_check.h, ACCOUNT_CAP_WIDTH
local ROOM_UNBOUNDED = 1000000000 -- policy_decide.c, ROOM_UNBOUNDED
local room = ROOM_UNBOUNDED
local mode = ARGV[1]
local n = tonumber(ARGV[2])
local keep = ARGV[3]
local asked = ARGV[4]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

-- The strings this request reads: the stored decision (KEYS[1]), the
-- suspensions (KEYS[2], KEYS[3]) and the warm-up (KEYS[7]). One GET when
-- only the decision is asked for, else one MGET of all four, also those
-- not asked for (then not looked at): in Redis a key more in an MGET
-- costs less than a Lua table to list only those asked for.
local suspension = string.find(asked, 's', 1, true)
local warmup_asked = string.find(asked, 'w', 1, true)
local decision, user_reason, domain_reason, warmup_state
if suspension or warmup_asked then
  local got = redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], KEYS[7])
  decision, user_reason, domain_reason, warmup_state =
    got[1], got[2], got[3], got[4]
elseif mode == 'charge' then
  decision = redis.call('GET', KEYS[1])
end

if mode == 'charge' and decision then
  return {2, decision}
end

if suspension then
  if user_reason and KEYS[2] ~= '' then
    return {3, 'user', user_reason}
  end
  if domain_reason and KEYS[3] ~= '' then
    return {3, 'domain', domain_reason}
  end
end

-- The detector: add member to the current sub-window's HyperLogLog at
-- base; the distinct members of the last seven when it was new there and
-- may be over max, else 0. The six older sub-windows cannot change: their
-- count is kept for the rest of the current one ("<base>:<current>:older"),
-- and the union of all seven, the costly count, is made only when the
-- current one's count plus theirs exceeds max. A function only when the
-- detector is asked for: Redis builds each closure at each call.
local detect = string.find(asked, 'c', 1, true)
local distinct
if detect then
  distinct = function(base, member, max)
    local window = tonumber(ARGV[9])
    local g = math.ceil(window / 6)
    local current = math.floor(now / g)
    local key = base .. ':' .. current
    if redis.call('PFADD', key, member) == 0 then
      return 0
    end
    local keys = {}
    for sub = current - 6, current - 1 do
      keys[#keys + 1] = base .. ':' .. sub
    end
    local older_key = key .. ':older'
    local older = tonumber(redis.call('GET', older_key))
    if not older then -- the first change in this sub-window
      redis.call('PEXPIRE', key, window + g)
      older = redis.call('PFCOUNT', unpack(keys))
      redis.call('SET', older_key, older, 'PX', g)
    end
    if redis.call('PFCOUNT', key) + older <= max then
      return 0
    end
    keys[#keys + 1] = key
    return redis.call('PFCOUNT', unpack(keys))
  end
  local addresses = distinct(KEYS[5], ARGV[7], tonumber(ARGV[10]))
  if addresses > tonumber(ARGV[10]) then
    redis.call('SET', KEYS[2], 'auto: ' .. addresses ..
      ' client addresses in ' .. ARGV[12])
    return {5, 'addresses', addresses}
  end
end

if string.find(asked, 'o', 1, true) then
  local owned = redis.call('SMISMEMBER', KEYS[4], ARGV[5], ARGV[6])
  if owned[1] == 0 and owned[2] == 0 then
    if detect then
      local failures = distinct(KEYS[6], ARGV[8], tonumber(ARGV[11]))
      if failures > tonumber(ARGV[11]) then
        redis.call('SET', KEYS[2], 'auto: ' .. failures ..
          ' messages from senders not owned in ' .. ARGV[12])
        return {5, 'failures', failures}
      end
    end
    return {4}
  end
end

local warmup
if warmup_asked then
  local today = math.floor(now / 86400000)
  local first, last, sent = string.match(warmup_state or '',
    '^(%d+) (%d+) (%d+)$')
  first = first or today
  sent = tonumber(last) == today and tonumber(sent) or 0
  local day = math.max(0, today - tonumber(first))
  local at = math.min(day, #ARGV[13] / CAP_WIDTH - 1) * CAP_WIDTH
  local cap = tonumber(string.sub(ARGV[13], at + 1, at + CAP_WIDTH))
  if cap and sent + 1 > cap then
    return {6, sent, cap, day}
  end
  if cap then
    room = math.min(room, cap - sent - 1)
  end
  warmup = first .. ' ' .. today .. ' ' .. (sent + 1)
end

-- Besides its buckets, a counter hash keeps "sum", the total of the
-- buckets from "low" on, so a request reads three fields, not every
-- bucket; buckets that leave the window are subtracted once, when "low"
-- passes them. The hash expires when its newest bucket leaves the
-- window, set once per bucket, at its first charge; so every bucket lies
-- within 60 of the last charge, and that walk is bounded.
--
-- Numbers given to redis.call() are printed by Redis with "%.17g" and
-- strings read back go through tonumber(): perf showed both among
-- Redis' costs per call. So a bucket's number is printed once, "low" is
-- written back as read when it did not move, and the expiry is set only
-- when a bucket begins.
local charges = {}
for i = 1, n do
  local key, override_key = KEYS[6 + 2 * i], KEYS[7 + 2 * i]
  local base = 10 + 4 * i
  local name = ARGV[base]
  local max = tonumber(ARGV[base + 1])
  local window = tonumber(ARGV[base + 2])
  local amount = tonumber(ARGV[base + 3])
  local override = tonumber(redis.call('HGET', override_key, name))
  if override and override >= 0 then
    max = override
  end
  local g = math.max(1000, math.ceil(window / 60))
  local oldest = math.floor((now - window) / g)
  local current = math.floor(now / g)
  local field = string.format('%d', current)
  local got = redis.call('HMGET', key, 'sum', 'low', field)
  local count, low = tonumber(got[1]) or 0, tonumber(got[2])
  local in_current = tonumber(got[3]) or 0
  local stale = {}
  if low and low < oldest then
    for bucket = low, math.min(oldest - 1, low + 61) do
      stale[#stale + 1] = bucket
    end
    local values = redis.call('HMGET', key, unpack(stale))
    for j = 1, #values do
      count = count - (tonumber(values[j]) or 0)
    end
    low = oldest
  end
  if count + amount > max then
    local buckets = {}
    local fields = redis.call('HGETALL', key)
    for j = 1, #fields, 2 do
      local bucket = tonumber(fields[j])
      if bucket and bucket >= oldest then
        buckets[#buckets + 1] = {bucket, tonumber(fields[j + 1])}
      end
    end
    table.sort(buckets, function(a, b) return a[1] < b[1] end)
    local wait, freed = window, 0
    for _, entry in ipairs(buckets) do
      freed = freed + entry[2]
      if count - freed + amount <= max then
        wait = (entry[1] + 1) * g + window - now
        break
      end
    end
    local seconds = math.max(1, math.ceil(wait / 1000))
    if mode == 'charge' then
      if #stale > 0 then
        redis.call('HDEL', key, unpack(stale))
        redis.call('HSET', key, 'sum', count, 'low', low)
      end
      redis.call('SET', KEYS[1], i .. ':' .. count .. ':' .. max .. ':' ..
        seconds, 'PX', keep)
    end
    return {1, i, count, max, seconds}
  end
  local expiry = in_current == 0 and (current + 1) * g + window
  charges[i] = {key, field, in_current + amount, count + amount,
    #stale == 0 and got[2] or low or field, expiry, stale, amount}
  if amount > 0 then
    room = math.min(room, math.floor((max - count - amount) / amount))
  end
end

if mode == 'charge' then
  for i = 1, n do
    local charge = charges[i]
    if #charge[7] > 0 then
      redis.call('HDEL', charge[1], unpack(charge[7]))
    end
    if charge[8] > 0 then
      redis.call('HSET', charge[1], charge[2], charge[3], 'sum', charge[4],
        'low', charge[5])
      if charge[6] then
        redis.call('PEXPIREAT', charge[1], charge[6])
      end
    elseif #charge[7] > 0 then
      redis.call('HSET', charge[1], 'sum', charge[4] - charge[8],
        'low', charge[5])
    end
  end
  if warmup then
    redis.call('SET', KEYS[7], warmup)
  end
  redis.call('SET', KEYS[1], 'ok', 'PX', keep)
end
return {0, room}
