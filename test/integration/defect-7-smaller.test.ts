import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createKeys } from '../../src/shared/keys.js';
import { confine } from '../../src/shared/knowledge/loaders/read-source.js';
import { connect, deletePrefix, freshPrefix } from '../support/redis.js';
import { cliTestEnvironment, runCliInProcess } from '../support/run-cli.js';

const prefix = freshPrefix('defect7');
let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  ({ dir, env } = cliTestEnvironment('defect7', prefix));
});

afterAll(async () => {
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

function docs(name: string, files: Record<string, string>): string {
  const folder = join(dir, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(folder, file, '..'), { recursive: true });
    writeFileSync(join(folder, file), text);
  }
  return folder;
}

describe('defect 7: smaller ones', () => {
  it('defect 7: after the embedded store folder is lost, re-ingesting writes the documents again', async () => {
    const folder = docs('lost', { 'a.md': '# A\n\nAlpha queues.', 'b.md': '# B\n\nBeta breakers.' });
    const first = await runCliInProcess(['ingest', folder, '--collection', 'lost', '--json'], env);
    expect(JSON.parse(first.stdout)).toMatchObject({ added: 2 });
    rmSync(env['ATLAS_KNOWLEDGE_DIR']!, { recursive: true, force: true });
    const again = await runCliInProcess(['ingest', folder, '--collection', 'lost', '--json'], env);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ skipped: 0, updated: 2, failed: 0 });
    const search = await runCliInProcess(
      ['search', '-q', 'beta breakers', '--collection', 'lost', '--json'],
      env,
    );
    expect(JSON.parse(search.stdout).length).toBeGreaterThan(0);
    // Unchanged and present: skipped, as before.
    const third = await runCliInProcess(['ingest', folder, '--collection', 'lost', '--json'], env);
    expect(JSON.parse(third.stdout)).toMatchObject({ skipped: 2 });
  }, 30_000);

  it("defect 7: the library's roots default to the working folder, and roots: [] allows no file", async () => {
    const folder = docs('roots', { 'a.md': '# A\n\nText.' });
    const settings = loadSettings({ env });
    const client = new AtlasClient({ settings });
    const keys = createKeys(settings.redis.prefix);
    const batches = new Queue(keys.ingestionBatchQueue, { connection: connect(), prefix: keys.bullPrefix });
    try {
      const byDefault = await client.knowledge.ingest([folder], { collection: 'roots' });
      const given = await client.knowledge.ingest([folder], { collection: 'roots', roots: [] });
      const rootsOf = async (batchId: string) =>
        ((await batches.getJob(batchId))!.data as { options: { roots: string[] } }).options.roots;
      expect(await rootsOf(byDefault.batchId)).toEqual([process.cwd()]);
      expect(await rootsOf(given.batchId)).toEqual([]);
      await expect(confine(join(folder, 'a.md'), [])).rejects.toThrow(/outside the allowed folders/);
      // The root folder holds every file.
      expect((await confine(join(folder, 'a.md'), ['/'])).root).toBe('/');
    } finally {
      await batches.close();
      await client.close();
    }
  });

  it('defect 7: a brace glob over two folders allows both', async () => {
    const folder = docs('braces', { 'a/one.md': '# One\n\nFirst.', 'b/two.md': '# Two\n\nSecond.' });
    const result = await runCliInProcess(
      ['ingest', `${folder}/{a,b}/*.md`, '--collection', 'braces', '--json'],
      env,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ added: 2, failed: 0 });
  }, 20_000);

  it('defect 7: --task-type or --capabilities without a strategy imply task_aware', async () => {
    const plan = async (...flags: string[]) => {
      const result = await runCliInProcess(
        ['query', '-q', 'hello there', '--providers', 'basic', 'advanced', ...flags, '--plan', '--json'],
        env,
      );
      expect(result.code).toBe(0);
      return (JSON.parse(result.stdout) as Array<{ instance: string }>)[0]?.instance;
    };
    expect(await plan()).toBe('basic');
    expect(await plan('--task-type', 'code_generation', '--capabilities', 'code:strong')).toBe('advanced');
    expect(await plan('--task-type', 'code_generation')).toBe('advanced');
    expect(await plan('--capabilities', 'code:strong')).toBe('advanced');
  });

  it('defect 7: query --knowledge X --stream answers with its sources', async () => {
    const folder = docs('stream', { 'guide.md': '# Breakers\n\nA breaker opens after failures.' });
    await runCliInProcess(['ingest', folder, '--collection', 'guide'], env);
    const streamed = await runCliInProcess(
      [
        'query',
        '--knowledge',
        'guide',
        '-q',
        'When does a breaker open?',
        '--providers',
        'basic',
        '--stream',
      ],
      env,
    );
    expect(streamed.code).toBe(0);
    expect(streamed.stdout).toContain('Sources:');
    expect(streamed.stderr).toMatch(/^\[1\] guide\.md #0$/m);
    const json = await runCliInProcess(
      [
        'query',
        '--knowledge',
        'guide',
        '-q',
        'When does a breaker open?',
        '--providers',
        'basic',
        '--stream',
        '--json',
      ],
      env,
    );
    const lines = json.stdout.trim().split('\n');
    expect(JSON.parse(lines.at(-1)!).citations[0]).toMatchObject({ chunkIndex: 0 });
    expect(lines.some((line) => JSON.parse(line).type === 'completed')).toBe(true);
  }, 30_000);
});
