// The Lua scripts of redisFleet. Each runs atomically in Redis: the clock is Redis' own (TIME), so instances
// with skewed clocks agree on who expired. Keys: KEYS[1] the members hash (id -> JSON record), KEYS[2] the
// expiry sorted set (id -> expiry in ms). Both share a hash tag, so they live in one Cluster slot.

/** Redis' clock in ms, then every member whose expiry passed is dropped. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now)
for _, gone in ipairs(dead) do redis.call('HDEL', KEYS[1], gone) end
if #dead > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now) end
local function put(id, json, ttl)
  local record = cjson.decode(json)
  record.seen = now
  redis.call('HSET', KEYS[1], id, cjson.encode(record))
  redis.call('ZADD', KEYS[2], now + ttl, id)
  -- A service that is gone leaves nothing behind for long.
  redis.call('PEXPIRE', KEYS[1], ttl * 20)
  redis.call('PEXPIRE', KEYS[2], ttl * 20)
end
`

/**
 * Publishes this instance (ARGV: id, ttl ms, record JSON; an empty record only reads) and returns
 * `{ now, HGETALL members }`.
 */
export const PUBLISH_SCRIPT = `${PRELUDE}
if ARGV[3] ~= '' then put(ARGV[1], ARGV[3], tonumber(ARGV[2])) end
return { now, redis.call('HGETALL', KEYS[1]) }
`

/**
 * The disruption budget's check-and-set (ARGV: id, ttl ms, minimum count, minimum percentage or -1, record
 * JSON with maintenance set). Counts the ready instances (ready, not in maintenance, not draining); when
 * taking this one out leaves at least the minimum, records it as in maintenance in the same step, so a
 * concurrent request on another instance already counts it out. Returns `{ admitted 0|1, ready, total, required }`.
 */
export const ADMIT_SCRIPT = `${PRELUDE}
local id = ARGV[1]
local all = redis.call('HGETALL', KEYS[1])
local total, ready, selfReady = 0, 0, false
for i = 1, #all, 2 do
  total = total + 1
  local ok, record = pcall(cjson.decode, all[i + 1])
  if ok and type(record) == 'table' and record.ready == true and record.maintenance ~= true and record.draining ~= true then
    ready = ready + 1
    if all[i] == id then selfReady = true end
  end
end
local required = tonumber(ARGV[3])
local percent = tonumber(ARGV[4])
if percent >= 0 then required = math.ceil(total * percent / 100 - 1e-9) end
local after = ready
if selfReady then after = ready - 1 end
if after < required then return { 0, ready, total, required } end
put(id, ARGV[5], tonumber(ARGV[2]))
return { 1, ready, total, required }
`

/** Leaves the fleet (ARGV: id). */
export const LEAVE_SCRIPT = `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
`
