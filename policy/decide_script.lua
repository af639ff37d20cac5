-- decide_script.lua - every Redis check and limit of one request, atomically
--
-- Run by waypost-policyd with EVALSHA (EVAL after NOSCRIPT), one call per
-- request, so the account checks and all limits of a request are read and
-- updated in one round trip and as one step: a request that any check or
-- limit refuses charges no limit.
--
-- Its contract with the C that calls it (policy/script_call.c) is
-- policy/script_contract.h: the build puts each of its constants at the
-- top of this script as a Lua local (KEY_INSTANCE, REPLY_LIMIT, ...),
-- and a function clock_ms() before them: Redis' TIME in
-- waypost-policyd, a clock the tests set in tests/unit/test_script_call.c.
-- So this file alone is not a whole script. The keys (their names are
-- lib/redis_keys.c's):
--
-- KEY_INSTANCE  the message's decision
-- KEY_SUSPENDED_USER, KEY_SUSPENDED_DOMAIN  the suspensions of the user
--          and of the sender's domain ("" when there is none)
-- KEY_SENDERS  the user's grants
-- KEY_CLIENTS, KEY_FAILURES  the compromise detector's HyperLogLogs, one
--          per sub-window, whose keys this script names by adding
--          ":<sub-window>" (and ":<sub-window>:older", the count of the
--          six before it)
-- KEY_WARMUP  a string, "<first day> <day> <sent>", see Warm-up below
-- KEY_SUPPRESSED, KEY_SUPPRESSED_ANY  the recipient's suppression for
--          the tenant and for every tenant ("" when not asked)
-- KEY_ACTIVITY_SENT, KEY_ACTIVITY_REFUSALS  the hourly activity counts
--          (see Activity below), each the
--          key of an empty last part, to which this script appends the
--          hour ("" when there is no tenant)
-- KEYS[KEYS_FIXED - 1 + 2i], KEYS[KEYS_FIXED + 2i]  limit i's counter
--          hash and its override hash
--
-- and the arguments:
--
-- ARGUMENT_MODE  MODE_CHECK (MAIL, RCPT, DATA: read only), MODE_CHARGE
--          (END-OF-MESSAGE) or MODE_DRY (waypostctl why: a check that
--          writes nothing at all and says how every check stands)
-- ARGUMENT_LIMITS  n, the number of limits
-- ARGUMENT_KEEP  how long a decision is kept, milliseconds
-- ARGUMENT_CHECKS  the checks asked for, one letter each (CHECK_*)
-- ARGUMENT_SENDER, ARGUMENT_SENDER_DOMAIN  the sender, and "@" its domain
-- ARGUMENT_CLIENT, ARGUMENT_INSTANCE  the client address; the message
-- ARGUMENT_DETECTOR_WINDOW, ARGUMENT_MAX_ADDRESSES, ARGUMENT_MAX_FAILURES,
--          ARGUMENT_WINDOW_TEXT  the detector's window (ms), maximum
--          client addresses, maximum messages with a sender it does not
--          own, and the window as the configuration writes it ("1h")
-- ARGUMENT_WARMUP_SCHEDULE  its daily caps, each a number or "unlimited"
--          right-aligned in CAP_WIDTH characters, so that day d's cap is
--          one string.sub, not a parse of the schedule (make bench
--          measured that parse as the warm-up check's costliest part)
-- ARGUMENT_TENANT, ARGUMENT_RECIPIENTS  the user, else the sender, whose
--          activity is counted ("" none); the message's recipients
-- ARGV[ARGUMENTS_FIXED + 4(i - 1) + 1 .. + 4]  limit i: name, max,
--          window (ms), amount
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
-- Suppression: a string key per tenant and recipient (and one for every
-- tenant) whose value is "<since> <reason>" (since: Unix seconds, when
-- it was suppressed; waypost-trackd writes it when a recipient bounces
-- for good, an admin may too) and whose expiry lifts it. Only at RCPT;
-- the tenant's entry is answered before the one for every tenant.
--
-- Warm-up: a string of three numbers: the day (Redis' time, UTC) of the
-- first message charged, and the day and count of the last ("20410 20412
-- 37"). Day d since the first (0: that day) has the d+1th cap of the
-- schedule, the last cap after its end.
--
-- Activity: per hour (Redis' time in ms / ACTIVITY_HOUR_MS) two hashes
-- of tenant to count: "sent", the messages and recipients charged, as
-- one integer (each message adds ACTIVITY_MESSAGE_UNIT plus its
-- recipients: one HINCRBY per message, not two, which make bench
-- measured at a tenth of the script's time), and "refusals", the
-- requests refused by a check or a limit of this script. Each expires
-- ACTIVITY_KEEP_MS after its hour ends (a day: the longest window
-- waypostctl top sums), set when a tenant first counts in it.
--
-- Dry run (MODE_DRY): every check and limit asked is made, none writes
-- (the detector counts without adding, see there), and the answer goes
-- on past the first refusal, so the reply says how each one stands.
--
-- Every string this script reads (the stored decision, the suspensions,
-- the warm-up) comes in one MGET: the account checks add as few calls as
-- they can (make bench measures them against the limits alone).
--
-- The reply, as script_contract.h lists them: {REPLY_PASSED, room},
-- room being how many more requests of the same amounts the limits and
-- the warm-up cap would pass after this one, as they stand
-- (ROOM_UNBOUNDED: nothing bounds it), which waypost-policyd's check
-- cache spends (policy/check_cache.c); {REPLY_LIMIT, i, count, max,
-- seconds} when limit i refuses (seconds: until enough of it leaves the
-- window); {REPLY_CHARGED_BEFORE} when this message was charged before
-- and passed (a refusal then stored is answered again as REPLY_LIMIT),
-- so a message asked about twice at END-OF-MESSAGE is charged once and
-- answered the same; {REPLY_SUSPENDED, "user" or "domain", reason};
-- {REPLY_NOT_OWNED}; {REPLY_COMPROMISED, "addresses" or "failures",
-- count} the detector suspended the user just now; {REPLY_WARMUP, sent,
-- cap, day} the warm-up cap of the day is reached; {REPLY_SUPPRESSED,
-- "tenant" or "any", entry} the recipient is suppressed. A dry run
-- answers {REPLY_DRY_RUN, answer, details}: answer one of the above, the
-- first refusal or REPLY_PASSED; details as script_contract.h's DETAIL_*
-- (false or -1: not asked), then per limit its count, maximum (after
-- any override) and the seconds until it has room (0: it passes).

local room = ROOM_UNBOUNDED
local mode = ARGV[ARGUMENT_MODE]
local dry = mode == MODE_DRY
local n = tonumber(ARGV[ARGUMENT_LIMITS])
local keep = ARGV[ARGUMENT_KEEP]
local asked = ARGV[ARGUMENT_CHECKS]
local now = clock_ms()

-- The strings this request reads: the stored decision, the suspensions,
-- the warm-up and the suppressions. One GET when only the decision is
-- asked for, else one MGET of all six, also those not asked for (then not
-- looked at): in Redis a key more in an MGET costs less than a Lua table
-- to list only those asked for.
local suspension = string.find(asked, CHECK_SUSPENSION, 1, true)
local warmup_asked = string.find(asked, CHECK_WARMUP, 1, true)
local suppression = string.find(asked, CHECK_SUPPRESSION, 1, true)
local decision, user_reason, domain_reason, warmup_state
local suppressed, suppressed_any
if suspension or warmup_asked or suppression then
  local got = redis.call('MGET', KEYS[KEY_INSTANCE],
    KEYS[KEY_SUSPENDED_USER], KEYS[KEY_SUSPENDED_DOMAIN], KEYS[KEY_WARMUP],
    KEYS[KEY_SUPPRESSED], KEYS[KEY_SUPPRESSED_ANY])
  decision, user_reason, domain_reason, warmup_state =
    got[1], got[2], got[3], got[4]
  suppressed, suppressed_any = got[5], got[6]
elseif mode == MODE_CHARGE then
  decision = redis.call('GET', KEYS[KEY_INSTANCE])
end

-- A stored decision: "ok", or a limit's refusal "i count max seconds".
if mode == MODE_CHARGE and decision then
  local i, count, max, seconds =
    string.match(decision, '^(%d+) (%d+) (%d+) (%d+)$')
  if i then
    return {REPLY_LIMIT, tonumber(i), tonumber(count), tonumber(max),
      tonumber(seconds)}
  end
  return {REPLY_CHARGED_BEFORE}
end

-- The answer: the first check or limit that refuses. A dry run goes on
-- to the end, to say how every one stands (details, DETAIL_* of
-- script_contract.h); a decision stops at the first refusal.
local answer, details, warmup
local charges = {}
if dry then
  details = {false, false, -1, -1, -1, false, false, -1, -1, -1}
end
repeat

if suspension then
  if user_reason and KEYS[KEY_SUSPENDED_USER] ~= '' then
    answer = {REPLY_SUSPENDED, SUSPENDED_USER, user_reason}
    if not dry then break end
    details[DETAIL_USER_SUSPENDED] = user_reason
  end
  if domain_reason and KEYS[KEY_SUSPENDED_DOMAIN] ~= '' then
    answer = answer or {REPLY_SUSPENDED, 'domain', domain_reason}
    if not dry then break end
    details[DETAIL_DOMAIN_SUSPENDED] = domain_reason
  end
end

-- The detector: add member to the current sub-window's HyperLogLog at
-- base; the distinct members of the last seven when it was new there and
-- may be over max, else 0. The six older sub-windows cannot change: their
-- count is kept for the rest of the current one ("<base>:<current>:older"),
-- and the union of all seven, the costly count, is made only when the
-- current one's count plus theirs exceeds max. A function only when the
-- detector is asked for: Redis builds each closure at each call.
--
-- A dry run adds nothing: it counts the seven as they are (a PFCOUNT of
-- several keys writes none; of one, it may store its cached count) and
-- takes member for a new one, as a HyperLogLog tells only by adding it:
-- the count plus one when that exceeds max, else 0.
local detect = string.find(asked, CHECK_COMPROMISE, 1, true)
local distinct
if detect then
  distinct = function(base, member, max)
    local window = tonumber(ARGV[ARGUMENT_DETECTOR_WINDOW])
    local g = math.ceil(window / 6)
    local current = math.floor(now / g)
    local key = base .. ':' .. current
    local keys = {}
    for sub = current - 6, current - 1 do
      keys[#keys + 1] = base .. ':' .. sub
    end
    if dry then
      keys[#keys + 1] = key
      return redis.call('PFCOUNT', unpack(keys))
    end
    if redis.call('PFADD', key, member) == 0 then
      return 0
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
  local most = tonumber(ARGV[ARGUMENT_MAX_ADDRESSES])
  local addresses = distinct(KEYS[KEY_CLIENTS], ARGV[ARGUMENT_CLIENT], most)
  if dry then
    details[DETAIL_ADDRESSES] = addresses
    addresses = addresses + 1 > most and addresses + 1 or 0
  end
  if addresses > most then
    answer = answer or {REPLY_COMPROMISED, COMPROMISED_ADDRESSES, addresses}
    if not dry then
      redis.call('SET', KEYS[KEY_SUSPENDED_USER], 'auto: ' .. addresses ..
        ' client addresses in ' .. ARGV[ARGUMENT_WINDOW_TEXT])
      break
    end
  end
end

if string.find(asked, CHECK_OWNERSHIP, 1, true) then
  local owned = redis.call('SMISMEMBER', KEYS[KEY_SENDERS],
    ARGV[ARGUMENT_SENDER], ARGV[ARGUMENT_SENDER_DOMAIN])
  if dry then
    details[DETAIL_OWNED] = (owned[1] == 0 and owned[2] == 0) and 0 or 1
  end
  if owned[1] == 0 and owned[2] == 0 then
    if detect then
      local most = tonumber(ARGV[ARGUMENT_MAX_FAILURES])
      local failures = distinct(KEYS[KEY_FAILURES],
        ARGV[ARGUMENT_INSTANCE], most)
      if dry then
        details[DETAIL_FAILURES] = failures
        failures = failures + 1 > most and failures + 1 or 0
      end
      if failures > most then
        answer = answer or {REPLY_COMPROMISED, 'failures', failures}
        if not dry then
          redis.call('SET', KEYS[KEY_SUSPENDED_USER], 'auto: ' ..
            failures .. ' messages from senders not owned in ' ..
            ARGV[ARGUMENT_WINDOW_TEXT])
          break
        end
      end
    end
    answer = answer or {REPLY_NOT_OWNED}
    if not dry then break end
  end
end

if suppression then
  if suppressed and KEYS[KEY_SUPPRESSED] ~= '' then
    answer = answer or {REPLY_SUPPRESSED, SUPPRESSED_TENANT, suppressed}
    if not dry then break end
    details[DETAIL_SUPPRESSED] = suppressed
  end
  if suppressed_any and KEYS[KEY_SUPPRESSED_ANY] ~= '' then
    answer = answer or {REPLY_SUPPRESSED, 'any', suppressed_any}
    if not dry then break end
    details[DETAIL_SUPPRESSED_ANY] = suppressed_any
  end
end

if warmup_asked then
  local today = math.floor(now / 86400000)
  local first, last, sent = string.match(warmup_state or '',
    '^(%d+) (%d+) (%d+)$')
  first = first or today
  sent = tonumber(last) == today and tonumber(sent) or 0
  local schedule = ARGV[ARGUMENT_WARMUP_SCHEDULE]
  local day = math.max(0, today - tonumber(first))
  local at = math.min(day, #schedule / CAP_WIDTH - 1) * CAP_WIDTH
  local cap = tonumber(string.sub(schedule, at + 1, at + CAP_WIDTH))
  if dry then
    details[DETAIL_WARMUP_SENT] = sent
    details[DETAIL_WARMUP_CAP] = cap or -1
    details[DETAIL_WARMUP_DAY] = day
  end
  if cap and sent + 1 > cap then
    answer = answer or {REPLY_WARMUP, sent, cap, day}
    if not dry then break end
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
for i = 1, n do
  local key = KEYS[KEYS_FIXED - 1 + 2 * i]
  local override_key = KEYS[KEYS_FIXED + 2 * i]
  local base = ARGUMENTS_FIXED + ARGUMENTS_PER_LIMIT * (i - 1) + 1
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
  local seconds = 0
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
    seconds = math.max(1, math.ceil(wait / 1000))
    if mode == MODE_CHARGE then
      if #stale > 0 then
        redis.call('HDEL', key, unpack(stale))
        redis.call('HSET', key, 'sum', count, 'low', low)
      end
      redis.call('SET', KEYS[KEY_INSTANCE], i .. ' ' .. count .. ' ' ..
        max .. ' ' .. seconds, 'PX', keep)
    end
    answer = answer or {REPLY_LIMIT, i, count, max, seconds}
    if not dry then break end
  else
    local expiry = in_current == 0 and (current + 1) * g + window
    charges[i] = {key, field, in_current + amount, count + amount,
      #stale == 0 and got[2] or low or field, expiry, stale, amount}
    if amount > 0 then
      room = math.min(room, math.floor((max - count - amount) / amount))
    end
  end
  if dry then
    local at = DETAILS_FIXED + DETAILS_PER_LIMIT * (i - 1)
    details[at + 1], details[at + 2], details[at + 3] = count, max, seconds
  end
end

until true

if dry then
  return {REPLY_DRY_RUN, answer or {REPLY_PASSED, room}, details}
end

-- Who sends most (waypostctl top senders), see Activity above: the
-- hour's hash is "<key><hour>". One HINCRBY per refusal and per message
-- charged; none without a tenant.
local tenant = ARGV[ARGUMENT_TENANT]
local hour = tenant ~= '' and math.floor(now / ACTIVITY_HOUR_MS)
local expiry = hour and (hour + 1) * ACTIVITY_HOUR_MS + ACTIVITY_KEEP_MS

if answer then
  if hour then
    local key = KEYS[KEY_ACTIVITY_REFUSALS] .. hour
    if redis.call('HINCRBY', key, tenant, 1) == 1 then
      redis.call('PEXPIREAT', key, expiry)
    end
  end
  return answer
end

if mode == MODE_CHARGE then
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
    redis.call('SET', KEYS[KEY_WARMUP], warmup)
  end
  redis.call('SET', KEYS[KEY_INSTANCE], 'ok', 'PX', keep)
  if hour then
    local key = KEYS[KEY_ACTIVITY_SENT] .. hour
    local sent = ACTIVITY_MESSAGE_UNIT + tonumber(ARGV[ARGUMENT_RECIPIENTS])
    if redis.call('HINCRBY', key, tenant, sent) == sent then
      redis.call('PEXPIREAT', key, expiry)
    end
  end
end
return {REPLY_PASSED, room}
