import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OpenAIInstanceSettings, parseInstance } from '../../src/shared/config/provider-settings.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
import { OpenAIProvider } from '../../src/shared/providers/openai/openai-provider.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { describeProviderConformance, weatherTool } from '../support/provider-conformance.js';

/** Instance settings as atlas.config.json would give them, pointed at a fake. */
function openAISettings(baseURL: string, settings: Record<string, unknown> = {}): OpenAIInstanceSettings {
  const parsed = parseInstance({ type: 'openai', baseURL, timeoutMs: 5_000, ...settings }, 'openai-fake');
  if (parsed.type !== 'openai') throw new Error('expected openai settings');
  return parsed;
}

function openAIProvider(
  fake: OpenAIFake,
  settings: Record<string, unknown> = {},
  apiKey = fake.apiKey,
): OpenAIProvider {
  return new OpenAIProvider({
    name: 'openai-fake',
    settings: openAISettings(fake.baseURL, settings),
    catalogue: builtInCatalogue,
    apiKey,
  });
}

describeProviderConformance('openai (official SDK against the wire fake)', async () => {
  const fake = await startOpenAIFake();
  return {
    provider: openAIProvider(fake),
    supportsEmbeddings: true,
    withFault: (fault) => {
      if (fault === 'bad-key') return openAIProvider(fake, {}, 'sk-wrong-key-0000000000');
      // Port 9 (discard) has no listener on loopback: the connection is refused.
      if (fault === 'refused') return openAIProvider(fake, { baseURL: 'http://127.0.0.1:9/v1' });
      fake.server.failNext(fault);
      return fault === 'hang' ? openAIProvider(fake, { timeoutMs: 300 }) : openAIProvider(fake);
    },
    close: () => fake.close(),
  };
});

/** The fake itself, read raw: it must frame its answers as the recorded OpenAI responses are framed. */
describe('openai fake: the recorded wire format', () => {
  let fake: OpenAIFake;
  beforeAll(async () => {
    fake = await startOpenAIFake();
  });
  afterAll(() => fake.close());

  const post = (path: string, body: unknown, key = fake.apiKey) =>
    fetch(`${fake.baseURL}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('streams tool-call arguments as SSE fragments ending with data: [DONE]', async () => {
    const response = await post('/chat/completions', {
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.parameters } }],
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = (await response.text()).split('\n\n').filter(Boolean);
    expect(events.every((event) => event.startsWith('data: '))).toBe(true);
    expect(events.at(-1)).toBe('data: [DONE]');
    const chunks = events.slice(0, -1).map((event) => JSON.parse(event.slice('data: '.length)));
    expect(chunks.every((chunk) => chunk.object === 'chat.completion.chunk')).toBe(true);
    const fragments = chunks.flatMap((chunk) => chunk.choices[0]?.delta.tool_calls ?? []);
    expect(fragments[0]).toMatchObject({ index: 0, id: 'call_fake_0', function: { name: 'get_weather' } });
    expect(fragments.length).toBeGreaterThan(3);
    expect(fragments.map((fragment) => fragment.function.arguments).join('')).toBe('{"location":"mock"}');
    expect(chunks.at(-2).choices[0].finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: expect.any(Number) } });
  });

  it('answers a wrong key with the 401 body OpenAI sends, the key masked', async () => {
    const response = await post(
      '/chat/completions',
      { model: 'gpt-4o-mini', messages: [] },
      'sk-wrong-1234567890abcd',
    );
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toBe('application/json');
    const body = (await response.json()) as { error: { code: string; type: string; message: string } };
    expect(body.error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_api_key' });
    expect(body.error.message).toContain('sk-wron');
    expect(body.error.message).not.toContain('sk-wrong-1234567890abcd');
  });

  it("encodes embeddings as base64 float32 when asked, as the SDK's default asks", async () => {
    const sdk = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 });
    const result = await sdk.embeddings.create({ model: 'text-embedding-3-small', input: 'hello world' });
    expect(fake.server.requests.at(-1)!.body).toMatchObject({ encoding_format: 'base64' });
    const [vector] = result.data;
    expect(vector!.embedding).toHaveLength(1536);
    const expected = hashingEmbedding('hello world', 1536);
    for (const [index, value] of vector!.embedding.entries()) expect(value).toBeCloseTo(expected[index]!, 6);
  });
});
