import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { defineAgent } from '../../src/shared/agents/agent.js';
import { AgentQueue } from '../../src/shared/agents/agent-queue.js';
import { calculatorTool } from '../../src/shared/agents/built-in-tools.js';
import { RunStore } from '../../src/shared/agents/run-store.js';
import { startRun } from '../../src/shared/agents/start-run.js';
import { defineWorkflow, END, WorkflowRegistry } from '../../src/shared/agents/workflow.js';
import { loadSettings, type Settings } from '../../src/shared/config/settings.js';
import { createKeys } from '../../src/shared/keys.js';
import { createLogger } from '../../src/shared/log.js';
import { type AgentWorkers, startAgentWorkers } from '../../src/workers/agents/start-agent-workers.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import { type AnthropicFake, startAnthropicFake } from '../fakes/anthropic-fake.js';
import { type OpenAIFake, startOpenAIFake, type ToolScript } from '../fakes/openai-fake.js';
import { approve } from '../support/approval-workflow.js';
import { connect, deletePrefix, freshPrefix, redisTarget } from '../support/redis.js';

const redis = connect();
const prefix = freshPrefix('wfc');
const silent = createLogger({ level: 'silent' });

const maths = defineAgent({
  name: 'maths',
  instructions: 'Use the calculator.',
  tools: [calculatorTool],
  maxSteps: 4,
});

const ask = defineWorkflow({
  name: 'ask',
  version: 1,
  state: z.object({ question: z.string(), answer: z.string().default('') }),
  start: 'solve',
  nodes: {
    solve: { kind: 'agent', agent: maths, input: (s) => s.question, output: (_s, answer) => ({ answer }) },
  },
  edges: [{ from: 'solve', to: END }],
});

const slowAgent = defineAgent({
  name: 'slow',
  instructions: 'Take your time.',
  tools: [],
  providers: ['slow'],
  maxSteps: 1,
});
const slow = defineWorkflow({
  name: 'slow',
  version: 1,
  state: z.object({ answer: z.string().default('') }),
  start: 'think',
  nodes: {
    think: {
      kind: 'agent',
      agent: slowAgent,
      input: () => 'Think slowly',
      output: (_s, answer) => ({ answer }),
    },
  },
  edges: [{ from: 'think', to: END }],
});

// A sub-workflow whose one LLM call takes 5 s, and a parent fanning out over it.
const slowItem = defineWorkflow({
  name: 'slow-item',
  version: 1,
  state: z.object({ topic: z.string(), answer: z.string().default('') }),
  start: 'think',
  nodes: {
    think: {
      kind: 'agent',
      agent: slowAgent,
      input: (s) => `Think slowly about ${s.topic}`,
      output: (_s, answer) => ({ answer }),
    },
  },
  edges: [{ from: 'think', to: END }],
});
const fanout = defineWorkflow({
  name: 'fanout',
  version: 1,
  state: z.object({ topics: z.array(z.string()), answers: z.array(z.unknown()).default([]) }),
  start: 'each',
  nodes: {
    each: {
      kind: 'map',
      items: (s) => s.topics,
      workflow: { name: 'slow-item', version: '1' },
      workflowInput: (topic) => ({ topic }),
      join: (_s, answers) => ({ answers }),
    },
  },
  edges: [{ from: 'each', to: END }],
});

// Two branches of one map: one answers at once on the mock, the other takes 5 s.
const plainAgent = defineAgent({ name: 'plain', instructions: 'Answer.', tools: [], maxSteps: 1 });
const race = defineWorkflow({
  name: 'race',
  version: 1,
  state: z.object({ answers: z.array(z.unknown()).default([]) }),
  start: 'both',
  nodes: {
    both: {
      kind: 'map',
      items: () => ['mock', 'slow'],
      agent: plainAgent,
      input: (instance) => `Answer on ${instance}`,
      route: (instance) => ({ providers: [instance] }),
      join: (_s, answers) => ({ answers }),
    },
  },
  edges: [{ from: 'both', to: END }],
});

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
    { from: 'two', to: 'three' },
    { from: 'three', to: END },
  ],
});

function settingsFor(testPrefix: string, agents: Record<string, unknown> = {}): Settings {
  return loadSettings({
    env: {},
    configPath: undefined,
    overrides: {
      redis: { ...redisTarget(), prefix: testPrefix },
      providers: {
        mock: {
          type: 'mock',
          latencyMs: 300,
          script: [
            { match: 'What is', toolCalls: [{ name: 'calculator', arguments: { expression: '2 + 3' } }] },
            {
              match: '"result":5}',
              toolCalls: [{ name: 'calculator', arguments: { expression: '5 * 4 + 1' } }],
            },
            { match: '"result":21}', reply: 'It is 21.' },
          ],
        },
        slow: { type: 'mock', latencyMs: 5_000 },
      },
      providerOrder: ['mock'],
      workers: { heartbeatIntervalMs: 200, lockDurationMs: 2_000, stalledIntervalMs: 1_000 },
      agents: { unknownVersionRetries: 2, unknownVersionDelayMs: 200, ...agents },
      log: { level: 'silent' },
    },
  });
}

const settings = settingsFor(prefix);
let generation: WorkerFleet;
let agentWorkers: AgentWorkers[];
let client: AtlasClient;

beforeAll(async () => {
  generation = await startWorkers({ settings, log: silent, providers: ['mock', 'slow'], concurrency: 20 });
  agentWorkers = await Promise.all(
    [0, 1].map(() =>
      startAgentWorkers({
        settings,
        log: silent,
        workflows: [ask, slow, approve, counter, slowItem, fanout, race],
        concurrency: 5,
      }),
    ),
  );
  client = new AtlasClient({ settings });
});

afterAll(async () => {
  await client.close();
  for (const workers of agentWorkers) await workers.close();
  await generation.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await sleep(50);
  }
}

async function scanFor(testPrefix: string, text: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${testPrefix}:*`, 'COUNT', 1000);
    cursor = next;
    found.push(...keys.filter((key) => key.includes(text)));
  } while (cursor !== '0');
  return found;
}

describe('workflow runs through real workers', () => {
  it('lists what the live agent workers serve, and refuses an unknown name or version by name', async () => {
    const served = await client.workflows.served();
    expect(served.map((entry) => `${entry.name}@${entry.version}`)).toEqual(
      expect.arrayContaining(['ask@1', 'research@1', 'counter@1']),
    );
    expect(served.find((entry) => entry.name === 'ask')).toMatchObject({
      workers: 2,
      required: ['question'],
    });
    expect((await client.workflows.tools()).map((tool) => tool.name)).toEqual(
      expect.arrayContaining(['calculator', 'http_fetch']),
    );
    await expect(client.workflows.start('nope', {})).rejects.toThrow(
      /^workflow: unknown workflow 'nope'; served: /,
    );
    await expect(client.workflows.start('counter', {}, { version: '2' })).rejects.toThrow(
      /^workflow: unknown workflow counter@2; served: /,
    );
    await expect(client.workflows.start('ask', {})).rejects.toThrow(/^input\.question: required by ask@1/);
  });

  it('a tool agent answers a question needing two tool calls on the mock', async () => {
    const { id } = await client.workflows.start('ask', { question: 'What is (2 + 3) * 4 + 1?' });
    const run = await client.workflows.wait(id, { timeoutMs: 10_000 });
    expect(run).toMatchObject({ status: 'completed', state: { answer: 'It is 21.' }, node: '' });
    expect(run.history.map((step) => [step.turn, step.toolCalls ?? [], step.provider, step.model])).toEqual([
      [0, ['calculator'], 'mock', 'mock-standard'],
      [1, ['calculator'], 'mock', 'mock-standard'],
      [2, [], 'mock', 'mock-standard'],
    ]);
    expect(run.history.every((step) => step.ms >= 300 && step.inputTokens > 0)).toBe(true);
    const events = [];
    for await (const event of client.workflows.follow(id)) events.push(event.type);
    expect(events.filter((type) => type === 'tool-call')).toHaveLength(2);
    expect(events.at(-1)).toBe('run-finished');
  });

  it('a human node waits with no worker busy, and a signal resumes it', async () => {
    const { id } = await client.workflows.start('approve', {});
    await until(
      () => client.workflows.get(id),
      (run) => run?.status === 'waiting',
    );
    await sleep(300);
    const queue = new AgentQueue(redis, createKeys(prefix));
    const counts = await queue.queue.getJobCounts('active', 'waiting', 'prioritized');
    await queue.close();
    expect(counts).toEqual({ active: 0, waiting: 0, prioritized: 0 });
    await expect(client.workflows.signal(id, { approved: 'yes' })).resolves.toBeUndefined();
    await until(
      () => client.workflows.get(id),
      (run) => run?.status === 'waiting' && run.history.at(-1)?.note?.startsWith('input refused') === true,
    );
    await client.workflows.signal(id, { approved: true });
    const run = await client.workflows.wait(id, { timeoutMs: 5_000 });
    expect(run).toMatchObject({
      status: 'completed',
      state: { approved: true, log: ['prepared', 'answered', 'finished'] },
    });
    await expect(client.workflows.signal(id, {})).rejects.toThrow(
      /is not waiting for input \(it is completed\)/,
    );
  });

  it('cancel stops a run and its in-flight generation job', async () => {
    const { id } = await client.workflows.start('slow', {});
    const keys = createKeys(prefix);
    const [requestKey] = await until(
      () => redis.smembers(keys.runRequests(id)),
      (members) => members.length === 1,
    );
    const requestId = (await redis.get(keys.idempotency(requestKey!)))!;
    await until(
      () => client.get(requestId),
      (request) => request?.status === 'running',
    );
    const started = Date.now();
    expect(await client.workflows.cancel(id)).toBe(true);
    expect(await client.workflows.get(id)).toMatchObject({
      status: 'cancelled',
      error: 'cancelled by the caller',
    });
    expect((await client.get(requestId))?.status).toBe('cancelled');
    // The provider call is aborted: the slow instance's job ends long before its 5 s latency.
    const { GenerationQueues } = await import('../../src/shared/requests/generation-queues.js');
    const queues = new GenerationQueues(redis, keys, settings.workers);
    await until(
      () => queues.get('slow').getJobCounts('active'),
      (counts) => counts['active'] === 0,
      3_000,
    );
    await queues.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await client.workflows.cancel(id)).toBe(false);
  });

  it('cancel reaches the sub-runs of a map node and their in-flight generation requests', async () => {
    const { id } = await client.workflows.start('fanout', { topics: ['a', 'b', 'c'] });
    const keys = createKeys(prefix);
    const children = await until(
      () => redis.smembers(keys.runChildren(id)),
      (members) => members.length === 3,
    );
    const requestIds = await until(
      async () => {
        const ids = [];
        for (const child of children) {
          const [key] = await redis.smembers(keys.runRequests(child));
          const requestId = key ? await redis.get(keys.idempotency(key)) : null;
          if (requestId && (await client.get(requestId))?.status === 'running') ids.push(requestId);
        }
        return ids;
      },
      (ids) => ids.length === 3,
    );
    expect(await client.workflows.cancel(id)).toBe(true);
    for (const child of children) {
      expect(await client.workflows.get(child)).toMatchObject({
        status: 'cancelled',
        error: `parent run ${id} ended: cancelled by the caller`,
      });
    }
    for (const requestId of requestIds) {
      expect(await client.get(requestId)).toMatchObject({
        status: 'cancelled',
        error: {
          message: expect.stringMatching(/^run .+ ended: parent run .+ ended: cancelled by the caller$/),
        },
      });
    }
  });

  it('a run stopped by a budget cancels the generation requests it still has in flight', async () => {
    const keys = createKeys(prefix);
    const started = Date.now();
    const { id } = await client.workflows.start('race', {}, { budgets: { maxTokens: 1 } });
    // Read while both branches' calls are in flight (the mock answers in 300 ms).
    const slowKey = await until(
      async () => (await redis.smembers(keys.runRequests(id))).find((key) => key.endsWith(':b1:0')),
      (key) => key !== undefined,
    );
    const slowRequest = (await redis.get(keys.idempotency(slowKey!)))!;
    const run = await client.workflows.wait(id, { timeoutMs: 5_000 });
    expect(run.status).toBe('failed');
    expect(run.error).toMatch(/^token budget exceeded: used \d+ of 1$/);
    // The slow branch's call is cancelled when the run stops, not left to run its 5 s.
    const request = await until(
      () => client.get(slowRequest),
      (value) => value?.status === 'cancelled',
      3_000,
    );
    expect(request?.error?.message).toMatch(/^run .+ ended: token budget exceeded/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('a deadline and a token budget each stop a run with a clear status', async () => {
    const late = await client.workflows.start('slow', {}, { deadlineMs: 700 });
    const budget = await client.workflows.start(
      'ask',
      { question: 'What is (2 + 3) * 4 + 1?' },
      { budgets: { maxTokens: 5 } },
    );
    const keys = createKeys(prefix);
    const [lateKey] = await until(
      () => redis.smembers(keys.runRequests(late.id)),
      (members) => members.length === 1,
    );
    const lateRequest = (await redis.get(keys.idempotency(lateKey!)))!;
    const [lateRun, budgetRun] = await Promise.all([
      client.workflows.wait(late.id, { timeoutMs: 5_000 }),
      client.workflows.wait(budget.id, { timeoutMs: 5_000 }),
    ]);
    expect(lateRun.status).toBe('failed');
    expect(lateRun.error).toMatch(/^deadline exceeded: \d+ ms past the run deadline$/);
    // Its 5 s call does not outlive the run: cancelled when the run stops, or timed out at the same deadline.
    const request = await until(
      () => client.get(lateRequest),
      (value) => value?.status === 'cancelled' || value?.status === 'failed',
      1_000,
    );
    expect(request?.status).toMatch(/^(cancelled|failed)$/);
    expect(budgetRun.status).toBe('failed');
    expect(budgetRun.error).toMatch(/^token budget exceeded: used \d+ of 5$/);
  });

  it('research fans out to three worker agents in parallel and merges', async () => {
    const { id } = await client.workflows.start('research', { task: 'Compare Redis and Postgres as queues' });
    const run = await client.workflows.wait(id, { timeoutMs: 10_000 });
    expect(run.status).toBe('completed');
    const state = run.state as { results: Array<{ answer: string }>; answer: string };
    expect(state.results).toHaveLength(3);
    expect(state.answer).toMatch(/^Mock reply from mock/);
    const branches = run.history.filter((step) => step.kind === 'branch');
    expect(branches).toHaveLength(3);
    // Three LLM calls of 300 ms each, in flight together: their results land within one call's time.
    const ends = branches.map((step) => step.startedAt);
    expect(Math.max(...ends) - Math.min(...ends)).toBeLessThan(250);
    expect(run.history.map((step) => step.node)).toEqual(['plan', 'work', 'work', 'work', 'work', 'merge']);
  });

  it('replay from a step gives a new run id and leaves the original untouched', async () => {
    const { id } = await client.workflows.start('counter', { n: 2 });
    const original = await client.workflows.wait(id, { timeoutMs: 5_000 });
    expect(original).toMatchObject({ status: 'completed', state: { n: 35, log: ['one', 'two', 'three'] } });
    const before = {
      run: await client.workflows.get(id),
      events: await redis.xlen(createKeys(prefix).runEvents(id)),
    };
    const replay = await client.workflows.replay(id, { fromStep: 1 });
    expect(replay.id).not.toBe(id);
    const replayed = await client.workflows.wait(replay.id, { timeoutMs: 5_000 });
    expect(replayed).toMatchObject({
      status: 'completed',
      state: original.state,
      replayOf: { runId: id, step: 1 },
    });
    expect(replayed.history.map((step) => step.node)).toEqual(['two', 'three']);
    expect({
      run: await client.workflows.get(id),
      events: await redis.xlen(createKeys(prefix).runEvents(id)),
    }).toEqual(before);
    const fromStart = await client.workflows.wait((await client.workflows.replay(id, { fromStep: 0 })).id, {
      timeoutMs: 5_000,
    });
    expect(fromStart.state).toEqual(original.state);
    await expect(client.workflows.replay(id, { fromStep: 7 })).rejects.toThrow(
      /^fromStep: expected a step of run/,
    );
  });

  it('a run of a version no worker has waits, then fails naming name@version', async () => {
    const keys = createKeys(prefix);
    const store = new RunStore(redis, keys, { recordTtlMs: 60_000 });
    const newer = defineWorkflow({ ...counter, version: 2 } as Parameters<typeof defineWorkflow>[0]);
    const { runId, job } = await startRun(store, new WorkflowRegistry([newer]), 'counter', {});
    const queue = new AgentQueue(redis, keys);
    await queue.addStep(job.jobId, job.data);
    await queue.close();
    await sleep(150);
    expect((await client.workflows.get(runId))?.status).toBe('running');
    const run = await client.workflows.wait(runId, { timeoutMs: 5_000 });
    expect(run).toMatchObject({ status: 'failed', error: 'unknown workflow counter@2' });
  });
});

describe('a short record expiry', () => {
  const shortPrefix = freshPrefix('wfc-ttl');
  const short = settingsFor(shortPrefix, { recordTtlMs: 400 });
  let shortGeneration: WorkerFleet;
  let shortAgents: AgentWorkers;
  let shortClient: AtlasClient;

  beforeAll(async () => {
    shortGeneration = await startWorkers({ settings: short, log: silent, providers: ['mock'] });
    shortAgents = await startAgentWorkers({ settings: short, log: silent, workflows: [ask, counter] });
    shortClient = new AtlasClient({ settings: short });
  });

  afterAll(async () => {
    await shortClient.close();
    await shortAgents.close();
    await shortGeneration.close();
    await deletePrefix(redis, shortPrefix);
  });

  it('leaves no key of a finished run behind (a SCAN by prefix shows none)', async () => {
    const runs = await Promise.all([
      shortClient.workflows.start('counter', {}),
      shortClient.workflows.start('ask', { question: 'What is (2 + 3) * 4 + 1?' }),
    ]);
    for (const { id } of runs) {
      expect((await shortClient.workflows.wait(id, { timeoutMs: 5_000 })).status).toBe('completed');
      expect((await scanFor(shortPrefix, id)).length).toBeGreaterThan(0);
    }
    await sleep(700);
    for (const { id } of runs) expect(await scanFor(shortPrefix, id)).toEqual([]);
    expect(await shortClient.workflows.list()).toEqual([]);
  });
});

describe('research with the default instances and only mock workers live', () => {
  // No providers setting: openai, anthropic, ollama and mock exist, as on a fresh install with no keys.
  const defaultsPrefix = freshPrefix('wfc-defaults');
  const defaults = loadSettings({
    env: {},
    configPath: undefined,
    overrides: {
      redis: { ...redisTarget(), prefix: defaultsPrefix },
      workers: { heartbeatIntervalMs: 200, lockDurationMs: 2_000, stalledIntervalMs: 1_000 },
      log: { level: 'silent' },
    },
  });
  let mockOnly: WorkerFleet;
  let defaultAgents: AgentWorkers;
  let defaultsClient: AtlasClient;

  beforeAll(async () => {
    mockOnly = await startWorkers({ settings: defaults, log: silent, providers: ['mock'] });
    defaultAgents = await startAgentWorkers({ settings: defaults, log: silent });
    defaultsClient = new AtlasClient({ settings: defaults });
  });

  afterAll(async () => {
    await defaultsClient.close();
    await defaultAgents.close();
    await mockOnly.close();
    await deletePrefix(redis, defaultsPrefix);
  });

  it('completes: each task-aware worker call fails over to the live instance', async () => {
    expect(defaults.providerOrder).toEqual(['openai', 'anthropic', 'ollama', 'mock']);
    const { id } = await defaultsClient.workflows.start('research', {
      task: 'Compare Redis and Postgres as job queues',
    });
    const run = await defaultsClient.workflows.wait(id, { timeoutMs: 10_000 });
    expect(run.error).toBeUndefined();
    expect(run.status).toBe('completed');
    const branches = run.history.filter((step) => step.kind === 'branch');
    expect(branches).toHaveLength(3);
    for (const branch of branches) expect(branch.provider).toBe('mock');
    expect((run.state as { answer: string }).answer).toMatch(/^Mock reply from mock/);
  });
});

describe('a tool agent through the OpenAI and Anthropic fakes', () => {
  const fakePrefix = freshPrefix('wfc-fakes');
  // Two calculator calls, then an answer in text: each fake speaks its own tool-call wire format.
  const script: ToolScript = (results) =>
    results === 0
      ? { name: 'calculator', arguments: { expression: '2 + 3' } }
      : results === 1
        ? { name: 'calculator', arguments: { expression: '5 * 4 + 1' } }
        : null;
  const workflowFor = (instance: string) =>
    defineWorkflow({
      name: `ask-${instance}`,
      version: 1,
      state: z.object({ question: z.string(), answer: z.string().default('') }),
      start: 'solve',
      nodes: {
        solve: {
          kind: 'agent',
          agent: defineAgent({ ...maths, name: `maths-${instance}`, providers: [instance] }),
          input: (s) => s.question,
          output: (_s, answer) => ({ answer }),
        },
      },
      edges: [{ from: 'solve', to: END }],
    });
  let openai: OpenAIFake;
  let anthropic: AnthropicFake;
  let fleet: WorkerFleet;
  let agents: AgentWorkers;
  let fakeClient: AtlasClient;

  beforeAll(async () => {
    openai = await startOpenAIFake({ toolScript: script });
    anthropic = await startAnthropicFake({ toolScript: script });
    process.env['ATLAS_TEST_WFC_OPENAI_KEY'] = openai.apiKey;
    process.env['ATLAS_TEST_WFC_ANTHROPIC_KEY'] = anthropic.apiKey;
    const fakeSettings = loadSettings({
      env: {},
      configPath: undefined,
      overrides: {
        redis: { ...redisTarget(), prefix: fakePrefix },
        providers: {
          oai: { type: 'openai', baseURL: openai.baseURL, apiKeyEnv: 'ATLAS_TEST_WFC_OPENAI_KEY' },
          ant: { type: 'anthropic', baseURL: anthropic.url, apiKeyEnv: 'ATLAS_TEST_WFC_ANTHROPIC_KEY' },
        },
        workers: { heartbeatIntervalMs: 200 },
        log: { level: 'silent' },
      },
    });
    fleet = await startWorkers({ settings: fakeSettings, log: silent });
    agents = await startAgentWorkers({
      settings: fakeSettings,
      log: silent,
      workflows: [workflowFor('oai'), workflowFor('ant')],
    });
    fakeClient = new AtlasClient({ settings: fakeSettings });
  });

  afterAll(async () => {
    await fakeClient.close();
    await agents.close();
    await fleet.close();
    await Promise.all([openai.close(), anthropic.close()]);
    await deletePrefix(redis, fakePrefix);
  });

  it.each(['oai', 'ant'])(
    'on %s: two tool calls, their results fed back, then the answer',
    async (instance) => {
      const { id } = await fakeClient.workflows.start(`ask-${instance}`, {
        question: 'What is (2 + 3) * 4 + 1?',
      });
      const run = await fakeClient.workflows.wait(id, { timeoutMs: 10_000 });
      expect(run.status).toBe('completed');
      expect((run.state as { answer: string }).answer.length).toBeGreaterThan(0);
      expect(run.history.map((step) => [step.provider, step.toolCalls ?? []])).toEqual([
        [instance, ['calculator']],
        [instance, ['calculator']],
        [instance, []],
      ]);
      const calls = [];
      for await (const event of fakeClient.workflows.follow(id)) {
        if (event.type === 'tool-call') calls.push(event.data);
      }
      expect(calls).toEqual([
        expect.objectContaining({ name: 'calculator', arguments: { expression: '2 + 3' }, ok: true }),
        expect.objectContaining({ name: 'calculator', arguments: { expression: '5 * 4 + 1' }, ok: true }),
      ]);
    },
  );
});
