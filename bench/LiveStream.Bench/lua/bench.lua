-- wrk script shared by every scenario of LiveStream.Bench.
-- The requests of a scenario come from the Lua file named by the BENCH_REQUESTS environment variable,
-- which the tool writes before starting wrk; that file returns
--   { requests = { { method = "GET", path = "/x", headers = { ... }, body = nil, weight = 1 }, ... } }
-- One request: wrk's static mode (the request is formatted once, wrk's cheapest path).
-- Several: a weighted round-robin sequence, each thread starting at a different offset.
-- Every response's status is counted, so non-2xx answers (including 3xx, which wrk's own
-- "Non-2xx or 3xx responses" line leaves out) are reported exactly as "bench-status <code> <count>" lines.

local spec = dofile(os.getenv("BENCH_REQUESTS"))
local requests = spec.requests

if #requests == 1 then
  local only = requests[1]
  wrk.method = only.method
  wrk.path = only.path
  wrk.body = only.body
  for name, value in pairs(only.headers) do wrk.headers[name] = value end
else
  local formatted, sequence, position = {}, {}, 0

  function init(args)
    for index, r in ipairs(requests) do
      formatted[index] = wrk.format(r.method, r.path, r.headers, r.body)
      for _ = 1, r.weight do table.insert(sequence, index) end
    end
    position = ((thread_index or 0) * 7) % #sequence
  end

  function request()
    position = position % #sequence + 1
    return formatted[sequence[position]]
  end
end

-- setup() runs once per thread in the main Lua state, before that thread's init().
local threads = {}
function setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

statuses = {}
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + count
    end
  end
  for code, count in pairs(totals) do
    io.write(string.format("bench-status %d %d\n", code, count))
  end
end
