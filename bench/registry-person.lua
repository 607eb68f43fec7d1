-- GET a person (住民票 as of today) by a random 宛名番号.
local lib = dofile("bench/registry-lib.lua")
setup = lib.setup
init = lib.init
done = lib.done("person_read")

request = function()
  local id = math.random(1, lib.max_person)
  return wrk.format("GET", lib.base .. "/persons/" .. id, lib.headers(false))
end
