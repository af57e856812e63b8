-- Shared by the scenario scripts: thread ids, each thread's share of an input file,
-- status counting, and a done() that prints machine-readable totals for bench/sign.py.
--
-- Lines printed by done() start with "@" so the driver can tell them from wrk's report:
--   @status <code> <count>     responses per HTTP status, all threads together
--   @reused <count>            input items handed out again because the input ran short
--   @<counter> <count>         any other per-thread counter a scenario declares in COUNTERS

local threads = {}

-- The app's session cookie under RALLY_ENV=production (SESSION_COOKIE_NAME in app/config.py).
SESSION_COOKIE = "__Host-rally"

-- Counters every thread keeps (globals in the thread's Lua state, read back in done()).
statuses = {}
reused = 0
COUNTERS = COUNTERS or {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function read_share(path, nthreads)
  -- This thread's lines of a tab-separated file: line n goes to thread n % nthreads.
  local share, n = {}, 0
  for line in io.lines(path) do
    if n % nthreads == id then
      local fields = {}
      for field in line:gmatch("[^\t]+") do
        fields[#fields + 1] = field
      end
      share[#share + 1] = fields
    end
    n = n + 1
  end
  return share
end

local position, handed_out = 0, 0

function next_item(items)
  -- The next item of this thread's share; wraps around (and counts it) when exhausted.
  position = position % #items + 1
  if handed_out >= #items then
    reused = reused + 1
  end
  handed_out = handed_out + 1
  return items[position]
end

function count_status(status)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local totals, extra = {}, { reused = 0 }
  for _, name in ipairs(COUNTERS) do
    extra[name] = 0
  end
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses")) do
      totals[code] = (totals[code] or 0) + n
    end
    for name, _ in pairs(extra) do
      extra[name] = extra[name] + (thread:get(name) or 0)
    end
  end
  for code, n in pairs(totals) do
    io.write(string.format("@status %d %d\n", code, n))
  end
  for name, n in pairs(extra) do
    io.write(string.format("@%s %d\n", name, n))
  end
end
