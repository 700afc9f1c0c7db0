import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config/provider-settings.js';
import type { AtlasError } from '../../src/shared/errors.js';
import { AnthropicProvider } from '../../src/shared/providers/anthropic/anthropic-provider.js';
import { builtInCatalogue } from '../../src/shared/providers/catalogue.js';
import { type AnthropicFake, startAnthropicFake } from '../fakes/anthropic-fake.js';
import { describeProviderConformance, weatherTool } from '../support/provider-conformance.js';

function anthropic(
  fake: AnthropicFake,
  settings: Record<string, unknown> = {},
  apiKey = fake.apiKey,
): AnthropicProvider {
  return new AnthropicProvider({
    name: 'anthropic-fake',
    settings: parseInstance(
      { type: 'anthropic', baseURL: fake.url, timeoutMs: 5_000, ...settings },
      'anthropic-fake',
    ) as never,
    catalogue: builtInCatalogue,
    apiKey,
  });
}

describeProviderConformance('anthropic (official SDK against the wire fake)', async () => {
  const fake = await startAnthropicFake();
  return {
    provider: anthropic(fake),
    supportsEmbeddings: false,
    withFault: (fault) => {
      if (fault === 'bad-key') return anthropic(fake, {}, 'sk-ant-wrong-key-0000');
      if (fault === 'refused') return anthropic(fake, { baseURL: 'http://127.0.0.1:9' });
      // Anthropic's prompt-too-long answer has no code of its own; the window check catches it first.
      if (fault === 'context-length') {
        return anthropic(fake, { models: [{ id: 'claude-sonnet-4-20250514', contextWindow: 2 }] });
      }
      fake.server.failNext(fault);
      return fault === 'hang' ? anthropic(fake, { timeoutMs: 300 }) : anthropic(fake);
    },
    close: () => fake.close(),
  };
});

describe('anthropic provider: what reaches the wire', () => {
  let fake: AnthropicFake;
  beforeAll(async () => {
    fake = await startAnthropicFake();
  });
  afterAll(() => fake.close());

  it('sends the system prompt at the top level, tools as input schemas, and a max_tokens always', async () => {
    await anthropic(fake).generate({
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [weatherTool],
    });
    expect(fake.server.requests.at(-1)!.body).toMatchObject({
      model: 'claude-sonnet-4-20250514',
      system: 'Be brief.',
      max_tokens: 1024,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather?' }] }],
      tools: [{ name: 'get_weather', input_schema: weatherTool.parameters }],
    });
  });

  it('asks for structured output with a forced tool', async () => {
    await anthropic(fake).generate({
      messages: [{ role: 'user', content: 'x' }],
      responseFormat: {
        type: 'json_schema',
        name: 'city',
        schema: { type: 'object', properties: { city: { type: 'string' } } },
      },
    });
    expect(fake.server.requests.at(-1)!.body).toMatchObject({
      tool_choice: { type: 'tool', name: 'city' },
      tools: [{ name: 'city' }],
    });
  });

  it('sends tool results back in a user turn after the assistant tool_use', async () => {
    await anthropic(fake).generate({
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: 'Checking.',
          toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: { location: 'Paris' } }],
        },
        { role: 'tool', toolCallId: 'toolu_1', content: '21C' },
      ],
    });
    expect((fake.server.requests.at(-1)!.body as { messages: unknown }).messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { location: 'Paris' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '21C' }] },
    ]);
  });

  it('maps overloaded (529) to unavailable with one request and no key in the error', async () => {
    const key = 'sk-ant-secret-canary-123456';
    const keyed = await startAnthropicFake({ apiKey: key });
    const before = keyed.server.requests.length;
    keyed.server.failNext('server-error');
    const error = (await anthropic(keyed, {}, key)
      .generate({ messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as AtlasError;
    expect(error.kind).toBe('unavailable');
    expect(error.status).toBe(529);
    expect(keyed.server.requests.length - before).toBe(1);
    expect(JSON.stringify(error.toJSON())).not.toContain(key);
    await keyed.close();
  });

  it('maps the API prompt-too-long answer to invalid_request, as it carries no distinct code', async () => {
    fake.server.failNext('context-length');
    const error = (await anthropic(fake)
      .generate({ messages: [{ role: 'user', content: 'x' }] })
      .catch((caught: unknown) => caught)) as AtlasError;
    expect(error.kind).toBe('invalid_request');
  });
});
