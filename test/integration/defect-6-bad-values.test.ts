import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { validateWhere, validateWhereDocument } from '../../src/shared/knowledge/where-filter.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix, freshPrefix } from '../support/redis.js';
import { cliTestEnvironment, runCliInProcess } from '../support/run-cli.js';

const prefix = freshPrefix('defect6');
let env: Record<string, string>;

/** A CLI run that must end at once with one named line and exit code 2, before touching anything. */
function expectNamedRefusal(
  result: { code: number | null; stdout: string; stderr: string },
  pattern: RegExp,
) {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(() => {
  ({ env } = cliTestEnvironment('defect6', prefix));
});

afterAll(async () => {
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('defect 6: bad values are refused up front, each with one named line', () => {
  it('defect 6: --concurrency 1e20 and non-integers are refused by name', async () => {
    for (const value of ['1e20', '2.5', '0', '-3', 'ten', '99999999'])
      expectNamedRefusal(
        await runCliInProcess(['worker', '--concurrency', value], env),
        /^atlas: --concurrency: expected a whole number from 1 to 10000, got/,
      );
  });

  it('defect 6: --k 0 is refused by name, by the CLI and by the library', async () => {
    expectNamedRefusal(
      await runCliInProcess(['search', '-q', 'x', '--collection', 'c', '--k', '0'], env),
      /^atlas: --k: expected a whole number at least 1, got '0'/,
    );
    const client = new AtlasClient({ settings: loadSettings({ env }) });
    try {
      await expect(client.knowledge.search('x', { collection: 'c', k: 0 })).rejects.toThrow(
        /^k: expected a whole number from 1 to 1000, got 0$/,
      );
    } finally {
      await client.close();
    }
  });

  it('defect 6: --task-type constructor (a prototype key) is an unknown task type', async () => {
    for (const taskType of ['constructor', '__proto__', 'toString'])
      expectNamedRefusal(
        await runCliInProcess(['query', '-q', 'x', '--task-type', taskType, '--plan'], env),
        new RegExp(`^atlas: taskType: expected one of code_generation.*, got '${taskType}'`),
      );
    expectNamedRefusal(
      await runCliInProcess(['query', '-q', 'x', '--capabilities', 'code:constructor', '--plan'], env),
      /^atlas: capabilities: unknown strength 'constructor'/,
    );
  });

  it('defect 6: --capabilities code:strong:extra is refused by name', async () => {
    expectNamedRefusal(
      await runCliInProcess(['query', '-q', 'x', '--capabilities', 'code:strong:extra', '--plan'], env),
      /^atlas: capabilities: expected name or name:strength \(such as code:strong\), got 'code:strong:extra'/,
    );
  });

  it('defect 6: --embedder nosuch is refused before anything is enqueued', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'atlas-defect6-docs-'));
    writeFileSync(join(folder, 'a.md'), '# A\n\nSome text.');
    expectNamedRefusal(
      await runCliInProcess(['ingest', folder, '--collection', 'c', '--embedder', 'nosuch'], env),
      /^atlas: embedder: expected a configured provider instance; configured: basic, advanced, got 'nosuch'/,
    );
    const redis = connect();
    try {
      expect(await redis.keys(`${prefix}:*ingest*`)).toEqual([]);
    } finally {
      redis.disconnect();
    }
  });

  it('defect 6: file:// provider and Qdrant URLs are refused as settings', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ OPENAI_BASE_URL: 'file:///etc/passwd' }, /OPENAI_BASE_URL: expected an http:\/\/ or https:\/\/ URL/],
      [
        { ANTHROPIC_BASE_URL: 'file:///tmp/x' },
        /ANTHROPIC_BASE_URL: expected an http:\/\/ or https:\/\/ URL/,
      ],
      [{ OLLAMA_HOST: 'file:///tmp/x' }, /OLLAMA_HOST: expected an http:\/\/ or https:\/\/ URL/],
      [{ QDRANT_URL: 'file:///tmp/x' }, /QDRANT_URL: expected an http:\/\/ or https:\/\/ URL/],
    ];
    for (const [environment, pattern] of cases)
      expect(() => loadSettings({ env: environment })).toThrow(pattern);
    expect(() =>
      loadSettings({
        env: {},
        overrides: { providers: { local: { type: 'openai', baseURL: 'file:///srv/api' } } },
      }),
    ).toThrow(/providers\.local\.baseURL: expected an http:\/\/ or https:\/\/ URL/);
  });

  it('defect 6: $in: [], $gt: 1e400 and $and nested 50 deep are named errors', async () => {
    expect(() => validateWhere({ lang: { $in: [] } })).toThrow(
      /^where\.lang\.\$in: expected a non-empty list/,
    );
    expect(() => validateWhere(JSON.parse('{"year": {"$gt": 1e400}}'))).toThrow(
      /^where\.year\.\$gt: expected a finite number/,
    );
    expect(() => validateWhere(JSON.parse('{"year": 1e400}'))).toThrow(
      /^where\.year: expected a string, finite number/,
    );
    let deep: unknown = { year: 1 };
    for (let i = 0; i < 50; i++) deep = { $and: [deep] };
    expect(() => validateWhere(deep)).toThrow(/filter nested too deeply; expected at most 32 levels/);
    let deeper: unknown = { year: 1 };
    for (let i = 0; i < 2_000; i++) deeper = { $or: [deeper] };
    expect(() => validateWhere(deeper)).toThrow(/filter nested too deeply/);
    let deepText: unknown = { $contains: 'x' };
    for (let i = 0; i < 50; i++) deepText = { $and: [deepText] };
    expect(() => validateWhereDocument(deepText)).toThrow(/filter nested too deeply/);

    const where = JSON.stringify(deep);
    expectNamedRefusal(
      await runCliInProcess(['search', '-q', 'x', '--collection', 'c', '--where', where], env),
      /^atlas: where(\.\$and\[0\])+: filter nested too deeply; expected at most 32 levels of \$and \/ \$or \[invalid_request\]$/,
    );
  });

  it('defect 6: a prompt over generation.maxPromptChars is refused before it is stored', async () => {
    const settings = testSettings({ generation: { maxPromptChars: 100 } }, 'defect6-prompt');
    const client = new AtlasClient({ settings });
    try {
      await expect(client.submit({ prompt: 'x'.repeat(101), providers: ['mock'] })).rejects.toThrow(
        /^request\.prompt: expected at most 100 characters of prompt \(generation\.maxPromptChars\), got 101$/,
      );
      await expect(
        client.submit({ messages: [{ role: 'user', content: 'y'.repeat(200) }], providers: ['mock'] }),
      ).rejects.toThrow(/^request\.messages: expected at most 100 characters/);
      expect(loadSettings({ env: {} }).generation.maxPromptChars).toBe(1_000_000);
    } finally {
      await client.close();
    }
  });

  it('defect 6: atlas ingest exits 1 when documents failed', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'atlas-defect6-failing-'));
    writeFileSync(join(folder, 'good.md'), '# Good\n\nSome text.');
    writeFileSync(join(folder, 'empty.txt'), '');
    const result = await runCliInProcess(['ingest', folder, '--collection', 'failing'], env);
    expect(result.stdout).toContain('1 added');
    expect(result.stdout).toMatch(/1 failed/);
    expect(result.code).toBe(1);
  });
});
