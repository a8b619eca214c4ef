-- Creates a user, its token and its index entry in one step, or nothing.
-- KEYS[1] user:{username}   KEYS[2] token:{token}   KEYS[3] users:all   KEYS[4] users:by_name
-- ARGV[1] user JSON   ARGV[2] token JSON   ARGV[3] token TTL (ms)   ARGV[4] username
-- Returns 'ok', 'user_exists' or 'token_exists'.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 'user_exists'
end
if redis.call('EXISTS', KEYS[2]) == 1 then
  return 'token_exists'
end
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
redis.call('SADD', KEYS[3], ARGV[4])
redis.call('ZADD', KEYS[4], 0, ARGV[4])
return 'ok'
