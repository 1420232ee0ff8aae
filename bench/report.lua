-- wrk: print one JSON line at the end (requests, errors, rps, p50/p95/p99 in ms), and rotate
-- through several paths when given (`-- /a /b /c`): the load run's mix of pages.
local paths = {}
local i = 0

function init(args)
  for _, p in ipairs(args) do table.insert(paths, p) end
end

function request()
  if #paths == 0 then return wrk.format(nil) end
  i = i % #paths + 1
  return wrk.format(nil, paths[i])
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
