import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AtlasClient } from '../../src/producer/atlas-client.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';
import { runCliInProcess } from '../support/run-cli.js';

let harness: Harness;
const extraClients: AtlasClient[] = [];
afterEach(async () => {
  await Promise.all(extraClients.map((client) => client.close()));
  extraClients.length = 0;
  await harness?.close();
});

describe('routing plans from the fleet', () => {
  it('spreads round-robin evenly across two producers sharing the Redis counter', async () => {
    harness = await createHarness({ providers: mockInstances('a', 'b', 'c'), strategy: 'round_robin' });
    const dir = mkdtempSync(join(tmpdir(), 'atlas-rr-'));
    const config = join(dir, 'atlas.config.json');
    writeFileSync(
      config,
      JSON.stringify({ providers: mockInstances('a', 'b', 'c'), strategy: 'round_robin' }),
    );
    // The other producer is the CLI, with its own settings and Redis connections: only the counter in
    // Redis is shared.
    const otherProducer = {
      REDIS_URL: harness.settings.redis.url,
      ATLAS_PREFIX: harness.settings.redis.prefix,
      ATLAS_CONFIG: config,
      ...(harness.settings.redis.cluster
        ? { ATLAS_REDIS_CLUSTER: harness.settings.redis.cluster.join(',') }
        : {}),
    };
    const first: string[] = [];
    for (let i = 0; i < 6; i++) {
      first.push((await harness.client.plan({ prompt: `q${i}`, providers: ['a', 'b', 'c'] }))[0]!.instance);
      const result = await runCliInProcess(
        ['query', '-q', `q${i}`, '--providers', 'a', 'b', 'c', '--plan', '--json'],
        otherProducer,
      );
      first.push(JSON.parse(result.stdout)[0].instance);
    }
    const counts = Object.fromEntries(
      ['a', 'b', 'c'].map((name) => [name, first.filter((provider) => provider === name).length]),
    );
    expect(counts).toEqual({ a: 4, b: 4, c: 4 });
    expect(first.slice(0, 3)).toEqual(['a', 'b', 'c']);
  });

  it('routes cost-optimized to the cheapest model and task-aware to the strongest', async () => {
    harness = await createHarness({
      providers: {
        basic: { type: 'mock', defaultModel: 'mock-basic' },
        advanced: { type: 'mock', defaultModel: 'mock-advanced' },
        priced: {
          type: 'mock',
          models: [{ id: 'mock-priced', inputPricePerMillion: 5, outputPricePerMillion: 20 }],
          defaultModel: 'mock-priced',
        },
      },
    });
    await harness.startWorkers();
    const cheap = await harness.client.plan({
      prompt: 'x',
      providers: ['priced', 'advanced'],
      strategy: 'cost_optimized',
    });
    expect(cheap.map((step) => step.instance)).toEqual(['advanced', 'priced']);
    const code = await harness.client.generate({
      prompt: 'Write a function to calculate the factorial of a number',
      providers: ['basic', 'advanced'],
      strategy: 'task_aware',
    });
    expect(code.provider).toBe('advanced');
    const byCapability = await harness.client.plan({
      prompt: 'x',
      providers: ['basic', 'advanced'],
      strategy: 'task_aware',
      capabilities: { reasoning: 1 },
    });
    expect(byCapability[0]?.instance).toBe('advanced');
  });

  it('puts instances with no live worker at the back of new plans', async () => {
    harness = await createHarness({ providers: mockInstances('idle', 'busy') });
    await harness.startWorkers({ providers: ['busy'] });
    const plan = await harness.client.plan({ prompt: 'x', providers: ['idle', 'busy'] });
    expect(plan.map((step) => step.instance)).toEqual(['busy', 'idle']);
  });

  it('cancels mid-stream: the stream ends as cancelled and the provider call stops', async () => {
    harness = await createHarness({ providers: { slow: { type: 'mock', latencyMs: 3_000 } } });
    await harness.startWorkers();
    const started = Date.now();
    const prompt = Array.from({ length: 30 }, (_, index) => `word${index}`).join(' ');
    const id = await harness.client.submit({ prompt, providers: ['slow'], stream: true });
    const events = [];
    for await (const event of harness.client.stream({ requestId: id })) {
      events.push(event);
      if (event.type === 'text-delta' && events.filter((seen) => seen.type === 'text-delta').length === 2) {
        await harness.client.cancel(id);
      }
    }
    expect(events.at(-1)).toMatchObject({ type: 'failed', data: { error: { kind: 'cancelled' } } });
    expect((await harness.client.get(id))?.status).toBe('cancelled');
    const job = await harness.client['queues'].get('slow').getJob(harness.keys.generationJobId(id, 0));
    await expect.poll(async () => (await job?.isCompleted()) ?? false).toBe(true);
    expect(
      (await harness.client['queues'].get('slow').getJob(harness.keys.generationJobId(id, 0)))?.returnvalue,
    ).toBe('cancelled');
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('removes a waiting job when its request is cancelled', async () => {
    harness = await createHarness({ providers: mockInstances('nobody') });
    const id = await harness.client.submit({ prompt: 'never served', providers: ['nobody'] });
    expect(await harness.client.cancel(id)).toBe(true);
    expect(
      await harness.client['queues'].get('nobody').getJob(harness.keys.generationJobId(id, 0)),
    ).toBeUndefined();
    await expect(harness.client.wait(id)).rejects.toMatchObject({ kind: 'cancelled' });
  });
});
