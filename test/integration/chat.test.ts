import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, deletePrefix, freshPrefix, redisUrl } from '../support/redis.js';
import { runCli } from '../support/run-cli.js';

/** `atlas chat` in a real terminal (tmux), typed at as a person would. */
const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const session = `atlas-chat-${process.pid}`;
const prefix = freshPrefix('chat');
const folder = mkdtempSync(join(tmpdir(), 'atlas-chat-'));

const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', session, '-S', '-200');
const type = (...keys: string[]) => tmux('send-keys', '-t', session, ...keys);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen:\n${screen()}`);
    await sleep(100);
  }
}

/** The screen after the last time `marker` was typed. */
const after = (marker: string) => screen().split(marker).at(-1) ?? '';

async function requestsByStatus(): Promise<Record<string, string>> {
  const redis = connect();
  try {
    const keys = (await redis.keys(`${prefix}:req:*`)).filter((key) => !key.endsWith(':events'));
    const statuses: Record<string, string> = {};
    for (const key of keys) statuses[key] = (await redis.hget(key, 'status')) ?? '';
    return statuses;
  } finally {
    redis.disconnect();
  }
}

afterAll(async () => {
  if (hasTmux) spawnSync('tmux', ['kill-session', '-t', session]);
  rmSync(folder, { recursive: true, force: true });
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe.skipIf(!hasTmux)('atlas chat in a terminal', () => {
  it('streams answers, changes plans by /strategy, cancels an answer on Ctrl-C and exits on a second', async () => {
    const config = join(folder, 'atlas.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: {
          mock: { type: 'mock', latencyMs: 1_500 },
          slow: { type: 'mock', latencyMs: 60_000, defaultModel: 'mock-advanced' },
        },
        providerOrder: ['mock', 'slow'],
      }),
    );
    const env = `REDIS_URL=${redisUrl()} ATLAS_PREFIX=${prefix} ATLAS_CONFIG=${config} ATLAS_LOG_LEVEL=silent`;
    tmux(
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      '200',
      '-y',
      '50',
      '-c',
      process.cwd(),
      `env ${env} ${process.execPath} --import tsx src/cli/main.ts chat --providers mock; echo "EXITED $?"; sleep 60`,
    );
    await until('the prompt', () => screen().includes('you>'));

    // A question: the answer arrives in pieces, then whole.
    type('What is the capital of France?', 'Enter');
    const whole = 'Mock reply from mock (mock-standard) to: What is the capital of France?';
    let partial = '';
    await until('the whole answer', () => {
      const line = after('you> What is the capital of France?')
        .split('\n')
        .find((text) => text.startsWith('Mock'));
      if (line && line !== whole && whole.startsWith(line)) partial = line;
      return line === whole;
    });
    expect(partial.length).toBeGreaterThan(0);
    expect(Object.values(await requestsByStatus())).toEqual(['completed']);

    // /strategy changes the plan of the next message.
    type('/providers mock slow', 'Enter');
    await until('providers set', () => screen().includes('providers: mock, slow'));
    type('/plan', 'Enter');
    await until('the failover plan', () => after('/plan').includes('1. mock (mock-standard)'));
    type('/strategy task_aware', 'Enter');
    await until('strategy set', () => screen().includes('strategy: task_aware'));
    type('/plan', 'Enter');
    await until('the task-aware plan', () => after('/plan').includes('1. slow (mock-advanced)'));

    // A long answer, cancelled by Ctrl-C: the request ends cancelled in Redis.
    type('/providers slow', 'Enter');
    await until('providers set', () => screen().includes('providers: slow'));
    type('Tell me a very long story', 'Enter');
    await until('the request running', async () =>
      Object.values(await requestsByStatus()).includes('running'),
    );
    type('C-c');
    await until('the cancel shown', () => after('you> Tell me a very long story').includes('[cancelled]'));
    const statuses = Object.values(await requestsByStatus()).sort();
    expect(statuses).toEqual(['cancelled', 'completed']);

    // Ctrl-C at an empty prompt leaves.
    await until('the prompt again', () => after('[cancelled]').includes('you>'));
    type('C-c');
    await until('the exit', () => screen().includes('EXITED 0'), 20_000);
  }, 60_000);
});

describe('atlas chat with piped input', () => {
  it('answers every line in order, refuses an unknown instance at once, and exits 0 after the last answer', async () => {
    const config = join(folder, 'piped.config.json');
    writeFileSync(config, JSON.stringify({ providers: { mock: { type: 'mock', latencyMs: 200 } } }));
    const result = await runCli(
      ['chat', '--providers', 'mock'],
      { REDIS_URL: redisUrl(), ATLAS_PREFIX: prefix, ATLAS_CONFIG: config },
      30_000,
      'first question\n/providers nosuch\nsecond question\n/exit\nnever answered\n',
    );
    expect(result.code).toBe(0);
    const first = result.stdout.indexOf('to: first question');
    const second = result.stdout.indexOf('to: second question');
    expect(first).toBeGreaterThan(-1);
    expect(second).toBeGreaterThan(first);
    expect(result.stdout).toContain("unknown provider instance 'nosuch'; configured: mock");
    expect(result.stdout).not.toContain('error:');
    expect(result.stdout).not.toContain('never answered');
  });
});
