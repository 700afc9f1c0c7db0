// Closed loop: C requests always in flight for a fixed time, each answered before the next is sent,
// through 1 and 2 worker processes. Three paths in one run, so their ratios hold under any load:
//   raw BullMQ   queue.add + job.waitUntilFinished (QueueEvents), a no-op worker in another process
//   Atlas mock   client.generate to a mock instance with 0 ms latency
//   Atlas SDK    client.generate to an OpenAI instance: the SDK in the worker, the fake in a third process
// Prints completions per second, p50 and p99 latency, and each Atlas path's ratio to raw BullMQ.
import { Queue, QueueEvents } from 'bullmq';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { createRedis } from '../src/shared/redis.js';
import { reportFigures } from './figures.js';
import {
  benchRedis,
  benchSettings,
  cleanup,
  round,
  startProcess,
  stopWorkerProcesses,
  summarize,
} from './support.js';

const script = 'bench/closed-loop-process.ts';

const inFlight = Number(process.env['BENCH_CONCURRENCY'] ?? 50);
const seconds = Number(process.env['BENCH_SECONDS'] ?? 10);
const warmupSeconds = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 2);
const processCounts = (process.env['BENCH_PROCESSES'] ?? '1,2').split(',').map(Number);
const paths = (process.env['BENCH_PATHS'] ?? 'raw,mock,sdk').split(',');

interface Figures {
  path: string;
  processes: number;
  errors: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** Keeps `inFlight` calls running for `durationS` seconds; latencies of those that ended in the window. */
async function closedLoop(
  call: () => Promise<unknown>,
  durationS: number,
): Promise<number[] & { errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  const until = performance.now() + durationS * 1000;
  const lane = async () => {
    while (performance.now() < until) {
      const sent = performance.now();
      const ok = await call().then(
        () => true,
        () => false,
      );
      const ended = performance.now();
      if (!ok) errors++;
      else if (ended <= until) latencies.push(ended - sent);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  return Object.assign(latencies, { errors });
}

const began = performance.now();
/** Progress on stderr, with the time since the start. */
const note = (message: string) =>
  process.stderr.write(`[${round((performance.now() - began) / 1000, 1)} s] ${message}\n`);

async function measure(path: string, processes: number, call: () => Promise<unknown>): Promise<Figures> {
  note(`${path}, ${processes} worker process(es): warming up`);
  await closedLoop(call, warmupSeconds);
  const latencies = await closedLoop(call, seconds);
  const { p50, p99 } = summarize(latencies);
  note(`${path}: ${latencies.length} in ${seconds} s; stopping`);
  return { path, processes, errors: latencies.errors, perSecond: latencies.length / seconds, p50, p99 };
}

async function raw(url: string, processes: number): Promise<Figures> {
  const prefix = 'bench-closed-raw';
  const workers = await Promise.all(
    Array.from({ length: processes }, () => startProcess(script, ['raw', url, prefix, String(inFlight)])),
  );
  const connection = createRedis(url);
  const queue = new Queue('rr', { connection, prefix });
  queue.setMaxListeners(inFlight * 4);
  const eventsConnection = createRedis(url, { role: 'blocking' });
  const events = new QueueEvents('rr', { connection: eventsConnection, prefix });
  await events.waitUntilReady();
  try {
    return await measure('raw BullMQ', processes, async () => {
      const job = await queue.add(
        'rr',
        { prompt: 'hello' },
        { removeOnComplete: { count: 1_000 }, removeOnFail: { count: 1_000 } },
      );
      // Bounded: QueueEvents can miss a job's event when its stream is trimmed under load; such a call
      // counts as an error, not a latency.
      return job.waitUntilFinished(events, 10_000);
    });
  } finally {
    await stopWorkerProcesses(workers.map((worker) => worker.child));
    await events.close();
    eventsConnection.disconnect();
    await queue.obliterate({ force: true });
    await queue.close();
    connection.disconnect();
  }
}

async function atlas(
  url: string,
  processes: number,
  path: 'mock' | 'sdk',
  fake: { baseURL: string; apiKey: string } | undefined,
): Promise<Figures> {
  const prefix = `bench-closed-${path}`;
  process.env['ATLAS_BENCH_KEY'] = fake?.apiKey ?? '';
  const settings = benchSettings(url, prefix, {
    providers:
      path === 'mock'
        ? { mock: { type: 'mock', latencyMs: 0 } }
        : { openai: { type: 'openai', baseURL: fake!.baseURL, apiKeyEnv: 'ATLAS_BENCH_KEY' } },
    workers: { keepCompleted: { ageSeconds: 60, count: 100 } },
  });
  const workers = await Promise.all(
    Array.from({ length: processes }, () =>
      startProcess(script, ['atlas', JSON.stringify(settings), String(inFlight)]),
    ),
  );
  const client = new AtlasClient({ settings });
  const request =
    path === 'mock'
      ? { prompt: 'hello', providers: ['mock'] }
      : { prompt: 'Say hello', providers: ['openai'], model: 'gpt-4o-mini', maxTokens: 16 };
  try {
    return await measure(path === 'mock' ? 'Atlas, 0 ms mock' : 'Atlas, OpenAI SDK → fake', processes, () =>
      client.generate(request),
    );
  } finally {
    await stopWorkerProcesses(workers.map((worker) => worker.child));
    await client.close();
    await cleanup(url, prefix);
  }
}

const redis = await benchRedis();
const fakeProcess = paths.includes('sdk') ? await startProcess(script, ['fake']) : undefined;
const fake = fakeProcess
  ? (JSON.parse(fakeProcess.line.slice('ready '.length)) as { baseURL: string; apiKey: string })
  : undefined;
const figures: Figures[] = [];
try {
  for (const processes of processCounts) {
    if (paths.includes('raw')) figures.push(await raw(redis.url, processes));
    if (paths.includes('mock')) figures.push(await atlas(redis.url, processes, 'mock', fake));
    if (paths.includes('sdk')) figures.push(await atlas(redis.url, processes, 'sdk', fake));
  }
} finally {
  if (fakeProcess) await stopWorkerProcesses([fakeProcess.child]);
  await redis.stop();
}
const targets: Record<string, number> = { 'Atlas, 0 ms mock': 0.8, 'Atlas, OpenAI SDK → fake': 0.6 };
console.log(`closed loop: ${inFlight} in flight, ${seconds} s per path after ${warmupSeconds} s warm-up`);
console.table(
  figures.map((entry) => {
    const base = figures.find((other) => other.path === 'raw BullMQ' && other.processes === entry.processes);
    const ratio = base ? entry.perSecond / base.perSecond : Number.NaN;
    return {
      path: entry.path,
      'worker processes': entry.processes,
      'per second': round(entry.perSecond, 0),
      'p50 ms': round(entry.p50, 1),
      'p99 ms': round(entry.p99, 1),
      'p99 / p50': round(entry.p99 / entry.p50, 2),
      'ratio to raw': entry.path === 'raw BullMQ' ? 1 : round(ratio, 3),
      errors: entry.errors,
      target: targets[entry.path] ? `≥ ${targets[entry.path]}, p99 ≤ 3× p50` : 'p99 ≤ 3× p50',
    };
  }),
);
console.log(JSON.stringify({ benchmark: 'closed-loop', inFlight, seconds, figures }));
reportFigures(
  'closed loop',
  figures
    .filter((entry) => entry.path !== 'raw BullMQ')
    .map((entry) => {
      const base = figures.find(
        (other) => other.path === 'raw BullMQ' && other.processes === entry.processes,
      );
      const ratio = base ? entry.perSecond / base.perSecond : Number.NaN;
      const tail = entry.p99 / entry.p50;
      const least = targets[entry.path] ?? 0;
      return {
        figure: `${entry.path}, ${entry.processes} worker process${entry.processes > 1 ? 'es' : ''}, ratio to raw BullMQ`,
        measured: `${round(ratio, 3)}; p50 ${round(entry.p50, 1)} ms, p99 ${round(tail, 1)}× p50`,
        target: `≥ ${least}, p99 ≤ 3× p50`,
        met: ratio >= least && tail <= 3,
      };
    }),
);
process.exit(0);
