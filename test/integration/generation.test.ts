import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { RequestFailedError, ValidationError } from '../../src/shared/errors.js';
import { duplicateRedis } from '../../src/shared/redis.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

describe('generation through the queue', () => {
  it('generates a result on the first instance of the plan', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a', 'mock-b') });
    await harness.startWorkers();
    const result = await harness.client.generate({ prompt: 'Say hello', providers: ['mock-a', 'mock-b'] });
    expect(result.text).toBe('Mock reply from mock-a (mock-standard) to: Say hello');
    expect(result.provider).toBe('mock-a');
    expect(result.hops).toHaveLength(1);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('submits at once and lets any caller get and wait on the request', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a') });
    const id = await harness.client.submit({ messages: [{ role: 'user', content: 'queued first' }] });
    expect((await harness.client.get(id))?.status).toBe('queued');
    await harness.startWorkers();
    const result = await harness.client.wait(id);
    expect(result.text).toContain('queued first');
    const state = await harness.client.get(id);
    expect(state?.status).toBe('completed');
    expect(state?.result?.text).toBe(result.text);
  });

  it('streams events through the queue with the same text the provider sent', async () => {
    harness = await createHarness({ providers: { m: { type: 'mock', latencyMs: 50 } } });
    await harness.startWorkers();
    const events = [];
    for await (const event of harness.client.stream({
      prompt: 'one two three four five six seven eight',
      providers: ['m'],
    })) {
      events.push(event);
    }
    const types = events.map((event) => event.type);
    expect(types[0]).toBe('queued');
    expect(types).toContain('started');
    expect(types.at(-1)).toBe('completed');
    const streamed = events.map((event) => (event.type === 'text-delta' ? event.data.text : '')).join('');
    const completed = events.at(-1);
    expect(completed?.type === 'completed' && completed.data.result.text).toBe(streamed);
    expect(streamed).toBe('Mock reply from m (mock-standard) to: one two three four five six seven eight');
  });

  it('lets a reader that reconnects read on from the last event it saw', async () => {
    harness = await createHarness({ providers: { m: { type: 'mock', latencyMs: 100 } } });
    await harness.startWorkers();
    const id = await harness.client.submit({ prompt: 'a b c d e f g h i j', providers: ['m'], stream: true });
    const first = [];
    for await (const event of harness.client.stream({ requestId: id })) {
      first.push(event);
      if (first.length === 3) break;
    }
    const rest = [];
    for await (const event of harness.client.stream({ requestId: id }, { after: first.at(-1)!.id }))
      rest.push(event);
    const all = [...first, ...rest];
    expect(new Set(all.map((event) => event.id)).size).toBe(all.length);
    expect(all.at(-1)?.type).toBe('completed');
    const text = all.map((event) => (event.type === 'text-delta' ? event.data.text : '')).join('');
    const last = all.at(-1)!;
    expect(last.type === 'completed' && last.data.result.text).toBe(text);
  });

  it('lets a stream consumer pause and resume: events wait in Redis, none is lost', async () => {
    harness = await createHarness({ providers: { m: { type: 'mock' } }, generation: { deltaFlushMs: 0 } });
    await harness.startWorkers();
    const words = Array.from({ length: 400 }, (_, index) => `w${index}`).join(' ');
    let text = '';
    let seen = 0;
    for await (const event of harness.client.stream({ prompt: words, providers: ['m'] })) {
      if (++seen === 5) await new Promise((resolve) => setTimeout(resolve, 500));
      if (event.type === 'text-delta') text += event.data.text;
    }
    expect(seen).toBeGreaterThan(400);
    expect(text).toBe(`Mock reply from m (mock-standard) to: ${words}`);
  });

  it('rejects malformed requests naming the field, and enqueues nothing', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a') });
    const attempts: Array<[unknown, string]> = [
      [{}, 'request.messages'],
      [{ prompt: ' \n ' }, 'request.prompt'],
      [{ prompt: 'x', maxTokens: -1 }, 'request.maxTokens'],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'request.messages[0].role'],
      [{ prompt: 'x', providers: ['nope'] }, 'request.providers[0]'],
      [{ prompt: 'x', strategy: 'fastest' }, 'request.strategy'],
      [{ prompt: 'x', max_tokens: 5 }, 'request'],
      [{ prompt: 'x', temperature: 9 }, 'request.temperature'],
    ];
    for (const [request, field] of attempts) {
      const error = await harness.client.submit(request as never).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe(field);
    }
    const queue = new Queue(harness.keys.generationQueue('mock-a'), {
      connection: harness.redis,
      prefix: harness.keys.bullPrefix,
    });
    expect(await queue.count()).toBe(0);
    expect(await harness.redis.keys(`${harness.settings.redis.prefix}:req:*`)).toEqual([]);
    await queue.close();
  });

  it('fails a poison job with a clear error and keeps serving', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a') });
    await harness.startWorkers();
    const name = harness.keys.generationQueue('mock-a');
    const queue = new Queue(name, { connection: harness.redis, prefix: harness.keys.bullPrefix });
    const events = new QueueEvents(name, {
      connection: duplicateRedis(harness.redis, { role: 'blocking' }),
      prefix: harness.keys.bullPrefix,
    });
    await events.waitUntilReady();
    const failed = new Promise<string>((resolve) =>
      events.once('failed', ({ failedReason }) => resolve(failedReason)),
    );
    await queue.add('generate', { hello: 'world' } as never, { jobId: 'poison' });
    expect(await failed).toMatch(/data\.requestId: .*expected \{requestId: string, attempt: integer\}/);
    const result = await harness.client.generate({ prompt: 'still serving', providers: ['mock-a'] });
    expect(result.text).toContain('still serving');
    await events.close();
    await queue.close();
  });

  it('enqueues a continuation with the result, once', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a') });
    await harness.startWorkers();
    const received: unknown[] = [];
    const consumer = new Worker(
      'next-step',
      async (job) => {
        received.push(job.data);
      },
      {
        connection: duplicateRedis(harness.redis, { role: 'blocking' }),
        prefix: harness.keys.bullPrefix,
      },
    );
    const result = await harness.client.generate({
      prompt: 'continue me',
      providers: ['mock-a'],
      continuation: { queue: 'next-step', payload: { runId: 'r1', step: 2 } },
    });
    await expect.poll(() => received.length).toBe(1);
    expect(received[0]).toMatchObject({
      status: 'completed',
      result: { text: result.text },
      payload: { runId: 'r1', step: 2 },
    });
    await consumer.close();
  });

  it('fails at once on invalid_request, without failing over', async () => {
    harness = await createHarness({ providers: mockInstances('mock-a', 'mock-b') });
    await harness.startWorkers();
    harness.providers.get('mock-a')!.down = 'invalid_request';
    const error = await harness.client
      .generate({ prompt: 'bad', providers: ['mock-a', 'mock-b'] })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect((error as RequestFailedError).kind).toBe('invalid_request');
    expect(harness.providers.get('mock-b')!.calls).toBe(0);
  });
});
