import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasError, type ErrorKind } from '../../src/shared/errors.js';
import type { Tool } from '../../src/shared/jobs.js';
import type { Provider, ProviderRequest, StreamPart } from '../../src/shared/providers/provider.js';
import { allFaults, type Fault, fakeRetryAfterSeconds } from '../fakes/fake-server.js';

export interface ConformanceTarget {
  /** A healthy provider. */
  provider: Provider;
  supportsEmbeddings: boolean;
  /** A provider whose next call (or every call, for `bad-key` and `refused`) meets the fault. */
  withFault(fault: Fault): Promise<Provider> | Provider;
  close(): Promise<void>;
}

export const weatherTool: Tool = {
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string', description: 'City name' } },
    required: ['location'],
  },
};

/** Prompt the fakes and the mock's conformance script answer with a `get_weather` call. */
export const toolPrompt = 'What is the weather in Paris?';

const cityFormat = {
  type: 'json_schema' as const,
  name: 'city',
  schema: {
    type: 'object',
    properties: { city: { type: 'string' }, population: { type: 'integer' } },
    required: ['city', 'population'],
    additionalProperties: false,
  },
};

const expectedKind: Record<Fault, ErrorKind> = {
  'server-error': 'unavailable',
  'rate-limit': 'rate_limited',
  hang: 'timeout',
  'stream-cut': 'unavailable',
  malformed: 'unavailable',
  'bad-key': 'auth',
  refused: 'unavailable',
  'context-length': 'context_length',
  'content-policy': 'content_policy',
  'invalid-request': 'invalid_request',
};

const ask = (text: string, extra: Partial<ProviderRequest> = {}): ProviderRequest => ({
  messages: [{ role: 'user', content: text }],
  maxTokens: 64,
  ...extra,
});

async function collect(stream: AsyncIterable<StreamPart>): Promise<StreamPart[]> {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

async function failure(promise: Promise<unknown>): Promise<AtlasError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AtlasError);
    return error as AtlasError;
  }
  throw new Error('expected the call to fail');
}

/** One suite, run over every provider: the contract each must keep. */
export function describeProviderConformance(label: string, setup: () => Promise<ConformanceTarget>): void {
  describe(`provider conformance: ${label}`, () => {
    let target: ConformanceTarget;
    beforeAll(async () => {
      target = await setup();
    });
    afterAll(async () => {
      await target?.close();
    });

    it('generates text with usage and cost', async () => {
      const response = await target.provider.generate(ask('Say hello'));
      expect(response.text.length).toBeGreaterThan(0);
      expect(response.toolCalls).toEqual([]);
      expect(response.finishReason).toBe('stop');
      expect(response.model.length).toBeGreaterThan(0);
      expect(response.usage.inputTokens).toBeGreaterThan(0);
      expect(response.usage.outputTokens).toBeGreaterThan(0);
      expect(response.costUsd).toBeGreaterThanOrEqual(0);
    });

    it('streams text deltas that add up to the final text, ending with finish', async () => {
      const parts = await collect(target.provider.stream(ask('Say hello')));
      const deltas = parts.filter((part) => part.type === 'text-delta');
      expect(deltas.length).toBeGreaterThan(1);
      const last = parts.at(-1);
      expect(last?.type).toBe('finish');
      if (last?.type !== 'finish') return;
      expect(deltas.map((part) => part.text).join('')).toBe(last.response.text);
      expect(last.response.usage.outputTokens).toBeGreaterThan(0);
    });

    it('returns tool calls with parsed arguments', async () => {
      const response = await target.provider.generate(ask(toolPrompt, { tools: [weatherTool] }));
      expect(response.finishReason).toBe('tool_calls');
      expect(response.toolCalls).toHaveLength(1);
      const [call] = response.toolCalls;
      expect(call?.name).toBe('get_weather');
      expect(typeof call?.id).toBe('string');
      expect(call?.arguments).toHaveProperty('location');
    });

    it('streams tool calls assembled into one part each', async () => {
      const parts = await collect(target.provider.stream(ask(toolPrompt, { tools: [weatherTool] })));
      const calls = parts.filter((part) => part.type === 'tool-call');
      expect(calls).toHaveLength(1);
      expect(calls[0]?.type === 'tool-call' && calls[0].toolCall.name).toBe('get_weather');
      const last = parts.at(-1);
      expect(last?.type === 'finish' && last.response.toolCalls).toHaveLength(1);
    });

    it('gives JSON that fits a requested schema', async () => {
      const response = await target.provider.generate(ask('Name a city', { responseFormat: cityFormat }));
      const value = JSON.parse(response.text) as Record<string, unknown>;
      expect(typeof value['city']).toBe('string');
      expect(Number.isInteger(value['population'])).toBe(true);
    });

    it('embeds where it can, one vector per text', async () => {
      if (!target.supportsEmbeddings) {
        expect(target.provider.embed).toBeUndefined();
        return;
      }
      const result = await target.provider.embed!(['first text', 'second text']);
      expect(result.vectors).toHaveLength(2);
      const [first, second] = result.vectors;
      expect(first!.length).toBeGreaterThan(0);
      expect(second!.length).toBe(first!.length);
      expect(result.model.length).toBeGreaterThan(0);
    });

    it('stops a call when its signal aborts, as cancelled', async () => {
      const provider = await target.withFault('hang');
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const error = await failure(provider.generate(ask('Say hello'), controller.signal));
      expect(error.kind).toBe('cancelled');
    });

    it('stops a stream when its signal aborts mid-way, as cancelled', async () => {
      const controller = new AbortController();
      const parts: StreamPart[] = [];
      const error = await failure(
        (async () => {
          for await (const part of target.provider.stream(ask('Say hello'), controller.signal)) {
            parts.push(part);
            controller.abort();
          }
        })(),
      );
      expect(error.kind).toBe('cancelled');
      expect(parts.length).toBeLessThan(3);
    });

    it('reports a healthy key and endpoint', async () => {
      const report = await target.provider.checkHealth();
      expect(report.ok).toBe(true);
      expect(report.keyPresent).toBe(true);
    });

    it('reports a bad key as auth in its health check', async () => {
      const report = await (await target.withFault('bad-key')).checkHealth();
      expect(report.ok).toBe(false);
      expect(report.error?.kind).toBe('auth');
    });

    for (const fault of allFaults) {
      it(`maps ${fault} to ${expectedKind[fault]}`, async () => {
        const provider = await target.withFault(fault);
        const call =
          fault === 'stream-cut'
            ? collect(provider.stream(ask('Say hello')))
            : provider.generate(ask('Say hello'));
        const error = await failure(call);
        expect(error.kind).toBe(expectedKind[fault]);
        expect(error.provider).toBe(provider.name);
        if (fault === 'rate-limit') expect(error.retryAfterMs).toBe(fakeRetryAfterSeconds * 1000);
      });
    }
  });
}
