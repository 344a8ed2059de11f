-- Request builders for the shop's operations, shared by the scenarios.
local lib = dofile((os.getenv("BENCH_LUA_DIR") or "bench/lua") .. "/lib.lua")
local shop = {}

local ADDRESS = '{"street":"1 Bench Way","city":"Springfield","state":"IL",' ..
  '"zip":"62701","country":"US"}'
local JSON = "application/json"

function shop.load()
  shop.tokens = lib.lines("tokens.txt")
  shop.variants = lib.lines("variant_ids.txt")
  shop.emails = lib.lines("emails.txt")
  shop.list_paths = lib.lines("list_paths.txt")
  shop.detail_paths = lib.lines("detail_paths.txt")
  shop.search_paths = lib.lines("search_paths.txt")
  shop.password = os.getenv("BENCH_PASSWORD")
end

local function pick(list) return list[math.random(#list)] end

local function bearer(headers)
  headers = headers or {}
  headers["Authorization"] = "Bearer " .. pick(shop.tokens)
  return headers
end

function shop.order_body()
  local lines, seen = {}, {}
  for _ = 1, math.random(1, 3) do
    local v = pick(shop.variants)
    if not seen[v] then
      seen[v] = true
      lines[#lines + 1] = string.format('{"variantId":"%s","quantity":%d}', v, math.random(1, 2))
    end
  end
  return '{"items":[' .. table.concat(lines, ",") .. '],"shippingAddress":' .. ADDRESS ..
    ',"paymentMethod":"card","paymentToken":"tok_visa"}'
end

-- Each builder takes the headers to send (e.g. an X-Request-ID) and returns
-- a wrk request. refresh takes the refresh token to rotate.
shop.ops = {
  list = function(h) return wrk.format("GET", pick(shop.list_paths), h) end,
  detail = function(h) return wrk.format("GET", pick(shop.detail_paths), h) end,
  search = function(h) return wrk.format("GET", pick(shop.search_paths), h) end,
  me = function(h) return wrk.format("GET", "/v1/users/me", bearer(h)) end,
  my_orders = function(h) return wrk.format("GET", "/v1/orders", bearer(h)) end,
  order = function(h)
    h = bearer(h)
    h["Content-Type"] = JSON
    return wrk.format("POST", "/v1/orders", h, shop.order_body())
  end,
  login = function(h)
    h = h or {}
    h["Content-Type"] = JSON
    return wrk.format("POST", "/v1/auth/login", h, string.format(
      '{"email":"%s","password":"%s"}', pick(shop.emails), shop.password))
  end,
  refresh = function(h, token)
    h = h or {}
    h["Content-Type"] = JSON
    return wrk.format("POST", "/v1/auth/refresh", h, '{"refreshToken":"' .. token .. '"}')
  end,
}

return shop
