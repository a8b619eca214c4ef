-- Replaces a channel if nobody changed it since it was read (compare and set).
-- KEYS[1] channel:{id}   KEYS[2] channels:all   KEYS[3] channels:by_id
-- ARGV[1] the channel JSON as read   ARGV[2] new channel JSON   ARGV[3] id
-- ARGV[4], ARGV[5] the id's score and member in channels:by_id
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
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[5])
return 'ok'
