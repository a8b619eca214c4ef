-- Replaces the sentinel only if it still holds the expected value (compare and set).
-- KEYS[1] iptv:sentinel; ARGV[1] expected value; ARGV[2] new value. Returns 1 when replaced.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2])
  return 1
end
return 0
