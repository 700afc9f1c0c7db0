import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, redisUrl } from '../support/redis.js';
import { type CapturedRun, runCaptured } from '../support/run-cli.js';

/**
 * Every numbered example runs against the mock, through the current source (tsconfig `paths` map
 * `atlas-queue` to src/), in child processes a few at a time, and what each prints is checked.
 */
const examples = readdirSync('examples')
  .filter((name) => /^\d\d_.+\.ts$/.test(name))
  .sort();

/** What each example must print (every pattern, in any order). */
const expected: Record<string, RegExp[]> = {
  '01_query_simple.ts': [
    /answer: Mock reply from mock \(mock-standard\) to: What is the capital of France\?/,
    /status after wait: completed/,
    /same idempotency key, same request: true/,
  ],
  '02_query_streaming.ts': [/completed by mock/, /then stopped at event \d+-\d+/, /the whole answer: true/],
  '03_provider_selection.ts': [
    /round_robin served by: mock-basic, mock-advanced, mock-basic, mock-advanced/,
    /task_aware, a coding prompt: served by mock-advanced/,
    /capabilities code:strong: mock-advanced/,
  ],
  '04_provider_group.ts': [
    /request 1: primary ✗ unavailable → mock ✓/,
    /breaker is open: plans now go mock → primary/,
    /request 5 \(the probe\): served by primary/,
    /call 4: answered by mock-advanced; breakers: flaky open/,
    /call 5: answered by mock-standard; breakers: flaky closed/,
  ],
  '10_document_ingestion.ts': [
    /added 5, updated 0, skipped 0, failed 0/,
    /embeddings: mock-embed \(lexical\)/,
    /again: added 0, skipped 5/,
    /updated 1, skipped 3, deleted 1/,
    /a broken file: failed 1/,
  ],
  '11_basic_retrieval.ts': [
    /5 documents, \d+ chunks/,
    /faq\.txt: Frequently asked questions/,
    /\[1\] providers\.md/,
  ],
  '12_hybrid_retrieval.ts': [
    /keyword {2}retrieval\.html#0/,
    /hybrid {3}retrieval\.html#0/,
    /ask, hybrid: cites/,
  ],
  '15_advanced_filtering.ts': [
    /\{type: \{\$in: \["csv", "jsonl"\]\}\} +→ events\.jsonl, prices\.csv, regions\.csv/,
    /\{\$and: \[\{source: "faq\.txt"\}, \{version: 1\}\]\} +→ faq\.txt$/m,
    /\{\$not_contains: "Redis"\} +→ breakers\.md, events\.jsonl, faq\.txt \(v2\), prices\.csv, queues\.md, regions\.csv/,
    /a wrong filter: where\.rows\.\$gt: expected a finite number/,
  ],
  '20_tool_agent.ts': [
    /: completed/,
    /answer: Order A-17 has shipped: 3 items at 12\.50, 37\.50 in total\./,
    /step 0: support \(agent\) on mock, called lookup_order and multiply/,
  ],
  '21_multi_agent.ts': [
    /workflows served: research@1/,
    /: completed/,
    /step 1: work branch 0 \(branch\)/,
    /merge \(agent\)/,
  ],
  '22_agent_workflows.ts': [
    /waiting at 'approve'; a person approves/,
    /completed, approved by ana:\n- Mock reply[^\n]*\n- BREAKING: removes a public API\./,
    /replay from step \d+: waiting/,
    /after cancel: cancelled/,
  ],
};

const runs = new Map<string, CapturedRun>();

/** The test's Redis; no key, settings file or default that would send an example anywhere but the mock. */
function exampleEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, REDIS_URL: redisUrl() };
  for (const name of Object.keys(env))
    if (/^(OPENAI_|ANTHROPIC_|OLLAMA_|QDRANT_|ATLAS_)/.test(name)) delete env[name];
  return env;
}

function runExample(name: string): Promise<CapturedRun> {
  return runCaptured([process.execPath, '--import', 'tsx', `examples/${name}`], exampleEnv(), 80_000);
}

beforeAll(async () => {
  const queue = [...examples];
  const runner = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) runs.set(name, await runExample(name));
  };
  await Promise.all(Array.from({ length: 4 }, runner));
}, 90_000);

describe('examples', () => {
  it('has an expectation for each example, and each example for an expectation', () => {
    expect(examples).toEqual(Object.keys(expected).sort());
  });

  it.each(examples)('%s runs against the mock and prints what it shows', (name) => {
    const run = runs.get(name)!;
    expect(run.output, `${name} exited ${run.code}`).not.toMatch(/Error|ERR_/);
    expect(run.code, run.output).toBe(0);
    for (const pattern of expected[name] ?? []) expect(run.output).toMatch(pattern);
  });

  it('leaves no key behind', async () => {
    const redis = connect();
    const [, keys] = await redis.scan('0', 'MATCH', 'atlas-example-*', 'COUNT', 10_000);
    redis.disconnect();
    expect(keys).toEqual([]);
  });
});

afterAll(() => {
  const times = [...runs].map(([name, run]) => `${name} ${(run.ms / 1000).toFixed(1)} s`);
  console.log(`examples: ${times.join(', ')}`);
});
