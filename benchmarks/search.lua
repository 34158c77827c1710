-- Case searches for wrk, one connection per thread (wrk -t C -c C), each
-- with its own v12 session. Every request searches for another customer (or
-- another value of the custom attribute order_ref), in an order no two
-- threads share, so no answer is ever the one just read.
--
-- Set by benchmarks/run.py in the environment:
--   BENCH_KIND      search-customer | search-custom
--   BENCH_GROUPS    how many customers (and order_ref values) there are: 1..G, R0..R(G-1)
--   BENCH_SESSIONS  comma-separated X-egain-session ids, one per connection

local function split(text)
  local items = {}
  for item in string.gmatch(text or "", "[^,]+") do
    table.insert(items, item)
  end
  return items
end

local threads = {}
local next_index = 1

function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

function init(args)
  kind = os.getenv("BENCH_KIND")
  groups = tonumber(os.getenv("BENCH_GROUPS"))
  session = split(os.getenv("BENCH_SESSIONS"))[index]
  position = index * 7919
  ok, empty, other, found = 0, 0, 0, 0
end

function request()
  position = (position + 104729) % groups
  local query
  if kind == "search-customer" then
    query = "customer=" .. (position + 1)
  else
    query = "custom.order_ref=R" .. position
  end
  return wrk.format("GET", "/ws/v12/interaction/case?" .. query, {
    ["Accept"] = "application/json",
    ["X-egain-session"] = session,
  })
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
    -- every case found is one "self" link: count them, to report what a search found
    local _, cases = string.gsub(body, '"rel": "self"', "")
    found = found + cases
  elseif status == 204 then
    empty = empty + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local totals = {ok = 0, empty = 0, other = 0, found = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"ok":%d,"empty":%d,"other":%d,"found":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,' ..
    '"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    totals.ok, totals.empty, totals.other, totals.found, e.connect, e.read, e.write, e.timeout))
end
