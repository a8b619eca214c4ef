-- Makes a finished import the guide readers use, in one step, if its importer still holds the lock.
-- KEYS[1] epg:source:{name}:lock  KEYS[2] epg:source:{name}  KEYS[3] epg:generations
-- KEYS[4] epg:source:{name}:import  KEYS[5] epg:source:{name}:progress
-- ARGV[1] the lock value  ARGV[2] the name  ARGV[3] the new generation  ARGV[4] the import status JSON
-- Returns the previous generation (0: none), -1 when the lock was lost, -2 when the source is gone.
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return -1
end
if redis.call('exists', KEYS[2]) == 0 then
  return -2
end
local old = redis.call('hget', KEYS[3], ARGV[2])
redis.call('hset', KEYS[3], ARGV[2], ARGV[3])
redis.call('set', KEYS[4], ARGV[4])
redis.call('del', KEYS[5])
if old then
  return tonumber(old)
end
return 0
