import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import { connect, deletePrefix, freshPrefix, redisTarget, redisUrl } from '../support/redis.js';
import { spawnWorker, type WorkerProcess } from '../support/spawn-worker.js';

const prefix = freshPrefix('durable');
const effectsKey = `${prefix}:test-effects`;
const redis = connect();
const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: {
    redis: { ...redisTarget(), prefix },
    providers: {
      mock: {
        type: 'mock',
        latencyMs: 300,
        script: [{ match: 'Record', toolCalls: [{ name: 'record', arguments: { label: 'here' } }] }],
      },
    },
    providerOrder: ['mock'],
    workers: { lockDurationMs: 1_000, stalledIntervalMs: 500, heartbeatIntervalMs: 250 },
    agents: { modules: [resolve('test/support/durable-workflow.ts')], concurrency: 20 },
    log: { level: 'silent' },
  },
});
const processEnv = { ATLAS_TEST_EFFECTS_URL: redisUrl(), ATLAS_TEST_EFFECTS_KEY: effectsKey };
const script = 'test/support/agent-worker-process.ts';

let generation: WorkerFleet;
let client: AtlasClient;
const processes = new Set<WorkerProcess>();

async function spawnAgents(): Promise<WorkerProcess> {
  const worker = await spawnWorker(settings, [], processEnv, script);
  processes.add(worker);
  return worker;
}

beforeAll(async () => {
  generation = await startWorkers({ settings, log: createLogger({ level: 'silent' }), concurrency: 50 });
  await Promise.all([spawnAgents(), spawnAgents(), spawnAgents()]);
  client = new AtlasClient({ settings });
}, 40_000);

afterAll(async () => {
  await client.close();
  await Promise.all([...processes].map((worker) => worker.kill('SIGKILL')));
  await generation.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('workflow runs under SIGKILL', () => {
  it('30 runs with agent-step worker processes killed at random all end as an uninterrupted run, each effect once', async () => {
    const started = Date.now();
    const baseline = await client.workflows.wait(
      (await client.workflows.start('durable', { label: 'baseline' })).id,
      { timeoutMs: 15_000 },
    );
    expect(baseline.status).toBe('completed');
    expect((baseline.state as { log: string[] }).log).toEqual([
      'a',
      'b:Tool record returned: ok:here',
      'c',
      'd',
    ]);

    const ids = await Promise.all(
      Array.from(
        { length: 30 },
        async (_, index) => (await client.workflows.start('durable', { label: `run-${index}` })).id,
      ),
    );
    let finished = false;
    const done = Promise.all(ids.map((id) => client.workflows.wait(id, { timeoutMs: 50_000 }))).finally(
      () => {
        finished = true;
      },
    );
    // Kill a random live agent process every 300-700 ms, respawning each; runs pause while none is up.
    let kills = 0;
    const respawns: Promise<unknown>[] = [];
    while (!finished && kills < 8) {
      await sleep(300 + Math.random() * 400);
      const live = [...processes].filter(
        (worker) => worker.child.exitCode === null && worker.child.signalCode === null,
      );
      if (live.length === 0 || finished) continue;
      const victim = live[Math.floor(Math.random() * live.length)]!;
      await victim.kill('SIGKILL');
      processes.delete(victim);
      kills++;
      respawns.push(spawnAgents());
    }
    const runs = await done;
    await Promise.all(respawns);
    expect(kills).toBeGreaterThanOrEqual(5);

    const expectedHistory = baseline.history.map((step) => `${step.node}:${step.kind}:${step.turn ?? ''}`);
    for (const run of runs) {
      expect(run.status).toBe('completed');
      const state = run.state as { label: string; log: string[] };
      expect(state.log).toEqual((baseline.state as { log: string[] }).log);
      // A step applied twice would show in the history twice.
      expect(run.history.map((step) => `${step.node}:${step.kind}:${step.turn ?? ''}`)).toEqual(
        expectedHistory,
      );
    }
    // The tool's outside effect: applied once per run, however often the tool was called.
    expect(await redis.scard(effectsKey)).toBe(31);
    expect(await redis.llen(`${effectsKey}:applied`)).toBe(31);
    expect(Number(await redis.get(`${effectsKey}:calls`))).toBeGreaterThanOrEqual(31);
    expect(Date.now() - started).toBeLessThan(60_000);
  }, 70_000);
});
