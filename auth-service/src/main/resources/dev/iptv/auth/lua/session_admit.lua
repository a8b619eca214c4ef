-- Admits a viewer session within the user's max_connections.
-- KEYS[1] user:{username}:sessions (sorted set: member a session hash, score its last poll)
-- ARGV[1] now (epoch seconds)   ARGV[2] window (s)   ARGV[3] session hash   ARGV[4] max_connections
-- ARGV[5] "1": hold the slot (a live poll records the session); "0": only check (a playlist
--         download: refused when other sessions fill every slot, but takes none itself)
-- Returns 1 (admitted) or 0 (max_connections other live sessions).
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held = redis.call('ZSCORE', KEYS[1], ARGV[3])
if held or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[4]) then
  if ARGV[5] ~= '0' then
    redis.call('ZADD', KEYS[1], now, ARGV[3])
    redis.call('EXPIRE', KEYS[1], window * 2)
  end
  return 1
end
return 0
