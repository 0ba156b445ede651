-- wrk script for bench/load.sh: POST a JSON body with a bearer token, counting the answers by
-- status, and (third argument "idempotent") a fresh Idempotency-Key on every request.
--
--   wrk -t2 -c32 -d10s -s bench/wrk/engagement.lua URL -- "Bearer <token>" '<json body>' [idempotent]
--
-- At the end it prints one line, `statuses: 201=9876 (99.9 %), 409=12 (0.1 %)`, which bench/load.sh
-- shows beside the row.

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("number", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  authorization = args[1]
  body = args[2]
  idempotent = args[3] == "idempotent"
  -- A prefix unique to this thread and run: keys never repeat across threads or runs.
  prefix = string.format("bench-%d-%d-%d", os.time(), number, math.random(1, 1000000000))
  sent = 0
  statuses = {}
end

function request()
  sent = sent + 1
  local headers = {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
  }
  if idempotent then
    headers["Idempotency-Key"] = prefix .. "-" .. sent
  end
  return wrk.format("POST", nil, headers, body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals, all = {}, 0
  for _, thread in ipairs(threads) do
    local counted = thread:get("statuses")
    for status, n in pairs(counted) do
      totals[status] = (totals[status] or 0) + n
      all = all + n
    end
  end
  local codes = {}
  for status in pairs(totals) do
    table.insert(codes, status)
  end
  table.sort(codes)
  local parts = {}
  for _, status in ipairs(codes) do
    table.insert(parts, string.format("%d=%d (%.1f %%)", status, totals[status], 100 * totals[status] / math.max(all, 1)))
  end
  io.write("statuses: " .. table.concat(parts, ", ") .. "\n")
end
