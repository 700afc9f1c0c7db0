import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config.js';
import type { AtlasError } from '../../src/shared/errors.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { OpenAIProvider } from '../../src/shared/providers/openai/openai-provider.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { describeProviderConformance, weatherTool } from '../support/provider-conformance.js';

function openai(
  fake: OpenAIFake,
  settings: Record<string, unknown> = {},
  apiKey = fake.apiKey,
): OpenAIProvider {
  return new OpenAIProvider({
    name: 'openai-fake',
    settings: parseInstance(
      { type: 'openai', baseURL: fake.baseURL, timeoutMs: 5_000, ...settings },
      'openai-fake',
    ) as never,
    catalogue: builtInCatalogue,
    apiKey,
  });
}

describeProviderConformance('openai (official SDK against the wire fake)', async () => {
  const fake = await startOpenAIFake();
  return {
    provider: openai(fake),
    supportsEmbeddings: true,
    withFault: (fault) => {
      if (fault === 'bad-key') return openai(fake, {}, 'sk-wrong-key-000000');
      if (fault === 'refused') return openai(fake, { baseURL: 'http://127.0.0.1:9/v1' });
      fake.server.failNext(fault);
      return fault === 'hang' ? openai(fake, { timeoutMs: 300 }) : openai(fake);
    },
    close: () => fake.close(),
  };
});

describe('openai provider: what reaches the wire', () => {
  let fake: OpenAIFake;
  beforeAll(async () => {
    fake = await startOpenAIFake();
  });
  afterAll(() => fake.close());

  it('sends the system prompt, tools, limits and schema as Chat Completions fields', async () => {
    await openai(fake).generate({
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Weather?' }],
      model: 'gpt-4o',
      maxTokens: 42,
      temperature: 0.2,
      tools: [weatherTool],
    });
    const body = fake.server.requests.at(-1)!.body as Record<string, unknown>;
    expect(body).toMatchObject({
      model: 'gpt-4o',
      max_completion_tokens: 42,
      temperature: 0.2,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.parameters } }],
    });
    await openai(fake).generate({
      messages: [{ role: 'user', content: 'x' }],
      responseFormat: { type: 'json_schema', name: 'city', schema: { type: 'object' } },
    });
    expect(fake.server.requests.at(-1)!.body).toMatchObject({
      response_format: { type: 'json_schema', json_schema: { name: 'city', strict: true } },
    });
  });

  it('round-trips a tool result in a multi-turn conversation', async () => {
    await openai(fake).generate({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: '',
          toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: { location: 'Paris' } }],
        },
        { role: 'tool', toolCallId: 'call_1', content: '{"temperature":21}' },
      ],
    });
    const body = fake.server.requests.at(-1)!.body as { messages: unknown[] };
    expect(body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_1',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"Paris"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: '{"temperature":21}' },
    ]);
  });

  it('makes exactly one request per failed call (no SDK retries) and keeps the key out of errors', async () => {
    const key = 'sk-secret-canary-1234567890';
    const keyed = await startOpenAIFake({ apiKey: key });
    const before = keyed.server.requests.length;
    keyed.server.failNext('server-error');
    const error = await openai(keyed, {}, key)
      .generate({ messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught as AtlasError);
    expect((error as AtlasError).kind).toBe('unavailable');
    expect(keyed.server.requests.length - before).toBe(1);
    await keyed.close();
    const bad = await openai(fake, {}, key)
      .generate({ messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught as AtlasError);
    expect((bad as AtlasError).kind).toBe('auth');
    for (const failure of [error, bad] as AtlasError[]) {
      expect(failure.message).not.toContain(key);
      expect(JSON.stringify(failure.toJSON())).not.toContain(key);
    }
  });

  it('reports a missing key as auth without calling the endpoint', async () => {
    const provider = new OpenAIProvider({
      name: 'no-key',
      settings: parseInstance(
        { type: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_TEST_UNSET_KEY' },
        'no-key',
      ) as never,
      catalogue: builtInCatalogue,
    });
    const report = await provider.checkHealth();
    expect(report).toMatchObject({ ok: false, keyPresent: false, error: { kind: 'auth' } });
  });
});
