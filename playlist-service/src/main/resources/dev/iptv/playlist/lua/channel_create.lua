-- Creates a channel and its index entry in one step, or nothing.
-- KEYS[1] channel:{id}   KEYS[2] channels:all   KEYS[3] channels:by_id
-- ARGV[1] channel JSON   ARGV[2] id   ARGV[3], ARGV[4] the id's score and member in channels:by_id
-- Returns 'ok' or 'exists'.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'exists'
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[4])
return 'ok'
