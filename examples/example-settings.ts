// What every example shares: which provider to call (a real one when its key is set, else the mock),
// a Redis key prefix of its own, a temporary folder for the embedded vector store, and removing both
// at the end. Not an example itself; the numbered files are.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileSettings, loadSettings, type Settings } from 'atlas-queue';
import { Redis } from 'ioredis';

export type ExampleProvider = 'openai' | 'anthropic' | 'mock';

/** OpenAI when OPENAI_API_KEY is set, else Anthropic when ANTHROPIC_API_KEY is, else the mock (no key, no network). */
export function chosenProvider(): ExampleProvider {
  if (process.env['OPENAI_API_KEY']) return 'openai';
  if (process.env['ANTHROPIC_API_KEY']) return 'anthropic';
  return 'mock';
}

export interface Example {
  settings: Settings;
  /** The real provider, or 'mock'. */
  provider: ExampleProvider;
  /** Deletes the example's Redis keys and its knowledge folder. Call it after closing clients and workers. */
  cleanup(): Promise<void>;
}

/**
 * Settings for one example: Redis from REDIS_URL (or 127.0.0.1:6379), keys under a prefix of its own,
 * the embedded store in a temporary folder, quiet logs. `providers` replaces the built-in instances;
 * the real provider whose key is set is kept beside them.
 */
export function exampleSettings(name: string, overrides: FileSettings = {}): Example {
  const provider = chosenProvider();
  const prefix = `atlas-example-${name}-${randomUUID().slice(0, 8)}`;
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), `atlas-example-${name}-`));
  const providers = overrides.providers && {
    ...overrides.providers,
    ...(provider === 'mock' ? {} : { [provider]: { type: provider } }),
  };
  const settings = loadSettings({
    overrides: {
      ...overrides,
      redis: { prefix, ...overrides.redis },
      ingestion: { knowledgeDirectory, ...overrides.ingestion },
      log: { level: 'error', ...overrides.log },
      ...(providers ? { providers } : {}),
    },
  });
  return {
    settings,
    provider,
    async cleanup() {
      const redis = new Redis(settings.redis.url);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.unlink(...keys);
      } while (cursor !== '0');
      await redis.quit();
      rmSync(knowledgeDirectory, { recursive: true, force: true });
    },
  };
}

/**
 * The instance that embeds documents: OpenAI's embedding model when its key is set (semantic), else the
 * mock's hashing embedder (offline and lexical: it matches shared words, not meaning). Anthropic has no
 * embedding model.
 */
export function chosenEmbedder(): 'openai' | 'mock' {
  return process.env['OPENAI_API_KEY'] ? 'openai' : 'mock';
}

/** The documents the examples ingest, shipped in examples/docs. */
export const exampleDocs = new URL('./docs/', import.meta.url).pathname;
