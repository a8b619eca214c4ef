-- One page of a set kept in a sorted index, read in one step.
-- KEYS[1] the set (users:all, channels:all)   KEYS[2] its sorted index (users:by_name, channels:by_id)
-- ARGV[1] first rank   ARGV[2] last rank   ARGV[3] page size (0: counts only)
-- Returns {members of the set, members of the index, the index's members of that page...}.
local out = {redis.call('SCARD', KEYS[1]), redis.call('ZCARD', KEYS[2])}
if tonumber(ARGV[3]) > 0 then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[2], ARGV[1], ARGV[2])) do
    out[#out + 1] = m
  end
end
return out
