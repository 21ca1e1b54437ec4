-- session_request.lua: one static request, repeated, in a session opened beforehand by
-- bench/compare.py (wrk's Lua only replays it: no Lua work per request).
--
--   BENCH_METHOD (GET)          BENCH_COOKIE   the session's Cookie header
--   BENCH_CSRF                  the session's token, sent as X-CSRF-Token
--   BENCH_BODY_FILE             a file whose content is the body (none: no body)
--   BENCH_CONTENT_TYPE          the body's type (application/json)
--
-- At the end, the RESULT line of ../shared/peers/flow.lua and ceiling.lua.

local function env(name, default)
   local value = os.getenv(name)
   if value == nil or value == "" then return default end
   return value
end

wrk.method = env("BENCH_METHOD", "GET")
wrk.headers["Cookie"] = env("BENCH_COOKIE", nil)
wrk.headers["X-CSRF-Token"] = env("BENCH_CSRF", nil)
local body_file = env("BENCH_BODY_FILE", nil)
if body_file then
   local f = assert(io.open(body_file, "rb"))
   wrk.body = f:read("*a")
   f:close()
   wrk.headers["Content-Type"] = env("BENCH_CONTENT_TYPE", "application/json")
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      "RESULT rps=%.2f requests=%d duration_s=%.3f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
         .. "max_ms=%.3f non2xx3xx=%d socket_errors=%d sessions=1 bad_bodies=unchecked\n",
      summary.requests / (summary.duration / 1e6), summary.requests, summary.duration / 1e6,
      latency:percentile(50) / 1e3, latency:percentile(90) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3, e.status, e.connect + e.read + e.write + e.timeout))
end
