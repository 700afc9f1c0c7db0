import { afterEach, describe, expect, it } from 'vitest';
import {
  decodeEvent,
  MalformedEventError,
  type RequestEvent,
} from '../../src/shared/requests/request-events.js';
import { RequestStore } from '../../src/shared/requests/request-store.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

let harness: Harness;
afterEach(async () => {
  await harness?.close();
});

/** Every entry of a request's stream, read raw and decoded one by one. */
async function rawEvents(id: string): Promise<Array<{ id: string; fields: string[]; event: RequestEvent }>> {
  const entries = await harness.redis.xrange(harness.keys.events(id), '-', '+');
  return entries.map(([entryId, fields]) => ({ id: entryId, fields, event: decodeEvent(fields, entryId) }));
}

describe('request events', () => {
  it('writes every event through the scripts, and each decodes with its type and data', async () => {
    harness = await createHarness({
      providers: { ...mockInstances('breaks', 'backup'), breaks: { type: 'mock', latencyMs: 100 } },
    });
    await harness.startWorkers();
    harness.providers.get('breaks')!.breakStreamAfter = 2;
    const id = await harness.client.submit({
      prompt: 'one two three four five six',
      providers: ['breaks', 'backup'],
      stream: true,
    });
    const streamed: RequestEvent[] = [];
    for await (const event of harness.client.stream({ requestId: id })) streamed.push(event);

    const raw = await rawEvents(id);
    const types = raw.map(({ event }) => event.type);
    expect(types.slice(0, 3)).toEqual(['queued', 'started', 'text-delta']);
    expect(types).toContain('failover');
    expect(types.indexOf('reset')).toBe(types.indexOf('failover') + 1);
    expect(types.at(-1)).toBe('completed');
    expect(streamed.map((event) => event.type)).toEqual(types);

    for (const { event } of raw) {
      // Typed data, no casts: each branch reads fields only its type has.
      switch (event.type) {
        case 'queued':
          expect(event.data.plan.map((step) => step.instance)).toEqual(['breaks', 'backup']);
          expect(event.instance).toBe('breaks');
          break;
        case 'started':
          expect([0, 1]).toContain(event.data.attempt);
          break;
        case 'text-delta':
          expect(event.data.text.length).toBeGreaterThan(0);
          break;
        case 'failover':
          expect(event.data).toMatchObject({ from: 'breaks', to: 'backup', error: { kind: 'unavailable' } });
          break;
        case 'reset':
          expect(event.data).toEqual({});
          break;
        case 'completed':
          expect(event.data.result.provider).toBe('backup');
          expect(event.data.result.hops.map((hop) => hop.provider)).toEqual(['breaks', 'backup']);
          break;
        case 'failed':
          throw new Error('this request completes');
      }
    }
    const started = raw.flatMap(({ event }) => (event.type === 'started' ? [event] : []));
    expect(started.map((event) => [event.instance, event.data.attempt])).toEqual([
      ['breaks', 0],
      ['backup', 1],
    ]);
    const record = await harness.client.get(id);
    expect(record?.attempts.map((attempt) => attempt.instance)).toEqual(['breaks', 'backup']);
  });

  it('writes a failed event with no attempts as an empty list', async () => {
    harness = await createHarness({ providers: mockInstances('idle') });
    const id = await harness.client.submit({ prompt: 'never run', providers: ['idle'] });
    expect(await harness.client.cancel(id)).toBe(true);
    const raw = await rawEvents(id);
    const failed = raw.at(-1)!;
    expect(failed.event.type).toBe('failed');
    if (failed.event.type !== 'failed') return;
    expect(failed.event.data.attempts).toEqual([]);
    expect(failed.event.data.error.kind).toBe('cancelled');
    const data = failed.fields[failed.fields.indexOf('data') + 1]!;
    expect(JSON.parse(data)).toMatchObject({ attempts: [] });

    // The store's own finish, with no attempt given and none made, writes the same.
    const store = new RequestStore(harness.redis, harness.keys, harness.settings.generation.recordTtlMs);
    const other = await harness.client.submit({ prompt: 'also never run', providers: ['idle'] });
    await store.finish({
      id: other,
      status: 'failed',
      error: { kind: 'unavailable', message: 'nothing serves it' },
      attempts: [],
    });
    const last = (await store.readEvents({ id: other })).at(-1)!.event;
    expect(last).toMatchObject({ type: 'failed', data: { attempts: [], error: { kind: 'unavailable' } } });
  });

  it('reports a malformed entry as a named error naming the entry and the field, and reads on', async () => {
    harness = await createHarness({ providers: mockInstances('m') });
    const id = await harness.client.submit({ prompt: 'x', providers: ['m'] });
    const events = harness.keys.events(id);
    const garbage = (await harness.redis.xadd(
      events,
      '*',
      'type',
      'text-delta',
      'at',
      '1',
      'data',
      '{"tex":1}',
    ))!;

    const store = new RequestStore(harness.redis, harness.keys, harness.settings.generation.recordTtlMs);
    const thrown = await store.readEvents({ id }).catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(MalformedEventError);
    expect(thrown).toMatchObject({ name: 'MalformedEventError', entryId: garbage, field: 'event.data.text' });
    expect(() => decodeEvent(['type', 'exploded', 'at', '1', 'data', '{}'], '1-1')).toThrow(
      /malformed request event 1-1: event\.type: expected one of queued, .*got "exploded"/,
    );
    expect(() => decodeEvent(['type', 'reset', 'at', '1', 'data', 'not json'], '1-2')).toThrow(
      MalformedEventError,
    );

    // A stream reader gets the error in its turn; the reader itself goes on serving other streams.
    const seen: string[] = [];
    const failure = await (async () => {
      for await (const event of harness.client.stream({ requestId: id })) seen.push(event.type);
    })().catch((error: unknown) => error);
    expect(seen).toEqual(['queued']);
    expect(failure).toBeInstanceOf(MalformedEventError);
    await harness.startWorkers();
    // `wait` steps over the bad entry and returns the result.
    expect((await harness.client.wait(id)).text).toContain('Mock reply from m');
    const rest = [];
    for await (const event of harness.client.stream({ requestId: id }, { after: garbage }))
      rest.push(event.type);
    expect(rest).toEqual(['started', 'completed']);
  });
});
