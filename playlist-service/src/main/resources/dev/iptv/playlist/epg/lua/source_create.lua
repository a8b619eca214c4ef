-- Registers an EPG source unless one of that name exists.
-- KEYS[1] epg:source:{name}  KEYS[2] epg:sources
-- ARGV[1] the source JSON    ARGV[2] the name
-- Returns 1 when created, 0 when the name is taken.
if redis.call('exists', KEYS[1]) == 1 then
  return 0
end
redis.call('set', KEYS[1], ARGV[1])
redis.call('sadd', KEYS[2], ARGV[2])
return 1
