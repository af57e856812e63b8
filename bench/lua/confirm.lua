-- POST confirmation clicks: each request one pending signature's token, with a session
-- cookie and its CSRF token, and the details the confirm page shows (name, town, country),
-- as a browser submits them. Counts "thank you" pages (a new confirmation) separately
-- from other 200s ("already confirmed"), which mean a token was used twice.
--   wrk ... -s confirm.lua BASE_URL -- <file of token\tcookie\tcsrf> <threads>

COUNTERS = { "confirmed_now" }
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

confirmed_now = 0
local items

function init(args)
  items = read_share(args[1], tonumber(args[2]))
end

function request()
  local item = next_item(items)
  return wrk.format("POST", "/confirm/" .. item[1], {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = SESSION_COOKIE .. "=" .. item[2],
  }, "csrf_token=" .. item[3] .. "&name=Bench+Pending&postcode=N1+9GU&country=GB&public=y")
end

function response(status, headers, body)
  count_status(status)
  if status == 200 and body:find("notice--success", 1, true) then
    confirmed_now = confirmed_now + 1
  end
end
