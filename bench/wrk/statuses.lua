-- Shared by the POST scripts of bench/load.sh (`dofile`d from the repository's root): numbers
-- the threads, counts each thread's answers by status, and prints at the end one line,
-- `statuses: 201=9876 (99.9 %), 409=12 (0.1 %)`, which bench/load.sh shows beside the row.

local threads = {}
next_thread = 0

function setup(thread)
  thread:set("number", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

statuses = {}

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
