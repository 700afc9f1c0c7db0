import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { type AgentWorkers, startAgentWorkers } from '../../src/workers/agents/start-agent-workers.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import { connect, deletePrefix, freshPrefix, redisUrl } from '../support/redis.js';
import { runCliInProcess, runCliInTerminal } from '../support/run-cli.js';

const prefix = freshPrefix('cli-wf');
const silent = createLogger({ level: 'silent' });
let env: Record<string, string>;
let generation: WorkerFleet;
let agents: AgentWorkers;

beforeAll(async () => {
  const config = join(mkdtempSync(join(tmpdir(), 'atlas-cli-wf-')), 'atlas.config.json');
  const file = {
    providers: {
      mock: {
        type: 'mock',
        latencyMs: 150,
        script: [
          { match: 'Your subtask', toolCalls: [{ name: 'calculator', arguments: { expression: '6 * 7' } }] },
        ],
      },
    },
    providerOrder: ['mock'],
    workers: { heartbeatIntervalMs: 200 },
  };
  writeFileSync(config, JSON.stringify(file));
  env = { REDIS_URL: redisUrl(), ATLAS_PREFIX: prefix, ATLAS_CONFIG: config };
  const settings = loadSettings({ env, configPath: config });
  generation = await startWorkers({ settings, log: silent });
  agents = await startAgentWorkers({ settings, log: silent });
});

afterAll(async () => {
  await agents.close();
  await generation.close();
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

const task = '{"task":"Compare Redis and Postgres as job queues"}';

describe('atlas workflow', () => {
  it('run --follow shows each step live in a terminal; show prints the step timeline', async () => {
    const result = await runCliInTerminal(['workflow', 'run', 'research', '--input', task, '--follow'], env);
    expect(result.code).toBe(0);
    const lines = result.stdout.split(/\r?\n/).filter(Boolean);
    const id = /^run (\S+) \(research@1\)/.exec(lines[0] ?? '')?.[1];
    expect(id).toBeDefined();
    const kinds = lines.map((line) => line.split(/\s+/)[0]);
    const order = ['step-start', 'step-finish', 'tool-call', 'text-delta', 'run-finished'];
    for (const kind of order) expect(kinds).toContain(kind);
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(at(/^step-start\s+plan\s+agent research-controller/)).toBeLessThan(
      at(/^step-start\s+work\s+map over 3/),
    );
    expect(at(/^step-start\s+work\s+map/)).toBeLessThan(at(/^tool-call\s+work\[0\]\s+calculator/));
    expect(at(/^tool-call\s+work/)).toBeLessThan(at(/^step-start\s+merge/));
    expect(at(/^step-finish\s+merge/)).toBeLessThan(at(/^run-finished completed/));
    expect(result.stdout).toMatch(/run \S+: completed/);

    const show = await runCliInProcess(['workflow', 'show', id!], env);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/research@1 {2}completed in \d+ ms/);
    expect(show.stdout).toMatch(/STEP\s+NODE\s+KIND\s+PROVIDER\s+MODEL\s+TOKENS\s+COST\s+MS/);
    expect(show.stdout).toMatch(/\n0\s+plan\s+agent\s+mock\s+mock-standard\s+\d+\s+\$\d\.\d{6}\s+\d+/);
    expect(show.stdout).toMatch(/work\[2\]\s+branch\s+mock\s+mock-\w+\s+\d+.*tools: calculator/);
    expect(show.stdout).toMatch(/merge\s+agent\s+mock/);

    const shown = JSON.parse((await runCliInProcess(['workflow', 'show', id!, '--json'], env)).stdout);
    expect(shown).toMatchObject({ id, status: 'completed', workflow: 'research' });
    expect(shown.history.map((step: { node: string }) => step.node)).toEqual([
      'plan',
      'work',
      'work',
      'work',
      'work',
      'work',
      'work',
      'work',
      'merge',
    ]);
  });

  it('run --json prints id, status, state and result; --follow --json one event per line', async () => {
    const [plain, followed] = await Promise.all([
      runCliInProcess(['workflow', 'run', 'research', '--input', task, '--json'], env),
      runCliInProcess(['workflow', 'run', 'research', '--input', task, '--follow', '--json'], env),
    ]);
    expect(plain.code).toBe(0);
    const run = JSON.parse(plain.stdout);
    expect(Object.keys(run)).toEqual(['id', 'status', 'state', 'result']);
    expect(run.status).toBe('completed');
    expect(run.result).toEqual(run.state);

    const lines = followed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines[0]).toMatchObject({ type: 'run-started' });
    expect(lines.map((line) => line.type)).toContain('tool-call');
    expect(lines.at(-1)).toMatchObject({ status: 'completed' });
  });

  it('lists served workflows and tools; bad JSON and unknown names are one-line errors', async () => {
    // Independent invocations, run together: each is a process start.
    const [listed, tools, bad, badSignal, unknown] = await Promise.all([
      runCliInProcess(['workflow', 'list', '--json'], env),
      runCliInProcess(['tools'], env),
      runCliInProcess(['workflow', 'run', 'research', '--input', '{task:'], env),
      runCliInProcess(['workflow', 'signal', 'x', '--data', 'nope'], env),
      runCliInProcess(['workflow', 'run', 'nope'], env),
    ]);
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({ name: 'research', version: '1', required: ['task'] }),
    ]);
    expect(tools.stdout).toMatch(/calculator\s+expression\s+1/);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^atlas: --input: expected JSON/);
    expect(badSignal.code).toBe(2);
    expect(badSignal.stderr).toMatch(/^atlas: --data: expected JSON/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/^atlas: workflow: unknown workflow 'nope'; served: research@1/);
  });
});
