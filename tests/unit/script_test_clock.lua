-- script_test_clock.lua - decide_script.lua's clock in the tests: theirs
--
-- The last argument, milliseconds since 1970, which
-- tests/unit/test_script_call.c sets, so that windows, warm-up days and
-- the compromise detector's sub-windows pass without waiting. Never in
-- waypost-policyd, whose clock is policy/decide_script_clock.lua.
local function clock_ms()
  return tonumber(ARGV[#ARGV])
end
