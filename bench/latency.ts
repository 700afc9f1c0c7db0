// (b) Latency Atlas adds at a fixed request rate: the same chat call through the queue (producer →
// Redis → worker process → OpenAI SDK → fake process → Redis → producer) against a direct SDK call to
// the same fake from the producer's process. Producer, worker, fake and Redis each run in their own
// process. Every Atlas request is timed stage by stage (bench/stage-times.ts), so the tail is explained:
// the breakdown is printed for all requests and for the slowest 1 % apart.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { createRedis } from '../src/shared/redis.js';
import { ms, reportFigures } from './figures.js';
import { mark, type SavedStages, type StageTimes, stageTimes, timeProducerStages } from './stage-times.js';
import {
  benchRedis,
  benchSettings,
  cleanup,
  round,
  startProcess,
  stopWorkerProcesses,
  summarize,
} from './support.js';

const rate = Number(process.env['BENCH_RATE'] ?? 200);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const total = rate * seconds;
const script = 'bench/closed-loop-process.ts';
const warmUpCalls = 50;

/** Starts call i every 1/rate s, whether or not earlier calls ended; resolves when all have. */
async function atFixedRate(run: (i: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    pending.push(run(i));
  }
  await Promise.all(pending);
}

/** Stage name, and the two instants it lies between. */
const stages: Array<[string, string, string]> = [
  ['enqueue (validate, plan, accept script, add job)', 'called', 'accepted'],
  ['pickup (job added → processor starts)', 'accepted', 'pickedUp'],
  ['begin script (read request, claim attempt)', 'pickedUp', 'begun'],
  ['provider call (worker → fake → worker)', 'begun', 'recording'],
  ['  worker → fake (SDK request, HTTP)', 'begun', 'fakeReceived'],
  ['  in the fake', 'fakeReceived', 'fakeSent'],
  ['  fake → worker (HTTP, SDK response)', 'fakeSent', 'recording'],
  ['record and deliver (complete script → event read)', 'recording', 'eventRead'],
  ['read back (event read → generate resolves)', 'eventRead', 'resolved'],
];

/** Not a link of the chain: the worker's own wait for `complete`, for comparison with the row above. */
const recordRoundTrip: [string, string, string] = [
  '(worker: complete script round trip)',
  'recording',
  'recorded',
];

function breakdown(times: StageTimes, keys: string[]) {
  const complete = keys.filter((key) =>
    stages.every(([, from, to]) => times[key]?.[from] && times[key]?.[to]),
  );
  const totals = complete.map((key) => times[key]!['resolved']! - times[key]!['called']!);
  const cut = summarize(totals).p99;
  const slowest = complete.filter((_, i) => totals[i]! >= cut);
  const of = (subset: string[], from: string, to: string) =>
    summarize(subset.map((key) => times[key]![to]! - times[key]![from]!));
  const rows = [...stages, recordRoundTrip].map(([name, from, to]) => {
    const all = of(complete, from, to);
    const tail = of(slowest, from, to);
    return {
      stage: name,
      'p50 ms': round(all.p50, 3),
      'p99 ms': round(all.p99, 3),
      'slowest 1 %: median ms': round(tail.p50, 3),
      'slowest 1 %: mean ms': round(tail.mean, 3),
    };
  });
  return { complete: complete.length, slowest: slowest.length, rows };
}

const redis = await benchRedis();
const folder = mkdtempSync(join(tmpdir(), 'atlas-latency-'));
process.env['BENCH_STAGES'] = folder;
const fakeProcess = await startProcess(script, ['fake']);
const fake = JSON.parse(fakeProcess.line.slice('ready '.length)) as { baseURL: string; apiKey: string };
const prefix = 'bench-latency';
process.env['ATLAS_BENCH_KEY'] = fake.apiKey;
const settings = benchSettings(redis.url, prefix, {
  providers: { openai: { type: 'openai', baseURL: fake.baseURL, apiKeyEnv: 'ATLAS_BENCH_KEY' } },
});
const sdk = new OpenAI({ apiKey: fake.apiKey, baseURL: fake.baseURL, maxRetries: 0 });
const workers = [await startProcess(script, ['atlas', JSON.stringify(settings), '200'])];
timeProducerStages();
const client = new AtlasClient({ settings });
const direct = (prompt: string) =>
  sdk.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: prompt }],
    max_completion_tokens: 16,
  });
const queued = (prompt: string) => client.generate({ prompt, providers: ['openai'], maxTokens: 16 });
// Every request has its own prompt: that is how the processes' times of one request are matched.
const directKeys = Array.from({ length: total }, (_, i) => `Say hello d${i}`);
const atlasKeys = Array.from({ length: total }, (_, i) => `Say hello a${i}`);
const hopMs: number[] = [];
/** CPU ms per Atlas request, by process: less at the mercy of other load on the machine than latency. */
const cpuPerRequest: Record<string, number> = {};
let cpuBefore: NodeJS.CpuUsage | undefined;
/** Redis commands per Atlas request, by command, from the server's own counts. */
const callsPerRequest: Record<string, number> = {};
let redisCpuBefore = 0;
const admin = createRedis(redis.url);
/** The Redis server's own CPU time (user + system, ms). */
async function redisCpuMs(): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return (field('used_cpu_sys') + field('used_cpu_user')) * 1000;
}
/** Calls so far, by command. */
async function redisCalls(): Promise<Record<string, number>> {
  const info = await admin.info('commandstats');
  return Object.fromEntries(
    [...info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)].map(([, command, calls]) => [
      command!,
      Number(calls),
    ]),
  );
}
try {
  // Warm both paths first (connections, script cache, JIT).
  for (let i = 0; i < warmUpCalls; i++) {
    await direct(`warm-up d${i}`);
    await queued(`warm-up a${i}`);
  }
  const directCpu = process.cpuUsage();
  await atFixedRate(async (i) => {
    mark(directKeys[i]!, 'called');
    await direct(directKeys[i]!);
    mark(directKeys[i]!, 'resolved');
  });
  const directUsed = process.cpuUsage(directCpu);
  // What one SDK call costs its caller: the part of the worker's CPU that is not Atlas's own.
  cpuPerRequest['direct SDK call'] = (directUsed.user + directUsed.system) / 1000 / total;
  cpuBefore = process.cpuUsage();
  redisCpuBefore = await redisCpuMs();
  const callsBefore = await redisCalls();
  await atFixedRate(async (i) => {
    mark(atlasKeys[i]!, 'called');
    const result = await queued(atlasKeys[i]!);
    mark(atlasKeys[i]!, 'resolved');
    hopMs.push(result.hops[0]?.ms ?? Number.NaN);
  });
  const used = process.cpuUsage(cpuBefore);
  cpuPerRequest.producer = (used.user + used.system) / 1000 / total;
  cpuPerRequest.redis = ((await redisCpuMs()) - redisCpuBefore) / total;
  for (const [command, calls] of Object.entries(await redisCalls()))
    callsPerRequest[command] = (calls - (callsBefore[command] ?? 0)) / total;
} finally {
  await client.close();
  admin.disconnect();
  await stopWorkerProcesses([...workers.map((worker) => worker.child), fakeProcess.child]);
  await cleanup(redis.url, prefix);
  await redis.stop();
}

// The worker's and the fake's times, written as they stopped, joined to this process's.
const times: StageTimes = stageTimes();
for (const file of readdirSync(folder)) {
  const theirs = JSON.parse(readFileSync(join(folder, file), 'utf8')) as SavedStages;
  for (const [key, instants] of Object.entries(theirs.times)) times[key] = { ...times[key], ...instants };
  // Only the worker counts its CPU (from its first request, so the warm-up's too).
  if (theirs.cpuMs !== undefined) cpuPerRequest.worker = theirs.cpuMs / (total + warmUpCalls);
}
rmSync(folder, { recursive: true, force: true });

const elapsed = (key: string) => times[key]!['resolved']! - times[key]!['called']!;
const directMs = summarize(directKeys.map(elapsed));
const atlasMs = summarize(atlasKeys.map(elapsed));
const added = { p50: atlasMs.p50 - directMs.p50, p99: atlasMs.p99 - directMs.p99 };
const directFake = summarize(
  directKeys
    .map((key) => times[key]!['fakeSent']! - times[key]!['fakeReceived']!)
    .filter((value) => !Number.isNaN(value)),
);
const atlas = breakdown(times, atlasKeys);
const hop = summarize(hopMs);

console.log(
  `added latency at ${rate} req/s, ${total} requests a path; direct p50 ${round(directMs.p50, 3)} ms, ` +
    `p99 ${round(directMs.p99, 3)} ms (in the fake: p50 ${round(directFake.p50, 3)} ms); ` +
    `Atlas p50 ${round(atlasMs.p50, 3)} ms, p99 ${round(atlasMs.p99, 3)} ms`,
);
console.log(
  `Atlas stages (${atlas.complete} requests timed in every stage; slowest 1 % = ${atlas.slowest}); ` +
    `the attempt's own record of its provider call (hop ms, whole ms): p50 ${hop.p50}, p99 ${hop.p99}`,
);
console.table(atlas.rows);
console.log(
  `CPU per request (ms): ${Object.entries(cpuPerRequest)
    .map(([name, value]) => `${name} ${round(value, 3)}`)
    .join(', ')}`,
);
const busiest = Object.entries(callsPerRequest)
  .filter(([, calls]) => calls >= 0.05)
  .sort((a, b) => b[1] - a[1]);
console.log(
  `Redis commands per Atlas request: ${round(
    busiest.reduce((sum, [, calls]) => sum + calls, 0),
    2,
  )} (${busiest.map(([command, calls]) => `${command} ${round(calls, 2)}`).join(', ')})`,
);
console.log(
  JSON.stringify({
    benchmark: 'added-latency',
    ratePerSecond: rate,
    requests: total,
    directMs: { p50: round(directMs.p50), p99: round(directMs.p99) },
    atlasMs: { p50: round(atlasMs.p50), p99: round(atlasMs.p99) },
    addedMs: { p50: round(added.p50), p99: round(added.p99) },
    stages: atlas.rows,
    cpuMsPerRequest: cpuPerRequest,
    redisCallsPerRequest: Object.fromEntries(busiest),
  }),
);
reportFigures('latency', [
  {
    figure: `added p50 at ${rate} req/s (vs direct SDK call)`,
    measured: ms(added.p50),
    target: '≤ 2 ms',
    met: added.p50 <= 2,
  },
  {
    figure: `added p99 at ${rate} req/s (vs direct SDK call)`,
    measured: ms(added.p99),
    target: '≤ 10 ms',
    met: added.p99 <= 10,
  },
  ...atlas.rows.map((row) => ({
    figure: `stage: ${row.stage.trim()}`,
    measured: `p50 ${row['p50 ms']} ms, p99 ${row['p99 ms']} ms`,
    target: '(figure only)',
  })),
]);
process.exit(0);
