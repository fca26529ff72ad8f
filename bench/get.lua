-- wrk script: GET BENCH_PATH with the terminal's token (bench/pos_bench.py's stack floor).
local token = os.getenv("BENCH_TOKEN")
local path = os.getenv("BENCH_PATH")
request = function()
  return wrk.format("GET", path, {["Authorization"] = "Token " .. token})
end
