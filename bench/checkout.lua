-- wrk script: POST a 5-line checkout with a card, a fresh Idempotency-Key each time.
-- The token and card come from the environment (bench/pos_bench.py sets them).
local token = os.getenv("BENCH_TOKEN")
local card = os.getenv("BENCH_CARD")
-- BENCH_CARDS (space-separated) spreads the load over many customers, as in a real chain;
-- without it every request queues on one card's row lock.
local cards = {}
for number in string.gmatch(os.getenv("BENCH_CARDS") or card, "%d+") do cards[#cards + 1] = number end
-- BENCH_GIFT_CARDS (space-separated): each checkout also pays 1.00 with one of these gift cards.
local gifts = {}
for number in string.gmatch(os.getenv("BENCH_GIFT_CARDS") or "", "%d+") do gifts[#gifts + 1] = number end
-- BENCH_PATH: the textbook checkout of bench/textbook/ takes the same body at another path.
local path = os.getenv("BENCH_PATH") or "/api/v1/checkout/"
local counter = 0
local thread_id = 0

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  math.randomseed(os.time() * 1000 + tid)  -- fresh keys on every run: a replay would not be a checkout
  prefix = string.format("wrk-%d-%d-%d-", os.time(), tid, math.random(1, 1e9))
end

local template = [[{"card_number": "%s", "lines": [
 {"sku": "MILK-1L", "category": "dairy", "quantity": "2", "unit_price": "1.49"},
 {"sku": "BREAD-RYE", "category": "bakery", "quantity": "1", "unit_price": "2.79"},
 {"sku": "APPLE-KG", "category": "produce", "quantity": "1.235", "unit_price": "2.49"},
 {"sku": "CIG-20", "category": "tobacco", "quantity": "1", "unit_price": "8.20"},
 {"sku": "COFFEE-PROMO", "category": "promo", "quantity": "1", "unit_price": "5.99"}]%s}]]
local gift_template = [==[, "gift_card_payments": [{"number": "%s", "amount": "1.00"}]]==]

request = function()
  counter = counter + 1
  local gift = #gifts > 0 and string.format(gift_template, gifts[math.random(#gifts)]) or ""
  local body = string.format(template, cards[math.random(#cards)], gift)
  return wrk.format("POST", path, {
    ["Authorization"] = "Token " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = prefix .. counter,
  }, body)
end
