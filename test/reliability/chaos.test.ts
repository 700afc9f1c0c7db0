import { describe, expect, it } from 'vitest';
import { runChaos, summaryLine } from './chaos-run.js';

// The short form of `npm run chaos`, on a redis-server of its own (never REDIS_URL's): worker processes
// SIGKILLed at random and respawned, Redis restarted on its AOF, the provider's fake cut on and off.
describe('chaos (short form)', () => {
  it('loses nothing, repeats no effect and ends every request by its deadline', async () => {
    const counts = await runChaos({
      requests: 600,
      batches: 2,
      durationMs: 12_000,
      deadlineMs: 20_000,
      redisRestarts: 1,
      generationWorkers: 3,
    });
    const line = summaryLine(counts);
    expect(line, JSON.stringify(counts)).toMatch(
      /^accepted \d+, completed \d+, failed-with-reason \d+, lost 0, duplicated 0, late 0$/,
    );
    expect(counts.accepted).toBeGreaterThan(550);
    expect(counts.completed + counts.failedWithReason).toBe(counts.accepted);
    expect(counts.kills).toBeGreaterThan(0);
    expect(counts.redisRestarts).toBe(1);
    expect(counts.fakeOutages).toBeGreaterThan(0);
    expect(counts.documents.written).toBe(counts.documents.expected);
  }, 60_000);
});
