-- wrk script: status requests for devices activated beforehand; each line of
-- the BENCH_DEVICES file is a JSON request body.
local bodies = {}
local counter = 0

function init(args)
  for line in io.lines(os.getenv("BENCH_DEVICES")) do
    table.insert(bodies, line)
  end
end

request = function()
  counter = counter + 1
  return wrk.format("POST", "/v1/status", {["Content-Type"] = "application/json"},
                    bodies[counter % #bodies + 1])
end
