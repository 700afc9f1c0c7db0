import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/shared/config/settings.js';
import { ConfigError } from '../../src/shared/errors.js';

const noFile = join(tmpdir(), 'atlas-no-such-config.json');

function load(env: Record<string, string>, file?: unknown) {
  if (file === undefined) return loadSettings({ env: { ATLAS_CONFIG: '', ...env }, configPath: undefined });
  const dir = mkdtempSync(join(tmpdir(), 'atlas-settings-'));
  const path = join(dir, 'atlas.config.json');
  writeFileSync(path, typeof file === 'string' ? file : JSON.stringify(file));
  return loadSettings({ env, configPath: path });
}

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('settings', () => {
  it('gives the built-in instances and defaults with no file and no environment', () => {
    const settings = load({});
    expect(Object.keys(settings.providers).sort()).toEqual(['anthropic', 'mock', 'ollama', 'openai']);
    expect(settings.providerOrder).toEqual(['openai', 'anthropic', 'ollama', 'mock']);
    expect(settings.strategy).toBe('failover');
    expect(settings.redis.prefix).toBe('atlas');
    expect(settings.redis.url).toBe('redis://127.0.0.1:6379');
    expect(settings.providers['openai']).toMatchObject({
      type: 'openai',
      timeoutMs: 60_000,
      apiKeyEnv: 'OPENAI_API_KEY',
    });
    expect(settings.providers['openai']?.breaker).toEqual({
      errorThresholdPercentage: 50,
      volumeThreshold: 5,
      resetTimeoutMs: 10_000,
      rollingCountTimeoutMs: 1_000,
    });
  });

  it('reads the usual environment variables', () => {
    const settings = load({
      REDIS_URL: 'redis://10.0.0.5:6380',
      ATLAS_PREFIX: '{atlas-prod}',
      OPENAI_BASE_URL: 'http://127.0.0.1:9999/v1',
      ANTHROPIC_BASE_URL: 'http://127.0.0.1:9998',
      OLLAMA_HOST: '127.0.0.1:11435',
      QDRANT_URL: 'http://127.0.0.1:6333',
      ATLAS_PROVIDERS: 'mock, ollama openai',
      ATLAS_PROVIDER_STRATEGY: 'cost_optimized',
    });
    expect(settings.redis.url).toBe('redis://10.0.0.5:6380');
    expect(settings.redis.prefix).toBe('{atlas-prod}');
    expect(settings.providers['openai']).toMatchObject({ baseURL: 'http://127.0.0.1:9999/v1' });
    expect(settings.providers['anthropic']).toMatchObject({ baseURL: 'http://127.0.0.1:9998' });
    expect(settings.providers['ollama']).toMatchObject({ host: 'http://127.0.0.1:11435' });
    expect(settings.ingestion.qdrantUrl).toBe('http://127.0.0.1:6333');
    expect(settings.providerOrder).toEqual(['mock', 'ollama', 'openai']);
    expect(settings.strategy).toBe('cost_optimized');
  });

  it('reads atlas.config.json with comments and several instances of one type', () => {
    const settings = load(
      {},
      `{ // two mocks and a second OpenAI-compatible endpoint
        "providers": {
          "mock-a": { "type": "mock", "latencyMs": 5 },
          "mock-b": { "type": "mock", "failureRate": 0.5, "breaker": { "volumeThreshold": 2 } },
          "local": { "type": "openai", "baseURL": "http://127.0.0.1:8000/v1", "apiKeyEnv": "LOCAL_KEY" }
        },
        "strategy": "round_robin",
        "providerOrder": ["mock-b", "mock-a"]
      }`,
    );
    expect(Object.keys(settings.providers)).toEqual(['mock-a', 'mock-b', 'local']);
    expect(settings.providers['mock-b']).toMatchObject({ type: 'mock', failureRate: 0.5 });
    expect(settings.providers['mock-b']?.breaker.volumeThreshold).toBe(2);
    expect(settings.providers['mock-b']?.breaker.resetTimeoutMs).toBe(10_000);
    expect(settings.providerOrder).toEqual(['mock-b', 'mock-a']);
    expect(settings.strategy).toBe('round_robin');
  });

  it('lets code overrides win over the file and the environment', () => {
    const settings = loadSettings({
      env: { ATLAS_PROVIDER_STRATEGY: 'failover', ATLAS_PREFIX: 'from-env' },
      configPath: undefined,
      overrides: { strategy: 'task_aware', providers: { m: { type: 'mock' } } },
    });
    expect(settings.strategy).toBe('task_aware');
    expect(settings.redis.prefix).toBe('from-env');
    expect(settings.providerOrder).toEqual(['m']);
  });

  it('names the setting and what was expected when a value is wrong', () => {
    expect(configError(() => load({ ATLAS_PROVIDER_STRATEGY: 'fastest' })).message).toBe(
      "ATLAS_PROVIDER_STRATEGY: expected one of failover, round_robin, cost_optimized, task_aware, queue_aware, got 'fastest'",
    );
    expect(configError(() => load({ QDRANT_URL: 'not a url' })).field).toBe('QDRANT_URL');
    expect(configError(() => load({ ATLAS_PROVIDERS: 'mock nope' })).message).toMatch(
      /ATLAS_PROVIDERS: unknown provider instance 'nope'/,
    );
    expect(configError(() => load({ ATLAS_PREFIX: 'a:b' })).field).toBe('ATLAS_PREFIX');
    const timeout = configError(() => load({}, { providers: { m: { type: 'mock', timeoutMs: 'soon' } } }));
    expect(timeout.field).toMatch(/atlas\.config\.json\.providers\.m\.timeoutMs$/);
    expect(timeout.message).toMatch(/expected number/);
    const type = configError(() => load({}, { providers: { m: { type: 'gemini' } } }));
    expect(type.field).toMatch(/providers\.m\.type$/);
    const unknown = configError(() => load({}, { provider: {} }));
    expect(unknown.message).toMatch(/provider/);
    expect(configError(() => load({}, '{ "providers": ')).message).toMatch(/expected JSON/);
    expect(configError(() => load({}, { providers: { 'bad:name': { type: 'mock' } } })).field).toMatch(
      /providers/,
    );
  });

  it('groups settings by owner, each with its defaults', () => {
    const settings = load({ ATLAS_KEEP_VERSIONS: '3', ATLAS_LOG_LEVEL: 'debug' });
    expect(settings.workers).toMatchObject({
      lockDurationMs: 30_000,
      heartbeatIntervalMs: 1_000,
      shutdownGraceMs: 10_000,
    });
    expect(settings.generation).toMatchObject({ defaultDeadlineMs: 300_000, recordTtlMs: 86_400_000 });
    expect(settings.ingestion).toEqual({
      knowledgeDirectory: '.atlas/lancedb',
      keepVersions: 3,
      vectorIndexMinChunks: 5_000,
      allowPrivateUrls: false,
    });
    expect(load({ ATLAS_VECTOR_INDEX_MIN_CHUNKS: '0' }).ingestion.vectorIndexMinChunks).toBe(0);
    expect(() => load({ ATLAS_VECTOR_INDEX_MIN_CHUNKS: '-1' })).toThrow(/ATLAS_VECTOR_INDEX_MIN_CHUNKS/);
    expect(settings.log).toEqual({ level: 'debug', redactPrompts: false });
    // A file's sections merge with the environment field by field; the file wins where both give one.
    const merged = load(
      { ATLAS_PREFIX: 'from-env', REDIS_URL: 'redis://127.0.0.1:7000' },
      { redis: { prefix: 'from-file' } },
    );
    expect(merged.redis).toEqual({ url: 'redis://127.0.0.1:7000', prefix: 'from-file' });
  });

  it('refuses timer settings longer than a timer can hold, instead of firing them after 1 ms', () => {
    const heartbeat = configError(() => load({}, { workers: { heartbeatIntervalMs: 5e9 } }));
    expect(heartbeat.field).toMatch(/atlas\.config\.json\.workers\.heartbeatIntervalMs$/);
    expect(heartbeat.message).toMatch(/at most 2147483647 ms/);
    expect(
      configError(() => load({}, { providers: { m: { type: 'mock', timeoutMs: 2 ** 31 } } })).field,
    ).toMatch(/providers\.m\.timeoutMs$/);
    expect(
      configError(() =>
        loadSettings({
          env: {},
          configPath: undefined,
          overrides: { generation: { defaultDeadlineMs: 1e12 } },
        }),
      ).field,
    ).toBe('settings.generation.defaultDeadlineMs');
    expect(load({}, { workers: { lockDurationMs: 2 ** 31 - 1 } }).workers.lockDurationMs).toBe(2 ** 31 - 1);
  });

  it('fails clearly when ATLAS_CONFIG names a file that does not exist', () => {
    expect(configError(() => loadSettings({ env: { ATLAS_CONFIG: noFile } })).field).toBe('ATLAS_CONFIG');
  });
});
