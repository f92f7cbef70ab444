-- wrk script used by bench/run.sh for every request type.
--   BENCH_REQ=get   (default) the URL given to wrk, unchanged
--   BENCH_REQ=post  POST of a 1024-byte JSON body (a user and a note of prose), Content-Type: application/json
-- done() prints one machine-readable RESULT line (latencies in microseconds) that run.sh parses;
-- wrk's own human-readable report (--latency) is printed before it and kept in the logs.

local req = os.getenv("BENCH_REQ") or "get"

if req == "post" then
  local head = '{"user":{"id":1,"name":"Ada Lovelace","email":"ada@example.com","roles":["reader","writer"]},'
    .. '"note":"'
  local tail = '"}'
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  -- Ordinary prose, so that inspecting the body (contract, attack detection) does real work.
  local prose = "The parcel arrived two days late and the box was crushed, so please send a "
    .. "replacement or a refund. Thanks for your help with order 10042, it is much appreciated. "
  local fill = 1024 - #head - #tail
  wrk.body = head .. string.rep(prose, math.ceil(fill / #prose)):sub(1, fill) .. tail
  assert(#wrk.body == 1024, "body must be 1024 bytes")
elseif req ~= "get" then
  error("BENCH_REQ must be get or post, not " .. req)
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d duration_us=%.0f rps=%.2f p50_us=%.0f p90_us=%.0f p99_us=%.0f max_us=%.0f "
      .. "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
