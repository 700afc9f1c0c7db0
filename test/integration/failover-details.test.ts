import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

describe('failover details', () => {
  it('waits out a short 429 on the same instance, and fails over on a long one', async () => {
    harness = await createHarness({
      providers: {
        limited: { type: 'mock', failures: [{ kind: 'rate_limited', retryAfterMs: 400 }] },
        'long-limited': { type: 'mock', failures: [{ kind: 'rate_limited', retryAfterMs: 60_000 }] },
        backup: { type: 'mock' },
      },
    });
    await harness.startWorkers();
    const started = Date.now();
    const waited = await harness.client.generate({ prompt: 'short', providers: ['limited', 'backup'] });
    expect(waited.provider).toBe('limited');
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(harness.providers.get('backup')!.calls).toBe(0);
    const moved = await harness.client.generate({ prompt: 'long', providers: ['long-limited', 'backup'] });
    expect(moved.provider).toBe('backup');
    expect(moved.hops[0]).toMatchObject({
      provider: 'long-limited',
      error: { kind: 'rate_limited', retryAfterMs: 60_000 },
    });
  });

  it('a short 429 holds back every worker of the instance, not only the one that got it', async () => {
    harness = await createHarness({
      providers: {
        limited: { type: 'mock', failures: [{ kind: 'rate_limited', retryAfterMs: 500 }] },
        backup: { type: 'mock' },
      },
    });
    // Two fleets stand for two worker processes of the same instance.
    await harness.startWorkers();
    await harness.startWorkers();
    const started = Date.now();
    const first = harness.client.generate({ prompt: 'first', providers: ['limited', 'backup'] });
    await new Promise((resolve) => setTimeout(resolve, 150));
    // A request arriving while the instance waits wakes idle workers; none may call the provider yet.
    const second = harness.client.generate({ prompt: 'second', providers: ['limited', 'backup'] });
    const endedAt = await Promise.all([first, second].map((request) => request.then(() => Date.now())));
    for (const end of endedAt) expect(end - started).toBeGreaterThanOrEqual(450);
    expect((await first).provider).toBe('limited');
    expect((await second).provider).toBe('limited');
    expect(harness.providers.get('backup')!.calls).toBe(0);
  });

  it('tells a stream reader to reset when the provider fails after text was sent', async () => {
    harness = await createHarness({
      providers: { ...mockInstances('breaks', 'backup'), breaks: { type: 'mock', latencyMs: 200 } },
    });
    await harness.startWorkers();
    harness.providers.get('breaks')!.breakStreamAfter = 3;
    const events = [];
    for await (const event of harness.client.stream({
      prompt: 'one two three four five six',
      providers: ['breaks', 'backup'],
    }))
      events.push(event);
    const types = events.map((event) => event.type);
    const reset = types.indexOf('reset');
    expect(reset).toBeGreaterThan(types.indexOf('text-delta'));
    const afterReset = events
      .slice(reset)
      .filter((event) => event.type === 'text-delta')
      .map((event) => (event.type === 'text-delta' ? event.data.text : ''))
      .join('');
    expect(afterReset).toBe('Mock reply from backup (mock-standard) to: one two three four five six');
    expect(events.at(-1)).toMatchObject({ type: 'completed', instance: 'backup' });
  });

  it('gives finished records and streams an expiry, and trims finished jobs', async () => {
    harness = await createHarness({
      providers: mockInstances('m'),
      generation: { recordTtlMs: 60_000 },
      workers: { keepCompleted: { ageSeconds: 60, count: 2 } },
    });
    await harness.startWorkers();
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await harness.client.submit({ prompt: `r${i}`, providers: ['m'] }));
    for (const id of ids) await harness.client.wait(id);
    const ttl = await harness.redis.pttl(harness.keys.request(ids[0]!));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await harness.redis.pttl(harness.keys.events(ids[0]!))).toBeGreaterThan(0);
    const completed = await harness.client['queues'].get('m').getJobCounts('completed');
    expect(completed['completed']).toBeLessThanOrEqual(2);
  });

  it('routes queue-aware to the instance with the least backlog per live worker', async () => {
    harness = await createHarness({ providers: mockInstances('busy', 'idle') });
    await harness.startWorkers({ providers: ['busy', 'idle'] });
    // A backlog on `busy`: jobs it will not reach soon, because their hop is not the record's.
    const queue = harness.client['queues'].get('busy');
    await queue.addBulk(
      Array.from({ length: 50 }, (_, index) => ({
        name: 'generate',
        data: { requestId: 'none', attempt: index },
        opts: { delay: 60_000 },
      })),
    );
    await queue.pause();
    await queue.addBulk(
      Array.from({ length: 20 }, (_, index) => ({
        name: 'generate',
        data: { requestId: 'none', attempt: index },
      })),
    );
    const plan = await harness.client.plan({
      prompt: 'x',
      providers: ['busy', 'idle'],
      strategy: 'queue_aware',
    });
    expect(plan.map((step) => step.instance)).toEqual(['idle', 'busy']);
    await queue.obliterate({ force: true });
  });
});
