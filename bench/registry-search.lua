-- GET a kana search with a random common surname prefix (two kana, as a
-- clerk starts typing), residents as of today, one page of results
-- (KIBAN_SEARCH_LIMIT, 20 by default).
local lib = dofile("bench/registry-lib.lua")
setup = lib.setup
init = lib.init
done = lib.done("kana_search")

-- Two-kana prefixes of common surnames, percent-encoded once here.
local prefixes = {}
for _, kana in ipairs({ "ヤマ", "サト", "スズ", "タカ", "タナ", "イト", "ワタ", "ナカ", "コバ", "カト",
                        "ヨシ", "ササ", "イノ", "キム", "ハヤ", "シミ", "モリ", "アベ", "イケ", "ハシ" }) do
  table.insert(prefixes, (kana:gsub("[^%w]", function(c) return string.format("%%%02X", string.byte(c)) end)))
end

request = function()
  local prefix = prefixes[math.random(1, #prefixes)]
  return wrk.format("GET", lib.base .. "/persons?name_kana=" .. prefix .. "&limit=" .. lib.search_limit,
                    lib.headers(false))
end
