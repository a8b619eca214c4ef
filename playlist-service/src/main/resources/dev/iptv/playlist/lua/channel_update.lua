-- Replaces a channel if nobody changed it since it was read (compare and set).
-- KEYS[1] channel:{id}   KEYS[2] channels:all
-- ARGV[1] the channel JSON as read   ARGV[2] new channel JSON   ARGV[3] id
-- Returns 'ok', 'missing' or 'changed' (read again and retry).
local current = redis.call('GET', KEYS[1])
if not current then
  return 'missing'
end
if current ~= ARGV[1] then
  return 'changed'
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
return 'ok'
