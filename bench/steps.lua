-- wrk: a workflow POST per request, one sheet per thread (run with -t N -c N): the gate approves,
-- 人教科 (a responsible office of every sheet) returns it naming its row, and again; each answer's
-- version feeds the next request. Thread n takes the n-th "sheet:gate-token:office-token:version".
local counter = 0

function setup(thread)
  thread:set("n", counter)
  counter = counter + 1
end

function init(args)
  local spec = args[n + 1]
  sid, gate, office, version = spec:match("^(%d+):([^:]+):([^:]+):(%d+)$")
  version = tonumber(version)
  step = "approve"
  failures = 0
end

function request()
  local token, body = gate, '{"version": ' .. version .. '}'
  if step == "return" then
    token = office
    body = '{"version": ' .. version .. ', "comment": "bench", "items": ["targets"]}'
  end
  return wrk.format("POST", "/api/v1/sheets/" .. sid .. "/actions/" .. step,
                    {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 200 then
    version = tonumber(body:match('"version":%s*(%d+)'))
    if step == "approve" then step = "return" else step = "approve" end
  else
    failures = failures + 1
  end
end

function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.status + summary.errors.timeout
  io.write(string.format(
    '{"requests": %d, "errors": %d, "non2xx": %d, "seconds": %.3f, "rps": %.1f, "p50": %.2f, "p95": %.2f, "p99": %.2f}\n',
    summary.requests, errors, summary.errors.status, summary.duration / 1e6,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
