-- wrk script: POST /api/v1/cases with a unique body per request.
--
-- CASEWORK_BENCH_TOKEN      bearer token (a city-level user: jurisdiction 1404)
-- CASEWORK_BENCH_DIVISIONS  file of 12-digit division codes, one a line,
--                           sampled from the seeded data across all 12 counties
--                           (the per-county reference counter serialises intake
--                           within one county and year by design)
-- CASEWORK_BENCH_RUN        a number that makes bodies unique across runs
--
-- Every request gets a different summary, applicant name and phone, so no
-- two bodies are alike (and repeat detection has real work to do).
local token = os.getenv("CASEWORK_BENCH_TOKEN")
local run = tonumber(os.getenv("CASEWORK_BENCH_RUN") or "0")
local counter = 0
local thread_id = 0
local divisions = {}
local categories = {"neighbour", "contract", "labour_wage", "marriage_family", "property_management"}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  local path = os.getenv("CASEWORK_BENCH_DIVISIONS")
  if path then
    for line in io.lines(path) do
      if #line == 12 then divisions[#divisions + 1] = line end
    end
  end
  if #divisions == 0 then
    divisions = {"140403100201", "140404000000", "140405000000", "140406000000"}
  end
  math.randomseed(os.time() + tid)
end

request = function()
  counter = counter + 1
  local n = (run * 64 + tid) * 10000000 + counter
  local phone = string.format("139%08d", n % 100000000)
  local division = divisions[math.random(#divisions)]
  local body = string.format([[{"kind":"dispute","channel":"station","category":"%s","summary":"压测纠纷 %d","division_code":"%s","headcount":1,"parties":[{"role":"applicant","kind":"person","name":"申请人%d","phone":"%s"},{"role":"respondent","kind":"person","name":"被申请人%d"}]}]],
    categories[(n % #categories) + 1], n, division, n, phone, n)
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors_status": %d, "errors_connect": %d, "errors_read": %d, "errors_write": %d, "errors_timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max))
end
