import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineAgent } from '../../src/shared/agents/agent.js';
import { calculatorTool, knowledgeSearchTool } from '../../src/shared/agents/built-in-tools.js';
import type { RunRecord } from '../../src/shared/agents/run-records.js';
import type { RunStore } from '../../src/shared/agents/run-store.js';
import { defineTool, runToolCall, ToolRegistry, toolSpec } from '../../src/shared/agents/tools.js';
import { defineWorkflow, END, WorkflowRegistry } from '../../src/shared/agents/workflow.js';
import { ValidationError } from '../../src/shared/errors.js';
import type { GenerationResult } from '../../src/shared/jobs.js';
import { processStep } from '../../src/workers/agents/step-processor.js';

const context = { idempotencyKey: 'run-1:3:0', signal: new AbortController().signal };

const weather = defineTool({
  name: 'weather',
  description: 'Current weather of a city',
  input: z.object({ city: z.string().min(1), days: z.number().int().min(1).max(7).default(1) }),
  run: ({ city, days }) => ({ city, days, sky: 'clear' }),
});

describe('tools', () => {
  it('describe their input as JSON Schema', () => {
    expect(toolSpec(weather)).toEqual({
      name: 'weather',
      description: 'Current weather of a city',
      parameters: {
        type: 'object',
        properties: {
          city: { type: 'string', minLength: 1 },
          days: { type: 'integer', minimum: 1, maximum: 7, default: 1 },
        },
        required: ['city'],
      },
    });
  });

  it('run with validated arguments (defaults applied, JSON text accepted)', async () => {
    expect(await runToolCall(weather, { city: 'Oslo' }, context)).toEqual({
      ok: true,
      value: { city: 'Oslo', days: 1, sky: 'clear' },
      content: '{"city":"Oslo","days":1,"sky":"clear"}',
    });
    expect(await runToolCall(weather, '{"city":"Rome","days":2}', context)).toMatchObject({ ok: true });
  });

  it('turn a bad argument into a tool error naming the field, never a throw', async () => {
    const wrongType = await runToolCall(weather, { city: 42 }, context);
    expect(wrongType).toEqual({
      ok: false,
      error: expect.stringMatching(/^weather: city: .*expected string/),
    });
    const outOfRange = await runToolCall(weather, { city: 'Oslo', days: 30 }, context);
    expect(outOfRange.ok || outOfRange.error).toMatch(/^weather: days: .*7/);
    const missing = await runToolCall(weather, {}, context);
    expect(missing.ok || missing.error).toMatch(/^weather: city: /);
    const notJson = await runToolCall(weather, '{city', context);
    expect(notJson).toEqual({ ok: false, error: 'weather: arguments: expected a JSON object' });
  });

  it('turn a failing run into a tool error', async () => {
    const flaky = defineTool({
      name: 'flaky',
      description: '',
      input: z.object({}),
      run: () => {
        throw new Error('upstream said no');
      },
    });
    expect(await runToolCall(flaky, {}, context)).toEqual({ ok: false, error: 'flaky: upstream said no' });
    const calculation = await runToolCall(calculatorTool, { expression: '1 +' }, context);
    expect(calculation.ok || calculation.error).toMatch(/^calculator: unexpected end/);
  });

  it('are named safely and registered once', () => {
    expect(() => defineTool({ ...weather, name: 'get weather' })).toThrow(ValidationError);
    const registry = new ToolRegistry([weather, calculatorTool]);
    expect(() => registry.register(weather)).toThrow(/'weather' is already registered/);
    expect(registry.list().map((tool) => tool.name)).toEqual(['weather', 'calculator']);
    expect(registry.list()[1]!.parameters).toMatchObject({ required: ['expression'] });
  });

  it('the knowledge tool searches the collection it is asked for', async () => {
    const asked: unknown[] = [];
    const tool = knowledgeSearchTool(
      async (query, options) => {
        asked.push({ query, ...options });
        return [{ text: 'Breakers open at 50% errors.', documentId: 'providers.md', score: 0.9 }];
      },
      { defaultCollection: 'handbook' },
    );
    const outcome = await runToolCall(tool, { query: 'breaker' }, context);
    expect(outcome).toMatchObject({
      ok: true,
      value: [{ text: 'Breakers open at 50% errors.', source: 'providers.md', score: 0.9 }],
    });
    expect(asked).toEqual([{ query: 'breaker', collection: 'handbook', k: 5 }]);
  });
});

describe('a tool run by a retried step', () => {
  it('gets the same idempotency key each time the step runs', async () => {
    const keys: string[] = [];
    const charge = defineTool({
      name: 'charge',
      description: 'Charges a card',
      input: z.object({ cents: z.number().int() }),
      run: (_input, { idempotencyKey }) => {
        keys.push(idempotencyKey);
        return 'charged';
      },
    });
    const agent = defineAgent({ name: 'payer', instructions: 'Pay.', tools: [charge], maxSteps: 3 });
    const workflow = defineWorkflow({
      name: 'pay',
      version: 1,
      state: z.object({ done: z.string().default('') }),
      start: 'pay',
      nodes: { pay: { kind: 'agent', agent, input: () => 'pay', output: (_s, done) => ({ done }) } },
      edges: [{ from: 'pay', to: END }],
    });
    const record: RunRecord = {
      id: 'run-1',
      workflow: 'pay',
      workflowVersion: '1',
      status: 'running',
      state: { done: '' },
      node: 'pay',
      checkpoint: 3,
      input: {},
      createdAt: 0,
      updatedAt: 0,
      deadlineAt: Date.now() + 60_000,
      budgets: {},
      usage: { tokens: 0, costUsd: 0 },
    };
    let commits = 0;
    // The first try dies after the tool ran, before its commit landed; the retry commits.
    const store = {
      get: async () => record,
      emit: async () => undefined,
      commitStep: async () => {
        if (commits++ === 0) throw new Error('worker killed');
        return { outcome: 'ok', version: 4, status: 'running' };
      },
    } as unknown as RunStore;
    const result: GenerationResult = {
      text: '',
      toolCalls: [
        { id: 'c1', name: 'charge', arguments: { cents: 100 } },
        { id: 'c2', name: 'charge', arguments: { cents: 250 } },
      ],
      provider: 'mock',
      model: 'mock-standard',
      usage: { inputTokens: 10, outputTokens: 5 },
      costUsd: 0,
      hops: [],
      latencyMs: 1,
    };
    const ctx = { store, workflows: new WorkflowRegistry([workflow]) };
    const job = { runId: 'run-1', version: 3, node: 'pay' };
    await expect(processStep(ctx, job, { result })).rejects.toThrow('worker killed');
    const retried = await processStep(ctx, job, { result });
    expect(keys).toEqual(['run-1:3:0', 'run-1:3:1', 'run-1:3:0', 'run-1:3:1']);
    expect(retried.status).toBe('issued');
    expect(retried.generations[0]).toMatchObject({
      idempotencyKey: 'run-1:4',
      continuation: { queue: 'agent', payload: { runId: 'run-1', version: 4, node: 'pay' } },
    });
  });
});
