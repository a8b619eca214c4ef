-- Removes an EPG source: its record, status, progress and lock, and stops readers using its guide.
-- KEYS[1] epg:source:{name}  KEYS[2] epg:sources  KEYS[3] :import  KEYS[4] :progress  KEYS[5] :lock
-- KEYS[6] epg:generations    KEYS[7] epg:source:{name}:generations
-- ARGV[1] the name
-- Returns nil when there is no such source, else the source's generations (their keys are then
-- deleted by the caller; an import in flight loses its lock and drops its own).
if redis.call('exists', KEYS[1]) == 0 then
  return false
end
local generations = redis.call('smembers', KEYS[7])
redis.call('del', KEYS[1], KEYS[3], KEYS[4], KEYS[5], KEYS[7])
redis.call('srem', KEYS[2], ARGV[1])
redis.call('hdel', KEYS[6], ARGV[1])
return generations
