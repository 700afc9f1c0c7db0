// 02 — Streaming an answer, pausing, and reading on where it stopped.
//
// A streaming request's deltas are written by the worker to a Redis stream (in batches, not a write per
// token) and `client.stream` yields them as they arrive. The events stay in Redis, so a reader that
// stops (or whose process dies) reads on from the last event id it saw, and any process can follow any
// request by its id.
//
//   npx tsx examples/02_query_streaming.ts
import { AtlasClient } from 'atlas-queue';
import { startWorkers } from 'atlas-queue/worker';
import { exampleSettings } from './example-settings.js';

// The mock spreads its latency over its deltas, so the answer arrives piece by piece.
const { settings, provider, cleanup } = exampleSettings('02', {
  providers: { mock: { type: 'mock', latencyMs: 600 } },
});
const workers = await startWorkers({ settings, providers: [provider] });
const client = new AtlasClient({ settings });

try {
  // 1. The simple way: submit and read in one call.
  process.stdout.write('story: ');
  for await (const event of client.stream({
    prompt: 'Tell me a two-sentence story about a queue that never lost a job.',
    providers: [provider],
    maxTokens: 200,
  })) {
    // Events: queued, started, text-delta, failover, reset (the text so far is void), completed, failed.
    if (event.type === 'text-delta') process.stdout.write(event.data.text);
    if (event.type === 'reset') process.stdout.write('\n[the provider changed; starting over]\n');
    if (event.type === 'failed') throw new Error(event.data.error.message);
    if (event.type === 'completed') {
      const { provider: servedBy, model, latencyMs } = event.data.result;
      console.log(`\n(completed by ${servedBy} (${model}) in ${latencyMs} ms)`);
    }
  }

  // 2. Submit first, read later, stop half-way, read on from the last event id.
  const requestId = await client.submit({
    prompt: 'Explain in a few sentences why a stream that is kept in Redis survives a reconnect.',
    providers: [provider],
    stream: true,
  });
  let lastId = '0';
  let text = '';
  for await (const event of client.stream({ requestId })) {
    lastId = event.id;
    if (event.type === 'text-delta') text += event.data.text;
    if (text.length > 0) break; // the reader goes away after its first delta
  }
  console.log(`read ${text.length} characters, then stopped at event ${lastId}`);
  for await (const event of client.stream({ requestId }, { after: lastId })) {
    if (event.type === 'text-delta') text += event.data.text;
    if (event.type === 'completed') {
      const whole = event.data.result.text;
      console.log(`read on to the end: ${text.length} characters, the whole answer: ${text === whole}`);
    }
  }
} finally {
  await client.close();
  await workers.close();
  await cleanup();
}
