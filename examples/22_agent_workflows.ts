// 22 — A workflow of your own: agents, code, a branch and a person in the loop.
//
// A workflow is a graph of nodes over a state typed by a zod schema. Nodes: `agent` (an LLM with
// tools), `function` (your code), `map` (fan out over a list: one agent call or sub-workflow per item,
// in parallel, joined in order) and `human` (the run waits for `signal`). Edges are fixed or chosen by
// a condition on the state. Every step is a job that loads the checkpoint, does one node and writes
// the next checkpoint, so runs survive crashes, can be followed live, inspected step by step,
// signalled, cancelled and replayed from any step.
//
//   npx tsx examples/22_agent_workflows.ts
import { AtlasClient } from 'atlas-queue';
import { defineAgent, defineWorkflow, END, startAgentWorkers, startWorkers } from 'atlas-queue/worker';
import * as z from 'zod';
import { exampleSettings } from './example-settings.js';

const { settings, provider, cleanup } = exampleSettings('22', {
  // The mock's script: a change mentioning "drop" is summarised as breaking.
  providers: {
    mock: { type: 'mock', script: [{ match: 'drop', reply: 'BREAKING: removes a public API.' }] },
  },
});

const summarizer = defineAgent({
  name: 'summarizer',
  instructions:
    'Summarise the change in one line. Start with BREAKING: if it removes or renames anything public.',
  tools: [],
  providers: [provider],
  maxSteps: 1,
  maxTokens: 100,
});

const release = defineWorkflow({
  name: 'release-notes',
  version: 1,
  state: z.object({
    changes: z.array(z.string()),
    summaries: z.array(z.string()).default([]),
    breaking: z.boolean().default(false),
    approvedBy: z.string().default(''),
    notes: z.string().default(''),
  }),
  nodes: {
    // One summarizer call per change, in parallel; results come back in the changes' order.
    summarize: {
      kind: 'map',
      items: (state) => state.changes,
      agent: summarizer,
      input: (change) => `Change: ${change}`,
      join: (_state, results) => ({ summaries: results as string[] }),
    },
    check: {
      kind: 'function',
      run: (state) => ({ breaking: state.summaries.some((line) => line.startsWith('BREAKING')) }),
    },
    // Breaking changes wait for a person: `client.workflows.signal(runId, data)` (or `atlas workflow signal`).
    approve: {
      kind: 'human',
      prompt: (state) =>
        `Approve ${state.summaries.filter((line) => line.startsWith('BREAKING')).length} breaking change(s)?`,
      data: z.object({ approvedBy: z.string() }),
      resume: (_state, data) => ({ approvedBy: (data as { approvedBy: string }).approvedBy }),
    },
    publish: {
      kind: 'function',
      run: (state) => ({ notes: state.summaries.map((line) => `- ${line}`).join('\n') }),
    },
  },
  edges: [
    { from: 'summarize', to: 'check' },
    {
      from: 'check',
      condition: (state) => (state.breaking ? 'approve' : 'publish'),
      targets: ['approve', 'publish'],
    },
    { from: 'approve', to: 'publish' },
    { from: 'publish', to: END },
  ],
  start: 'summarize',
});

const workers = await startWorkers({ settings, providers: [provider] });
const agents = await startAgentWorkers({ settings, workflows: [release] });
const client = new AtlasClient({ settings });

try {
  // Start detached (the default), then follow the run's events live.
  const { id } = await client.workflows.start('release-notes', {
    changes: ['Add a --json flag to atlas status', 'drop the legacy /v0 endpoint', 'Faster hybrid search'],
  });
  console.log(`started ${id}`);
  for await (const event of client.workflows.follow(id)) {
    if (event.type === 'step-finish') console.log(`  finished ${event.node}`);
    if (event.type === 'run-finished') break;
    const run = await client.workflows.get(id);
    if (run?.status === 'waiting') {
      console.log(`  waiting at '${run.node}'; a person approves`);
      await client.workflows.signal(id, { approvedBy: 'ana' });
    }
  }
  const run = await client.workflows.wait(id);
  const state = run.state as { approvedBy: string; notes: string };
  console.log(`${run.status}, approved by ${state.approvedBy}:\n${state.notes}`);
  for (const step of run.history)
    console.log(
      `  step ${step.index}: ${step.node} (${step.kind}${step.branch === undefined ? '' : ` ${step.branch}`}) ${step.ms} ms`,
    );

  // Replay from a step: a new run from the checkpoint that step started from. From `check`, the replay
  // finds the breaking change again and waits for approval; this time it is cancelled instead.
  const from = run.history.findIndex((step) => step.node === 'check');
  const replay = await client.workflows.replay(id, { fromStep: from });
  for await (const _event of client.workflows.follow(replay.id))
    if ((await client.workflows.get(replay.id))?.status === 'waiting') break;
  console.log(`replay from step ${from}: ${(await client.workflows.get(replay.id))?.status}`);
  await client.workflows.cancel(replay.id);
  console.log(`after cancel: ${(await client.workflows.get(replay.id))?.status}`);
} finally {
  await client.close();
  await agents.close();
  await workers.close();
  await cleanup();
}
