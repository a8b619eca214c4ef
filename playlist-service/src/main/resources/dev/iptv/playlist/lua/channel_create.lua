-- Creates a channel and its index entry in one step, or nothing.
-- KEYS[1] channel:{id}   KEYS[2] channels:all
-- ARGV[1] channel JSON   ARGV[2] id
-- Returns 'ok' or 'exists'.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'exists'
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[2])
return 'ok'
