-- POST the sign form as a browser would: each request its own session cookie and CSRF
-- token (collected beforehand by page.lua) and a unique email address.
--   wrk ... -s sign.lua BASE_URL -- <pairs file> <threads> <run tag> <campaign slug>

dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local items, tag, path, counter

function init(args)
  local nthreads = tonumber(args[2])
  items = read_share(args[1], nthreads)
  tag, path, counter = args[3], "/c/" .. args[4] .. "/sign", 0
end

function request()
  local cookie_and_token = next_item(items)
  counter = counter + 1
  local body = "csrf_token=" .. cookie_and_token[2]
    .. "&name=Bench+Signer"
    .. "&email=" .. string.format("%s-t%d-%d%%40example.org", tag, id, counter)
    .. "&postcode=N1+9GU&country=GB&public=y"
  return wrk.format("POST", path, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = SESSION_COOKIE .. "=" .. cookie_and_token[1],
  }, body)
end

function response(status, headers, body)
  count_status(status)
end
