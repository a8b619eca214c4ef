-- KEYS[1] a lock  ARGV[1] its holder's value. Deletes it only if still held by that holder.
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
