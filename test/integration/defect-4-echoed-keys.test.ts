import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Redis } from '../../src/shared/redis.js';
import { type AnthropicFake, startAnthropicFake } from '../fakes/anthropic-fake.js';
import { type OllamaFake, startOllamaFake } from '../fakes/ollama-fake.js';
import { connect, deletePrefix, everyValue, freshPrefix, redisUrl } from '../support/redis.js';
import { runCliInProcess } from '../support/run-cli.js';

const canary = `sk-echoed-${randomUUID()}`;
const prefix = freshPrefix('defect4');

describe('defect 4: API keys echoed by an upstream', () => {
  let anthropic: AnthropicFake;
  let ollama: OllamaFake;
  let env: Record<string, string>;
  let redis: Redis;

  beforeAll(async () => {
    anthropic = await startAnthropicFake({ apiKey: canary, echoKey: true });
    ollama = await startOllamaFake({ apiKey: canary, echoKey: true });
    anthropic.server.failAlways('bad-key');
    ollama.server.failAlways('bad-key');
    process.env['ATLAS_DEFECT4_KEY'] = canary;
    const dir = mkdtempSync(join(tmpdir(), 'atlas-defect4-'));
    const config = join(dir, 'atlas.config.json');
    writeFileSync(
      config,
      JSON.stringify({
        providers: {
          an: { type: 'anthropic', baseURL: anthropic.url, apiKeyEnv: 'ATLAS_DEFECT4_KEY' },
          ol: { type: 'ollama', host: ollama.url, apiKeyEnv: 'ATLAS_DEFECT4_KEY' },
          mock: { type: 'mock' },
        },
        providerOrder: ['an', 'ol', 'mock'],
        workers: { lockDurationMs: 2_000, stalledIntervalMs: 1_000, heartbeatIntervalMs: 200 },
      }),
    );
    env = {
      REDIS_URL: redisUrl(),
      ATLAS_PREFIX: prefix,
      ATLAS_CONFIG: config,
      ATLAS_KNOWLEDGE_DIR: join(dir, 'lancedb'),
      ATLAS_DEFECT4_KEY: canary,
    };
    redis = connect();
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    redis.disconnect();
    await anthropic?.close();
    await ollama?.close();
  });

  it('defect 4: a key echoed in a 401 by Anthropic- and Ollama-style servers is stored nowhere and printed nowhere', async () => {
    const query = await runCliInProcess(
      ['query', '-q', 'hello', '--providers', 'an', 'ol', '--timeout', '15000'],
      env,
    );
    expect(query.code).toBe(1);
    expect(query.stderr).toContain('[redacted]');

    const streamed = await runCliInProcess(
      ['query', '-q', 'hello again', '--providers', 'ol', 'an', '--stream', '--timeout', '15000'],
      env,
    );
    expect(streamed.code).toBe(1);

    const folder = mkdtempSync(join(tmpdir(), 'atlas-defect4-docs-'));
    writeFileSync(join(folder, 'a.md'), '# A\n\nSome text to embed.');
    const ingest = await runCliInProcess(
      ['ingest', folder, '--collection', 'echoed', '--embedder', 'ol', '--json'],
      env,
    );
    expect(ingest.code).toBe(1);
    const summary = JSON.parse(ingest.stdout) as { failed: number; failures: Array<{ reason: string }> };
    expect(summary.failed).toBe(1);
    expect(summary.failures[0]?.reason).toContain('[redacted]');

    // The key was sent, and echoed back, on the wire.
    expect(anthropic.server.requests.length).toBeGreaterThan(0);
    expect(ollama.server.requests.length).toBeGreaterThan(0);

    const output = [query, streamed, ingest].flatMap((result) => [result.stdout, result.stderr]).join('\n');
    expect(output).not.toContain(canary);
    const stored = await everyValue(redis, prefix);
    expect(stored.length).toBeGreaterThan(10);
    expect(stored.filter((value) => value.includes(canary))).toEqual([]);
    expect(stored.some((value) => value.includes('[redacted]'))).toBe(true);
  }, 40_000);
});
