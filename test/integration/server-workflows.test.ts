import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AtlasServer, startServer } from '../../src/server.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { type AgentWorkers, startAgentWorkers } from '../../src/workers/agents/start-agent-workers.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import { approve } from '../support/approval-workflow.js';
import { readSse } from '../support/read-sse.js';
import { connect, deletePrefix, freshPrefix, redisTarget } from '../support/redis.js';

const redis = connect();
const prefix = freshPrefix('serve-wf');
const silent = createLogger({ level: 'silent' });
const token = 'test-token-workflows-0123456789';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: {
    redis: { ...redisTarget(), prefix },
    providers: { mock: { type: 'mock', latencyMs: 150 } },
    providerOrder: ['mock'],
    workers: { heartbeatIntervalMs: 200, lockDurationMs: 2_000, stalledIntervalMs: 1_000 },
    log: { level: 'silent' },
    server: { host: '127.0.0.1', port: 0, tokens: [token], bodyLimitBytes: 64 * 1024 },
  },
});
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

let generation: WorkerFleet;
let agents: AgentWorkers;
let server: AtlasServer;

beforeAll(async () => {
  generation = await startWorkers({ settings, log: silent, providers: ['mock'], concurrency: 10 });
  agents = await startAgentWorkers({ settings, log: silent, workflows: [approve], concurrency: 5 });
  server = await startServer({ settings });
});

afterAll(async () => {
  await server?.close();
  await agents?.close();
  await generation?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const post = (path: string, body?: unknown) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers,
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
const get = (path: string) => fetch(`${server.url}${path}`, { headers });

interface Run {
  id: string;
  status: string;
  node: string;
  state: Record<string, unknown>;
  history: Array<{
    node: string;
    kind: string;
    provider?: string;
    model?: string;
    inputTokens: number;
    outputTokens: number;
    costUsd: number;
    ms: number;
  }>;
}

async function until<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 8_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > end) throw new Error(`condition not met in ${timeoutMs} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('atlas serve: workflow runs', () => {
  it('starts the research workflow, follows its events (resumable), and shows its step timeline', async () => {
    const served = (await (await get('/v1/workflows')).json()) as { workflows: Array<{ name: string }> };
    expect(served.workflows.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(['research', 'approve']),
    );

    const started = await post('/v1/workflows/research/runs', {
      input: { task: 'Compare Redis and Postgres as queues' },
      deadlineMs: 30_000,
    });
    expect(started.status).toBe(202);
    const { id, workflow } = (await started.json()) as { id: string; workflow: string };
    expect(workflow).toBe('research');

    const url = `/v1/runs/${id}/events`;
    const abort = new AbortController();
    const firstPart = await readSse(
      await fetch(`${server.url}${url}`, { headers, signal: abort.signal }),
      (events) => events.length >= 3,
      abort,
    );
    const rest = await readSse(
      await fetch(`${server.url}${url}`, { headers: { ...headers, 'last-event-id': firstPart.at(-1)!.id! } }),
    );
    expect(rest.at(-1)!.event).toBe('run-finished');
    const whole = await readSse(await get(url));
    const ids = [...firstPart, ...rest].map((event) => event.id);
    expect(ids).toEqual(whole.map((event) => event.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(whole[0]!.event).toBe('run-started');

    const run = (await (await get(`/v1/runs/${id}`)).json()) as Run;
    expect(run.status).toBe('completed');
    expect(run.history.map((step) => step.node)).toEqual(['plan', 'work', 'work', 'work', 'work', 'merge']);
    const plan = run.history[0]!;
    expect(plan).toMatchObject({ kind: 'agent', provider: 'mock' });
    expect(plan.model).toEqual(expect.any(String));
    expect(plan.inputTokens + plan.outputTokens).toBeGreaterThan(0);
    expect(plan.ms).toEqual(expect.any(Number));
    expect(plan.costUsd).toEqual(expect.any(Number));

    const listed = (await (await get('/v1/runs?status=completed&limit=5')).json()) as { runs: Run[] };
    expect(listed.runs.map((entry) => entry.id)).toContain(id);
    expect(listed.runs.every((entry) => entry.status === 'completed')).toBe(true);

    const replay = await post(`/v1/runs/${id}/replay`, { fromStep: 5 });
    expect(replay.status).toBe(202);
    const replayed = (await replay.json()) as { id: string };
    const ended = (await (await get(`/v1/runs/${replayed.id}/result?timeoutMs=10000`)).json()) as Run;
    expect(ended.status).toBe('completed');
    expect(ended.history.map((step) => step.node)).toEqual(['merge']);

    // The dashboard's workflow panel lists the run with its steps.
    const dashboard = (await (await get('/dashboard/data')).json()) as {
      workflows: Array<{ id: string; steps: Array<{ node: string; provider?: string; tokens: number }> }>;
    };
    const row = dashboard.workflows.find((entry) => entry.id === id)!;
    expect(row.steps.map((step) => step.node)).toEqual(['plan', 'work', 'work', 'work', 'work', 'merge']);
    expect(row.steps[0]).toMatchObject({ provider: 'mock' });
  });

  it('signals a run waiting at a human node, and cancels another', async () => {
    const { id } = (await (await post('/v1/workflows/approve/runs', { input: {} })).json()) as { id: string };
    await until(
      async () => (await (await get(`/v1/runs/${id}`)).json()) as Run,
      (run) => run.status === 'waiting',
    );
    const early = await post(`/v1/runs/${id}/replay`, { fromStep: 99 });
    expect(early.status).toBe(400);
    expect(((await early.json()) as { error: { param: string } }).error.param).toBe('fromStep');

    const signalled = await post(`/v1/runs/${id}/signal`, { data: { approved: true } });
    expect(signalled.status).toBe(200);
    const ended = (await (await get(`/v1/runs/${id}/result?timeoutMs=5000`)).json()) as Run;
    expect(ended).toMatchObject({
      status: 'completed',
      state: { approved: true, log: ['prepared', 'answered', 'finished'] },
    });
    const again = await post(`/v1/runs/${id}/signal`, { data: { approved: false } });
    expect(again.status).toBe(400);

    const other = (await (await post('/v1/workflows/approve/runs', { input: {} })).json()) as { id: string };
    await until(
      async () => (await (await get(`/v1/runs/${other.id}`)).json()) as Run,
      (run) => run.status === 'waiting',
    );
    expect(await (await post(`/v1/runs/${other.id}/cancel`)).json()).toEqual({ cancelled: true });
    expect(((await (await get(`/v1/runs/${other.id}`)).json()) as Run).status).toBe('cancelled');
    expect(await (await post(`/v1/runs/${other.id}/cancel`)).json()).toEqual({ cancelled: false });
  });

  it('answers errors as JSON with a code and the field at fault, and requires the token', async () => {
    const unknown = await post('/v1/workflows/nope/runs', { input: {} });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as { error: { param: string } }).error.param).toBe('workflow');
    const badBody = await post('/v1/workflows/research/runs', { input: { task: 'x' }, deadlineMs: -1 });
    expect(badBody.status).toBe(400);
    expect(((await badBody.json()) as { error: { param: string } }).error.param).toBe('body.deadlineMs');
    const missingInput = await post('/v1/workflows/research/runs', { input: {} });
    expect(((await missingInput.json()) as { error: { param: string } }).error.param).toBe('input.task');
    const missing = await get('/v1/runs/00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('not_found');
    const badStatus = await get('/v1/runs?status=sleeping');
    expect(((await badStatus.json()) as { error: { param: string } }).error.param).toBe('query.status');
    const anonymous = await fetch(`${server.url}/v1/runs`);
    expect(anonymous.status).toBe(401);

    const document = (await (await get('/openapi.json')).json()) as { paths: Record<string, object> };
    for (const path of [
      '/v1/workflows/{name}/runs',
      '/v1/runs',
      '/v1/runs/{id}',
      '/v1/runs/{id}/events',
      '/v1/runs/{id}/signal',
      '/v1/runs/{id}/cancel',
      '/v1/runs/{id}/replay',
    ])
      expect(document.paths, path).toHaveProperty([path]);
  });
});
