-- Stable numeric ids for category names (the Xtream API's category_id).
-- KEYS[1] categories:ids (hash name -> id), KEYS[2] categories:seq (last id given)
-- ARGV: the names; answers their ids, in order. A name keeps the id it was first given.
local out = {}
for i, name in ipairs(ARGV) do
  local id = redis.call('HGET', KEYS[1], name)
  if not id then
    id = tostring(redis.call('INCR', KEYS[2]))
    redis.call('HSET', KEYS[1], name, id)
  end
  out[i] = id
end
return out
