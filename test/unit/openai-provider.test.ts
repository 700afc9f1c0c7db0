import type { ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInstance } from '../../src/shared/config/provider-settings.js';
import { AtlasError } from '../../src/shared/errors.js';
import type { Message } from '../../src/shared/jobs.js';
import { builtInCatalogue, estimateCostUsd, findModel } from '../../src/shared/providers/catalogue.js';
import { hashingEmbedding } from '../../src/shared/providers/mock/hashing-embedder.js';
import { OpenAIProvider } from '../../src/shared/providers/openai/openai-provider.js';
import type { StreamPart } from '../../src/shared/providers/provider.js';
import { type FakeRequest, FakeServer, type Fault, sendJson } from '../fakes/fake-server.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { weatherTool } from '../support/provider-conformance.js';

function provider(baseURL: string, apiKey: string, settings: Record<string, unknown> = {}): OpenAIProvider {
  const parsed = parseInstance({ type: 'openai', baseURL, timeoutMs: 5_000, ...settings }, 'openai-test');
  if (parsed.type !== 'openai') throw new Error('expected openai settings');
  return new OpenAIProvider({ name: 'openai-test', settings: parsed, catalogue: builtInCatalogue, apiKey });
}

async function failure(promise: Promise<unknown>): Promise<AtlasError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(AtlasError);
  return error as AtlasError;
}

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const ask = (content: string): { messages: Message[] } => ({ messages: [{ role: 'user', content }] });

describe('openai provider against the wire fake', () => {
  let fake: OpenAIFake;
  let openai: OpenAIProvider;
  const lastBody = () => fake.server.requests.at(-1)!.body as Record<string, unknown>;
  beforeAll(async () => {
    fake = await startOpenAIFake();
    openai = provider(fake.baseURL, fake.apiKey);
  });
  afterAll(() => fake.close());

  it('sends the system prompt, tools, limits and structured-output fields as Chat Completions fields', async () => {
    await openai.generate({
      ...ask('Weather?'),
      system: 'Be brief.',
      model: 'gpt-4o',
      maxTokens: 42,
      temperature: 0.2,
      tools: [weatherTool],
    });
    expect(lastBody()).toEqual({
      model: 'gpt-4o',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
      ],
      max_completion_tokens: 42,
      temperature: 0.2,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: weatherTool.description,
            parameters: weatherTool.parameters,
          },
        },
      ],
    });
    expect(fake.server.requests.at(-1)!.headers['authorization']).toBe(`Bearer ${fake.apiKey}`);

    const schema = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
    const structured = await openai.generate({
      ...ask('A city'),
      responseFormat: { type: 'json_schema', name: 'city', schema },
    });
    expect(lastBody()['response_format']).toEqual({
      type: 'json_schema',
      json_schema: { name: 'city', schema, strict: true },
    });
    expect(JSON.parse(structured.text)).toEqual({ city: 'mock' });
    await openai.generate({ ...ask('Any JSON'), responseFormat: { type: 'json' } });
    expect(lastBody()['response_format']).toEqual({ type: 'json_object' });

    await collect(openai.stream(ask('Say hello')));
    expect(lastBody()).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('sends the organization from settings, never from the environment', async () => {
    process.env['OPENAI_ORG_ID'] = 'org-from-environment';
    try {
      await provider(fake.baseURL, fake.apiKey).generate(ask('x'));
      expect(fake.server.requests.at(-1)!.headers['openai-organization']).toBeUndefined();
      await provider(fake.baseURL, fake.apiKey, { organization: 'org-atlas' }).generate(ask('x'));
      expect(fake.server.requests.at(-1)!.headers['openai-organization']).toBe('org-atlas');
    } finally {
      delete process.env['OPENAI_ORG_ID'];
    }
  });

  const faults: Array<[Fault, AtlasError['kind'], 'generate' | 'stream']> = [
    ['server-error', 'unavailable', 'generate'],
    ['rate-limit', 'rate_limited', 'generate'],
    ['hang', 'timeout', 'generate'],
    ['stream-cut', 'unavailable', 'generate'],
    ['stream-cut', 'unavailable', 'stream'],
    ['malformed', 'unavailable', 'generate'],
    ['malformed', 'unavailable', 'stream'],
  ];
  for (const [fault, kind, operation] of faults) {
    it(`makes exactly one request for a ${operation} call that meets ${fault} (no SDK retries)`, async () => {
      const client = fault === 'hang' ? provider(fake.baseURL, fake.apiKey, { timeoutMs: 300 }) : openai;
      const before = fake.server.requests.length;
      fake.server.failNext(fault);
      const call =
        operation === 'stream' ? collect(client.stream(ask('Say hello'))) : client.generate(ask('Say hello'));
      expect((await failure(call)).kind).toBe(kind);
      expect(fake.server.requests.length - before).toBe(1);
    });
  }

  it('round-trips a tool call and its result over two turns', async () => {
    const first = await openai.generate({ ...ask('Weather in Paris?'), tools: [weatherTool] });
    expect(first.toolCalls).toEqual([
      { id: 'call_fake_0', name: 'get_weather', arguments: { location: 'mock' } },
    ]);
    const history: Message[] = [
      { role: 'user', content: 'Weather in Paris?' },
      { role: 'assistant', content: first.text, toolCalls: first.toolCalls },
      { role: 'tool', toolCallId: 'call_fake_0', name: 'get_weather', content: '{"temperature":21}' },
    ];
    const second = await openai.generate({ messages: history, tools: [weatherTool] });
    expect((lastBody()['messages'] as unknown[]).slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          {
            id: 'call_fake_0',
            type: 'function',
            function: { name: 'get_weather', arguments: '{"location":"mock"}' },
          },
        ],
      },
      { role: 'tool', tool_call_id: 'call_fake_0', content: '{"temperature":21}' },
    ]);
    expect(second.finishReason).toBe('stop');
    expect(second.toolCalls).toEqual([]);
    expect(second.text.length).toBeGreaterThan(0);
  });

  it('assembles a tool call streamed in fragments into one part, released before finish', async () => {
    const parts = await collect(openai.stream({ ...ask('Weather?'), tools: [weatherTool] }));
    expect(parts.map((part) => part.type)).toEqual(['tool-call', 'finish']);
    expect(parts[0]).toEqual({
      type: 'tool-call',
      toolCall: { id: 'call_fake_0', name: 'get_weather', arguments: { location: 'mock' } },
    });
  });

  it('fills usage and prices it from the catalogue for the dated snapshot the API reports', async () => {
    const response = await openai.generate({ ...ask('Say hello'), model: 'gpt-4o-mini' });
    expect(response.model).toBe('gpt-4o-mini-2025-04-14');
    expect(response.usage).toEqual({ inputTokens: 16, outputTokens: 363 });
    expect(response.costUsd).toBeGreaterThan(0);
    expect(response.costUsd).toBe(
      estimateCostUsd(findModel(builtInCatalogue, 'gpt-4o-mini'), response.usage),
    );
    const finish = (await collect(openai.stream(ask('Say hello')))).at(-1);
    expect(finish?.type === 'finish' && finish.response.usage).toEqual({
      inputTokens: 16,
      outputTokens: 300,
    });
  });

  it("embeds a batch in one request, in floats, with the catalogue's dimension, the same for the same text", async () => {
    const before = fake.server.requests.length;
    const result = await openai.embed(['alpha beta', 'gamma', 'alpha beta']);
    expect(fake.server.requests.length - before).toBe(1);
    expect(lastBody()).toEqual({
      model: 'text-embedding-3-small',
      input: ['alpha beta', 'gamma', 'alpha beta'],
      encoding_format: 'float',
    });
    expect(result.vectors.map((vector) => vector.length)).toEqual([1536, 1536, 1536]);
    expect(result.vectors[0]).toEqual(hashingEmbedding('alpha beta', 1536));
    expect(result.vectors[2]).toEqual(result.vectors[0]);
    expect(result.vectors[1]).not.toEqual(result.vectors[0]);
    expect(result.usage.inputTokens).toBeGreaterThan(0);
    const large = await openai.embed(['alpha'], { model: 'text-embedding-3-large' });
    expect(large.vectors[0]).toHaveLength(3072);
  });

  it('reports a missing key as auth, without calling the endpoint', async () => {
    const parsed = parseInstance(
      { type: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_TEST_UNSET_KEY' },
      'no-key',
    );
    if (parsed.type !== 'openai') throw new Error('expected openai settings');
    const keyless = new OpenAIProvider({ name: 'no-key', settings: parsed, catalogue: builtInCatalogue });
    const before = fake.server.requests.length;
    expect(await keyless.checkHealth()).toMatchObject({
      ok: false,
      keyPresent: false,
      error: { kind: 'auth' },
    });
    expect((await failure(keyless.generate(ask('x')))).kind).toBe('auth');
    expect(fake.server.requests.length).toBe(before);
  });
});

/** A server scripted per test, for wire behaviour the shared faults do not cover. */
describe('openai provider against misbehaving servers', () => {
  let handler: (request: FakeRequest, response: ServerResponse) => void = () => {};
  let server: FakeServer;
  const key = 'sk-canary-0123456789abcdef0123';
  const openai = (settings: Record<string, unknown> = {}) => provider(`${server.url}/v1`, key, settings);
  beforeAll(async () => {
    server = await new FakeServer((request, response) => handler(request, response)).start();
  });
  afterAll(() => server.close());

  const sse = (response: ServerResponse, chunks: unknown[], done = true) => {
    response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });
    for (const chunk of chunks) response.write(`data: ${JSON.stringify(chunk)}\n\n`);
    if (done) response.end('data: [DONE]\n\n');
  };
  const chunk = (delta: object, finishReason: string | null = null) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion.chunk',
    model: 'gpt-4o-mini',
    choices: [{ index: 0, delta, finish_reason: finishReason }],
  });
  const completion = (message: object, finishReason: string) => ({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-4o-mini',
    choices: [
      { index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finishReason },
    ],
    usage: { prompt_tokens: 5, completion_tokens: 1, total_tokens: 6 },
  });

  it('keeps the key out of errors and health reports, even from a server that echoes it', async () => {
    handler = (request, response) =>
      sendJson(response, 401, {
        error: {
          message: `bad key ${request.headers['authorization']}`,
          type: 'auth',
          code: 'invalid_api_key',
        },
      });
    const error = await failure(openai().generate(ask('x')));
    expect(error.kind).toBe('auth');
    expect(error.provider).toBe('openai-test');
    expect(error.message).not.toContain(key);
    expect(JSON.stringify(error.toJSON())).not.toContain(key);
    const report = await openai().checkHealth();
    expect(report.error?.kind).toBe('auth');
    expect(JSON.stringify(report)).not.toContain(key);
  });

  it('times out a server that answers headers and then goes silent, in calls and in streams', async () => {
    handler = (_request, response) => void response.writeHead(200, { 'content-type': 'application/json' });
    expect((await failure(openai({ timeoutMs: 300 }).generate(ask('x')))).kind).toBe('timeout');
    handler = (_request, response) => sse(response, [chunk({ content: 'Hel' })], false);
    const parts: StreamPart[] = [];
    const error = await failure(
      (async () => {
        for await (const part of openai({ timeoutMs: 300 }).stream(ask('x'))) parts.push(part);
      })(),
    );
    expect(error.kind).toBe('timeout');
    expect(parts).toEqual([{ type: 'text-delta', text: 'Hel' }]);
  });

  it('maps a stream that ends without a finish reason to unavailable', async () => {
    handler = (_request, response) => sse(response, [chunk({ content: 'Hel' }), chunk({ content: 'lo' })]);
    expect((await failure(collect(openai().stream(ask('x'))))).kind).toBe('unavailable');
  });

  it('maps a content_filter finish and a refusal to content_policy', async () => {
    handler = (_request, response) =>
      sendJson(response, 200, completion({ content: 'Part' }, 'content_filter'));
    expect((await failure(openai().generate(ask('x')))).kind).toBe('content_policy');
    handler = (_request, response) =>
      sse(response, [chunk({ content: 'Part' }), chunk({}, 'content_filter')]);
    expect((await failure(collect(openai().stream(ask('x'))))).kind).toBe('content_policy');
    handler = (_request, response) =>
      sendJson(response, 200, completion({ refusal: "I can't help with that." }, 'stop'));
    expect((await failure(openai().generate(ask('x')))).kind).toBe('content_policy');
  });

  it('maps tool-call arguments that are not JSON, and JSON that is not a completion, to unavailable', async () => {
    const call = {
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"location": "Par' },
    };
    handler = (_request, response) =>
      sendJson(response, 200, completion({ tool_calls: [call] }, 'tool_calls'));
    expect((await failure(openai().generate(ask('x')))).kind).toBe('unavailable');
    handler = (_request, response) =>
      sse(response, [chunk({ tool_calls: [{ index: 0, ...call }] }), chunk({}, 'tool_calls')]);
    expect((await failure(collect(openai().stream(ask('x'))))).kind).toBe('unavailable');
    handler = (_request, response) => sendJson(response, 200, { object: 'chat.completion', choices: [] });
    expect((await failure(openai().generate(ask('x')))).kind).toBe('unavailable');
  });

  it('estimates usage when an OpenAI-compatible server sends none', async () => {
    handler = (_request, response) => sse(response, [chunk({ content: 'Hello there' }), chunk({}, 'stop')]);
    const finish = (await collect(openai().stream(ask('Say hello please')))).at(-1);
    expect(finish?.type === 'finish' && finish.response.usage).toEqual({ inputTokens: 4, outputTokens: 3 });
  });
});
