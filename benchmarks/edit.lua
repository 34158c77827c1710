-- Chained edits for wrk, run with one connection per thread (wrk -t C -c C),
-- so each connection edits its own case and sends, as If-Match, the ETag the
-- previous edit of that case returned. No two connections touch one case:
-- a 409 here means a version was lost, never contention.
--
-- Set by benchmarks/run.py in the environment:
--   BENCH_KIND      casemgr | casemgr-v3 | casemgr-v4-cookie | casemgr-v4-basic
--                   | floor | bare | helpdesk
--   BENCH_CASES     comma-separated case ids, one per connection
--   BENCH_ETAGS     comma-separated current ETags of those cases
--   BENCH_SESSIONS  comma-separated credentials, one per connection: the
--                   X-egain-session (casemgr, floor), the bearer token (v3),
--                   the session cookie or the Basic pair (v4)
--   BENCH_TOKEN     DRF token (helpdesk)

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
  case_id = split(os.getenv("BENCH_CASES"))[index]
  etag = split(os.getenv("BENCH_ETAGS"))[index]
  session = split(os.getenv("BENCH_SESSIONS"))[index]
  token = os.getenv("BENCH_TOKEN")
  sent, ok, conflicts, other = 0, 0, 0, 0
end

function request()
  sent = sent + 1
  local subject = "bench edit " .. index .. "-" .. sent
  if kind == "casemgr" or kind == "floor" then
    return wrk.format("PUT", "/ws/v12/interaction/case", {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["X-egain-session"] = session,
      ["If-Match"] = etag,
    }, '{"id":"' .. case_id .. '","subject":"' .. subject .. '"}')
  elseif kind == "casemgr-v3" then
    return wrk.format("PATCH", "/core/casemgr/v3/case", {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["Accept-Language"] = "en-US",
      ["Authorization"] = "Bearer " .. session,
      ["If-Match"] = etag,
    }, '{"id":"' .. case_id .. '","subject":"' .. subject .. '"}')
  elseif kind == "casemgr-v4-cookie" or kind == "casemgr-v4-basic" then
    -- The status alternates between two open statuses: every update changes the case.
    local status = (sent % 2 == 1) and "Pending" or "Open"
    local headers = {
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["Thalamus-Touchpoint"] = "bench",
      ["Thalamus-Token"] = "bench-token",
      ["If-Match"] = etag,
    }
    if kind == "casemgr-v4-cookie" then
      headers["Cookie"] = "thalamus_session=" .. session
    else
      headers["Authorization"] = "Basic " .. session
    end
    return wrk.format("PUT", "/api/v4/cases/" .. case_id, headers,
      '{"categoryCode":"Bench","typeCode":"Bench","status":"' .. status .. '"}')
  elseif kind == "bare" then
    return wrk.format("PUT", "/bare/case/" .. case_id, {
      ["Content-Type"] = "application/json",
      ["If-Match"] = etag,
    }, '{"subject":"' .. subject .. '"}')
  else
    return wrk.format("PATCH", "/api/tickets/" .. case_id .. "/", {
      ["Content-Type"] = "application/json",
      ["Authorization"] = "Token " .. token,
    }, '{"title":"' .. subject .. '"}')
  end
end

function response(status, headers, body)
  if status == 204 or status == 200 or status == 201 then
    ok = ok + 1
  elseif status == 409 or status == 412 then
    conflicts = conflicts + 1
  else
    other = other + 1
  end
  -- a 409 carries the case's current ETag too: the chain goes on from it
  local new_etag = headers["ETag"] or headers["Etag"] or headers["etag"]
  if new_etag then
    etag = new_etag
  end
end

function done(summary, latency, requests)
  local ok_total, conflict_total, other_total = 0, 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    conflict_total = conflict_total + thread:get("conflicts")
    other_total = other_total + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"mean_us":%.1f,' ..
    '"ok":%d,"conflicts":%d,"other":%d,"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.mean,
    ok_total, conflict_total, other_total, e.connect, e.read, e.write, e.timeout))
end
