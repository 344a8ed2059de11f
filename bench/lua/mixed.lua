-- Open loop at a constant rate: the shop's mixed workload.
--
-- wrk is a closed-loop tool: a connection waits for its answer before the
-- next request, so a slow answer delays the requests behind it and their
-- waiting is never measured ("coordinated omission"). Here requests follow
-- a fixed schedule instead: every BENCH_RATE-th of a second (per thread:
-- rate / threads) one request is due, delay() holds a free connection until
-- its slot, and its latency is measured from the slot, its intended send
-- time, not from when a connection got round to sending it. The slot travels
-- in X-Request-ID, which the API echoes, so response() knows it exactly.
-- When the server falls behind, slots pile up in the past and that waiting
-- is counted, as wrk2 does.
--
-- BENCH_MIX: "op:weight,op:weight,..." with ops from shop.lua.
--
-- BENCH_RATE=0 runs the same mix closed loop (the ceiling run): no
-- schedule, every connection sends as soon as its last answer came, and
-- latency is measured from each request's send time.
local dir = os.getenv("BENCH_LUA_DIR") or "bench/lua"
local lib = dofile(dir .. "/lib.lua")
local shop = dofile(dir .. "/shop.lua")
local threads, counter = {}, 0

function setup(thread)
  counter = counter + 1
  thread:set("seed", counter)
  thread:set("thread_index", counter)
  table.insert(threads, thread)
end

local interval_us, next_slot
local due, due_head, due_tail = {}, 1, 0
local mix, mix_total = {}, 0
local refresh_pool = {}

function init(args)
  shop.load()
  math.randomseed(seed or 1)
  local nthreads = tonumber(os.getenv("BENCH_THREADS"))
  local rate = tonumber(os.getenv("BENCH_RATE"))
  if rate > 0 then interval_us = 1e6 * nthreads / rate end
  for op, weight in string.gmatch(os.getenv("BENCH_MIX"), "([%w_]+):(%d+)") do
    assert(shop.ops[op], "unknown op " .. op)
    mix_total = mix_total + tonumber(weight)
    mix[#mix + 1] = { op = op, upto = mix_total }
  end
  -- Each thread rotates its own share of the refresh tokens: two threads
  -- presenting one token would be a replay, which revokes the family.
  local all = lib.lines("refresh_tokens.txt")
  for k = thread_index, #all, nthreads do refresh_pool[#refresh_pool + 1] = all[k] end
  hist, by_op, statuses, sent, late, unscheduled = {}, {}, {}, 0, 0, 0
end

function delay()
  if not interval_us then return 0 end
  local now = lib.now_us()
  if not next_slot then next_slot = now end
  local slot = next_slot
  next_slot = next_slot + interval_us
  due_tail = due_tail + 1
  due[due_tail] = slot
  local wait_ms = (slot - now) / 1000
  if wait_ms <= 0 then late = late + 1; return 0 end
  -- wrk's timers have millisecond resolution: round up, so a request is
  -- never sent before its slot (it may go up to 1 ms late, counted against us).
  return math.ceil(wait_ms)
end

local function choose()
  local r = math.random() * mix_total
  for _, entry in ipairs(mix) do
    if r < entry.upto then return entry.op end
  end
  return mix[#mix].op
end

function request()
  -- Timers fire in slot order, so the oldest due slot is this request's.
  local slot = due[due_head]
  if slot then
    due[due_head] = nil
    due_head = due_head + 1
  else
    -- A connection's first request comes without a delay() call: it is
    -- sent at once, so its intended time is now (closed loop: every one).
    slot = lib.now_us()
    if interval_us then unscheduled = unscheduled + 1 end
  end
  local op = choose()
  if op == "refresh" and #refresh_pool == 0 then op = "me" end
  sent = sent + 1
  local headers = { ["X-Request-ID"] = string.format("b%d-%s", slot, op) }
  if op == "refresh" then
    return shop.ops.refresh(headers, table.remove(refresh_pool, 1))
  end
  return shop.ops[op](headers)
end

function response(status, headers, body)
  local now = lib.now_us()
  local id = headers["X-Request-ID"] or headers["x-request-id"] or ""
  local slot, op = string.match(id, "^b(%d+)-([%w_]+)$")
  statuses[status] = (statuses[status] or 0) + 1
  if not slot then return end
  local us = now - tonumber(slot)
  lib.record(hist, us)
  -- Flat "op bucket" keys: wrk copies only flat tables between Lua states safely.
  local key = op .. " " .. lib.bucket(us)
  by_op[key] = (by_op[key] or 0) + 1
  if op == "refresh" and status == 200 then
    local token = string.match(body, '"refreshToken":"([^"]+)"')
    if token then refresh_pool[#refresh_pool + 1] = token end
  end
end

function done(summary, latency, requests)
  local all, all_status, ops = {}, {}, {}
  local total_sent, total_late, total_unscheduled = 0, 0, 0
  for _, t in ipairs(threads) do
    lib.merge(all, t:get("hist"))
    lib.merge(all_status, t:get("statuses"))
    for key, n in pairs(t:get("by_op")) do
      local op, bucket = string.match(key, "^(%S+) (%S+)$")
      ops[op] = ops[op] or {}
      bucket = tonumber(bucket)
      ops[op][bucket] = (ops[op][bucket] or 0) + n
    end
    total_sent = total_sent + t:get("sent")
    total_late = total_late + t:get("late")
    total_unscheduled = total_unscheduled + t:get("unscheduled")
  end
  local wanted = { 50, 90, 95, 99, 99.9 }
  local per_op = {}
  for op, h in pairs(ops) do per_op[op] = lib.percentiles(h, wanted) end
  local p = lib.percentiles(all, wanted)
  lib.report(summary, latency, {
    corrected_latency_us = p,
    per_op_latency_us = per_op,
    statuses = all_status,
    sent = total_sent,
    late_slots = total_late,
    unscheduled = total_unscheduled,
  })
end
