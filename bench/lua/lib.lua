-- Shared by the benchmark's wrk scripts: a monotonic clock, data files,
-- a latency histogram that survives wrk's per-thread Lua states, and JSON.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clk_id, bench_timespec *tp);
]]
local lib = {}
local ts = ffi.new("bench_timespec")
local CLOCK_MONOTONIC = 1

function lib.now_us()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

function lib.lines(name)
  local dir = os.getenv("BENCH_DATA_DIR") or "bench/.work"
  local out = {}
  for line in io.lines(dir .. "/" .. name) do
    if line ~= "" then out[#out + 1] = line end
  end
  assert(#out > 0, "no data in " .. dir .. "/" .. name)
  return out
end

-- Latency histogram with three significant digits (as HdrHistogram does):
-- exact enough for percentiles, small enough to copy between Lua states.
function lib.bucket(us)
  if us < 1000 then return math.floor(us + 0.5) end
  local step = 10 ^ (math.floor(math.log10(us)) - 2)
  return math.floor(us / step + 0.5) * step
end

function lib.record(hist, us)
  local b = lib.bucket(us)
  hist[b] = (hist[b] or 0) + 1
end

function lib.merge(into, from)
  for k, v in pairs(from) do into[k] = (into[k] or 0) + v end
end

function lib.percentiles(hist, wanted)
  local keys, total = {}, 0
  for k, v in pairs(hist) do keys[#keys + 1] = k; total = total + v end
  table.sort(keys)
  local out = { count = total, max = keys[#keys] or 0 }
  for _, p in ipairs(wanted) do
    local target, seen = math.max(1, math.ceil(total * p / 100)), 0
    for _, k in ipairs(keys) do
      seen = seen + hist[k]
      if seen >= target then out["p" .. tostring(p)] = k; break end
    end
  end
  return out
end

local function encode(v)
  local t = type(v)
  if t == "table" then
    local parts = {}
    if #v > 0 then
      for _, x in ipairs(v) do parts[#parts + 1] = encode(x) end
      return "[" .. table.concat(parts, ",") .. "]"
    end
    for k, x in pairs(v) do parts[#parts + 1] = string.format("%q", tostring(k)) .. ":" .. encode(x) end
    return "{" .. table.concat(parts, ",") .. "}"
  elseif t == "string" then
    return string.format("%q", v)
  elseif t == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "null" end
    return string.format("%.6g", v)
  elseif t == "boolean" then
    return tostring(v)
  end
  return "null"
end
lib.json = encode

-- wrk's own summary, for the closed-loop scenarios (latency from each
-- request's send time, as wrk measures it). One line the runner parses.
function lib.report(summary, latency, extra)
  local out = {
    requests = summary.requests,
    duration_us = summary.duration,
    errors = summary.errors,
    latency_us = {
      p50 = latency:percentile(50), p90 = latency:percentile(90),
      p95 = latency:percentile(95), p99 = latency:percentile(99),
      max = latency.max, mean = latency.mean,
    },
  }
  for k, v in pairs(extra or {}) do out[k] = v end
  io.write("BENCH_JSON " .. encode(out) .. "\n")
end

return lib
