-- limit_script.lua - check or charge every limit of one request, atomically
--
-- Run by waypost-policyd with EVALSHA (EVAL after NOSCRIPT), one call per
-- request, so all limits of a request are read and updated in one round
-- trip and as one step: a request that exceeds any limit charges none.
--
-- KEYS[1]          the message's decision, "<prefix>instance:<instance>"
-- KEYS[2i], KEYS[2i+1]  limit i's counter hash and its override hash:
--                  "<prefix>limit:<name>:<subject>", "<prefix>override:<subject>"
-- ARGV[1]          "check" (RCPT, DATA: read only) or "charge" (END-OF-MESSAGE)
-- ARGV[2]          n, the number of limits
-- ARGV[3]          how long a decision is kept, milliseconds
-- ARGV[4i..4i+3]   limit i: name, max, window (ms), amount
--
-- The window slides in sub-buckets of g = max(1 s, window / 60): a hash
-- field per bucket (its number, time / g) holds what was charged in it.
-- The count is the sum of every bucket that overlaps the last window,
-- the oldest one whole: conservative, so no window-long interval ever
-- admits more than max, at the cost of refusing up to one bucket (g)
-- early. The time is Redis' own, so relays with skewed clocks agree.
-- The hash also keeps that sum and the oldest bucket it covers ("sum",
-- "low"), so a request reads a few fields, not every bucket (make bench
-- measured the whole-hash read as most of Redis' time per call).
--
-- The reply: {0} within every limit; {1, i, count, max, seconds} when
-- limit i refuses (seconds: until enough of it leaves the window);
-- {2, decision} when this message was charged before (the decision then
-- stored: "ok" or "i:count:max:seconds"), so a message asked about twice
-- at END-OF-MESSAGE is charged once and answered the same.

local mode = ARGV[1]
local n = tonumber(ARGV[2])
local keep = tonumber(ARGV[3])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

if mode == 'charge' then
  local prior = redis.call('GET', KEYS[1])
  if prior then
    return {2, prior}
  end
end

-- Besides its buckets, a counter hash keeps "sum", the total of the
-- buckets from "low" on, so a request reads three fields, not every
-- bucket; buckets that leave the window are subtracted once, when "low"
-- passes them. Every bucket lies within 61 of the last charge (the hash
-- expires one window after it), so that walk is bounded.
local charges = {}
for i = 1, n do
  local key, override_key = KEYS[2 * i], KEYS[2 * i + 1]
  local base = 4 * i
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
  local got = redis.call('HMGET', key, 'sum', 'low', current)
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
  charges[i] = {key, current, in_current + amount, count + amount,
    low or current, window + g, stale, amount}
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
      redis.call('PEXPIRE', charge[1], charge[6])
    elseif #charge[7] > 0 then
      redis.call('HSET', charge[1], 'sum', charge[4] - charge[8],
        'low', charge[5])
    end
  end
  redis.call('SET', KEYS[1], 'ok', 'PX', keep)
end
return {0}
