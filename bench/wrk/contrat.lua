-- wrk script for bench/load.sh: POST /api/v1/contrats, each request binding the next
-- person to the next post of a pairs file (bench/contrats_fixtures.py), so that every request
-- creates a contract; threads take interleaved lines. Counts the answers by status, like
-- engagement.lua.
--
--   wrk -t2 -c32 -d10s -s bench/wrk/contrat.lua URL -- "Bearer <token>" pairs.tsv 2024-06-03

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("number", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  authorization = args[1]
  date_debut = args[3]
  couples = {}
  for line in io.lines(args[2]) do
    local person, post = line:match("^(%S+)\t(%S+)$")
    table.insert(couples, { person, post })
  end
  sent = 0
  statuses = {}
end

function request()
  -- Thread t of n takes lines t, t + n, t + 2n, …
  local index = 1 + number + sent * next_thread_count()
  sent = sent + 1
  local pair = couples[((index - 1) % #couples) + 1]
  local body = string.format(
    '{"conseiller_id": "%s", "poste_id": "%s", "type": "cdi", "date_debut": "%s"}',
    pair[1], pair[2], date_debut)
  return wrk.format("POST", nil, {
    ["Authorization"] = authorization,
    ["Content-Type"] = "application/json",
  }, body)
end

function next_thread_count()
  return tonumber(os.getenv("WRK_THREADS") or "2")
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
