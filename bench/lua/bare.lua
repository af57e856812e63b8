-- POST to the bare baseline app (bench/bare_app.py) with a unique email per request.
--   wrk ... -s bare.lua BASE_URL -- <run tag>

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local tag, counter

function init(args)
  tag, counter = args[1], 0
end

function request()
  counter = counter + 1
  local body = "name=Bench+Signer"
    .. "&email=" .. string.format("%s-t%d-%d%%40example.org", tag, id, counter)
    .. "&postcode=N1+9GU&country=GB&public=y"
  return wrk.format("POST", "/sign", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, body)
end

function response(status, headers, body)
  count_status(status)
end
