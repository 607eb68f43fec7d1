-- Shared by the registry load scripts (scripts/bench-registry.sh): the
-- bearer token, the municipality, random numbers per thread, and a one-line
-- summary with throughput and p50/p99 at the end of a run.
local lib = {}

lib.token = os.getenv("KIBAN_TOKEN") or ""
lib.municipality = os.getenv("KIBAN_MUNICIPALITY") or "990019"
lib.max_person = tonumber(os.getenv("KIBAN_MAX_PERSON") or "1")
lib.max_household = tonumber(os.getenv("KIBAN_MAX_HOUSEHOLD") or "1")
lib.today = os.getenv("KIBAN_TODAY") or "2026-01-01"
lib.search_limit = os.getenv("KIBAN_SEARCH_LIMIT") or "20"
lib.base = "/api/v1/municipalities/" .. lib.municipality

local threads = {}
local counter = 0

function lib.setup(thread)
  counter = counter + 1
  thread:set("thread_number", counter)
  table.insert(threads, thread)
end

function lib.init()
  math.randomseed(os.time() * 1000 + (thread_number or 0))
end

function lib.headers(json)
  local headers = { ["Authorization"] = "Bearer " .. lib.token }
  if json then headers["Content-Type"] = "application/json" end
  return headers
end

function lib.done(name)
  return function(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local non_2xx = summary.errors.status
    local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
    io.write(string.format(
      "RESULT %-14s %9.1f req/s   p50 %7.2f ms   p99 %7.2f ms   requests %d   non-2xx %d   socket errors %d\n",
      name, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
      summary.requests, non_2xx, failed))
  end
end

return lib
