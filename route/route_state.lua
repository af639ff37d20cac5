-- route_state.lua - a source address's warm-up state at a provider, and
-- its reservations, as route/route_contract.h writes them; the functions
-- route_script.lua and route_settle.lua share

-- "FIRST LAST SENT": the day of the first charge (today when none) and
-- the count today (0 when the last charge was another day).
local function state_of(text, today)
  local first, last, sent = string.match(text or '', '^(%d+) (%d+) (%d+)$')
  first = tonumber(first) or today
  sent = tonumber(last) == today and tonumber(sent) or 0
  return first, sent
end

local function state_text(first, today, sent)
  return first .. ' ' .. today .. ' ' .. sent
end

-- "COUNT PROVIDER": the lookups not yet settled, and the provider they
-- were charged at; nil for none.
local function reservation_of(text)
  local count, provider = string.match(text or '', '^(%d+) (%S+)$')
  return tonumber(count), provider
end

local function reservation_text(count, provider)
  return count .. ' ' .. provider
end
