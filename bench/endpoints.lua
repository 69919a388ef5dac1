-- wrk script for bench/lookup.py: one endpoint per run, chosen by COOKIECONSENT_BENCH_SCENARIO.
--   bare      GET /bench/bare (the floor: Flask and gunicorn, no database)
--   lookup    GET /api/v1/sites/KEY/consents/ID
--   allowed   GET /api/v1/sites/KEY/consents/ID/allowed/analytics
--   write     POST /api/v1/sites/KEY/consents (a "save" for a known visitor)
--   widget    GET /c/KEY.js (brotli)
--   region    GET /api/v1/sites/KEY/region from Vietnam, Germany and California in turn
-- COOKIECONSENT_BENCH_FILE names a file: the site key, then one visitor ID per line.
local scenario = os.getenv("COOKIECONSENT_BENCH_SCENARIO") or "bare"
local site_key, ids = nil, {}
for line in io.lines(os.getenv("COOKIECONSENT_BENCH_FILE")) do
  if site_key == nil then site_key = line else ids[#ids + 1] = line end
end
local consents = "/api/v1/sites/" .. site_key .. "/consents"
local places = {"14.160.1.20", "85.10.20.30", "198.51.100.7"}  -- tests/geodata.py
local counter = 0

function init(args)
  -- Each wrk thread starts at a different place in the list.
  counter = math.random(1, #ids)
end

request = function()
  counter = counter + 1
  local id = ids[(counter % #ids) + 1]
  if scenario == "lookup" then
    return wrk.format("GET", consents .. "/" .. id)
  elseif scenario == "allowed" then
    return wrk.format("GET", consents .. "/" .. id .. "/allowed/analytics")
  elseif scenario == "write" then
    local analytics = (counter % 2 == 0) and "true" or "false"
    local body = '{"action":"save","visitor_id":"' .. id .. '","categories":{"analytics":'
      .. analytics .. ',"marketing":false}}'
    return wrk.format("POST", consents, {["Content-Type"] = "application/json"}, body)
  elseif scenario == "widget" then
    return wrk.format("GET", "/c/" .. site_key .. ".js", {["Accept-Encoding"] = "gzip, br"})
  elseif scenario == "region" then
    return wrk.format("GET", "/api/v1/sites/" .. site_key .. "/region",
      {["X-Forwarded-For"] = places[(counter % #places) + 1]})
  end
  return wrk.format("GET", "/bench/bare")
end
