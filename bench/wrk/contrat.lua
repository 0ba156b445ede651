-- wrk script for bench/load.sh: POST /api/v1/contrats, each request binding the next
-- person to the next post of a pairs file (bench/contrats_fixtures.py), so that every request
-- creates a contract; threads take interleaved lines. Counts the answers by status, like
-- engagement.lua.
--
--   wrk -t2 -c32 -d10s -s bench/wrk/contrat.lua URL -- "Bearer <token>" pairs.tsv 2024-06-03

dofile("bench/wrk/statuses.lua")

function init(args)
  authorization = args[1]
  date_debut = args[3]
  couples = {}
  for line in io.lines(args[2]) do
    local person, post = line:match("^(%S+)\t(%S+)$")
    table.insert(couples, { person, post })
  end
  sent = 0
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
