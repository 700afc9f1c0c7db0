/**
 * Lua scripts for every change to a request that touches its record and its event stream together,
 * so a crash can never leave one written without the other. Each script checks the record's status
 * and attempt first, which makes a retried step harmless. Events arrive already encoded
 * (`encodeEvent`): a script only appends them, so their shape is decided in one place.
 *
 * Common KEYS: [1] request record hash, [2] event stream, [3] sorted set of accepted requests no
 * attempt has started yet (by acceptance time; the sweeper repairs those left without a job), [4] sorted
 * set of requests not yet ended (by deadline; the sweeper ends those whose job failed or vanished).
 * Common ARGV: [1] event time (ms), [2] stream max length, [3] record TTL once finished (ms, 0 = keep),
 * [4] request id. An event is passed as its field count followed by its fields (a count of 0: none).
 */

const header = `
local record, events, accepted, open = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local now, maxLength, ttl, id = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local status = redis.call('HGET', record, 'status')
local function terminal(s) return s == 'completed' or s == 'failed' or s == 'cancelled' end
local function emit(at)
  local count = tonumber(ARGV[at])
  if count > 0 then
    redis.call('XADD', events, 'MAXLEN', '~', maxLength, '*', unpack(ARGV, at + 1, at + count))
  end
  return at + count + 1
end
local function expire()
  if ttl > 0 then
    redis.call('PEXPIRE', record, ttl)
    redis.call('PEXPIRE', events, ttl)
  end
end
`;

/**
 * KEYS[5] idempotency key. ARGV[5] '1' when the request has an idempotency key, ARGV[6] how long the
 * claim lasts (ms), ARGV[7] first instance, ARGV[8] plan JSON, ARGV[9] request JSON, ARGV[10] createdAt,
 * ARGV[11] deadlineAt, ARGV[12] expiry of the unfinished record (ms), ARGV[13…] the queued event.
 * Claims the idempotency key and writes the record, its queued event and its place among the
 * accepted, all or nothing. Returns {1, id} when accepted, {0, existing id} when the key was taken.
 */
export const acceptScript = `${header}
if ARGV[5] == '1' then
  if not redis.call('SET', KEYS[5], id, 'PX', ARGV[6], 'NX') then return {0, redis.call('GET', KEYS[5])} end
end
redis.call('HSET', record, 'id', id, 'status', 'queued', 'attempt', '0', 'instance', ARGV[7],
  'plan', ARGV[8], 'request', ARGV[9], 'attempts', '[]', 'createdAt', ARGV[10], 'deadlineAt', ARGV[11])
emit(13)
-- Unfinished records expire too, so a request abandoned by every process cannot leak memory.
redis.call('PEXPIRE', record, ARGV[12])
redis.call('PEXPIRE', events, ARGV[12])
redis.call('ZADD', accepted, ARGV[10], id)
redis.call('ZADD', open, ARGV[11], id)
return {1, id}
`;

/**
 * ARGV[5] attempt, ARGV[6] instance, ARGV[7…] the started event. Marks the attempt running when it may
 * run here (current attempt, this instance, before the deadline). Returns {1, fields} when started,
 * {0, fields} when not, {0} when there is no record: one round trip both reads the request and claims it.
 */
export const startScript = `${header}
if not status then return {0} end
local fields = redis.call('HGETALL', record)
if terminal(status) then return {0, fields} end
local current = redis.call('HMGET', record, 'attempt', 'instance', 'deadlineAt')
if current[1] ~= ARGV[5] or current[2] ~= ARGV[6] or tonumber(current[3]) <= tonumber(now) then return {0, fields} end
redis.call('HSET', record, 'status', 'running')
redis.call('ZREM', accepted, id)
emit(7)
return {1, fields}
`;

/**
 * KEYS[5…8] the metrics hashes: attempts, requests, latency, usage. ARGV[5] attempt, ARGV[6] result JSON,
 * ARGV[7] attempts JSON, ARGV[8…] the completed event, then the attempt's counters: their number, then
 * for each the index of its hash in KEYS, 'f' (fractional) or 'i', the field and the amount. The attempt
 * is counted whether or not its result is recorded (it was answered either way), and a counter that
 * cannot be raised is skipped: counting never fails the request. Returns 1 when recorded.
 */
export const completeScript = `${header}
local counters = 9 + tonumber(ARGV[8])
for at = counters + 1, counters + 4 * tonumber(ARGV[counters]), 4 do
  local command = ARGV[at + 1] == 'f' and 'HINCRBYFLOAT' or 'HINCRBY'
  redis.pcall(command, KEYS[tonumber(ARGV[at])], ARGV[at + 2], ARGV[at + 3])
end
if not status or terminal(status) or redis.call('HGET', record, 'attempt') ~= ARGV[5] then return 0 end
redis.call('HSET', record, 'status', 'completed', 'result', ARGV[6], 'attempts', ARGV[7], 'finishedAt', now)
redis.call('ZREM', accepted, id)
redis.call('ZREM', open, id)
emit(8)
expire()
return 1
`;

/**
 * ARGV[5] attempt, ARGV[6] next attempt, ARGV[7] attempts JSON, ARGV[8] next instance, ARGV[9…] the
 * failover event, then the reset event (a count of 0 when no text was sent).
 * Returns 1 when moved now, 2 when it had already moved (a retried step), 0 when the request is over.
 */
export const forwardScript = `${header}
if not status or terminal(status) then return 0 end
local current = redis.call('HGET', record, 'attempt')
if current == ARGV[6] then return 2 end
if current ~= ARGV[5] then return 0 end
redis.call('HSET', record, 'status', 'queued', 'attempt', ARGV[6], 'attempts', ARGV[7], 'instance', ARGV[8])
emit(emit(9))
return 1
`;

/**
 * ARGV[5] attempt ('' = whatever attempt it is at), ARGV[6] status (failed or cancelled), ARGV[7] error
 * JSON, ARGV[8] attempts JSON, ARGV[9…] the failed event. Returns 1 when recorded.
 */
export const finishScript = `${header}
if not status or terminal(status) then return 0 end
if ARGV[5] ~= '' and redis.call('HGET', record, 'attempt') ~= ARGV[5] then return 0 end
redis.call('HSET', record, 'status', ARGV[6], 'error', ARGV[7], 'attempts', ARGV[8], 'finishedAt', now)
redis.call('ZREM', accepted, id)
redis.call('ZREM', open, id)
emit(9)
expire()
return 1
`;

/** ARGV[5…] the text-delta event. Appends it while the request is still running. */
export const deltaScript = `${header}
if status ~= 'running' then return 0 end
emit(5)
return 1
`;
