-- Closed loop: POST /v1/orders by random bench customers for 1-3 random
-- variants (quantity 1-2 each), paid with tok_visa.
local dir = os.getenv("BENCH_LUA_DIR") or "bench/lua"
local lib = dofile(dir .. "/lib.lua")
local shop = dofile(dir .. "/shop.lua")
local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  table.insert(threads, thread)
end

function init(args)
  shop.load()
  math.randomseed(seed or 1)
  statuses = {}
end

function request() return shop.ops.order() end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local all = {}
  for _, t in ipairs(threads) do lib.merge(all, t:get("statuses")) end
  lib.report(summary, latency, { statuses = all })
end
