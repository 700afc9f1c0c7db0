import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { startWorkers } from '../../src/workers/generation/start-workers.js';
import { startOpenAIFake } from '../fakes/openai-fake.js';
import { connect, deletePrefix, freshPrefix, redisUrl } from '../support/redis.js';
import { cliTestEnvironment, runCli, runCliInProcess } from '../support/run-cli.js';

const prefix = freshPrefix('cli');
let env: Record<string, string>;

beforeAll(() => {
  ({ env } = cliTestEnvironment('cli', prefix, {
    basic: { type: 'mock', defaultModel: 'mock-basic' },
    advanced: { type: 'mock', defaultModel: 'mock-advanced' },
    flaky: {
      type: 'mock',
      failureRate: 1,
      breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000, rollingCountTimeoutMs: 60_000 },
    },
  }));
});

afterAll(async () => {
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('the atlas command', () => {
  it('answers a query, serving it in-process when no worker runs (a real process)', async () => {
    const result = await runCli(['query', '-q', 'What is the capital of France?', '--json'], env);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as { provider: string; text: string };
    expect(answer.provider).toBe('basic');
    expect(answer.text).toContain('What is the capital of France?');
  });

  it('changes the plan with --capabilities and --task-type (lists with spaces or commas)', async () => {
    const plain = await runCliInProcess(
      ['query', '-q', 'hello there', '--providers', 'basic', 'advanced', '--plan', '--json'],
      env,
    );
    expect(JSON.parse(plain.stdout)[0].instance).toBe('basic');
    const byCapability = await runCliInProcess(
      [
        'query',
        '-q',
        'hello there',
        '--providers',
        'basic,advanced',
        '--provider-strategy',
        'task_aware',
        '--capabilities',
        'code:strong',
        'reasoning:moderate',
        '--plan',
        '--json',
      ],
      env,
    );
    expect(byCapability.code).toBe(0);
    expect(JSON.parse(byCapability.stdout).map((step: { instance: string }) => step.instance)).toEqual([
      'advanced',
    ]);
    const byTask = await runCliInProcess(
      [
        'query',
        '-q',
        'hello there',
        '--providers',
        'basic',
        'advanced',
        '--provider-strategy',
        'task_aware',
        '--task-type',
        'code_generation',
        '--plan',
        '--json',
      ],
      env,
    );
    expect(JSON.parse(byTask.stdout)[0].instance).toBe('advanced');
  });

  it('streams an answer', async () => {
    const result = await runCliInProcess(
      ['query', '-q', 'stream this please', '--providers', 'advanced', '--stream'],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('Mock reply from advanced (mock-advanced) to: stream this please');
  });

  it('writes nothing to Redis when asked for status or a diagnosis', async () => {
    const quiet = freshPrefix('cli-read-only');
    for (const command of ['status', 'doctor'])
      await runCliInProcess([command, '--json'], { ...env, ATLAS_PREFIX: quiet });
    const redis = connect();
    try {
      expect(await redis.keys(`${quiet}*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('shows an open breaker in status --json after an instance served by a worker keeps failing', async () => {
    const settings = loadSettings({ env });
    const fleet = await startWorkers({
      settings,
      providers: ['flaky', 'basic'],
      log: createLogger({ level: 'silent' }),
    });
    try {
      for (let i = 0; i < 3; i++) {
        const result = await runCliInProcess(
          [
            'query',
            '-q',
            `fail ${i}`,
            '--providers',
            'flaky',
            'basic',
            '--provider-strategy',
            'failover',
            '--json',
          ],
          env,
        );
        expect(JSON.parse(result.stdout).provider).toBe('basic');
      }
      const status = await runCliInProcess(['status', '--json'], env);
      expect(status.code).toBe(0);
      const report = JSON.parse(status.stdout) as {
        instances: Array<{ instance: string; breaker: string; liveWorkers: number }>;
        warnings: string[];
        redis: { aofEnabled: boolean };
      };
      expect(report.instances.find((entry) => entry.instance === 'flaky')).toMatchObject({
        breaker: 'open',
        liveWorkers: 1,
      });
      expect(report.warnings.some((warning) => warning.includes('AOF'))).toBe(!report.redis.aofEnabled);
    } finally {
      await fleet.close();
    }
  });

  it('lists providers and models as JSON', async () => {
    const providers = JSON.parse((await runCliInProcess(['providers', '--json'], env)).stdout) as {
      instances: Array<{ name: string }>;
    };
    expect(providers.instances.map((instance) => instance.name)).toEqual(['basic', 'advanced', 'flaky']);
    const models = JSON.parse(
      (await runCliInProcess(['models', '--provider', 'advanced', '--json'], env)).stdout,
    ) as {
      catalogueDate: string;
      models: Array<{ id: string; contextWindow: number }>;
    };
    expect(models.catalogueDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(models.models.map((model) => model.id)).toContain('mock-advanced');
  });

  it('checks that each instance answers with providers --check, exit 1 when one does not', async () => {
    const fake = await startOpenAIFake();
    try {
      const { env: checkEnv } = cliTestEnvironment('cli-check', prefix, {
        basic: { type: 'mock' },
        advanced: { type: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_TEST_CHECK_KEY' },
        unkeyed: { type: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_TEST_NO_SUCH_KEY' },
      });
      const result = await runCliInProcess(['providers', '--check', '--json'], {
        ...checkEnv,
        ATLAS_TEST_CHECK_KEY: fake.apiKey,
      });
      const reports = (
        JSON.parse(result.stdout) as {
          instances: Array<{ name: string; ok: boolean; error?: { kind: string } }>;
        }
      ).instances;
      expect(reports.map((report) => [report.name, report.ok, report.error?.kind])).toEqual([
        ['basic', true, undefined],
        ['advanced', true, undefined],
        ['unkeyed', false, 'auth'],
      ]);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('the health check failed for unkeyed');
    } finally {
      await fake.close();
    }
  });

  it('says what is wrong with a flag, in one line, with exit code 2', async () => {
    // A real process: the exit code is the process's own.
    const result = await runCli(['query', '-q', 'x', '--provider-strategy', 'fastest'], env);
    expect(result.code).toBe(2);
    expect(result.stderr.trim()).toBe(
      "atlas: --provider-strategy: expected one of failover, round_robin, cost_optimized, task_aware, queue_aware, got 'fastest' [invalid_request]",
    );
    const unknown = await runCliInProcess(['query', '-q', 'x', '--providers', 'nope'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/request\.providers\[0\]: unknown provider instance 'nope'/);
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
    const capability = await runCliInProcess(['query', '-q', 'x', '--capabilities', 'telepathy:strong'], env);
    expect(capability.stderr).toMatch(/unknown capability 'telepathy'/);
  });

  it('runs the demo end to end and leaves no keys behind', async () => {
    const result = await runCliInProcess(['demo'], { REDIS_URL: redisUrl() });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('round_robin');
    expect(result.stdout).toMatch(/mock-flaky\s+breaker open/);
    // The knowledge part: the shipped documents ingested, skipped the second time, a hybrid search
    // led by the section on breakers, and an answer that cites its sources.
    expect(result.stdout).toMatch(
      /5 documents added, \d+ chunks, into the embedded store \(mock-embed: lexical/,
    );
    expect(result.stdout).toContain('again, unchanged: 5 skipped, 0 added');
    expect(result.stdout).toMatch(
      /Hybrid search[^\n]*\n\s+[\d.]+\s+providers\.md › Providers and failover > Circuit breakers/,
    );
    expect(result.stdout).toMatch(/\[1\] providers\.md/);
    expect(result.stdout).toContain('Done: workers stopped, demo keys and store removed.');
    const redis = connect();
    expect(await redis.keys('atlas-demo-*')).toEqual([]);
    redis.disconnect();
  }, 70_000);
});
