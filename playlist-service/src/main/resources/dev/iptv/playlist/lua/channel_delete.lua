-- Deletes a channel and its index entry in one step.
-- KEYS[1] channel:{id}   KEYS[2] channels:all
-- ARGV[1] id
-- Returns 'ok' or 'missing'.
if redis.call('DEL', KEYS[1]) == 0 then
  return 'missing'
end
redis.call('SREM', KEYS[2], ARGV[1])
return 'ok'
