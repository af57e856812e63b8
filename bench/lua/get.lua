-- GET one URL (no cookie), count statuses, and count responses whose Cache-Control
-- lacks an expected word ("no-store" for the widget, "immutable" for the share image).
--   wrk ... -s get.lua URL -- [expected Cache-Control word]

COUNTERS = { "wrong_cache_control" }
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrong_cache_control = 0
local expected

function init(args)
  expected = args[1]
end

function response(status, headers, body)
  count_status(status)
  if expected and not (headers["Cache-Control"] or ""):find(expected, 1, true) then
    wrong_cache_control = wrong_cache_control + 1
  end
end
