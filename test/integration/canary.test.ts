import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/shared/log.js';
import { providerFromSettings } from '../../src/shared/providers/create-provider.js';
import { type AnthropicFake, startAnthropicFake } from '../fakes/anthropic-fake.js';
import { bearerToken } from '../fakes/fake-server.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { createHarness, type Harness } from '../support/generation-harness.js';
import { everyValue } from '../support/redis.js';

const canary = `sk-canary-${randomUUID()}`;

describe('a canary API key used through a run', () => {
  let harness: Harness;
  let openai: OpenAIFake;
  let anthropic: AnthropicFake;
  const lines: string[] = [];

  beforeAll(async () => {
    openai = await startOpenAIFake({ apiKey: canary });
    anthropic = await startAnthropicFake({ apiKey: canary });
    process.env['ATLAS_CANARY_KEY'] = canary;
    process.env['ATLAS_CANARY_WRONG_KEY'] = `${canary}-revoked`;
    harness = await createHarness(
      {
        providers: {
          oa: {
            type: 'openai',
            baseURL: openai.baseURL,
            apiKeyEnv: 'ATLAS_CANARY_KEY',
            breaker: { volumeThreshold: 50 },
          },
          revoked: { type: 'openai', baseURL: openai.baseURL, apiKeyEnv: 'ATLAS_CANARY_WRONG_KEY' },
          an: { type: 'anthropic', baseURL: anthropic.url, apiKeyEnv: 'ATLAS_CANARY_KEY' },
        },
      },
      'canary',
    );
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    await harness.startWorkers({
      createProvider: (name, settings) => providerFromSettings(name, settings),
      log: createLogger({ level: 'trace', destination: sink }),
    });
  });

  afterAll(async () => {
    await harness?.close();
    await openai?.close();
    await anthropic?.close();
  });

  it('is used on the wire but found in no log line and nowhere in Redis', async () => {
    await harness.client.generate({ prompt: 'plain', providers: ['oa'] });
    openai.server.failNext('server-error');
    const failedOver = await harness.client.generate({ prompt: 'fails over', providers: ['oa', 'an'] });
    expect(failedOver.provider).toBe('an');
    const revoked = await harness.client.generate({ prompt: 'revoked key', providers: ['revoked', 'an'] });
    expect(revoked.hops[0]?.error?.kind).toBe('auth');
    openai.server.failNext('invalid-request');
    await expect(harness.client.generate({ prompt: 'bad request', providers: ['oa'] })).rejects.toMatchObject(
      { kind: 'invalid_request' },
    );
    for await (const event of harness.client.stream({ prompt: 'streamed', providers: ['an'] })) void event;

    expect(openai.server.requests.some((request) => bearerToken(request.headers) === canary)).toBe(true);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.filter((line) => line.includes(canary))).toEqual([]);
    const stored = await everyValue(harness.redis, harness.settings.redis.prefix);
    expect(stored.length).toBeGreaterThan(20);
    expect(stored.filter((value) => value.includes(canary))).toEqual([]);
  });
});
