-- wrk script: every request activates a new device on one of the codes in
-- bench codes file (one code per line), round-robin.
local codes = {}
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  for line in io.lines(os.getenv("BENCH_CODES")) do
    table.insert(codes, line)
  end
  thread_id = id
end

request = function()
  counter = counter + 1
  local code = codes[(counter + thread_id * 7919) % #codes + 1]
  local body = string.format(
    '{"code":"%s","fingerprint":"bench-%s-%d-%d","app_version":"22.0","device_name":"bench"}',
    code, os.getenv("BENCH_RUN") or "0", thread_id, counter)
  return wrk.format("POST", "/v1/activate", {["Content-Type"] = "application/json"}, body)
end

-- No response() callback: wrk would hand every response to Lua. wrk itself
-- counts non-2xx answers, and bench/run.py aborts the run on any.
