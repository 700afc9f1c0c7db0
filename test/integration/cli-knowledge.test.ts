import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { connect, deletePrefix, freshPrefix, redisUrl } from '../support/redis.js';
import { runCliInProcess, runCliInTerminal } from '../support/run-cli.js';

const prefix = freshPrefix('cli-knowledge');
const folder = mkdtempSync(join(tmpdir(), 'atlas-cli-docs-'));
const env = () => ({
  REDIS_URL: redisUrl(),
  ATLAS_PREFIX: prefix,
  ATLAS_KNOWLEDGE_DIR: mkdtempSync(join(tmpdir(), 'atlas-cli-lance-')),
});

afterAll(async () => {
  const redis = connect();
  await deletePrefix(redis, prefix);
  redis.disconnect();
});

describe('atlas ingest, search and docs', () => {
  it('ingests a folder, finds a chunk with a filter, lists and deletes documents', async () => {
    const environment = env();
    for (let i = 0; i < 12; i++)
      writeFileSync(
        join(folder, `note-${i}.md`),
        `# Note ${i}\n\nTopic ${i % 3 === 0 ? 'redis queues' : 'provider breakers'} number ${i}.`,
      );
    const ingest = await runCliInProcess(['ingest', folder, '--collection', 'notes', '--json'], environment);
    expect(ingest.stderr).toContain('ingesting in this process');
    expect(JSON.parse(ingest.stdout)).toMatchObject({ added: 12, failed: 0, embedding: { kind: 'lexical' } });

    const search = await runCliInProcess(
      [
        'search',
        '-q',
        'redis queues',
        '--collection',
        'notes',
        '--where',
        '{"source": "note-3.md"}',
        '--json',
      ],
      environment,
    );
    const hits = JSON.parse(search.stdout) as Array<{ metadata: { source: string }; text: string }>;
    expect(hits.map((hit) => hit.metadata.source)).toEqual(['note-3.md']);

    const list = JSON.parse(
      (await runCliInProcess(['docs', 'list', '--collection', 'notes', '--json'], environment)).stdout,
    ) as Array<{ documentId: string; source: string }>;
    expect(list).toHaveLength(12);
    const target = list.find((entry) => entry.source === 'note-0.md')!;
    const removed = await runCliInProcess(
      ['docs', 'delete', target.documentId, '--collection', 'notes', '--json'],
      environment,
    );
    expect(JSON.parse(removed.stdout)).toMatchObject({ removedChunks: 1 });
    const again = await runCliInProcess(['ingest', folder, '--collection', 'notes', '--json'], environment);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: 1, skipped: 11 });

    const answer = await runCliInProcess(
      ['query', '-q', 'What about redis queues?', '--knowledge', 'notes', '--providers', 'mock', '--json'],
      environment,
    );
    const rag = JSON.parse(answer.stdout) as {
      text: string;
      citations: Array<{ metadata: { source: string } }>;
    };
    expect(rag.citations.length).toBeGreaterThan(0);
    // The mock echoes its prompt: the question arrives with the retrieved chunks numbered as sources.
    expect(rag.text).toContain(`[1] (${rag.citations[0]!.metadata.source})`);
    expect(rag.text).toContain('Question: What about redis queues?');

    const bad = await runCliInProcess(
      ['search', '-q', 'x', '--collection', 'notes', '--where', '{"year": {"$between": 1}}'],
      environment,
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/where\.year\.\$between: unknown operator/);
    const missing = await runCliInProcess(['search', '-q', 'x', '--collection', 'nope'], environment);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/collection: no collection 'nope'; ingest documents into it first/);
  }, 90_000);

  it('shows a live progress bar and a summary for a few hundred files', async () => {
    const many = mkdtempSync(join(tmpdir(), 'atlas-cli-many-'));
    for (let i = 0; i < 300; i++) {
      const topic = join(many, `topic-${i % 10}`);
      mkdirSync(topic, { recursive: true });
      writeFileSync(
        join(topic, `page-${i}.md`),
        `# Page ${i}\n\n${'Workers take jobs from the queue and call providers. '.repeat(40)}\n\n## More\n\nPage ${i}.`,
      );
    }
    const result = await runCliInTerminal(['ingest', many, '--collection', 'many'], env(), 120_000);
    expect(result.code).toBe(0);
    const frames = [...result.stdout.matchAll(/ingesting \[[█░]+\] (\d+)\/300 documents/g)].map((match) =>
      Number(match[1]),
    );
    // The bar is redrawn as documents finish, from the start to the end of the batch.
    expect(new Set(frames).size).toBeGreaterThan(2);
    expect(frames.at(-1)).toBe(300);
    expect(result.stdout).toMatch(/many: 300 added, 0 updated, 0 skipped, 0 deleted, 0 failed \(\d+ chunks;/);
  }, 150_000);
});
