-- wrk script: GET one card, as a till does on every scan.
local token = os.getenv("BENCH_TOKEN")
request = function()
  return wrk.format("GET", "/api/v1/cards/" .. os.getenv("BENCH_CARD") .. "/", {["Authorization"] = "Token " .. token})
end
