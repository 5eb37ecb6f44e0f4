-- wrk script: POST /api/v1/cases with a unique body per request.
-- The token comes from the environment (CASEWORK_BENCH_TOKEN); every
-- request gets a different summary, applicant name and phone so no two
-- bodies are alike (and repeat detection has real work to do).
local token = os.getenv("CASEWORK_BENCH_TOKEN")
local counter = 0
local thread_id = 0
local villages = {"140403100201", "140403100202", "140403001001", "140403001002"}
local categories = {"neighbour", "contract", "labour_wage", "marriage_family", "property_management"}

function setup(thread)
  thread:set("tid", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  math.randomseed(os.time() + tid)
end

request = function()
  counter = counter + 1
  local n = tid * 10000000 + counter
  local phone = string.format("139%08d", n % 100000000)
  local body = string.format([[{"kind":"dispute","channel":"station","category":"%s","summary":"压测纠纷 %d","division_code":"%s","headcount":1,"parties":[{"role":"applicant","kind":"person","name":"申请人%d","phone":"%s"},{"role":"respondent","kind":"person","name":"被申请人%d"}]}]],
    categories[(n % #categories) + 1], n, villages[(n % #villages) + 1], n, phone, n)
  return wrk.format("POST", "/api/v1/cases", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

done = function(summary, latency, requests)
  local codes = {}
  io.write(string.format('{"requests": %d, "duration_us": %d, "errors_status": %d, "errors_connect": %d, "errors_timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, summary.errors.status, summary.errors.connect, summary.errors.timeout,
    latency:percentile(50), latency:percentile(99)))
end
