-- GET the campaign page as a first-time visitor (no cookie). Every response carries a
-- fresh session cookie and CSRF token; with an output prefix as argument, each thread
-- appends "<session cookie>\t<csrf token>" lines to <prefix>.<thread id> for the sign run.
--   wrk ... -s page.lua URL -- [output prefix]

COUNTERS = { "collected" }
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

collected = 0
local out

function init(args)
  if args[1] then
    out = assert(io.open(args[1] .. "." .. id, "w"))
  end
end

function response(status, headers, body)
  count_status(status)
  if out and status == 200 then
    local cookie = (headers["Set-Cookie"] or ""):match(SESSION_COOKIE:gsub("%-", "%%-") .. "=([^;]+)")
    local input = body:match('<input[^>]-name="csrf_token"[^>]*>')
    local token = input and input:match('value="([^"]+)"')
    if cookie and token then
      out:write(cookie, "\t", token, "\n")
      out:flush()
      collected = collected + 1
    end
  end
end
