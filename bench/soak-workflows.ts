// `npm run soak:workflows`: 1,000 runs of the research workflow (a controller, a map of three worker
// agents, an aggregator: five LLM calls a run) through real generation and agent-step workers on the
// mock, with a short record expiry. Samples Redis memory and the keys under the prefix during the soak
// and after, and prints the start, peak and end, and the keys left once the records expired (0 run
// keys expected). Long-form: not part of the test suite. SOAK_RUNS and SOAK_IN_FLIGHT change the size.

import { AtlasClient } from '../src/producer/atlas-client.js';
import { createLogger } from '../src/shared/log.js';
import { createRedis } from '../src/shared/redis.js';
import { startAgentWorkers } from '../src/workers/agents/start-agent-workers.js';
import { startWorkers } from '../src/workers/generation/start-workers.js';
import { benchRedis, benchSettings, cleanup } from './support.js';

const runs = Number(process.env['SOAK_RUNS'] ?? 1_000);
const inFlight = Number(process.env['SOAK_IN_FLIGHT'] ?? 40);
const recordTtlMs = 5_000;
const prefix = `soak-wf-${process.pid}`;

const server = await benchRedis();
const settings = benchSettings(server.url, prefix, {
  providers: { mock: { type: 'mock', latencyMs: 0 } },
  providerOrder: ['mock'],
  generation: { recordTtlMs },
  agents: { recordTtlMs },
});
const redis = createRedis(server.url);
const silent = createLogger({ level: 'silent' });

interface Sample {
  at: number;
  usedMemory: number;
  keys: number;
  runKeys: number;
}

async function sample(): Promise<Sample> {
  const info = await redis.info('memory');
  const usedMemory = Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
  let keys = 0;
  let runKeys = 0;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
    cursor = next;
    keys += found.length;
    runKeys += found.filter((key) => key.startsWith(`${prefix}:run:`)).length;
  } while (cursor !== '0');
  return { at: Date.now(), usedMemory, keys, runKeys };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const line = (label: string, s: Sample) =>
  `${label.padEnd(26)} used_memory ${mb(s.usedMemory).padStart(9)}   keys ${String(s.keys).padStart(6)}   run keys ${String(s.runKeys).padStart(6)}`;

const generation = await startWorkers({ settings, log: silent, providers: ['mock'], concurrency: 50 });
const agents = await startAgentWorkers({ settings, log: silent, concurrency: 50 });
const client = new AtlasClient({ settings });

const samples: Sample[] = [];
const start = await sample();
samples.push(start);
let sampling = true;
const sampler = (async () => {
  while (sampling) {
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (sampling) samples.push(await sample());
  }
})();

const began = Date.now();
const statuses = new Map<string, number>();
let next = 0;
let done = 0;
await Promise.all(
  Array.from({ length: inFlight }, async () => {
    while (next < runs) {
      const index = next++;
      const { id } = await client.workflows.start('research', { task: `Soak task ${index}: compare queues` });
      const run = await client.workflows.wait(id, { timeoutMs: 120_000 });
      statuses.set(run.status, (statuses.get(run.status) ?? 0) + 1);
      if (++done % 100 === 0) process.stdout.write(`  ${done}/${runs} runs ended\n`);
    }
  }),
);
const elapsed = Date.now() - began;
sampling = false;
await sampler;
const finished = await sample();
samples.push(finished);
const peak = samples.reduce((a, b) => (b.usedMemory > a.usedMemory ? b : a));
const peakKeys = Math.max(...samples.map((s) => s.keys));

// Every record was given a TTL of recordTtlMs from its end: wait for them to go.
const expiryBegan = Date.now();
let after = await sample();
while (after.runKeys > 0 && Date.now() - expiryBegan < recordTtlMs + 60_000) {
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  after = await sample();
}
const left: string[] = [];
let cursor = '0';
do {
  const [nextCursor, found] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1_000);
  cursor = nextCursor;
  left.push(...found);
} while (cursor !== '0');

await client.close();
await agents.close();
await generation.close();

console.log(
  `\nworkflow soak: ${runs} runs of research (5 LLM calls each) on the mock, ${inFlight} in flight`,
);
console.log(`record expiry ${recordTtlMs} ms (agents.recordTtlMs and generation.recordTtlMs)`);
console.log(
  `ended in ${(elapsed / 1000).toFixed(1)} s (${(runs / (elapsed / 1000)).toFixed(1)} runs/s): ${[...statuses]
    .map(([status, count]) => `${count} ${status}`)
    .join(', ')}`,
);
console.log(line('start', start));
console.log(`${line('peak (sampled each 1 s)', peak)}   (most keys: ${peakKeys})`);
console.log(line('end of the last run', finished));
console.log(line(`after expiry (+${((after.at - expiryBegan) / 1000).toFixed(0)} s)`, after));
const byKind = new Map<string, number>();
for (const key of left) {
  const kind = key.slice(prefix.length + 1).replace(/[0-9a-f-]{36}/g, '<id>');
  byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
}
console.log(`keys left under the prefix: ${left.length}`);
for (const [kind, count] of [...byKind].sort()) console.log(`  ${count} × ${kind}`);

redis.disconnect();
await cleanup(server.url, prefix);
await server.stop();
const failed = runs - (statuses.get('completed') ?? 0);
process.exit(after.runKeys === 0 && failed === 0 ? 0 : 1);
