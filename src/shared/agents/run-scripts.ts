/**
 * Lua scripts for every change to a workflow run. Each one checks the run's status and checkpoint
 * version first and writes the record, its history, its events and its usage together, so a retried
 * or stale step writes nothing and a crash never leaves half a step. Every key of a run expires: while
 * it runs, `recordTtl` after its deadline; once finished, `recordTtl` after it finished. The run index
 * forgets runs whose records expired and itself expires with the last of them.
 *
 * Common KEYS: [1] run hash, [2] history list, [3] event stream, [4] branches hash, [5] request-key
 * set, [6] run index (sorted by creation), [7] run expiries (sorted by when the run's keys expire).
 * Common ARGV: [1] now (ms), [2] record TTL after finishing (ms, > 0), [3] event stream max length, [4] run id.
 */

const header = `
local run, history, events, branches, requests, index, expiries = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
local now, ttl, maxEvents, id = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local function terminal(s) return s == 'completed' or s == 'failed' or s == 'cancelled' end
local function emit(eventType, node, data)
  redis.call('XADD', events, 'MAXLEN', '~', maxEvents, '*', 'type', eventType, 'node', node, 'at', now, 'data', data)
end
-- events: a JSON array of [type, node, data JSON string]
local function emitAll(list)
  for _, event in ipairs(cjson.decode(list)) do emit(event[1], event[2], event[3]) end
end
local function expireAt(at)
  local ms = math.max(1, math.floor(at - now))
  for _, key in ipairs({run, history, events, branches, requests}) do redis.call('PEXPIRE', key, ms) end
  redis.call('ZADD', expiries, at, id)
  local gone = redis.call('ZRANGEBYSCORE', expiries, '-inf', now, 'LIMIT', 0, 100)
  for _, member in ipairs(gone) do
    redis.call('ZREM', index, member)
    redis.call('ZREM', expiries, member)
  end
  local last = redis.call('ZRANGE', expiries, -1, -1, 'WITHSCORES')
  if last[2] then
    local keep = math.max(1, math.floor(tonumber(last[2]) - now))
    redis.call('PEXPIRE', index, keep)
    redis.call('PEXPIRE', expiries, keep)
  end
end
local function keepAlive()
  expireAt(tonumber(redis.call('HGET', run, 'deadlineAt')) + ttl)
end
local function finish(status, reason)
  redis.call('HSET', run, 'status', status, 'finishedAt', now, 'updatedAt', now)
  if reason ~= '' then redis.call('HSET', run, 'error', reason) end
  emit('run-finished', redis.call('HGET', run, 'node') or '', cjson.encode({status = status, error = reason}))
  expireAt(now + ttl)
end
-- Adds a step's usage; returns why the run must stop (a budget or the deadline), or ''.
local function addUsage(tokens, cost)
  local used = redis.call('HINCRBY', run, 'tokens', tokens)
  local spent = tonumber(redis.call('HINCRBYFLOAT', run, 'costUsd', cost))
  local limits = redis.call('HMGET', run, 'maxTokens', 'maxCostUsd', 'deadlineAt')
  local maxTokens, maxCost, deadline = tonumber(limits[1]) or 0, tonumber(limits[2]) or 0, tonumber(limits[3]) or 0
  if maxTokens > 0 and used > maxTokens then
    return 'token budget exceeded: used ' .. used .. ' of ' .. maxTokens
  end
  if maxCost > 0 and spent > maxCost then
    return string.format('cost budget exceeded: used $%.6f of $%.6f', spent, maxCost)
  end
  if deadline > 0 and now > deadline then
    return 'deadline exceeded: ' .. string.format('%d', now - deadline) .. ' ms past the run deadline'
  end
  return ''
end
-- entry: a JSON object; its index in the history is put first.
local function pushHistory(entry)
  if entry == '' then return end
  local position = redis.call('LLEN', history)
  redis.call('RPUSH', history, '{"index":' .. position .. ',' .. string.sub(entry, 2))
end
`;

/**
 * ARGV[5] fields JSON (flat object of strings), ARGV[6] createdAt, ARGV[7] run-started event data.
 * Returns 1 when created, 0 when a run with this id exists (a retried start).
 */
export const createRunScript = `${header}
if redis.call('EXISTS', run) == 1 then return 0 end
local fields = cjson.decode(ARGV[5])
for name, value in pairs(fields) do redis.call('HSET', run, name, value) end
redis.call('ZADD', index, ARGV[6], id)
emit('run-started', fields.node or '', ARGV[7])
keepAlive()
return 1
`;

/**
 * One step's effect, applied only when the run is at checkpoint ARGV[5]. ARGV[6] next node ('' = the
 * run is complete), ARGV[7] status after the step (running or waiting), ARGV[8] state JSON, ARGV[9]
 * agent conversation JSON ('' = none), ARGV[10] history entry JSON ('' = none), ARGV[11] tokens,
 * ARGV[12] cost (USD), ARGV[13] events JSON, ARGV[14] result JSON ('' = none), ARGV[15] failure ('' =
 * none: the step ends the run as failed), ARGV[16] '1' when the step consumed the pending signal.
 * Returns {'ok', version, status, reason}, {'stale', version}, {'over', status} or {'missing'}.
 */
export const commitStepScript = `${header}
local current = redis.call('HMGET', run, 'status', 'checkpoint')
if not current[1] then return {'missing'} end
if terminal(current[1]) then return {'over', current[1]} end
if current[2] ~= ARGV[5] then return {'stale', current[2]} end
local version = tonumber(current[2]) + 1
redis.call('HSET', run, 'checkpoint', version, 'state', ARGV[8], 'node', ARGV[6], 'status', ARGV[7], 'updatedAt', now)
redis.call('HDEL', run, 'init')
if ARGV[9] == '' then redis.call('HDEL', run, 'conversation') else redis.call('HSET', run, 'conversation', ARGV[9]) end
if ARGV[16] == '1' then redis.call('HDEL', run, 'signal') end
redis.call('DEL', branches)
pushHistory(ARGV[10])
emitAll(ARGV[13])
local stop = addUsage(tonumber(ARGV[11]), tonumber(ARGV[12]))
if ARGV[15] ~= '' then
  finish('failed', ARGV[15])
  return {'ok', version, 'failed', ARGV[15]}
end
if ARGV[6] == '' then
  if ARGV[14] ~= '' then redis.call('HSET', run, 'result', ARGV[14]) end
  finish('completed', '')
  return {'ok', version, 'completed', ''}
end
if stop ~= '' then
  finish('failed', stop)
  return {'ok', version, 'failed', stop}
end
keepAlive()
return {'ok', version, ARGV[7], ''}
`;

/**
 * One LLM turn (or the end) of one fan-out branch of the map step at checkpoint ARGV[5], applied only
 * when the branch has applied exactly ARGV[7] turns. ARGV[6] branch index, ARGV[8] branch JSON,
 * ARGV[9] '1' when the branch is done, ARGV[10] history entry JSON, ARGV[11] tokens, ARGV[12] cost,
 * ARGV[13] events JSON. Returns {'ok', branches done, status, reason}, {'stale-branch', turns, done},
 * {'stale', version}, {'over', status} or {'missing'}.
 */
export const commitBranchScript = `${header}
local current = redis.call('HMGET', run, 'status', 'checkpoint')
if not current[1] then return {'missing'} end
if terminal(current[1]) then return {'over', current[1]} end
if current[2] ~= ARGV[5] then return {'stale', current[2]} end
local turnField = 't:' .. ARGV[6]
local turn = tonumber(redis.call('HGET', branches, turnField) or '0')
local done = tonumber(redis.call('HGET', branches, 'done') or '0')
if turn ~= tonumber(ARGV[7]) then return {'stale-branch', turn, done} end
redis.call('HSET', branches, 'b:' .. ARGV[6], ARGV[8], turnField, turn + 1)
if ARGV[9] == '1' then done = redis.call('HINCRBY', branches, 'done', 1) end
pushHistory(ARGV[10])
emitAll(ARGV[13])
local stop = addUsage(tonumber(ARGV[11]), tonumber(ARGV[12]))
if stop ~= '' then
  finish('failed', stop)
  return {'ok', done, 'failed', stop}
end
keepAlive()
return {'ok', done, current[1], ''}
`;

/**
 * Ends a run that is not over: ARGV[5] checkpoint it must be at ('' = any), ARGV[6] status (failed or
 * cancelled), ARGV[7] reason. Returns {1, request keys} when ended, {0} otherwise.
 */
export const endRunScript = `${header}
local current = redis.call('HMGET', run, 'status', 'checkpoint')
if not current[1] or terminal(current[1]) then return {0} end
if ARGV[5] ~= '' and current[2] ~= ARGV[5] then return {0} end
finish(ARGV[6], ARGV[7])
return {1, redis.call('SMEMBERS', requests)}
`;

/**
 * Hands human input to a run waiting for it: ARGV[5] data JSON. Returns {'ok', checkpoint, node},
 * {'not-waiting', status} or {'missing'}.
 */
export const signalScript = `${header}
local current = redis.call('HMGET', run, 'status', 'checkpoint', 'node')
if not current[1] then return {'missing'} end
if current[1] ~= 'waiting' then return {'not-waiting', current[1]} end
redis.call('HSET', run, 'signal', ARGV[5], 'status', 'running', 'updatedAt', now)
emit('signal', current[3], ARGV[5])
keepAlive()
return {'ok', current[2], current[3]}
`;

/** Remembers a generation request's idempotency key (ARGV[5]) while the run lives. */
export const noteRequestScript = `${header}
if redis.call('EXISTS', run) == 0 then return 0 end
redis.call('SADD', requests, ARGV[5])
local left = redis.call('PTTL', run)
if left > 0 then redis.call('PEXPIRE', requests, left) end
return 1
`;

/** Appends progress events (ARGV[5], JSON as for commits) to a run that is not over; they expire with it. */
export const emitScript = `${header}
local status = redis.call('HGET', run, 'status')
if not status or terminal(status) then return 0 end
emitAll(ARGV[5])
local left = redis.call('PTTL', run)
if left > 0 then redis.call('PEXPIRE', events, left) end
return 1
`;
