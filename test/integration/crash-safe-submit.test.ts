import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestFailedError } from '../../src/shared/errors.js';
import { GenerationQueues } from '../../src/shared/requests/generation-queues.js';
import { createHarness, type Harness, mockInstances } from '../support/generation-harness.js';

let harness: Harness;
afterEach(async () => {
  vi.restoreAllMocks();
  await harness?.close();
});

/** The next job add fails, as if the submitting process died right after accepting the request. */
function failNextAdd(): void {
  vi.spyOn(GenerationQueues.prototype, 'addAttempt').mockRejectedValueOnce(
    new Error('connection lost before the job was added'),
  );
}

describe('crash-safe submit', () => {
  it('a request accepted without its job is enqueued by the sweeper, and a retry gets the same id and result', async () => {
    harness = await createHarness({ providers: mockInstances('m'), generation: { acceptRepairMs: 200 } });
    failNextAdd();
    const request = {
      prompt: 'accepted, then the producer died',
      providers: ['m'],
      idempotencyKey: 'order-1',
    };
    await expect(harness.client.submit(request)).rejects.toThrow(/connection lost/);
    const id = (await harness.redis.get(harness.keys.idempotency('order-1')))!;
    expect((await harness.client.get(id))?.status).toBe('queued');
    expect(await harness.redis.zscore(harness.keys.acceptedRequests, id)).not.toBeNull();

    await harness.startWorkers();
    const result = await harness.client.wait(id);
    expect(result.text).toContain('accepted, then the producer died');
    expect(await harness.redis.zscore(harness.keys.acceptedRequests, id)).toBeNull();

    expect(await harness.client.submit(request)).toBe(id);
    expect(await harness.client.generate(request)).toEqual(result);
  });

  it('a retry with the same idempotency key adds the missing job itself', async () => {
    harness = await createHarness({ providers: mockInstances('m'), generation: { acceptRepairMs: 60_000 } });
    await harness.startWorkers({ sweep: false });
    failNextAdd();
    const request = { prompt: 'retried', providers: ['m'], idempotencyKey: 'order-2' };
    await expect(harness.client.submit(request)).rejects.toThrow(/connection lost/);
    const id = await harness.client.submit(request);
    expect(id).toBe(await harness.redis.get(harness.keys.idempotency('order-2')));
    expect((await harness.client.wait(id)).text).toContain('retried');
  });

  it('fails a request left without a job past its deadline, with the reason', async () => {
    harness = await createHarness({ providers: mockInstances('m'), generation: { acceptRepairMs: 100 } });
    failNextAdd();
    await expect(
      harness.client.submit({
        prompt: 'too late',
        providers: ['m'],
        deadlineMs: 300,
        idempotencyKey: 'late',
      }),
    ).rejects.toThrow(/connection lost/);
    const id = (await harness.redis.get(harness.keys.idempotency('late')))!;
    await new Promise((resolve) => setTimeout(resolve, 350));
    await harness.startWorkers();
    const error = await harness.client.wait(id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect((error as RequestFailedError).message).toMatch(
      /accepted but never enqueued, and its deadline passed/,
    );
  });

  it('wait gives up at the request deadline when nothing ends it', async () => {
    harness = await createHarness({ providers: mockInstances('nobody') });
    const started = Date.now();
    const id = await harness.client.submit({ prompt: 'unserved', providers: ['nobody'], deadlineMs: 200 });
    const error = await harness.client.wait(id).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RequestFailedError);
    expect((error as RequestFailedError).kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect((await harness.client.get(id))?.status).toBe('failed');
  });
});
