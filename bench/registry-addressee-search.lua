-- GET an addressee search (宛名検索) with a random common surname prefix
-- (two kana, typed in hiragana, as a clerk starts typing), one page of
-- results (KIBAN_SEARCH_LIMIT, 20 by default), over residents and
-- non-residents, current and past names.
local lib = dofile("bench/registry-lib.lua")
setup = lib.setup
init = lib.init
done = lib.done("addressee")

local prefixes = {}
for _, kana in ipairs({ "やま", "さと", "すず", "たか", "たな", "いと", "わた", "なか", "こば", "かと",
                        "よし", "ささ", "いの", "きむ", "はや", "しみ", "もり", "あべ", "いけ", "はし" }) do
  table.insert(prefixes, (kana:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)))
end

request = function()
  local prefix = prefixes[math.random(1, #prefixes)]
  return wrk.format("GET", lib.base .. "/addressees?name_kana=" .. prefix .. "&limit=" .. lib.search_limit,
                    lib.headers(false))
end
