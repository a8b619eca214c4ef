-- Removes index entries whose id is no longer in the set.
-- KEYS[1] the set   KEYS[2] its sorted index
-- ARGV member, id, member, id, ...
-- Returns the number of entries removed.
local removed = 0
for i = 1, #ARGV, 2 do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i + 1]) == 0 then
    removed = removed + redis.call('ZREM', KEYS[2], ARGV[i])
  end
end
return removed
