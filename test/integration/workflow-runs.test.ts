import { afterAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { defineAgent } from '../../src/shared/agents/agent.js';
import { calculatorTool } from '../../src/shared/agents/built-in-tools.js';
import { researchWorkflow } from '../../src/shared/agents/research-workflow.js';
import type { RunRecord } from '../../src/shared/agents/run-records.js';
import { RunStore } from '../../src/shared/agents/run-store.js';
import { type QueuedStep, startRun } from '../../src/shared/agents/start-run.js';
import { defineWorkflow, END, WorkflowRegistry } from '../../src/shared/agents/workflow.js';
import type { MockRule } from '../../src/shared/config/provider-settings.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { type GenerationResult, generationRequestSchema } from '../../src/shared/jobs.js';
import { createKeys } from '../../src/shared/keys.js';
import { mockReply } from '../../src/shared/providers/mock/mock-reply.js';
import { ProviderRegistry } from '../../src/shared/providers/registry.js';
import type { StepContext, StepOutcome } from '../../src/workers/agents/step-outcome.js';
import { runAgentJob } from '../../src/workers/agents/step-processor.js';
import { connect, deletePrefix, freshPrefix } from '../support/redis.js';

const redis = connect();
const prefixes: string[] = [];
afterAll(async () => {
  for (const prefix of prefixes) await deletePrefix(redis, prefix);
  redis.disconnect();
});

function storeFor(recordTtlMs = 60_000) {
  const prefix = freshPrefix('runs');
  prefixes.push(prefix);
  return { prefix, store: new RunStore(redis, createKeys(prefix), { recordTtlMs }) };
}

async function scanPrefix(prefix: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys);
  } while (cursor !== '0');
  return found;
}

/** Every write a run has: its record, history and events. */
async function snapshot(store: RunStore, runId: string) {
  return {
    record: await store.get(runId),
    history: await store.history(runId),
    events: await store.events(runId),
  };
}

const counter = defineWorkflow({
  name: 'counter',
  version: 1,
  state: z.object({ n: z.number().default(0), log: z.array(z.string()).default([]) }),
  start: 'one',
  nodes: {
    one: { kind: 'function', run: (s) => ({ n: s.n + 1, log: [...s.log, 'one'] }) },
    two: { kind: 'function', run: (s) => ({ n: s.n * 10, log: [...s.log, 'two'] }) },
    three: { kind: 'function', run: (s) => ({ n: s.n + 5, log: [...s.log, 'three'] }) },
  },
  edges: [
    { from: 'one', to: 'two' },
    { from: 'two', condition: (s) => (s.n > 100 ? END : 'three'), targets: ['three', END] },
    { from: 'three', to: END },
  ],
});

/** An LLM that answers like the mock provider, from the request itself (no queue, no network). */
function mockLlm(script: MockRule[] = []) {
  let calls = 0;
  return (request: unknown): GenerationResult => {
    const parsed = generationRequestSchema.parse(request);
    const model = parsed.model ?? 'mock-standard';
    const reply = mockReply({
      instance: parsed.providers?.[0] ?? 'mock',
      model,
      messages: parsed.messages!,
      script,
      responseFormat: parsed.responseFormat,
      callNumber: calls++,
    });
    return {
      ...reply,
      provider: parsed.providers?.[0] ?? 'mock',
      model,
      usage: { inputTokens: 20, outputTokens: 10 },
      costUsd: 0.0001,
      hops: [],
      latencyMs: 1,
    };
  };
}

/**
 * Runs agent-queue jobs to the end, in-process: step jobs deduplicated by id and generation requests
 * by idempotency key, as BullMQ and the request path do. `duplicate` delivers every job twice.
 */
async function drive(
  context: StepContext,
  first: QueuedStep,
  options: { llm?: ReturnType<typeof mockLlm>; duplicate?: boolean } = {},
): Promise<StepOutcome[]> {
  const llm = options.llm ?? mockLlm();
  const queue: unknown[] = [first.data];
  const jobIds = new Set([first.jobId]);
  const requests = new Set<string>();
  const outcomes: StepOutcome[] = [];
  const dispatch = {
    submitGeneration: async (
      request: Parameters<typeof llm>[0] & { idempotencyKey?: string; continuation?: { payload: unknown } },
    ) => {
      const key = request.idempotencyKey!;
      if (requests.has(key)) return;
      requests.add(key);
      queue.push({ requestId: key, result: llm(request), payload: request.continuation!.payload });
    },
    enqueueStep: async (jobId: string, data: unknown) => {
      if (jobIds.has(jobId)) return;
      jobIds.add(jobId);
      queue.push(data);
    },
  };
  while (queue.length) {
    const job = queue.shift();
    outcomes.push(await runAgentJob({ ...context, ...dispatch }, job));
    if (options.duplicate) outcomes.push(await runAgentJob({ ...context, ...dispatch }, job));
  }
  return outcomes;
}

describe('the run store', () => {
  it('writes nothing for a commit against a stale version', async () => {
    const { store } = storeFor();
    const { runId } = await startRun(store, new WorkflowRegistry([counter]), 'counter', {});
    const step = {
      runId,
      expectedVersion: 0,
      nextNode: 'two',
      newState: { n: 1, log: ['one'] },
      historyEntry: {
        node: 'one',
        kind: 'function' as const,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        ms: 1,
        startedAt: 1,
        patch: ['n'],
      },
      events: [{ type: 'step-finish' as const, node: 'one', data: {} }],
      usage: { inputTokens: 3, outputTokens: 4, costUsd: 0.5 },
    };
    expect(await store.commitStep(step)).toEqual({ outcome: 'ok', version: 1, status: 'running' });
    const before = await snapshot(store, runId);
    expect(await store.commitStep({ ...step, newState: { n: 99, log: ['again'] } })).toEqual({
      outcome: 'stale',
      version: 1,
    });
    expect(await snapshot(store, runId)).toEqual(before);
    expect(before.record).toMatchObject({
      checkpoint: 1,
      node: 'two',
      state: { n: 1 },
      usage: { tokens: 7, costUsd: 0.5 },
    });
    expect(before.history).toEqual([expect.objectContaining({ index: 0, node: 'one', patch: ['n'] })]);
  });

  it('stops a run over its token budget, or its cost budget, with a clear status', async () => {
    const { store } = storeFor();
    const registry = new WorkflowRegistry([counter]);
    const commit = (runId: string, expectedVersion: number, tokens: number, costUsd: number) =>
      store.commitStep({
        runId,
        expectedVersion,
        nextNode: 'two',
        newState: { n: 1, log: [] },
        usage: { inputTokens: tokens, outputTokens: 0, costUsd },
      });
    const tokens = await startRun(store, registry, 'counter', {}, { budgets: { maxTokens: 100 } });
    expect(await commit(tokens.runId, 0, 80, 0)).toMatchObject({ status: 'running' });
    expect(await commit(tokens.runId, 1, 30, 0)).toEqual({
      outcome: 'ok',
      version: 2,
      status: 'failed',
      reason: 'token budget exceeded: used 110 of 100',
    });
    expect(await store.get(tokens.runId)).toMatchObject({
      status: 'failed',
      error: 'token budget exceeded: used 110 of 100',
    });
    expect(await commit(tokens.runId, 2, 1, 0)).toEqual({ outcome: 'over', status: 'failed' });

    const cost = await startRun(store, registry, 'counter', {}, { budgets: { maxCostUsd: 0.01 } });
    expect(await commit(cost.runId, 0, 0, 0.02)).toMatchObject({
      status: 'failed',
      reason: 'cost budget exceeded: used $0.020000 of $0.010000',
    });
    const events = await store.events(cost.runId);
    expect(events.at(-1)).toMatchObject({ type: 'run-finished', data: { status: 'failed' } });
  });

  it('stops a run past its deadline', async () => {
    const { store } = storeFor();
    const registry = new WorkflowRegistry([counter]);
    const { runId, job } = await startRun(store, registry, 'counter', {}, { deadlineMs: 50 });
    const outcome = await runAgentJob(
      {
        store,
        workflows: registry,
        clock: () => Date.now() + 1_000,
        submitGeneration: async () => {},
        enqueueStep: async () => {},
      },
      job.data,
    );
    expect(outcome.status).toBe('failed');
    expect((await store.get(runId))?.error).toMatch(/^deadline exceeded: \d+ ms past the run deadline$/);
  });

  it('leaves no key of a finished run behind once its records expire', async () => {
    const { store, prefix } = storeFor(250);
    const registry = new WorkflowRegistry([counter]);
    const first = await startRun(store, registry, 'counter', { n: 20 });
    await drive({ store, workflows: registry }, first.job);
    const second = await startRun(store, registry, 'counter', {});
    await drive({ store, workflows: registry }, second.job);
    const cancelled = await startRun(store, registry, 'counter', {});
    expect(await store.cancel(cancelled.runId)).toEqual({ requests: [], children: [] });
    expect((await store.get(first.runId))?.status).toBe('completed');
    expect((await store.list()).map((run) => run.id).sort()).toEqual(
      [first.runId, second.runId, cancelled.runId].sort(),
    );
    expect((await scanPrefix(prefix)).length).toBeGreaterThan(5);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await scanPrefix(prefix)).toEqual([]);
  });
});

describe('workflow runs, step by step', () => {
  it('apply each step once even when every job is delivered twice', async () => {
    const { store } = storeFor();
    const registry = new WorkflowRegistry([counter]);
    const once = await startRun(store, registry, 'counter', {});
    await drive({ store, workflows: registry }, once.job);
    const twice = await startRun(store, registry, 'counter', {});
    await drive({ store, workflows: registry }, twice.job, { duplicate: true });
    const [a, b] = [await store.get(once.runId), await store.get(twice.runId)];
    expect(a).toMatchObject({
      status: 'completed',
      state: { n: 15, log: ['one', 'two', 'three'] },
      checkpoint: 3,
    });
    expect(b?.state).toEqual(a?.state);
    expect(b?.result).toEqual(a?.state);
    expect((await store.history(twice.runId)).map((entry) => entry.node)).toEqual(['one', 'two', 'three']);
  });

  it('a tool agent answers a question needing two tool calls', async () => {
    const { store } = storeFor();
    const agent = defineAgent({
      name: 'maths',
      instructions: 'Use the calculator.',
      tools: [calculatorTool],
      maxSteps: 4,
    });
    const workflow = defineWorkflow({
      name: 'ask',
      version: 1,
      state: z.object({ question: z.string(), answer: z.string().default('') }),
      start: 'solve',
      nodes: {
        solve: { kind: 'agent', agent, input: (s) => s.question, output: (_s, answer) => ({ answer }) },
      },
      edges: [{ from: 'solve', to: END }],
    });
    const registry = new WorkflowRegistry([workflow]);
    const llm = mockLlm([
      { match: 'What is', toolCalls: [{ name: 'calculator', arguments: { expression: '2 + 3' } }] },
      { match: '"result":5}', toolCalls: [{ name: 'calculator', arguments: { expression: '5 * 4 + 1' } }] },
      { match: '"result":21}', reply: 'It is 21.' },
    ]);
    const { runId, job } = await startRun(store, registry, 'ask', { question: 'What is (2 + 3) * 4 + 1?' });
    await drive({ store, workflows: registry }, job, { llm, duplicate: true });
    const run = await store.get(runId);
    expect(run).toMatchObject({ status: 'completed', state: { answer: 'It is 21.' }, usage: { tokens: 90 } });
    expect((await store.history(runId)).map((entry) => [entry.turn, entry.toolCalls ?? []])).toEqual([
      [0, ['calculator']],
      [1, ['calculator']],
      [2, []],
    ]);
    const types = (await store.events(runId)).map((event) => event.type);
    expect(types.filter((type) => type === 'tool-call')).toHaveLength(2);
    expect(types).toContain('text-delta');
  });

  it('a bad tool argument goes back to the model as a tool error', async () => {
    const { store } = storeFor();
    const agent = defineAgent({
      name: 'maths',
      instructions: 'Use the calculator.',
      tools: [calculatorTool],
      maxSteps: 3,
    });
    const workflow = defineWorkflow({
      name: 'bad-args',
      version: 1,
      state: z.object({ answer: z.string().default('') }),
      start: 'solve',
      nodes: {
        solve: { kind: 'agent', agent, input: () => 'Compute', output: (_s, answer) => ({ answer }) },
      },
      edges: [{ from: 'solve', to: END }],
    });
    const registry = new WorkflowRegistry([workflow]);
    const llm = mockLlm([
      { match: 'Compute', toolCalls: [{ name: 'calculator', arguments: { expr: '1+1' } }] },
    ]);
    const { runId, job } = await startRun(store, registry, 'bad-args', {});
    await drive({ store, workflows: registry }, job, { llm });
    const run = await store.get(runId);
    expect(run?.status).toBe('completed');
    expect((run!.state as { answer: string }).answer).toMatch(
      /^Tool calculator returned: error: calculator: expression: /,
    );
  });

  it('the research workflow fans out to three task-aware workers and merges', async () => {
    const { store } = storeFor();
    const registry = new WorkflowRegistry([researchWorkflow]);
    const providers = new ProviderRegistry(
      loadSettings({
        env: {},
        configPath: undefined,
        overrides: {
          providers: { mock: { type: 'mock' }, 'mock-b': { type: 'mock', defaultModel: 'mock-basic' } },
        },
      }),
    );
    const { runId, job } = await startRun(store, registry, 'research', {
      task: 'Compare Redis and Postgres as queues',
    });
    const outcomes = await drive({ store, workflows: registry, providerRegistry: providers }, job, {
      duplicate: true,
    });
    const fanOut = outcomes.find((outcome) => outcome.generations.length >= 3);
    expect(fanOut?.generations.map((request) => request.model)).toEqual([
      'mock-advanced',
      'mock-advanced',
      'mock-advanced',
    ]);
    const run = await store.get(runId);
    expect(run?.status).toBe('completed');
    const state = run?.state as { subtasks: unknown[]; results: Array<{ answer: string }>; answer: string };
    expect(state.subtasks).toHaveLength(3);
    expect(state.results).toHaveLength(3);
    expect(state.results[0]!.answer).toMatch(/Your subtask: mock/);
    expect(state.answer).toMatch(/^Mock reply from mock/);
    const history = await store.history(runId);
    expect(history.map((entry) => `${entry.node}:${entry.kind}`)).toEqual([
      'plan:agent',
      'work:branch',
      'work:branch',
      'work:branch',
      'work:map',
      'merge:agent',
    ]);
    expect(history[1]).toMatchObject({
      provider: 'mock',
      model: 'mock-advanced',
      inputTokens: 20,
      outputTokens: 10,
    });
    expect(run?.usage.tokens).toBe(5 * 30);
  });

  it('a map node runs sub-workflows and joins their final states', async () => {
    const { store } = storeFor();
    const parent = defineWorkflow({
      name: 'fan',
      version: 1,
      state: z.object({ items: z.array(z.number()), total: z.number().default(0) }),
      start: 'each',
      nodes: {
        each: {
          kind: 'map',
          items: (s) => s.items,
          workflow: { name: 'counter', version: '1' },
          workflowInput: (item: number) => ({ n: item }),
          join: (_s, results) => ({
            total: results.reduce((sum: number, r) => sum + (r as { n: number }).n, 0),
          }),
        },
      },
      edges: [{ from: 'each', to: END }],
    });
    const registry = new WorkflowRegistry([parent, counter]);
    const { runId, job } = await startRun(store, registry, 'fan', { items: [1, 2, 3] });
    await drive({ store, workflows: registry }, job, { duplicate: true });
    expect(await store.get(runId)).toMatchObject({ status: 'completed', state: { total: 25 + 35 + 45 } });
    expect(await store.get(`${runId}.0.1`)).toMatchObject({
      status: 'completed',
      state: { n: 35 },
      parent: { runId, branch: 1 },
    });
  });

  it('a human node waits with nothing queued until a signal resumes it; bad data keeps it waiting', async () => {
    const { store } = storeFor();
    const workflow = defineWorkflow({
      name: 'approve',
      version: 1,
      state: z.object({ approved: z.boolean().default(false) }),
      start: 'ask',
      nodes: {
        ask: {
          kind: 'human',
          prompt: 'Approve?',
          data: z.object({ approved: z.boolean() }),
          resume: (_s, data) => ({ approved: (data as { approved: boolean }).approved }),
        },
      },
      edges: [{ from: 'ask', to: END }],
    });
    const registry = new WorkflowRegistry([workflow]);
    const context = { store, workflows: registry };
    const { runId, job } = await startRun(store, registry, 'approve', {});
    const waiting = await drive(context, job);
    expect(waiting.at(-1)).toMatchObject({ status: 'waiting', enqueue: [], generations: [] });
    expect(await store.get(runId)).toMatchObject({ status: 'waiting', node: 'ask', checkpoint: 1 });

    const bad = await store.signal(runId, { approved: 'yes' });
    expect(bad).toEqual({ outcome: 'ok', version: 1, node: 'ask' });
    if (bad.outcome !== 'ok') return;
    await drive(context, {
      jobId: `${runId}.${bad.version}`,
      data: { runId, version: bad.version, node: bad.node },
    });
    expect(await store.get(runId)).toMatchObject({ status: 'waiting', checkpoint: 2 });
    expect((await store.history(runId)).at(-1)?.note).toMatch(/^input refused: signal data\.approved: /);

    const good = await store.signal(runId, { approved: true });
    if (good.outcome !== 'ok') throw new Error('expected the run to wait');
    await drive(context, {
      jobId: `${runId}.${good.version}`,
      data: { runId, version: good.version, node: good.node },
    });
    expect(await store.get(runId)).toMatchObject({ status: 'completed', state: { approved: true } });
    expect(await store.signal(runId, {})).toEqual({ outcome: 'not-waiting', status: 'completed' });
  });

  it('cancel stops a run and names the generation requests it had in flight', async () => {
    const { store } = storeFor();
    const registry = new WorkflowRegistry([researchWorkflow]);
    const { runId, job } = await startRun(store, registry, 'research', { task: 'Anything' });
    const issued = await runAgentJob(
      { store, workflows: registry, submitGeneration: async () => {}, enqueueStep: async () => {} },
      job.data,
    );
    expect(issued.status).toBe('issued');
    expect(await store.cancel(runId)).toEqual({ requests: [`${runId}:0`], children: [] });
    expect(await store.get(runId)).toMatchObject({ status: 'cancelled', error: 'cancelled' });
    // The LLM result arriving afterwards changes nothing.
    const late = await runAgentJob(
      { store, workflows: registry, submitGeneration: async () => {}, enqueueStep: async () => {} },
      { requestId: 'x', result: mockLlm()(issued.generations[0]), payload: job.data },
    );
    expect(late.status).toBe('over');
    expect(await store.history(runId)).toEqual([]);
  });

  it('a run of a workflow version this worker lacks waits, or fails naming name@version', async () => {
    const { store } = storeFor();
    const old = new WorkflowRegistry([counter]);
    const { runId, job } = await startRun(store, old, 'counter', {});
    const other = defineWorkflow({ ...counter, version: 2 } as Parameters<typeof defineWorkflow>[0]);
    const newer = new WorkflowRegistry([other]);
    const dispatch = { submitGeneration: async () => {}, enqueueStep: async () => {} };
    const waited = await runAgentJob({ store, workflows: newer, ...dispatch }, job.data);
    expect(waited).toMatchObject({ status: 'refused', detail: 'unknown workflow counter@1' });
    expect((await store.get(runId))?.status).toBe('running');
    const failed = await runAgentJob(
      { store, workflows: newer, unknownVersion: 'fail', ...dispatch },
      job.data,
    );
    expect(failed.status).toBe('refused');
    expect(await store.get(runId)).toMatchObject({
      status: 'failed',
      error: 'unknown workflow counter@1',
    } satisfies Partial<RunRecord>);
  });
});
