-- Records a failed import, if its importer still holds the lock (the guide in use is not touched).
-- KEYS[1] epg:source:{name}:lock  KEYS[2] epg:source:{name}:import  KEYS[3] epg:source:{name}:progress
-- ARGV[1] the lock value  ARGV[2] the import status JSON
if redis.call('get', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('set', KEYS[2], ARGV[2])
redis.call('del', KEYS[3])
return 1
