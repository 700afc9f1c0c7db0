import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config/provider-settings.js';
import { AtlasError } from '../../src/shared/errors.js';
import { AnthropicProvider } from '../../src/shared/providers/anthropic/anthropic-provider.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { OpenAIProvider } from '../../src/shared/providers/openai/openai-provider.js';
import { ProviderGroup } from '../../src/shared/providers/provider-group.js';
import { type AnthropicFake, startAnthropicFake } from '../fakes/anthropic-fake.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';

describe('ProviderGroup in-process, with real SDKs against the fakes', () => {
  let openaiFake: OpenAIFake;
  let anthropicFake: AnthropicFake;
  let group: ProviderGroup;
  const ask = { messages: [{ role: 'user' as const, content: 'Say hello' }] };

  beforeAll(async () => {
    openaiFake = await startOpenAIFake();
    anthropicFake = await startAnthropicFake();
    const openai = new OpenAIProvider({
      name: 'openai',
      settings: parseInstance(
        { type: 'openai', baseURL: openaiFake.baseURL, timeoutMs: 2_000 },
        'openai',
      ) as never,
      catalogue: builtInCatalogue,
      apiKey: openaiFake.apiKey,
    });
    const anthropic = new AnthropicProvider({
      name: 'anthropic',
      settings: parseInstance(
        { type: 'anthropic', baseURL: anthropicFake.url, timeoutMs: 2_000 },
        'anthropic',
      ) as never,
      catalogue: builtInCatalogue,
      apiKey: anthropicFake.apiKey,
    });
    group = new ProviderGroup([openai, anthropic], {
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
    });
  });

  afterAll(async () => {
    group?.close();
    await openaiFake?.close();
    await anthropicFake?.close();
  });

  it('answers from the first provider while it is up', async () => {
    const response = await group.generate(ask);
    expect(response.model).toMatch(/^gpt-4o-mini/);
  });

  it('fails over when the first provider is down, then its open breaker skips it without a call', async () => {
    await openaiFake.server.goDown();
    for (let i = 0; i < 3; i++) {
      const response = await group.generate(ask);
      expect(response.model).toMatch(/^claude/);
    }
    expect(group.breakerStates()).toEqual([
      { name: 'openai', state: 'open' },
      { name: 'anthropic', state: 'closed' },
    ]);
    await openaiFake.server.comeBack();
    const before = openaiFake.server.requests.length;
    const response = await group.generate(ask);
    expect(response.model).toMatch(/^claude/);
    expect(openaiFake.server.requests.length).toBe(before);
  });

  it('stops at a request the caller got wrong instead of failing over', async () => {
    const fresh = new ProviderGroup([
      new OpenAIProvider({
        name: 'openai-2',
        settings: parseInstance({ type: 'openai', baseURL: openaiFake.baseURL }, 'openai-2') as never,
        catalogue: builtInCatalogue,
        apiKey: openaiFake.apiKey,
      }),
      new AnthropicProvider({
        name: 'anthropic-2',
        settings: parseInstance({ type: 'anthropic', baseURL: anthropicFake.url }, 'anthropic-2') as never,
        catalogue: builtInCatalogue,
        apiKey: anthropicFake.apiKey,
      }),
    ]);
    openaiFake.server.failNext('invalid-request');
    const before = anthropicFake.server.requests.length;
    const error = await fresh.generate(ask).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AtlasError);
    expect((error as AtlasError).kind).toBe('invalid_request');
    expect(anthropicFake.server.requests.length).toBe(before);
    fresh.close();
  });
});
