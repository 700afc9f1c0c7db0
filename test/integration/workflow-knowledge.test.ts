import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { AtlasClient } from '../../src/producer/atlas-client.js';
import { defineAgent } from '../../src/shared/agents/agent.js';
import { knowledgeSearch } from '../../src/shared/agents/built-in-tools.js';
import { defineWorkflow, END } from '../../src/shared/agents/workflow.js';
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { type AgentWorkers, startAgentWorkers } from '../../src/workers/agents/start-agent-workers.js';
import { startWorkers, type WorkerFleet } from '../../src/workers/generation/start-workers.js';
import {
  type IngestionWorkers,
  startIngestionWorkers,
} from '../../src/workers/ingestion/start-ingestion-workers.js';
import { connect, deletePrefix, freshPrefix, redisTarget } from '../support/redis.js';

const redis = connect();
const prefix = freshPrefix('wfk');
const silent = createLogger({ level: 'silent' });
const storeDirectory = mkdtempSync(join(tmpdir(), 'atlas-wfk-lance-'));
const docs = mkdtempSync(join(tmpdir(), 'atlas-wfk-docs-'));

const librarian = defineAgent({
  name: 'librarian',
  instructions: 'Answer from the handbook; search it first.',
  tools: [knowledgeSearch],
  maxSteps: 3,
});

const lookup = defineWorkflow({
  name: 'lookup',
  version: 1,
  state: z.object({ question: z.string(), answer: z.string().default('') }),
  start: 'answer',
  nodes: {
    answer: {
      kind: 'agent',
      agent: librarian,
      input: (s) => s.question,
      output: (_s, answer) => ({ answer }),
    },
  },
  edges: [{ from: 'answer', to: END }],
});

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: {
    redis: { ...redisTarget(), prefix },
    providers: {
      mock: {
        type: 'mock',
        script: [
          {
            match: 'When does a breaker open',
            toolCalls: [{ name: 'knowledge_search', arguments: { query: 'breaker open errors', k: 2 } }],
          },
          // The tool result (the last message) holds the passage found: the answer is made from it.
          { match: '/half of the calls fail.*breakers\\.md/s', reply: 'When half of the calls fail.' },
        ],
      },
    },
    providerOrder: ['mock'],
    ingestion: { knowledgeDirectory: storeDirectory },
    workers: { heartbeatIntervalMs: 200 },
    agents: { knowledgeCollection: 'handbook' },
    log: { level: 'silent' },
  },
});

let generation: WorkerFleet;
let ingestion: IngestionWorkers;
let agents: AgentWorkers;
let client: AtlasClient;

beforeAll(async () => {
  writeFileSync(
    join(docs, 'breakers.md'),
    '# Breakers\n\nA breaker opens when half of the calls fail within the rolling window.\n',
  );
  writeFileSync(join(docs, 'queues.md'), '# Queues\n\nEach provider instance has a queue of its own.\n');
  generation = await startWorkers({ settings, log: silent, providers: ['mock'] });
  ingestion = await startIngestionWorkers({ settings, log: silent });
  agents = await startAgentWorkers({ settings, log: silent, workflows: [lookup] });
  client = new AtlasClient({ settings });
  const batch = await client.knowledge.ingest([docs], {
    collection: 'handbook',
    chunker: 'markdown',
    roots: [docs],
  });
  await client.knowledge.wait(batch.batchId);
});

afterAll(async () => {
  await client?.close();
  await agents?.close();
  await ingestion?.close();
  await generation?.close();
  await deletePrefix(redis, prefix);
  redis.disconnect();
  rmSync(storeDirectory, { recursive: true, force: true });
  rmSync(docs, { recursive: true, force: true });
});

describe('the knowledge-search tool of agent workers', () => {
  it('is published with the collection of agents.knowledgeCollection as its default', async () => {
    const tool = (await client.workflows.tools()).find((entry) => entry.name === 'knowledge_search');
    expect(tool?.parameters).toMatchObject({
      properties: { collection: { default: 'handbook' } },
      required: ['query'],
    });
  });

  it('a tool agent answers from an ingested collection', async () => {
    const { id } = await client.workflows.start('lookup', { question: 'When does a breaker open?' });
    const run = await client.workflows.wait(id, { timeoutMs: 15_000 });
    expect(run).toMatchObject({ status: 'completed', state: { answer: 'When half of the calls fail.' } });
    expect(run.history.map((step) => step.toolCalls ?? [])).toEqual([['knowledge_search'], []]);
    const calls = [];
    for await (const event of client.workflows.follow(id))
      if (event.type === 'tool-call') calls.push(event.data);
    expect(calls).toEqual([expect.objectContaining({ name: 'knowledge_search', ok: true })]);
  });
});
