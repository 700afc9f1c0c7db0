import type { Queue } from 'bullmq';
import type { Redis } from '../shared/redis.js';
import { runScript } from '../shared/run-script.js';

/** Jobs looked at per queue and sweep. */
const batch = 200;

/**
 * Fails a job, atomically, if its data is still not JSON: out of the active and wait lists, into the
 * failed set with the reason; its bytes are kept aside in `unreadableData`.
 * KEYS: job hash, its lock, active list, wait list, failed set. ARGV: job id, reason, now.
 */
const failUnreadableScript = `
local data = redis.call('HGET', KEYS[1], 'data')
if not data or pcall(cjson.decode, data) then return 0 end
local removed = redis.call('LREM', KEYS[3], 0, ARGV[1]) + redis.call('LREM', KEYS[4], 0, ARGV[1])
if removed == 0 then return 0 end
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[1], 'unreadableData', string.sub(data, 1, 10000), 'data', '{}',
  'failedReason', ARGV[2], 'finishedOn', ARGV[3])
redis.call('ZADD', KEYS[5], ARGV[3], ARGV[1])
return 1
`;

/**
 * Jobs whose stored data is not JSON (written into Redis by hand, or damaged) cannot be read by
 * BullMQ: a worker takes one and fails to parse it before any processor runs, so it cycles between
 * active and stalled and at best fails as "stalled". Once such a job has stalled, this fails it with
 * a reason that says what is wrong. Returns how many were failed.
 */
export async function failUnreadableJobs(redis: Redis, queue: Queue): Promise<number> {
  const ids = [
    ...(await redis.lrange(queue.keys.active!, 0, batch - 1)),
    ...(await redis.lrange(queue.keys.wait!, 0, batch - 1)),
  ];
  if (ids.length === 0) return 0;
  const pipeline = redis.pipeline();
  for (const id of ids) pipeline.hmget(queue.toKey(id), 'data', 'stc');
  const rows = (await pipeline.exec()) ?? [];
  let failed = 0;
  for (const [index, [error, fields]] of rows.entries()) {
    const id = ids[index]!;
    const [data, stalled] = (fields ?? []) as Array<string | null | undefined>;
    if (error || typeof data !== 'string' || Number(stalled ?? 0) < 1 || parses(data)) continue;
    const reason = `job ${id} in ${queue.name}: its data is not JSON (${data.length} bytes starting ${JSON.stringify(data.slice(0, 40))})`;
    const jobKey = queue.toKey(id);
    const moved = await runScript(
      redis,
      failUnreadableScript,
      [jobKey, `${jobKey}:lock`, queue.keys.active!, queue.keys.wait!, queue.keys.failed!],
      [id, reason, Date.now()],
    );
    if (moved === 1) failed++;
  }
  return failed;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
