// 20 — A tool agent, run as a durable workflow.
//
// An agent is an LLM with tools: it is called with the tools' JSON Schemas, the tool calls it makes
// are run (their arguments checked against each tool's zod schema first), the results go back to it,
// until it answers. Each LLM call is a generation job (so it gets the provider group's failover) and
// each step between them an agent-step job whose state is checkpointed in Redis: a worker that dies
// mid-run loses nothing, another takes the run up.
//
// With the mock, a script stands in for the model: the first call asks for two tools, the second sees
// their results and answers. With a key set, the real model decides which tools to call.
//
//   npx tsx examples/20_tool_agent.ts
import { AtlasClient } from 'atlas-queue';
import {
  defineAgent,
  defineTool,
  defineWorkflow,
  END,
  startAgentWorkers,
  startWorkers,
} from 'atlas-queue/worker';
import * as z from 'zod';
import { exampleSettings } from './example-settings.js';

// A tool: a name, a description the model reads, an input schema, and what it does.
const orders: Record<string, { status: string; items: number; unitPrice: number }> = {
  'A-17': { status: 'shipped', items: 3, unitPrice: 12.5 },
};
const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Finds an order by its id and returns its status, item count and unit price.',
  input: z.object({ id: z.string().describe('The order id, such as A-17') }),
  // `idempotencyKey` is the same when a step is retried: a tool with outside effects can use it.
  run: ({ id }, { idempotencyKey }) => ({
    id,
    ...(orders[id] ?? { status: 'unknown' }),
    seenAs: idempotencyKey,
  }),
});
const multiply = defineTool({
  name: 'multiply',
  description: 'Multiplies two numbers.',
  input: z.object({ a: z.number(), b: z.number() }),
  run: ({ a, b }) => ({ product: a * b }),
});

const { settings, provider, cleanup } = exampleSettings('20', {
  providers: {
    mock: {
      type: 'mock',
      script: [
        {
          match: '/^Where is order/',
          toolCalls: [
            { name: 'lookup_order', arguments: { id: 'A-17' } },
            { name: 'multiply', arguments: { a: 3, b: 12.5 } },
          ],
        },
        // The last message of the second call is the multiply result.
        { match: '"product":37.5', reply: 'Order A-17 has shipped: 3 items at 12.50, 37.50 in total.' },
      ],
    },
  },
});

const support = defineAgent({
  name: 'support',
  instructions: 'You answer questions about orders. Use lookup_order for order data and multiply for totals.',
  tools: [lookupOrder, multiply],
  providers: [provider],
  maxSteps: 4, // at most four LLM calls for one answer
});

// The smallest workflow: one agent node. Its state is a zod schema; `output` turns the answer into a patch.
const askSupport = defineWorkflow({
  name: 'ask-support',
  version: 1,
  state: z.object({ question: z.string(), answer: z.string().default('') }),
  nodes: {
    support: {
      kind: 'agent',
      agent: support,
      input: (state) => state.question,
      output: (_state, answer) => ({ answer }),
    },
  },
  edges: [{ from: 'support', to: END }],
  start: 'support',
});

// Generation workers for the provider, and agent-step workers serving the workflow.
const workers = await startWorkers({ settings, providers: [provider] });
const agents = await startAgentWorkers({ settings, workflows: [askSupport] });
const client = new AtlasClient({ settings });

try {
  // detach: false waits for the run to end (the default returns its id at once).
  const { id, run } = await client.workflows.start(
    'ask-support',
    { question: 'Where is order A-17, and what did it cost in total?' },
    { detach: false },
  );
  console.log(`run ${id}: ${run?.status}`);
  console.log(`answer: ${(run?.state as { answer: string } | undefined)?.answer}`);
  // The step timeline: every LLM call with its provider, tokens and tools called.
  for (const step of run?.history ?? []) {
    const tools = step.toolCalls?.length ? `, called ${step.toolCalls.join(' and ')}` : '';
    console.log(`  step ${step.index}: ${step.node} (${step.kind}) on ${step.provider ?? '-'}${tools}`);
  }
  console.log(`usage: ${run?.usage.tokens} tokens, $${run?.usage.costUsd.toFixed(6)}`);
} finally {
  await client.close();
  await agents.close();
  await workers.close();
  await cleanup();
}
