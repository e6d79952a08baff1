-- wrk script: each request as a polling browser sends it. It accepts gzip (Accept-Encoding) and
-- names the version it has (If-None-Match: the last ETag this thread was sent), so an unchanged
-- leaderboard is answered 304 without a body. wrk's scripts keep no state per connection: one
-- ETag per thread, so after a change fewer readers get the whole body than as many browsers would.
local etag = nil

request = function()
  local headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Accept-Encoding"] = "gzip, deflate, br"
  if etag then
    headers["If-None-Match"] = etag
  end
  return wrk.format(nil, nil, headers)
end

response = function(status, headers, body)
  for name, value in pairs(headers) do
    if string.lower(name) == "etag" then
      etag = value
    end
  end
end
