-- wrk script for bench/load.sh: POST a JSON body with a bearer token, counting the answers by
-- status, and (third argument "idempotent") a fresh Idempotency-Key on every request.
--
--   wrk -t2 -c32 -d10s -s bench/wrk/engagement.lua URL -- "Bearer <token>" '<json body>' [idempotent]
--
-- At the end it prints one line, `statuses: 201=9876 (99.9 %), 409=12 (0.1 %)`, which bench/load.sh
-- shows beside the row.

dofile("bench/wrk/statuses.lua")

function init(args)
  authorization = args[1]
  body = args[2]
  idempotent = args[3] == "idempotent"
  -- A prefix unique to this thread and run: keys never repeat across threads or runs.
  prefix = string.format("bench-%d-%d-%d", os.time(), number, math.random(1, 1000000000))
  sent = 0
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
