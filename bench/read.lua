-- wrk script of `deskbridge-bench read`: GET a list endpoint with the API key and account
-- token, walking the pages by following `next` (each wrk thread walks its own chain and wraps
-- to the first page at the end), so the keyset query reads every part of the table.
-- Environment: BENCH_PATH (path and query, e.g. /api/ticketing/v1/tickets?page_size=100),
-- BENCH_API_KEY, BENCH_ACCOUNT_TOKEN.
local path0 = os.getenv("BENCH_PATH")
local cursor = nil

wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_API_KEY")
wrk.headers["X-Account-Token"] = os.getenv("BENCH_ACCOUNT_TOKEN")

request = function()
  if cursor then
    return wrk.format("GET", path0 .. "&cursor=" .. cursor)
  end
  return wrk.format("GET", path0)
end

response = function(status, headers, body)
  if status ~= 200 then
    cursor = nil
    return
  end
  -- The page starts with {"next":"<cursor>" or {"next":null.
  cursor = string.match(string.sub(body, 1, 200), '^{"next":"([^"]+)"')
end
