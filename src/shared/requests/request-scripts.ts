/**
 * Lua scripts for every change to a request that touches its record and its event stream together,
 * so a crash can never leave one written without the other. Each script checks the record's status
 * and hop first, which makes a retried step harmless.
 *
 * Common KEYS: [1] request record hash, [2] event stream.
 * Common ARGV: [1] event time (ms), [2] stream max length, [3] record TTL (ms, 0 = keep).
 */

const header = `
local record, events = KEYS[1], KEYS[2]
local now, maxLength, ttl = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local status = redis.call('HGET', record, 'status')
local function terminal(s) return s == 'completed' or s == 'failed' or s == 'cancelled' end
local function emit(eventType, provider, data)
  return redis.call('XADD', events, 'MAXLEN', '~', maxLength, '*', 'type', eventType, 'at', now, 'provider', provider, 'data', data)
end
local function expire()
  if ttl > 0 then
    redis.call('PEXPIRE', record, ttl)
    redis.call('PEXPIRE', events, ttl)
  end
end
`;

/**
 * ARGV[4] hop, ARGV[5] provider. Marks the hop running when it may run here (current hop, this
 * instance, before the deadline). Returns {1, fields} when started, {0, fields} when not, {0} when
 * there is no record: one round trip both reads the request and claims it.
 */
export const startScript = `${header}
if not status then return {0} end
local fields = redis.call('HGETALL', record)
if terminal(status) then return {0, fields} end
local current = redis.call('HMGET', record, 'hop', 'instance', 'deadlineAt')
if current[1] ~= ARGV[4] or current[2] ~= ARGV[5] or tonumber(current[3]) <= tonumber(now) then return {0, fields} end
redis.call('HSET', record, 'status', 'running', 'provider', ARGV[5])
emit('started', ARGV[5], cjson.encode({hop = tonumber(ARGV[4])}))
return {1, fields}
`;

/** ARGV[4] hop, ARGV[5] provider, ARGV[6] result JSON, ARGV[7] hops JSON. Returns 1 when recorded. */
export const completeScript = `${header}
if not status or terminal(status) or redis.call('HGET', record, 'hop') ~= ARGV[4] then return 0 end
redis.call('HSET', record, 'status', 'completed', 'result', ARGV[6], 'hops', ARGV[7], 'finishedAt', now)
emit('completed', ARGV[5], ARGV[6])
expire()
return 1
`;

/**
 * ARGV[4] hop, ARGV[5] provider, ARGV[6] next hop, ARGV[7] hops JSON, ARGV[8] failover event JSON,
 * ARGV[9] '1' when deltas were already sent (the consumer gets a reset), ARGV[10] next instance.
 * Returns 1 when moved now, 2 when it had already moved (a retried step), 0 when the request is over.
 */
export const forwardScript = `${header}
if not status or terminal(status) then return 0 end
local current = redis.call('HGET', record, 'hop')
if current == ARGV[6] then return 2 end
if current ~= ARGV[4] then return 0 end
redis.call('HSET', record, 'status', 'queued', 'hop', ARGV[6], 'hops', ARGV[7], 'instance', ARGV[10])
emit('failover', ARGV[5], ARGV[8])
if ARGV[9] == '1' then emit('reset', ARGV[5], '{}') end
return 1
`;

/** ARGV[4] hop ('' = any), ARGV[5] provider, ARGV[6] error JSON, ARGV[7] hops JSON, ARGV[8] status. Returns 1 when recorded. */
export const failScript = `${header}
if not status or terminal(status) then return 0 end
if ARGV[4] ~= '' and redis.call('HGET', record, 'hop') ~= ARGV[4] then return 0 end
redis.call('HSET', record, 'status', ARGV[8], 'error', ARGV[6], 'hops', ARGV[7], 'finishedAt', now)
emit('failed', ARGV[5], cjson.encode({error = cjson.decode(ARGV[6]), hops = cjson.decode(ARGV[7])}))
expire()
return 1
`;

/** ARGV[4] provider, ARGV[5] text. Appends a text delta while the request is still running. */
export const deltaScript = `${header}
if status ~= 'running' then return 0 end
emit('text-delta', ARGV[4], ARGV[5])
return 1
`;
