-- Replaces a user if nobody changed it since it was read (compare and set), moves its token.
-- KEYS[1] user:{username}   KEYS[2] users:all   KEYS[3] user:{username}:sessions
-- KEYS[4] token:{new token}   KEYS[5] users:by_name   KEYS[6] token:{old token} (absent when the user had none)
-- ARGV[1] the user JSON as read   ARGV[2] new user JSON   ARGV[3] new token JSON
-- ARGV[4] token TTL (ms)   ARGV[5] username
-- Returns 'ok', 'missing', 'changed' (read again and retry) or 'token_exists'.
local function owner(json)
  local ok, t = pcall(cjson.decode, json)
  if ok and type(t) == 'table' and type(t['username']) == 'string' then
    return t['username']
  end
  return nil
end

local current = redis.call('GET', KEYS[1])
if not current then
  return 'missing'
end
if current ~= ARGV[1] then
  return 'changed'
end
local holder = redis.call('GET', KEYS[4])
if holder then
  local o = owner(holder)
  if o and o ~= ARGV[5] then
    return 'token_exists'
  end
end
if KEYS[6] and KEYS[6] ~= KEYS[4] then
  -- the old token retires at once, unless it has meanwhile become someone else's
  local old = redis.call('GET', KEYS[6])
  if old then
    local o = owner(old)
    if not o or o == ARGV[5] then
      redis.call('DEL', KEYS[6])
    end
  end
  redis.call('DEL', KEYS[3])
end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('SET', KEYS[4], ARGV[3], 'PX', ARGV[4])
redis.call('SADD', KEYS[2], ARGV[5])
redis.call('ZADD', KEYS[5], 0, ARGV[5])
return 'ok'
