// 21 — Several agents on one task: a controller, workers in parallel, an aggregator.
//
// The built-in `research` workflow is the controller–worker pattern: a controller agent splits the
// task into subtasks (structured output: a JSON Schema the answer must fit), a map node gives each to a
// worker agent — in parallel, each routed to the instance and model its subtask's task type calls for
// (task-aware routing) — and an aggregator merges their answers. Every LLM call is a generation job and
// every step is checkpointed, so the fan-out runs on any number of workers and survives crashes.
//
// With the mock, the controller's plan is the simplest object that fits the schema (three subtasks
// titled "mock") and the answers are echoes; with a key set, a real model plans and answers.
//
//   npx tsx examples/21_multi_agent.ts
import { AtlasClient } from 'atlas-queue';
import { startAgentWorkers, startWorkers } from 'atlas-queue/worker';
import { exampleSettings } from './example-settings.js';

// The research agents name no provider: they are routed over the configured instances (task-aware
// for the workers), so configure only those this process serves: the mock, and the real provider
// when its key is set.
const { settings, cleanup } = exampleSettings('21', { providers: { mock: { type: 'mock' } } });
const workers = await startWorkers({ settings, providers: settings.providerOrder });
const agents = await startAgentWorkers({ settings }); // serves the built-in workflows, `research` among them
const client = new AtlasClient({ settings });

try {
  console.log(
    `workflows served: ${(await client.workflows.served()).map((w) => `${w.name}@${w.version}`).join(', ')}`,
  );
  const { id, run } = await client.workflows.start(
    'research',
    { task: 'Compare Redis Streams and Kafka for a job queue of LLM requests, with a rough cost estimate.' },
    { detach: false, budgets: { maxTokens: 20_000 } }, // a run can be given token and cost budgets
  );
  const state = run?.state as { subtasks: Array<{ title: string; taskType: string }>; answer: string };
  console.log(`run ${id}: ${run?.status}${run?.error ? ` (${run.error})` : ''}`);
  console.log(`subtasks: ${state.subtasks.map((task) => `${task.title} (${task.taskType})`).join('; ')}`);
  // The timeline: the controller, one branch per subtask, then the aggregator.
  for (const step of run?.history ?? []) {
    const branch = step.branch === undefined ? '' : ` branch ${step.branch}`;
    console.log(
      `  step ${step.index}: ${step.node}${branch} (${step.kind}) on ${step.provider ?? '-'} ${step.model ?? ''}`,
    );
  }
  console.log(`answer: ${state.answer.replace(/\s+/g, ' ').slice(0, 160)}…`);
  console.log(`usage: ${run?.usage.tokens} tokens, $${run?.usage.costUsd.toFixed(6)}`);
} finally {
  await client.close();
  await agents.close();
  await workers.close();
  await cleanup();
}
