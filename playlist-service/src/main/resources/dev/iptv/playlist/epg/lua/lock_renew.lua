-- KEYS[1] a lock  ARGV[1] its holder's value  ARGV[2] new TTL (ms). 1 when renewed, 0 when lost.
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
