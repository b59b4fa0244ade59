-- wrk script: every request activates a new device on one of the codes in
-- the BENCH_CODES file (one code per line), round-robin.
--
-- Each request is a new text (a new device), so it cannot be formatted once
-- like the status script's; it is put together from parts prepared in init
-- with plain concatenation, which LuaJIT compiles (string.format and
-- wrk.format run in its interpreter and made wrk spend ~5 us more per
-- activation than per no-op request: load-generator time, not server time).
local prefixes = {}  -- per code: the body up to the fingerprint's counter
local counter = 0
local thread_id = 0
local threads = {}
local head

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  thread_id = id
  local fingerprint = "bench-" .. (os.getenv("BENCH_RUN") or "0") .. "-" ..
                      thread_id .. "-"
  for line in io.lines(os.getenv("BENCH_CODES")) do
    table.insert(prefixes,
                 '{"code":"' .. line .. '","fingerprint":"' .. fingerprint)
  end
  head = "POST " .. wrk.path .. " HTTP/1.1\r\nHost: " .. wrk.host .. ":" ..
         wrk.port .. "\r\nContent-Type: application/json\r\nContent-Length: "
end

local tail = '","app_version":"22.0","device_name":"bench"}'

request = function()
  counter = counter + 1
  local body = prefixes[(counter + thread_id * 7919) % #prefixes + 1] ..
               counter .. tail
  return head .. #body .. "\r\n\r\n" .. body
end

-- No response() callback: wrk would hand every response to Lua. wrk itself
-- counts non-2xx answers, and bench/run.py aborts the run on any.
