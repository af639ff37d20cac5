-- decide_script_clock.lua - decide_script.lua's clock: Redis' own time
--
-- Milliseconds since 1970 by Redis' TIME, so relays with skewed clocks
-- agree. make-script.sh puts it before decide_script.lua.
local function clock_ms()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
