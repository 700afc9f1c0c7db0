// 03 — Choosing providers: an explicit list, the routing strategies, task types and capabilities.
//
// Every request gets a routing plan: an ordered list of provider instances (each with a model). The
// request goes to the first; if that instance fails, to the next. `client.plan` shows the plan a
// request would get without sending it. Strategies: failover (the order given), round_robin (rotating
// across all producers), cost_optimized (estimated price), task_aware (the capability registry: the
// model strongest at what the task needs) and queue_aware (least backlog per live worker).
//
//   npx tsx examples/03_provider_selection.ts
import { AtlasClient } from 'atlas-queue';
import { startWorkers } from 'atlas-queue/worker';
import { exampleSettings } from './example-settings.js';

// Two mock instances serving models of different strengths (see `atlas models`); with a key set, the
// real provider joins them.
const { settings, provider, cleanup } = exampleSettings('03', {
  providers: {
    'mock-basic': { type: 'mock', defaultModel: 'mock-basic' },
    'mock-advanced': { type: 'mock', defaultModel: 'mock-advanced' },
  },
});
const instances = ['mock-basic', 'mock-advanced', ...(provider === 'mock' ? [] : [provider])];
const workers = await startWorkers({ settings, providers: instances });
const client = new AtlasClient({ settings });
const show = (steps: Array<{ instance: string; model: string }>) =>
  steps.map((step) => `${step.instance} (${step.model})`).join(' → ');

try {
  // An explicit list, tried in that order (the `failover` strategy, the default).
  const first = await client.generate({ prompt: 'Hello!', providers: instances });
  console.log(`failover: served by ${first.provider}`);

  // The same request under each strategy.
  const prompt = 'What is a circuit breaker?';
  for (const strategy of ['failover', 'cost_optimized', 'task_aware', 'queue_aware'] as const)
    console.log(
      `${strategy.padEnd(14)} plan: ${show(await client.plan({ prompt, providers: instances, strategy }))}`,
    );

  // round_robin: the first instance rotates across requests (a counter in Redis shared by all producers).
  const rotation: string[] = [];
  for (let i = 0; i < 4; i++)
    rotation.push(
      (await client.generate({ prompt: `Question ${i}`, providers: instances, strategy: 'round_robin' }))
        .provider,
    );
  console.log(`round_robin served by: ${rotation.join(', ')}`);

  // task_aware detects the task from the prompt's words (or takes `taskType`) and prefers the model
  // whose capabilities meet the task's requirements best.
  const code = await client.generate({
    prompt: 'Write a function that reverses a linked list',
    providers: instances,
    strategy: 'task_aware',
  });
  console.log(`task_aware, a coding prompt: served by ${code.provider} (${code.model})`);
  const math = await client.plan({
    prompt: 'Here is a question',
    taskType: 'mathematical_problem_solving',
    providers: instances,
    strategy: 'task_aware',
  });
  console.log(`task_aware, taskType mathematical_problem_solving: ${show(math)}`);

  // Required capabilities (1 basic … 4 exceptional) work with any strategy that ranks by them.
  const strongCode = await client.plan({
    prompt: 'Refactor this',
    capabilities: { code: 3 },
    providers: instances,
    strategy: 'task_aware',
  });
  console.log(`capabilities code:strong: ${show(strongCode)}`);

  // A model can be named too; instances serving it are used with it.
  const named = await client.generate({ prompt: 'Hi', model: 'mock-advanced', providers: ['mock-advanced'] });
  console.log(`model named: ${named.provider} (${named.model})`);
} finally {
  await client.close();
  await workers.close();
  await cleanup();
}
