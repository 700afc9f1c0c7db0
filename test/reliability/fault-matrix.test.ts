import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FileSettings } from '../../src/shared/config/settings.js';
import { RequestFailedError } from '../../src/shared/errors.js';
import type { GenerationRequest, GenerationResult } from '../../src/shared/jobs.js';
import { type AnthropicFake, startAnthropicFake } from '../fakes/anthropic-fake.js';
import { type OllamaFake, startOllamaFake } from '../fakes/ollama-fake.js';
import { type OpenAIFake, startOpenAIFake } from '../fakes/openai-fake.js';
import { createHarness, type Harness } from '../support/generation-harness.js';

// The provider fault matrix (docs/reliability.md): one test per fault. The primary instance is the real
// OpenAI SDK against the OpenAI wire fake, the backup the real Anthropic SDK against the Anthropic fake;
// real Redis and real workers in between. A breaker opens on one failure that counts against it
// (volumeThreshold 1), so "counts against the breaker" reads as "the breaker is open afterwards".

const primaryKeyEnv = 'ATLAS_MATRIX_OPENAI_KEY';
const backupKeyEnv = 'ATLAS_MATRIX_ANTHROPIC_KEY';
const wrongKeyEnv = 'ATLAS_MATRIX_WRONG_KEY';
const otherKeyEnv = 'ATLAS_MATRIX_OTHER_KEY';
const breaker = { volumeThreshold: 1, resetTimeoutMs: 10_000, rollingCountTimeoutMs: 10_000 };

let openai: OpenAIFake;
let anthropic: AnthropicFake;
let harness: Harness | undefined;
/** The answer the Anthropic fake gives (its recorded text). */
let backupAnswer: string;

beforeAll(async () => {
  openai = await startOpenAIFake();
  anthropic = await startAnthropicFake();
  process.env[primaryKeyEnv] = openai.apiKey;
  process.env[backupKeyEnv] = anthropic.apiKey;
  process.env[wrongKeyEnv] = 'sk-matrix-wrong-key-0000000000';
  const response = await fetch(`${anthropic.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': anthropic.apiKey, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'claude-sonnet-4-20250514', max_tokens: 8, messages: [] }),
  });
  const body = (await response.json()) as { content: Array<{ text: string }> };
  backupAnswer = body.content.map((block) => block.text).join('');
  anthropic.server.requests.length = 0;
});

afterEach(async () => {
  await harness?.close();
  harness = undefined;
  for (const fake of [openai, anthropic]) {
    fake.server.recover();
    fake.server.requests.length = 0;
  }
});

afterAll(async () => {
  await openai.close();
  await anthropic.close();
});

type Providers = NonNullable<FileSettings['providers']>;

/**
 * primary: OpenAI (gpt-4o-mini, 128k window); backup: Anthropic (Claude Sonnet 4, 200k). Calls get 2 s
 * (a first call loads its SDK, slow on a busy machine); the hang row gives the primary 300 ms.
 */
function instances(primary: Partial<Providers[string]> = {}, extra: Providers = {}): Providers {
  return {
    primary: {
      type: 'openai',
      baseURL: openai.baseURL,
      apiKeyEnv: primaryKeyEnv,
      timeoutMs: 2_000,
      breaker,
      ...primary,
    } as Providers[string],
    backup: { type: 'anthropic', baseURL: anthropic.url, apiKeyEnv: backupKeyEnv, timeoutMs: 2_000 },
    ...extra,
  };
}

async function start(providers: Providers): Promise<Harness> {
  harness = await createHarness({ providers }, 'matrix');
  await harness.startWorkers();
  return harness;
}

const ask = (h: Harness, request: Partial<GenerationRequest> = {}) =>
  h.client.generate({
    prompt: 'Why is the sky blue?',
    providers: ['primary', 'backup'],
    strategy: 'failover',
    ...request,
  } as GenerationRequest);

async function failureOf(promise: Promise<unknown>): Promise<RequestFailedError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RequestFailedError);
  return error as RequestFailedError;
}

/** Fails over to the backup, the first hop carrying `kind`; the primary's breaker open or closed after. */
async function expectFailover(h: Harness, kind: string, breaker: 'open' | 'closed') {
  const result = await ask(h);
  expect(result.provider).toBe('backup');
  expect(result.text).toBe(backupAnswer);
  expect(result.hops.map((hop) => [hop.provider, hop.error?.kind])).toEqual([
    ['primary', kind],
    ['backup', undefined],
  ]);
  await expect.poll(() => h.breakerOf('primary'), { timeout: 2_000 }).toBe(breaker);
  return result;
}

describe('provider fault matrix', () => {
  it('5xx: unavailable, counts against the breaker, fails over', async () => {
    const h = await start(instances());
    openai.server.failNext('server-error');
    const result = await expectFailover(h, 'unavailable', 'open');
    expect(result.hops[0]!.error?.message).toContain('HTTP 500');
  });

  it('429 with a short Retry-After: rate_limited, waits on the same instance; counts against the breaker', async () => {
    const h = await start(
      instances({
        breaker: {
          volumeThreshold: 2,
          errorThresholdPercentage: 50,
          resetTimeoutMs: 10_000,
          rollingCountTimeoutMs: 10_000,
        },
      }),
    );
    openai.server.retryAfterSeconds = 1;
    openai.server.failNext('rate-limit');
    const started = Date.now();
    const waited = await ask(h, { prompt: 'short wait' });
    expect(waited.provider).toBe('primary');
    expect(waited.hops.map((hop) => [hop.provider, hop.error])).toEqual([['primary', undefined]]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(anthropic.server.requests.length).toBe(0);
    expect(await h.breakerOf('primary')).toBe('closed');
    // It counted: a second 429 makes two failures in three calls, and the breaker opens; the wait
    // then meets the open breaker and the request fails over.
    openai.server.failNext('rate-limit');
    const moved = await ask(h, { prompt: 'second limit' });
    expect(moved.provider).toBe('backup');
    expect(moved.hops.map((hop) => hop.error?.kind)).toEqual(['circuit_open', undefined]);
    expect(await h.breakerOf('primary')).toBe('open');
  });

  it('429 with a long Retry-After: rate_limited, counts against the breaker, fails over at once', async () => {
    const h = await start(instances());
    openai.server.retryAfterSeconds = 60;
    openai.server.failNext('rate-limit');
    const result = await expectFailover(h, 'rate_limited', 'open');
    expect(result.hops[0]!.error).toMatchObject({ retryAfterMs: 60_000 });
  });

  it('429 without Retry-After: rate_limited, counts against the breaker, fails over', async () => {
    const h = await start(instances());
    openai.server.retryAfterSeconds = undefined;
    openai.server.failNext('rate-limit');
    const result = await expectFailover(h, 'rate_limited', 'open');
    expect(result.hops[0]!.error).not.toHaveProperty('retryAfterMs');
  });

  it('hang: timeout after the instance timeout, counts against the breaker, fails over', async () => {
    const h = await start(instances({ timeoutMs: 300 }));
    openai.server.failNext('hang');
    const started = Date.now();
    const result = await expectFailover(h, 'timeout', 'open');
    expect(result.hops[0]!.ms).toBeGreaterThanOrEqual(280);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('connection refused: unavailable, counts against the breaker, fails over', async () => {
    const gone = await startOpenAIFake();
    await gone.server.goDown();
    const h = await start(instances({ baseURL: gone.baseURL }));
    const result = await expectFailover(h, 'unavailable', 'open');
    expect(result.hops[0]!.error?.message).toContain('connection failed');
  });

  it('connection reset mid-stream: unavailable, counts against the breaker; the reader gets a reset and the next instance’s answer', async () => {
    const h = await start(instances());
    openai.server.failNext('stream-cut');
    const events = [];
    for await (const event of h.client.stream({
      prompt: 'Why is the sky blue?',
      providers: ['primary', 'backup'],
      strategy: 'failover',
    }))
      events.push(event);
    const types = events.map((event) => event.type);
    const reset = types.indexOf('reset');
    const before = events.slice(0, reset).filter((event) => event.type === 'text-delta');
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((event) => event.instance === 'primary')).toBe(true);
    expect(events.slice(0, reset).find((event) => event.type === 'failover')).toMatchObject({
      data: { from: 'primary', to: 'backup', error: { kind: 'unavailable' } },
    });
    const after = events
      .slice(reset)
      .map((event) => (event.type === 'text-delta' ? event.data.text : ''))
      .join('');
    const completed = events.at(-1)!;
    expect(completed).toMatchObject({ type: 'completed', instance: 'backup' });
    expect(after).toBe(completed.type === 'completed' ? completed.data.result.text : undefined);
    expect(after).toMatch(/^Hello!.*help you with\?$/);
    await expect.poll(() => h.breakerOf('primary'), { timeout: 2_000 }).toBe('open');
  });

  it('malformed JSON body: unavailable, counts against the breaker, fails over', async () => {
    const h = await start(instances());
    openai.server.failNext('malformed');
    const result = await expectFailover(h, 'unavailable', 'open');
    expect(result.hops[0]!.error?.message).toContain('unreadable response');
  });

  it('wrong key (401): auth, counts against the breaker, fails over', async () => {
    const h = await start(instances({ apiKeyEnv: wrongKeyEnv }));
    const result = await expectFailover(h, 'auth', 'open');
    expect(result.hops[0]!.error?.message).toContain('HTTP 401');
    expect(JSON.stringify(result)).not.toContain(process.env[wrongKeyEnv]);
  });

  it('context too long: context_length, not counted, fails over to the next step with a larger window', async () => {
    // A small mock model (8k window) between the primary (128k) and the backup (200k): skipped.
    const h = await start(
      instances({}, { small: { type: 'mock', defaultModel: 'mock-basic' } as Providers[string] }),
    );
    openai.server.failNext('context-length');
    const result = await ask(h, { providers: ['primary', 'small', 'backup'] });
    expect(result.provider).toBe('backup');
    expect(result.hops.map((hop) => [hop.provider, hop.error?.kind])).toEqual([
      ['primary', 'context_length'],
      ['backup', undefined],
    ]);
    expect(h.providers.get('small')?.calls ?? 0).toBe(0);
    expect(await h.breakerOf('primary')).toBe('closed');
  });

  it('context too long with no larger window in the plan: the request fails with context_length naming both windows', async () => {
    const h = await start(instances({ defaultModel: 'gpt-4.1' }));
    openai.server.failNext('context-length');
    const error = await failureOf(ask(h));
    expect(error.kind).toBe('context_length');
    expect(error.message).toContain('1047576-token context window of gpt-4.1 on primary');
    expect(error.message).toContain('200000 tokens, claude-sonnet-4-20250514 on backup');
    expect(error.hops.map((hop) => hop.provider)).toEqual(['primary']);
    expect(anthropic.server.requests.length).toBe(0);
    expect(await h.breakerOf('primary')).toBe('closed');
  });

  it('content policy: content_policy, not counted, fails over', async () => {
    const h = await start(instances());
    openai.server.failNext('content-policy');
    const result = await expectFailover(h, 'content_policy', 'closed');
    expect(result.hops[0]!.error?.message).toContain('safety system');
  });

  it('content policy on the backup (a refusal): the request fails with content_policy and both hops', async () => {
    const h = await start(instances());
    openai.server.failNext('server-error');
    anthropic.server.failNext('content-policy');
    const error = await failureOf(ask(h));
    expect(error.kind).toBe('content_policy');
    expect(error.hops.map((hop) => [hop.provider, hop.error?.kind])).toEqual([
      ['primary', 'unavailable'],
      ['backup', 'content_policy'],
    ]);
  });

  it('invalid request (400): invalid_request, not counted, fails at once without failover', async () => {
    const h = await start(instances());
    openai.server.failNext('invalid-request');
    const error = await failureOf(ask(h));
    expect(error.kind).toBe('invalid_request');
    expect(error.hops.map((hop) => hop.provider)).toEqual(['primary']);
    expect(anthropic.server.requests.length).toBe(0);
    expect(await h.breakerOf('primary')).toBe('closed');
  });
});

// The instance faults again with the Anthropic and the Ollama SDK as the primary (the OpenAI SDK as the
// backup): each SDK's wire error maps to the same kind and the same outcome.
describe.each(['anthropic', 'ollama'] as const)('provider fault matrix through the %s SDK', (type) => {
  let fake: AnthropicFake | OllamaFake;
  beforeAll(async () => {
    fake = type === 'anthropic' ? await startAnthropicFake() : await startOllamaFake();
    process.env[otherKeyEnv] = type === 'anthropic' ? (fake as AnthropicFake).apiKey : '';
  });
  afterEach(() => fake.server.recover());
  afterAll(() => fake.close());

  const primaryOf = (url: string, timeoutMs: number): Providers[string] =>
    (type === 'anthropic'
      ? { type, baseURL: url, apiKeyEnv: otherKeyEnv, timeoutMs, breaker }
      : { type, host: url, timeoutMs, breaker }) as Providers[string];
  const backup = (): Providers[string] =>
    ({
      type: 'openai',
      baseURL: openai.baseURL,
      apiKeyEnv: primaryKeyEnv,
      timeoutMs: 2_000,
    }) as Providers[string];

  it.each([
    ['server-error', 'unavailable'],
    ['rate-limit', 'rate_limited'],
    ['hang', 'timeout'],
    ['refused', 'unavailable'],
    ['stream-cut', 'unavailable'],
    ['malformed', 'unavailable'],
    ['bad-key', 'auth'],
  ] as const)('%s: %s, counts against the breaker, fails over', async (fault, kind) => {
    let url = fake.url;
    let gone: OpenAIFake | undefined;
    if (fault === 'refused') {
      gone = await startOpenAIFake();
      await gone.server.goDown();
      url = gone.url;
    } else if (fault === 'rate-limit') {
      fake.server.retryAfterSeconds = 60;
      fake.server.failNext(fault);
    } else fake.server.failNext(fault);
    harness = await createHarness(
      { providers: { primary: primaryOf(url, fault === 'hang' ? 300 : 2_000), backup: backup() } },
      'matrix',
    );
    await harness.startWorkers();
    const request = {
      prompt: 'Why is the sky blue?',
      providers: ['primary', 'backup'],
      strategy: 'failover',
    };
    const streamed = fault === 'stream-cut';
    let result: GenerationResult;
    if (streamed) {
      const events = [];
      for await (const event of harness.client.stream(request as GenerationRequest)) events.push(event);
      const types = events.map((event) => event.type);
      expect(types.indexOf('text-delta')).toBeLessThan(types.indexOf('reset'));
      const last = events.at(-1)!;
      if (last.type !== 'completed') throw new Error(`the stream ended with ${last.type}`);
      result = last.data.result;
    } else result = await harness.client.generate(request as GenerationRequest);
    expect(result.provider).toBe('backup');
    expect(result.hops.map((hop) => [hop.provider, hop.error?.kind])).toEqual([
      ['primary', kind],
      ['backup', undefined],
    ]);
    await expect.poll(() => harness!.breakerOf('primary'), { timeout: 2_000 }).toBe('open');
    await gone?.close();
  });
});
