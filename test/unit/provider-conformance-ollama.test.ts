import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config/provider-settings.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { OllamaProvider } from '../../src/shared/providers/ollama/ollama-provider.js';
import { type OllamaFake, startOllamaFake } from '../fakes/ollama-fake.js';
import { describeProviderConformance, weatherTool } from '../support/provider-conformance.js';

const keyVariable = 'ATLAS_TEST_OLLAMA_KEY';
process.env[keyVariable] = 'ollama-fake-bearer-key';

function ollama(fake: OllamaFake, settings: Record<string, unknown> = {}): OllamaProvider {
  return new OllamaProvider({
    name: 'ollama-fake',
    settings: parseInstance(
      { type: 'ollama', host: fake.url, timeoutMs: 5_000, apiKeyEnv: keyVariable, ...settings },
      'ollama-fake',
    ) as never,
    catalogue: builtInCatalogue,
  });
}

describeProviderConformance('ollama (ollama package against the wire fake)', async () => {
  const fake = await startOllamaFake({ apiKey: process.env[keyVariable] });
  return {
    provider: ollama(fake),
    supportsEmbeddings: true,
    withFault: (fault) => {
      if (fault === 'bad-key') return ollama(fake, { apiKeyEnv: 'ATLAS_TEST_UNSET_KEY' });
      if (fault === 'refused') return ollama(fake, { host: 'http://127.0.0.1:9' });
      // Ollama truncates over-long prompts silently; the window check catches them before sending.
      if (fault === 'context-length') return ollama(fake, { models: [{ id: 'llama3.1', contextWindow: 2 }] });
      fake.server.failNext(fault);
      return fault === 'hang' ? ollama(fake, { timeoutMs: 300 }) : ollama(fake);
    },
    close: () => fake.close(),
  };
});

describe('ollama provider: what reaches the wire', () => {
  let fake: OllamaFake;
  beforeAll(async () => {
    fake = await startOllamaFake();
  });
  afterAll(() => fake.close());

  const bare = () =>
    new OllamaProvider({
      name: 'ollama-bare',
      settings: parseInstance({ type: 'ollama', host: fake.url }, 'ollama-bare') as never,
      catalogue: builtInCatalogue,
    });

  it('sends the system prompt, tools, options and schema as /api/chat fields', async () => {
    await bare().generate({
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Weather?' }],
      maxTokens: 50,
      temperature: 0.1,
      tools: [weatherTool],
      responseFormat: { type: 'json_schema', name: 'x', schema: { type: 'object' } },
    });
    expect(fake.server.requests.at(-1)!.body).toMatchObject({
      model: 'llama3.1',
      stream: false,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
      ],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherTool.parameters } }],
      format: { type: 'object' },
      options: { num_predict: 50, temperature: 0.1 },
    });
  });

  it('round-trips tool calls and tool results', async () => {
    const first = await bare().generate({
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [weatherTool],
    });
    const [call] = first.toolCalls;
    await bare().generate({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: '', toolCalls: first.toolCalls },
        { role: 'tool', toolCallId: call!.id, name: call!.name, content: '21C' },
      ],
    });
    expect((fake.server.requests.at(-1)!.body as { messages: unknown[] }).messages.slice(1)).toEqual([
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ function: { name: 'get_weather', arguments: { location: 'mock' } } }],
      },
      { role: 'tool', content: '21C', tool_name: 'get_weather' },
    ]);
  });

  it('aborts one call without touching another in flight on the same provider', async () => {
    const provider = bare();
    const controller = new AbortController();
    fake.server.failNext('hang');
    const before = fake.server.requests.length;
    const hanging = provider
      .generate({ messages: [{ role: 'user', content: 'hang' }] }, controller.signal)
      .catch((error: unknown) => error);
    await expect.poll(() => fake.server.requests.length).toBe(before + 1);
    const other = provider.generate({ messages: [{ role: 'user', content: 'fine' }] });
    controller.abort();
    expect(await hanging).toMatchObject({ kind: 'cancelled' });
    expect((await other).text.length).toBeGreaterThan(0);
  });
});
