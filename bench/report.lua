-- wrk: print one JSON line at the end (requests, errors, rps, p50/p95/p99 in ms), and rotate
-- through several paths when given (`-- /a /b /c`): the load run's mix of pages. `-- POST` posts
-- to the URL instead (the floor of a durable write).
local paths = {}
local i = 0
local method = nil

function init(args)
  for _, p in ipairs(args) do
    if p == "POST" then method = "POST" else table.insert(paths, p) end
  end
end

function request()
  if #paths == 0 then return wrk.format(method) end
  i = i % #paths + 1
  return wrk.format(method, paths[i])
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
