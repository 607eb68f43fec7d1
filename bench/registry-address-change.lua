-- POST a 転居 (address_change) of a random household, dated today, to a
-- random address of the demo town. A household dissolved by the demo's
-- history answers 409 and is counted as non-2xx.
local lib = dofile("bench/registry-lib.lua")
setup = lib.setup
init = lib.init
done = lib.done("address_change")

local towns = { "中央一丁目", "中央二丁目", "桜台一丁目", "桜台二丁目", "旭町", "緑町", "本町三丁目" }

request = function()
  local household = math.random(1, lib.max_household)
  local body = string.format(
    '{"kind":"address_change","household_id":%d,"event_date":"%s","notified_on":"%s",' ..
    '"address":{"postal_code":"9990%03d","address_line":"デモ市%s%d番%d号"}}',
    household, lib.today, lib.today, math.random(1, 99),
    towns[math.random(1, #towns)], math.random(1, 30), math.random(1, 20))
  return wrk.format("POST", lib.base .. "/movements", lib.headers(true), body)
end
