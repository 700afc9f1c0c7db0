// 01 — One request through the queue.
//
// A producer (AtlasClient) validates a request, routes it and puts it on the queue of a provider
// instance; a worker for that instance calls the provider and writes the result to Redis, where the
// producer reads it. In production workers are separate processes (`atlas worker`) on any machines;
// here one runs in this process so the example needs nothing else.
//
//   npx tsx examples/01_query_simple.ts      (the mock with no key; OpenAI or Anthropic when its key is set)
import { AtlasClient } from 'atlas-queue';
import { startWorkers } from 'atlas-queue/worker';
import { exampleSettings } from './example-settings.js';

const { settings, provider, cleanup } = exampleSettings('01');
const workers = await startWorkers({ settings, providers: [provider] });
const client = new AtlasClient({ settings });

try {
  // generate = submit + wait: resolves to the result, or rejects with the request's error.
  const result = await client.generate({
    prompt: 'What is the capital of France?',
    providers: [provider],
    maxTokens: 100,
  });
  console.log(`answer: ${result.text}`);
  console.log(
    `served by ${result.provider} (${result.model}): ${result.usage.inputTokens}+${result.usage.outputTokens} tokens, $${result.costUsd.toFixed(6)}, ${result.latencyMs} ms`,
  );

  // The same in two steps: submit returns an id at once; any process can `get` or `wait` on it.
  const id = await client.submit({
    system: 'Answer in one sentence.',
    prompt: 'Why do job queues retry work?',
    providers: [provider],
    // A retry with the same key (say, after the producer crashed) gets the same request, not a second one.
    idempotencyKey: 'example-01-retry-question',
  });
  console.log(`submitted ${id}: ${(await client.get(id))?.status}`);
  const answer = await client.wait(id);
  console.log(`status after wait: ${(await client.get(id))?.status}; ${answer.text.length} characters`);
  const again = await client.submit({ prompt: 'ignored', idempotencyKey: 'example-01-retry-question' });
  console.log(`same idempotency key, same request: ${again === id}`);
} finally {
  await client.close();
  await workers.close();
  await cleanup();
}
