-- record_script.lua - waypost-trackd's records, events, suppressions and
-- bounce-rate guard, one batch of log lines at a time, atomically
--
-- The constants come first, from record_contract.h (make-script.sh).
-- ARGV: the fixed arguments, then operations (record_contract.h). The
-- log position is saved in the same call, so a batch and its position
-- are in Redis together or not at all: a restart replays exactly the
-- lines after it, and no outcome is recorded twice nor lost.
--
-- A message's record is a hash: its header fields (queue_id, first_seen,
-- message_id, sender, tenant, user, client, size, recipients, origin,
-- notification_of, accepted, removed, ended) and per recipient a field
-- "r:ADDRESS" holding JSON: i (its number in the message, from 1),
-- seq (its events so far), status, attempts, first, last (Unix seconds),
-- relay, service, dsn, reply, class, soft, deferred_event (when the last
-- deferred event was written). "rcpts" counts the recipients, "events" the
-- message's own events after accepted (i 0). The daemon says which
-- operation makes the record (M_NEW): the header, its expiry and the
-- queue ID's index are written then, once, and every operation brings
-- the message's sender, tenant and Message-ID, so no call reads them.
-- Expiries of the streams and of the guard's counts are set once per
-- batch. Each redis.call costs a few microseconds: the script makes as
-- few as it can.
--
-- An event's id is QUEUEID.FIRSTSEEN.I.SEQ: derived from what it
-- describes, so the same log read twice gives the same ids. Its JSON
-- has at least id, type, time, queue_id, message_id, sender, tenant,
-- recipient, dsn, reply, class (null when not known); see
-- waypost-events(7). Fields are added, never renamed or removed.
--
-- Returns DONE then a flat list of queue ID and text pairs for the daemon
-- to log; KNOWN for a batch already applied; an error MOVED... for a
-- batch that does not follow the saved position.

if ARGV[ARG_VERSION] ~= tostring(VERSION) then
  return redis.error_reply('record script version ' .. VERSION ..
                           ' called as ' .. tostring(ARGV[ARG_VERSION]))
end

-- The batch follows the saved position, or it is not applied: a call
-- that timed out may still run later (Redis had it queued), and another
-- reader may have moved on; either would apply lines twice or out of
-- order.
if ARGV[ARG_POSITION_KEY] ~= '' then
  local saved = redis.call('GET', ARGV[ARG_POSITION_KEY]) or ''
  if saved ~= ARGV[ARG_POSITION_START] then
    if saved == ARGV[ARG_POSITION] then
      return {KNOWN}
    end
    return redis.error_reply(MOVED .. ' saved position ' .. saved ..
                             ', the batch follows ' ..
                             ARGV[ARG_POSITION_START])
  end
end

local record_ttl = tonumber(ARGV[ARG_RECORD_TTL])
local events_max = ARGV[ARG_EVENTS_MAX]
local defer_interval = tonumber(ARGV[ARG_DEFER_INTERVAL])
local events_key = ARGV[ARG_EVENTS_KEY]
local suppress_ttl = tonumber(ARGV[ARG_SUPPRESS_TTL])
local suppress_any = ARGV[ARG_SUPPRESS_ANY] == '1'
local soft_count = tonumber(ARGV[ARG_SOFT_COUNT])
local soft_span = tonumber(ARGV[ARG_SOFT_SPAN])
local guard_window = tonumber(ARGV[ARG_GUARD_WINDOW])
local guard_minimum = tonumber(ARGV[ARG_GUARD_MINIMUM])
local guard_warn = tonumber(ARGV[ARG_GUARD_WARN])
local guard_pause = tonumber(ARGV[ARG_GUARD_PAUSE])
local notes = {DONE}

local function note(queue_id, text)
  notes[#notes + 1] = queue_id
  notes[#notes + 1] = text
end

-- HMGET gives false for a field the hash lacks.
local function text_or_null(text)
  if not text or text == '' then
    return cjson.null
  end
  return text
end

-- The arguments of one operation, numbered as record_contract.h does.
local function op_args(first, count)
  local a = {}
  for i = 1, count do
    a[i] = ARGV[first + i - 1]
  end
  return a
end

-- Field and value pairs of the texts that are not empty, for HSET.
local function pairs_of(list, names, values)
  for i = 1, #names do
    local value = values[i]
    if value ~= nil and value ~= '' then
      list[#list + 1] = names[i]
      list[#list + 1] = value
    end
  end
  return list
end

-- The record's key; made by the operation the daemon says: its header,
-- its expiry and the queue ID's index, once.
local function ensure_record(a)
  local key = a[M_RECORD]
  if a[M_NEW] == '1' then
    redis.call('HSET', key, unpack(pairs_of({}, {'queue_id', 'first_seen',
        'message_id', 'sender', 'tenant', 'origin', 'notification_of'},
        {a[M_QUEUE_ID], a[M_FIRST_SEEN], a[M_MESSAGE_ID], a[M_SENDER],
         a[M_TENANT], a[M_ORIGIN], a[M_NOTIFICATION_OF]})))
    redis.call('EXPIRE', key, record_ttl)
    redis.call('SET', a[M_QUEUE_INDEX], key, 'EX', record_ttl)
  end
  return key
end

-- The message as the daemon knows it (from its lines, or restored).
local function known(a)
  return {message_id = a[M_MESSAGE_ID], sender = a[M_SENDER],
          tenant = a[M_TENANT]}
end

-- Keys whose expiry is set once, at the end of the batch.
local touched = {}

local function append_event(stream, json)
  redis.call('XADD', stream, 'MAXLEN', '~', events_max, '*', 'event', json)
end

-- One event to the stream of every tenant and to the tenant's own.
local function emit(a, message, type, number, seq, fields)
  -- The fields every event has (null when not known); the others only
  -- when they have a value.
  local event = {
    id = a[M_QUEUE_ID] .. '.' .. a[M_FIRST_SEEN] .. '.' .. number .. '.' ..
         seq,
    type = type,
    time = a[M_ISO_TIME],
    queue_id = a[M_QUEUE_ID],
    message_id = text_or_null(message.message_id),
    sender = text_or_null(message.sender),
    tenant = text_or_null(message.tenant),
    recipient = cjson.null, dsn = cjson.null, reply = cjson.null,
    class = cjson.null, seq = seq,
  }
  if a[M_ORIGIN] ~= '' then
    event.origin = a[M_ORIGIN]
    event.notification_of = text_or_null(a[M_NOTIFICATION_OF])
  end
  for name, value in pairs(fields) do
    event[name] = value
  end
  local json = cjson.encode(event)
  append_event(events_key, json)
  if a[M_TENANT_EVENTS] ~= '' then
    append_event(a[M_TENANT_EVENTS], json)
    touched[a[M_TENANT_EVENTS]] = record_ttl
  end
end

-- The record's key in its Message-ID's index (record_contract.h): one
-- SET NX for a Message-ID first seen, else the key added at the end,
-- the oldest dropped beyond MESSAGE_ID_KEYS_MAX (an application that
-- gives every message the same Message-ID must not grow one key without
-- bound). A set left by version 2 is replaced.
local function index_message_id(index, key)
  if redis.call('SET', index, key, 'NX', 'EX', record_ttl) then
    return
  end
  local got = redis.pcall('GET', index)
  local keys = {}
  if type(got) == 'string' then
    for known in string.gmatch(got, '%S+') do
      if known == key then
        return
      end
      keys[#keys + 1] = known
    end
  end
  keys[#keys + 1] = key
  while #keys > MESSAGE_ID_KEYS_MAX do
    table.remove(keys, 1)
  end
  redis.call('SET', index, table.concat(keys, ' '), 'EX', record_ttl)
end

-- A header line: smtpd's client (it makes the record), cleanup's
-- Message-ID, qmgr's from= (the accepted event, once: qmgr logs it again
-- each time it takes the message from the deferred queue).
local function message_op(a)
  local key = ensure_record(a)
  if a[M_MESSAGE_ID_INDEX] ~= '' then
    index_message_id(a[M_MESSAGE_ID_INDEX], key)
  end
  if a[M_ACCEPTED] == '1' then
    if redis.call('HSETNX', key, 'accepted', a[M_TIME]) == 0 then
      return
    end
    redis.call('HSET', key, unpack(pairs_of({'size', a[M_SIZE]},
        {'recipients', 'sender', 'tenant', 'origin', 'notification_of',
         'message_id', 'user', 'client'},
        {a[M_RECIPIENTS], a[M_SENDER], a[M_TENANT], a[M_ORIGIN],
         a[M_NOTIFICATION_OF], a[M_MESSAGE_ID], a[M_USER], a[M_CLIENT]})))
    emit(a, known(a), 'accepted', 0, 1, {})
    return
  end
  local set = pairs_of({}, {'user', 'client', 'message_id'},
                       {a[M_USER], a[M_CLIENT], a[M_MESSAGE_ID]})
  if #set > 0 and (a[M_NEW] ~= '1' or a[M_USER] ~= '' or
                   a[M_CLIENT] ~= '') then
    redis.call('HSET', key, unpack(set))
  end
end

local function suppress(a, key, address, since, reason, queue_id)
  redis.call('SET', key .. address, since .. ' ' .. reason, 'EX',
             suppress_ttl)
  if suppress_any then
    redis.call('SET', a[O_SUPPRESS_ANY_PREFIX] .. address,
               since .. ' ' .. reason, 'EX', suppress_ttl)
  end
  note(queue_id, 'to=<' .. address .. '>, suppressed for ' ..
       (suppress_any and 'every tenant' or 'its tenant') .. ': ' .. reason)
end

-- A soft outcome: suppressed once it happened soft_count times over at
-- least soft_span seconds.
local function soft_outcome(a, address, record_id, reply)
  if a[O_EXPIRATIONS_PREFIX] == '' or soft_count <= 0 then
    return
  end
  local key = a[O_EXPIRATIONS_PREFIX] .. address
  local now = tonumber(a[M_TIME])
  redis.call('ZADD', key, now, record_id)
  redis.call('ZREMRANGEBYSCORE', key, '-inf',
             now - soft_span - suppress_ttl)
  redis.call('EXPIRE', key, soft_span + suppress_ttl)
  local count = redis.call('ZCARD', key)
  if count < soft_count then
    return
  end
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if now - tonumber(oldest[2]) >= soft_span then
    suppress(a, a[O_SUPPRESS_PREFIX], address, a[M_TIME],
             'failed ' .. count .. ' times: ' .. (reply or ''),
             a[M_QUEUE_ID])
    redis.call('DEL', key)
  end
end

local function percent(count, total)
  return string.format('%.1f%%', count * 100 / total)
end

-- The tenant's outcomes and bounces per hour, and its rate over the
-- window, judged when it bounced.
local function guard(a, message, bounce)
  local key = a[O_GUARD]
  if key == '' then
    return
  end
  local now = tonumber(a[M_TIME])
  local hour = math.floor(now / 3600)
  local hours = math.floor(guard_window / 3600)
  redis.call('HINCRBY', key, 'o' .. hour, 1)
  if bounce then
    redis.call('HINCRBY', key, 'b' .. hour, 1)
  end
  touched[key] = guard_window + 3600
  if not bounce then
    return
  end
  local names = {}
  for h = hour - hours + 1, hour do
    names[#names + 1] = 'o' .. h
    names[#names + 1] = 'b' .. h
  end
  local got = redis.call('HMGET', key, unpack(names))
  local outcomes, bounces = 0, 0
  for i = 1, #got, 2 do
    outcomes = outcomes + (tonumber(got[i]) or 0)
    bounces = bounces + (tonumber(got[i + 1]) or 0)
  end
  if outcomes < guard_minimum then
    return
  end
  local rate = bounces * 1000 / outcomes
  local level = 'ok'
  if guard_pause > 0 and rate > guard_pause then
    level = 'pause'
  elseif rate > guard_warn then
    level = 'warn'
  end
  local was = redis.call('HGET', key, 'level') or 'ok'
  local window = hours .. 'h'
  local text = 'bounce rate ' .. percent(bounces, outcomes) .. ' (' ..
               bounces .. ' of ' .. outcomes .. ') in ' .. window
  redis.call('HSET', key, 'level', level)
  if level == was or level == 'ok' or (level == 'warn' and was == 'pause')
  then
    return
  end
  if level == 'pause' and a[O_SUSPEND] ~= '' then
    redis.call('SET', a[O_SUSPEND], 'auto: ' .. text, 'NX')
  end
  note(a[M_QUEUE_ID], 'tenant ' .. (message.tenant or '') .. ': ' .. text ..
       (level == 'pause' and ': suspended' or ': over the warning level'))
  local seq = 1 + redis.call('HINCRBY', a[M_RECORD], 'events', 1)
  emit(a, message, 'guard', 0, seq,
       {level = level, rate = bounces / outcomes, bounces = bounces,
        outcomes = outcomes, window = window,
        reason = (level == 'pause' and 'auto: ' or '') .. text})
end

local function recipient_of(key, address)
  local got = redis.call('HGET', key, 'r:' .. address)
  if got then
    return cjson.decode(got)
  end
  return {i = redis.call('HINCRBY', key, 'rcpts', 1), seq = 0,
          attempts = 0}
end

local function save_recipient(key, address, r)
  redis.call('HSET', key, 'r:' .. address, cjson.encode(r))
end

local function recipient_event(a, message, type, r)
  r.seq = r.seq + 1
  local fields = {
    recipient = r.recipient, dsn = text_or_null(r.dsn),
    reply = text_or_null(r.reply), class = text_or_null(r.class),
    attempts = r.attempts, reason = r.reason}
  if r.original and r.original ~= '' then
    fields.original_recipient = r.original
  end
  if r.relay and r.relay ~= '' then
    fields.relay = r.relay
  end
  if r.service and r.service ~= '' then
    fields.service = r.service
  end
  emit(a, message, type, r.i, r.seq, fields)
end

-- A recipient refused as suppressed before any queue file: its event,
-- with the id the daemon made of the line; no record.
local function refused_op(a)
  local message = {sender = a[M_SENDER], tenant = a[M_TENANT]}
  emit(a, message, 'suppressed', 0, 1, {
    id = a[O_EVENT_ID], recipient = a[O_RECIPIENT],
    dsn = text_or_null(a[O_DSN]), reply = text_or_null(a[O_REPLY]),
    reason = a[O_REPLY]})
end

local function outcome_op(a)
  if a[M_RECORD] == '' then
    return refused_op(a)
  end
  local key = ensure_record(a)
  local message = known(a)
  local address = a[O_ADDRESS]
  local type = a[O_TYPE]
  local r = recipient_of(key, address)
  local now = tonumber(a[M_TIME])
  -- A line read again (a log read anew from an earlier point): older
  -- than what the recipient's state says, or in the same second the
  -- same outcome or a deferral of a recipient since done with. Nothing
  -- changes, no event.
  if r.last and (now < r.last or (now == r.last and
      ((r.status == type and r.dsn == a[O_DSN]) or
       (type == 'deferred' and r.status ~= 'deferred')))) then
    return
  end
  r.recipient = a[O_RECIPIENT]
  r.original = a[O_ORIGINAL] ~= '' and a[O_ORIGINAL] or r.original
  r.status = type
  r.relay = a[O_RELAY]
  r.service = a[O_SERVICE] ~= '' and a[O_SERVICE] or nil
  r.dsn = a[O_DSN]
  r.reply = a[O_REPLY]
  r.class = a[O_CLASS] ~= '' and a[O_CLASS] or nil
  r.soft = a[O_SUPPRESS] == 'soft' or nil
  r.attempts = r.attempts + (type ~= 'suppressed' and 1 or 0)
  r.first = r.first or now
  r.last = now
  if type == 'suppressed' then
    r.reason = a[O_REPLY]
    r.reply = nil
  end
  local send = true
  if type == 'deferred' then
    send = r.deferred_event == nil or
           now - r.deferred_event >= defer_interval
    if send then
      r.deferred_event = now
    end
  end
  if send then
    recipient_event(a, message, type, r)
  end
  save_recipient(key, address, r)
  local record_id = a[M_QUEUE_ID] .. '.' .. a[M_FIRST_SEEN]
  if type == 'bounced' and a[O_SUPPRESS] == 'hard' and
     a[O_SUPPRESS_PREFIX] ~= '' then
    suppress(a, a[O_SUPPRESS_PREFIX], address, a[M_TIME],
             'bounced: ' .. r.reply, a[M_QUEUE_ID])
  elseif type == 'bounced' and a[O_SUPPRESS] == 'soft' then
    soft_outcome(a, address, record_id, r.reply)
  end
  if type == 'delivered' or type == 'bounced' then
    guard(a, message, a[O_BOUNCE] == '1')
  end
end

-- Every recipient still deferred (or never tried) ends as type.
local function end_pending(a, type)
  local key = ensure_record(a)
  local message = known(a)
  local all = redis.call('HGETALL', key)
  local now = tonumber(a[M_TIME])
  local ended = 0
  local record_id = a[M_QUEUE_ID] .. '.' .. a[M_FIRST_SEEN]
  for i = 1, #all, 2 do
    if string.sub(all[i], 1, 2) == 'r:' then
      local r = cjson.decode(all[i + 1])
      if r.status == 'deferred' then
        local address = string.sub(all[i], 3)
        r.status = type
        r.last = now
        recipient_event(a, message, type, r)
        save_recipient(key, address, r)
        ended = ended + 1
        if type == 'expired' then
          if r.soft then
            soft_outcome(a, address, record_id, r.reply)
          end
          guard(a, message, false)
        end
      end
    end
  end
  -- No recipient was pending (none known, or the line read again): one
  -- event for the message, the first time it ends.
  local first = redis.call('HSETNX', key, 'ended', type) == 1
  if ended == 0 and first then
    local seq = 1 + redis.call('HINCRBY', key, 'events', 1)
    emit(a, message, type, 0, seq, {})
  end
  if type == 'dropped' then
    redis.call('HSET', key, 'removed', a[M_TIME])
  end
end

-- The daemon sends it only for a message it recorded.
local function removed_op(a)
  redis.call('HSET', ensure_record(a), 'removed', a[M_TIME])
end

local i = ARG_FIXED + 1
while i <= #ARGV do
  local op = tonumber(ARGV[i])
  local count = tonumber(ARGV[i + 1])
  local a = op_args(i + 2, count)
  if op == OP_MESSAGE then
    message_op(a)
  elseif op == OP_OUTCOME or op == OP_SUPPRESSED then
    outcome_op(a)
  elseif op == OP_EXPIRED then
    end_pending(a, 'expired')
  elseif op == OP_DROPPED then
    end_pending(a, 'dropped')
  elseif op == OP_REMOVED then
    removed_op(a)
  end
  i = i + 2 + count
end

for key, ttl in pairs(touched) do
  redis.call('EXPIRE', key, ttl)
end
local now = redis.call('TIME')
redis.call('XTRIM', events_key, 'MINID', '~',
           (tonumber(now[1]) - record_ttl) * 1000)
if ARGV[ARG_POSITION_KEY] ~= '' then
  redis.call('SET', ARGV[ARG_POSITION_KEY], ARGV[ARG_POSITION])
end
return notes
