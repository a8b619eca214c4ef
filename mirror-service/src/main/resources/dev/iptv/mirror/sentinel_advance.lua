-- The mirror synced a change into PostgreSQL: move Redis's sentinel to the new generation, but only
-- when Redis is in step (its generation is the one before the change, or newer). An absent
-- sentinel (Redis lost its data), a restoring one, or an older generation (Redis restarted from an
-- older snapshot) is left alone: the restore that follows needs to see it.
-- KEYS[1] iptv:sentinel; ARGV[1] generation before the change; ARGV[2] new value; ARGV[3] new generation
-- Returns 1 set, 2 already there or newer, 0 absent or restoring, -1 Redis is behind.
local cur = redis.call('GET', KEYS[1])
if not cur then
  return 0
end
if string.sub(cur, 1, 10) == 'restoring:' then
  return 0
end
local g = tonumber(string.match(cur, '^g(%d+):')) or 0
if g >= tonumber(ARGV[3]) then
  return 2
end
if g < tonumber(ARGV[1]) then
  return -1
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
