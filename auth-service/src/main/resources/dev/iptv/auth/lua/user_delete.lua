-- Deletes a user if nobody changed it since it was read (compare and set), with its token.
-- KEYS[1] user:{username}   KEYS[2] users:all   KEYS[3] user:{username}:sessions
-- KEYS[4] users:by_name   KEYS[5] token:{token} (absent when the user had none)
-- ARGV[1] the user JSON as read   ARGV[2] username
-- Returns 'ok', 'missing' or 'changed' (read again and retry).
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
if KEYS[5] then
  local held = redis.call('GET', KEYS[5])
  if held then
    local o = owner(held)
    if not o or o == ARGV[2] then
      redis.call('DEL', KEYS[5])
    end
  end
end
redis.call('DEL', KEYS[1], KEYS[3])
redis.call('SREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[2])
return 'ok'
