import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRetrievalEvaluation } from '../../bench/retrieval/run-retrieval-evaluation.js';
import { testSettings } from '../support/generation-harness.js';
import { connect, deletePrefix } from '../support/redis.js';

// The labelled README corpus of bench/retrieval (54 queries written before any tuning), ingested through
// the queue into the embedded store. `npm run bench` prints the same figures.
describe('retrieval quality on the labelled README corpus', () => {
  const knowledgeDirectory = mkdtempSync(join(tmpdir(), 'atlas-retrieval-'));
  const settings = testSettings(
    { providers: { mock: { type: 'mock' } }, ingestion: { knowledgeDirectory } },
    'retrieval',
  );

  afterAll(async () => {
    const redis = connect();
    await deletePrefix(redis, settings.redis.prefix);
    redis.disconnect();
    rmSync(knowledgeDirectory, { recursive: true, force: true });
  });

  it('hybrid is at least as good as the better of keyword and semantic; keyword is near plain BM25', async () => {
    const evaluation = await runRetrievalEvaluation(settings);
    expect(evaluation.documents).toBeGreaterThan(150);
    expect(evaluation.summary.failed).toBe(0);
    const byMode = Object.fromEntries(evaluation.scores.map((entry) => [entry.mode, entry]));
    console.log(
      evaluation.scores
        .map(
          (entry) =>
            `${entry.mode}: recall@5 ${entry.recallAt5.toFixed(3)}, nDCG@10 ${entry.ndcgAt10.toFixed(3)}`,
        )
        .join('; '),
    );
    const { keyword, semantic, hybrid, bm25 } = byMode as Record<string, (typeof evaluation.scores)[0]>;
    for (const metric of ['recallAt5', 'ndcgAt10'] as const) {
      expect(hybrid![metric]).toBeGreaterThanOrEqual(Math.max(keyword![metric], semantic![metric]));
      expect(Math.abs(keyword![metric] - bm25![metric])).toBeLessThanOrEqual(0.05);
    }
  }, 180_000);
});
