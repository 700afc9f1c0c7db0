import type { Keys } from '../keys.js';
import type { Redis } from '../redis.js';
import { runScript } from '../run-script.js';

export interface CollectionWriterOptions {
  /** How long a turn lasts unless its holder renews it: what a killed holder costs the others. @default 5000 */
  turnMs?: number;
  /** How often a process waiting for its turn asks again. @default 10 */
  pollMs?: number;
}

/**
 * Takes the turn if it is free and no other process queued for it first. A process that finds the turn
 * taken queues itself as next (for a few polls, so a waiter that died stops counting): without this a
 * holder with more to write would release and take the turn again within one round trip, and a
 * process that only polls would hardly ever get in.
 */
const takeScript = `
local next = redis.call('GET', KEYS[2])
if next and next ~= ARGV[1] then return 0 end
if redis.call('EXISTS', KEYS[1]) == 1 then
  redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[3])
  return 0
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`;

/** Ends a turn only if it is still the caller's (a turn that expired may be someone else's now). */
const releaseScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

const renewScript = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`;

/**
 * Turns at committing to a collection, taken one process at a time across the fleet. Two processes
 * committing to one embedded (LanceDB) table at once conflict, and the loser redoes its whole write;
 * waiting for the turn instead costs nothing, since the waiting process's writes keep gathering into
 * one bigger commit. A turn only spares work: it is not what keeps writes correct (the store's own
 * versioning is), so a turn that lapses, or Redis that does not answer, lets the write go ahead.
 */
export class CollectionWriter {
  private readonly turnMs: number;
  private readonly pollMs: number;
  private turns = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly owner: string,
    options: CollectionWriterOptions = {},
  ) {
    this.turnMs = options.turnMs ?? 5_000;
    this.pollMs = options.pollMs ?? 10;
  }

  /** Runs `write` in this process's turn at the collection, waiting for it if another process has it. */
  async run<T>(collection: string, write: () => Promise<T>): Promise<T> {
    const key = this.keys.collectionWriter(collection);
    const token = `${this.owner}:${++this.turns}`;
    let held = false;
    try {
      const queued = this.pollMs * 5;
      while (
        (await runScript(this.redis, takeScript, [key, `${key}:next`], [token, this.turnMs, queued])) !== 1
      )
        await new Promise((resolve) => setTimeout(resolve, this.pollMs));
      held = true;
    } catch {
      // Redis refused (a command connection that gave up): the write goes ahead without a turn, as a
      // lone writer would. On the worker's own connection a command waits for Redis to come back instead.
    }
    if (!held) return write();
    const renewal = setInterval(
      () => void runScript(this.redis, renewScript, [key], [token, this.turnMs]).catch(() => undefined),
      this.turnMs / 3,
    );
    renewal.unref();
    try {
      return await write();
    } finally {
      clearInterval(renewal);
      await runScript(this.redis, releaseScript, [key], [token]).catch(() => undefined);
    }
  }
}
