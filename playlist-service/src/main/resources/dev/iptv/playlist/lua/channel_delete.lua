-- Deletes a channel and its index entry in one step.
-- KEYS[1] channel:{id}   KEYS[2] channels:all   KEYS[3] channels:by_id
-- ARGV[1] id   ARGV[2] its member in channels:by_id
-- Returns 'ok' or 'missing'.
if redis.call('DEL', KEYS[1]) == 0 then
  return 'missing'
end
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[2])
return 'ok'
