import { afterEach, describe, expect, it } from 'vitest';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { createHarness, type Harness } from '../support/generation-harness.js';

let harness: Harness;
let fake: OpenAIFake;
afterEach(async () => {
  await harness?.close();
  await fake?.close();
});

// The primary is the real OpenAI SDK against the wire fake; the backup a mock. Two worker fleets serve both.
describe.each(['server-error', 'refused', 'hang'] as const)(
  'an instance whose fake goes down (%s)',
  (fault) => {
    it('fails over, opens the breaker for every worker, and closes it with one probe after recovery', async () => {
      fake = await startOpenAIFake();
      process.env['ATLAS_TEST_OUTAGE_KEY'] = fake.apiKey;
      harness = await createHarness({
        providers: {
          primary: {
            type: 'openai',
            baseURL: fake.baseURL,
            apiKeyEnv: 'ATLAS_TEST_OUTAGE_KEY',
            timeoutMs: 400,
            breaker: { volumeThreshold: 2, resetTimeoutMs: 1_000, rollingCountTimeoutMs: 10_000 },
          },
          backup: { type: 'mock' },
        },
      });
      await harness.startWorkers({ workerId: 'one' });
      await harness.startWorkers({ workerId: 'two' });
      const ask = (prompt: string) =>
        harness.client.generate({ prompt, providers: ['primary', 'backup'], strategy: 'failover' });
      expect((await ask('before')).provider).toBe('primary');

      if (fault === 'refused') await fake.server.goDown();
      else fake.server.failAlways(fault);
      for (let i = 0; i < 6; i++) expect((await ask(`during ${i}`)).provider).toBe('backup');
      expect(await harness.breakerOf('primary')).toBe('open');

      if (fault === 'refused') await fake.server.comeBack();
      else fake.server.recover();
      await expect.poll(() => harness.breakerOf('primary'), { timeout: 5_000 }).toBe('half-open');
      const before = fake.server.requests.length;
      expect((await ask('probe')).provider).toBe('primary');
      expect(fake.server.requests.length - before).toBe(1);
      expect(await harness.breakerOf('primary')).toBe('closed');
      expect((await ask('after')).provider).toBe('primary');
    });
  },
);
