-- wrk script: status requests for devices activated beforehand; each line of
-- the BENCH_DEVICES file is a JSON request body. The requests are formatted
-- once, in init, so that wrk spends per request what it spends on the
-- no-op endpoint's fixed request: the measurement is of the server.
local requests = {}
local counter = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_DEVICES")) do
    table.insert(requests, wrk.format("POST", "/v1/status",
                                      {["Content-Type"] = "application/json"},
                                      line))
  end
end

request = function()
  counter = counter + 1
  return requests[counter % #requests + 1]
end
