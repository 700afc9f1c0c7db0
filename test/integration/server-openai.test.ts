import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeToolCallId, type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { createHarness, type Harness } from '../support/generation-harness.js';
import { type ServedCli, serveInProcess } from '../support/serve-in-process.js';

// The official `openai` client pointed at `atlas serve`: every completion is an Atlas request, queued and
// served by workers, so it fails over like any other.

const token = 'test-token-for-the-openai-client-0123456789';
const keyVariable = 'ATLAS_TEST_FAKE_OPENAI_KEY';
const breaker = { volumeThreshold: 2, resetTimeoutMs: 30_000 };
let first: OpenAIFake;
let second: OpenAIFake;
let harness: Harness;
let served: ServedCli;
let openai: OpenAI;

beforeAll(async () => {
  [first, second] = await Promise.all([startOpenAIFake(), startOpenAIFake()]);
  process.env[keyVariable] = first.apiKey;
  harness = await createHarness(
    {
      providers: {
        first: { type: 'openai', baseURL: first.baseURL, apiKeyEnv: keyVariable, breaker, timeoutMs: 5_000 },
        second: {
          type: 'openai',
          baseURL: second.baseURL,
          apiKeyEnv: keyVariable,
          breaker,
          timeoutMs: 5_000,
        },
        mock: { type: 'mock' },
      },
    },
    'serve-openai',
  );
  await harness.startWorkers();
  served = await serveInProcess(harness.settings, {}, { ATLAS_SERVER_TOKENS: token });
  openai = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: token, maxRetries: 0 });
});

afterAll(async () => {
  await served?.stop();
  await harness?.close();
  await Promise.all([first?.close(), second?.close()]);
});

/** Atlas's extension field, which the client's types do not know. */
const atlasField = (atlas: object): object => ({ atlas });

const question = [{ role: 'user' as const, content: 'What is the capital of France?' }];

describe('the openai client against atlas serve', () => {
  it('gets a completion through the queue, with Atlas details in `atlas`', async () => {
    const completion = await openai.chat.completions.create({ model: 'first', messages: question });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]!.message.content).toMatch(/\w/);
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage!.total_tokens).toBeGreaterThan(0);
    const atlas = (completion as unknown as { atlas: { provider: string; requestId: string } }).atlas;
    expect(atlas.provider).toBe('first');
    expect(await harness.client.get(atlas.requestId)).toMatchObject({ status: 'completed' });
  });

  it('streams in OpenAI’s format, usage last when asked', async () => {
    const stream = await openai.chat.completions.create({
      model: 'mock',
      messages: question,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const finishes: string[] = [];
    let usage: OpenAI.CompletionUsage | undefined | null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.choices[0]?.finish_reason) finishes.push(chunk.choices[0].finish_reason);
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(5);
    expect(finishes).toEqual(['stop']);
    expect(usage?.completion_tokens).toBeGreaterThan(0);
  });

  it('passes tools through and returns the model’s tool calls, streamed or not', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      {
        type: 'function',
        function: {
          name: 'get_weather',
          description: 'Weather of a city',
          parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
        },
      },
    ];
    const completion = await openai.chat.completions.create({ model: 'first', messages: question, tools });
    const call = completion.choices[0]!.message.tool_calls![0]!;
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(call).toMatchObject({ id: fakeToolCallId, type: 'function', function: { name: 'get_weather' } });
    expect(JSON.parse((call as { function: { arguments: string } }).function.arguments)).toHaveProperty(
      'city',
    );

    const stream = await openai.chat.completions.create({
      model: 'first',
      messages: question,
      tools,
      stream: true,
    });
    const names: string[] = [];
    for await (const chunk of stream)
      for (const delta of chunk.choices[0]?.delta.tool_calls ?? [])
        if (delta.function?.name) names.push(delta.function.name);
    expect(names).toEqual(['get_weather']);

    // The tool's result goes back as OpenAI clients send it.
    const answer = await openai.chat.completions.create({
      model: 'first',
      tools,
      messages: [
        ...question,
        completion.choices[0]!.message,
        { role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' },
      ],
    });
    expect(answer.choices[0]!.finish_reason).toBe('stop');
  });

  it('answers errors as OpenAI error JSON the client raises: bad field, unknown model, bad token', async () => {
    const badField = await openai.chat.completions
      .create({ model: 'mock', messages: question, temperature: 7 })
      .catch((error: unknown) => error);
    expect(badField).toBeInstanceOf(OpenAI.BadRequestError);
    expect(badField).toMatchObject({ status: 400, type: 'invalid_request', param: 'body.temperature' });

    const unknownModel = await openai.chat.completions
      .create({ model: 'no-such-model', messages: question })
      .catch((error: unknown) => error);
    expect(unknownModel).toMatchObject({ status: 400, param: 'body.model' });

    const stranger = new OpenAI({ baseURL: `${served.url}/v1`, apiKey: 'wrong-token', maxRetries: 0 });
    const refused = await stranger.chat.completions
      .create({ model: 'mock', messages: question })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('fails over to the next provider when the first one’s fake is down', async () => {
    await first.server.goDown();
    try {
      const completion = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        ...atlasField({ providers: ['first', 'second'], strategy: 'failover' }),
      });
      const atlas = (
        completion as unknown as {
          atlas: { provider: string; hops: { provider: string; error?: { kind: string } }[] };
        }
      ).atlas;
      expect(atlas.provider).toBe('second');
      expect(atlas.hops.map((hop) => hop.provider)).toEqual(['first', 'second']);
      expect(atlas.hops[0]!.error?.kind).toBe('unavailable');

      const stream = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: question,
        stream: true,
        ...atlasField({ providers: ['first', 'second'] }),
      });
      let text = '';
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
      expect(text).toMatch(/\w/);
      expect(second.server.requests.length).toBeGreaterThanOrEqual(2);
    } finally {
      await first.server.comeBack();
    }
  });
});
