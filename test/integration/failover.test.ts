import { afterEach, describe, expect, it } from 'vitest';
import { RequestFailedError } from '../../src/shared/errors.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

describe('failover by re-queue', () => {
  it('completes on the next instance when the first is unavailable, listing both hops', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a', 'mock-b') });
    await harness.startWorkers();
    harness.providers.get('mock-a')!.down = 'unavailable';
    const events = [];
    for await (const event of harness.client.stream({ prompt: 'hello', providers: ['mock-a', 'mock-b'] }))
      events.push(event);
    const completed = events.at(-1);
    expect(completed?.type).toBe('completed');
    if (completed?.type !== 'completed') throw new Error(`expected completed, got ${completed?.type}`);
    const result = completed.data.result;
    expect(result.provider).toBe('mock-b');
    expect(result.hops.map((hop) => [hop.provider, hop.error?.kind])).toEqual([
      ['mock-a', 'unavailable'],
      ['mock-b', undefined],
    ]);
    expect(events.map((event) => event.type)).toContain('failover');
    // No text had been sent before the failover, so the consumer never sees a reset.
    expect(events.map((event) => event.type)).not.toContain('reset');
  });

  it('opens the breaker for every worker of a failing instance, and one probe closes it after recovery', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a', 'mock-b') });
    await harness.startWorkers({ workerId: 'one' });
    await harness.startWorkers({ workerId: 'two' });
    const flaky = harness.providers.get('mock-a')!;
    flaky.down = 'unavailable';
    for (let i = 0; i < 6; i++) {
      const result = await harness.client.generate({ prompt: `r${i}`, providers: ['mock-a', 'mock-b'] });
      expect(result.provider).toBe('mock-b');
    }
    expect(await harness.breakerOf('mock-a')).toBe('open');
    const callsWhenOpen = flaky.calls;
    // Producers put the open instance at the back once their health read (kept healthCacheMs) is renewed,
    // and its workers fail fast without calling it.
    await expect
      .poll(
        async () =>
          (await harness.client.plan({ prompt: 'x', providers: ['mock-a', 'mock-b'] }))[0]?.instance,
      )
      .toBe('mock-b');
    const viaOpen = await harness.client.generate({
      prompt: 'x',
      providers: ['mock-a', 'mock-b'],
      strategy: 'failover',
    });
    expect(viaOpen.provider).toBe('mock-b');
    expect(flaky.calls).toBe(callsWhenOpen);

    flaky.down = undefined;
    await expect.poll(() => harness.breakerOf('mock-a'), { timeout: 5_000 }).toBe('half-open');
    const probed = await harness.client.generate({ prompt: 'probe', providers: ['mock-a', 'mock-b'] });
    expect(probed.provider).toBe('mock-a');
    expect(flaky.calls).toBe(callsWhenOpen + 1);
    expect(await harness.breakerOf('mock-a')).toBe('closed');
    const after = await harness.client.generate({ prompt: 'back', providers: ['mock-a', 'mock-b'] });
    expect(after.provider).toBe('mock-a');
  });

  it('ends with every hop listed at the deadline when every instance is down', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a', 'mock-b') });
    await harness.startWorkers();
    harness.providers.get('mock-a')!.down = 'unavailable';
    harness.providers.get('mock-b')!.down = 'timeout';
    // The first requests fail at once: the breakers are not open yet, so there is nothing to wait for.
    for (let i = 0; i < 3; i++) {
      await expect(
        harness.client.generate({ prompt: 'warm', providers: ['mock-a', 'mock-b'], deadlineMs: 1_000 }),
      ).rejects.toBeInstanceOf(RequestFailedError);
    }
    const started = Date.now();
    const error = (await harness.client
      .generate({ prompt: 'waits', providers: ['mock-a', 'mock-b'], deadlineMs: 2_500 })
      .catch((caught: unknown) => caught)) as RequestFailedError;
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(RequestFailedError);
    expect(error.message).toMatch(/mock-a: .*mock-b: /);
    expect(error.hops.length).toBeGreaterThanOrEqual(2);
    // It waited for a recovery instead of failing at once, and did not outlive its deadline by much.
    expect(elapsed).toBeGreaterThan(900);
    expect(elapsed).toBeLessThan(6_000);
  });

  it('waits while every instance is open and succeeds when one recovers before the deadline', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a', 'mock-b') });
    await harness.startWorkers();
    harness.providers.get('mock-a')!.down = 'unavailable';
    harness.providers.get('mock-b')!.down = 'unavailable';
    for (let i = 0; i < 3; i++) {
      await harness.client
        .generate({ prompt: 'warm', providers: ['mock-a', 'mock-b'], deadlineMs: 1_000 })
        .catch(() => undefined);
    }
    const pending = harness.client.generate({
      prompt: 'patient',
      providers: ['mock-a', 'mock-b'],
      deadlineMs: 8_000,
    });
    setTimeout(() => {
      harness.providers.get('mock-b')!.down = undefined;
    }, 1_200);
    const result = await pending;
    expect(result.provider).toBe('mock-b');
    expect(result.text).toContain('patient');
  });

  it('moves requests out of a queue that no live worker serves', async () => {
    harness = await createHarness({ providers: mockInstances('ghost', 'mock-b') });
    // Submitted while nobody serves anything: the plan keeps its order, ghost first.
    const ids = await Promise.all(
      [1, 2, 3].map((n) =>
        harness.client.submit({ prompt: `stranded ${n}`, providers: ['ghost', 'mock-b'] }),
      ),
    );
    await harness.startWorkers({ providers: ['mock-b'] });
    const results = await Promise.all(ids.map((id) => harness.client.wait(id, { timeoutMs: 10_000 })));
    for (const result of results) {
      expect(result.provider).toBe('mock-b');
      expect(result.hops[0]).toMatchObject({ provider: 'ghost', error: { kind: 'unavailable' } });
    }
  });
});
