-- Adds index entries for ids that are (still) in the set: a step of an index rebuild.
-- KEYS[1] the set   KEYS[2] its sorted index
-- ARGV id, score, member, id, score, member, ...
-- Returns the number of entries added.
local added = 0
for i = 1, #ARGV, 3 do
  if redis.call('SISMEMBER', KEYS[1], ARGV[i]) == 1 then
    added = added + redis.call('ZADD', KEYS[2], ARGV[i + 1], ARGV[i + 2])
  end
end
return added
