-- wrk script for bench/worker_classes.py: 50% lookups, 30% widget scripts (gzip), 20% consent writes.
-- COOKIECONSENT_BENCH_MIX names a file: the site key, then one visitor ID per line.
local site_key, ids = nil, {}
for line in io.lines(os.getenv("COOKIECONSENT_BENCH_MIX")) do
  if site_key == nil then site_key = line else ids[#ids + 1] = line end
end
local consents = "/api/v1/sites/" .. site_key .. "/consents"
local counter = 0

request = function()
  counter = counter + 1
  local slot = counter % 10
  local id = ids[(counter % #ids) + 1]
  if slot < 5 then
    return wrk.format("GET", consents .. "/" .. id)
  elseif slot < 8 then
    return wrk.format("GET", "/c/" .. site_key .. ".js", {["Accept-Encoding"] = "gzip"})
  end
  local analytics = (counter % 4 < 2) and "true" or "false"
  local body = '{"action":"save","visitor_id":"' .. id .. '","categories":{"analytics":'
    .. analytics .. ',"marketing":false}}'
  return wrk.format("POST", consents, {["Content-Type"] = "application/json"}, body)
end
