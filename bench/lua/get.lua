-- Closed loop: GET the paths of BENCH_PATHS_FILE in turn, each thread from
-- its own offset; with BENCH_AUTH=1 as one of the bench customers.
local dir = os.getenv("BENCH_LUA_DIR") or "bench/lua"
local lib = dofile(dir .. "/lib.lua")
local paths, tokens, i = nil, nil, 0
local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
  table.insert(threads, thread)
end

function init(args)
  paths = lib.lines(os.getenv("BENCH_PATHS_FILE"))
  if os.getenv("BENCH_AUTH") == "1" then tokens = lib.lines("tokens.txt") end
  i = offset or 0
  statuses = {}
end

function request()
  i = i + 1
  local headers = nil
  if tokens then headers = { Authorization = "Bearer " .. tokens[i % #tokens + 1] } end
  return wrk.format("GET", paths[i % #paths + 1], headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do lib.merge(all, t:get("statuses")) end
  lib.report(summary, latency, { statuses = all })
end
