// (a) Generation throughput with a 0 ms mock, as a ratio to raw BullMQ no-op jobs measured in the same run.
// Both sides: one worker process (this one), the same concurrency, jobs added in bulk up front.
import { Queue, Worker } from 'bullmq';
import { AtlasClient } from '../src/producer/atlas-client.js';
import { createLogger } from '../src/shared/log.js';
import { createRedis, duplicateRedis } from '../src/shared/redis.js';
import { startWorkers } from '../src/workers/generation/start-workers.js';
import { reportFigures } from './figures.js';
import { benchRedis, benchSettings, cleanup, round } from './support.js';

const jobs = Number(process.env['BENCH_JOBS'] ?? 5_000);
const concurrency = Number(process.env['BENCH_CONCURRENCY'] ?? 100);

async function rawBullmq(url: string): Promise<number> {
  const prefix = 'bench-raw';
  const connection = createRedis(url, { role: 'blocking' });
  const queue = new Queue('noop', { connection, prefix });
  await queue.addBulk(
    Array.from({ length: jobs }, (_, index) => ({
      name: 'noop',
      data: { index },
      opts: { removeOnComplete: true },
    })),
  );
  let done = 0;
  const workerConnection = duplicateRedis(connection);
  const started = performance.now();
  const worker = await new Promise<Worker>((resolve) => {
    const created = new Worker(
      'noop',
      async () => {
        if (++done === jobs) resolve(created);
      },
      { connection: workerConnection, prefix, concurrency },
    );
  });
  const seconds = (performance.now() - started) / 1000;
  await worker.close();
  workerConnection.disconnect();
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
  return jobs / seconds;
}

async function atlas(url: string): Promise<number> {
  const prefix = 'bench-atlas';
  const settings = benchSettings(url, prefix, {
    providers: { mock: { type: 'mock', latencyMs: 0 } },
    workers: { keepCompleted: { ageSeconds: 60, count: 100 } },
  });
  const client = new AtlasClient({ settings });
  const ids = [];
  for (let start = 0; start < jobs; start += 500) {
    ids.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(500, jobs - start) }, (_, index) =>
          client.submit({ prompt: `job ${start + index}`, providers: ['mock'] }),
        ),
      )),
    );
  }
  const started = performance.now();
  const fleet = await startWorkers({
    settings,
    concurrency,
    log: createLogger({ level: 'silent' }),
    sweep: false,
  });
  const redis = createRedis(url);
  const queue = new Queue(`gen.mock`, { connection: redis, prefix });
  while (
    (await queue.getJobCounts('completed'))['completed']! < Math.min(jobs, 100) ||
    (await queue.count()) > 0 ||
    (await queue.getActiveCount()) > 0
  ) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  const last = await client.get(ids.at(-1)!);
  if (last?.status !== 'completed') throw new Error(`last request ended ${last?.status}`);
  await queue.close();
  redis.disconnect();
  await fleet.close();
  await client.close();
  await cleanup(url, prefix);
  return jobs / seconds;
}

const redis = await benchRedis();
try {
  const raw = await rawBullmq(redis.url);
  const ours = await atlas(redis.url);
  console.log(
    JSON.stringify({
      benchmark: 'throughput',
      jobs,
      concurrency,
      rawBullmqJobsPerSecond: round(raw, 0),
      atlasRequestsPerSecond: round(ours, 0),
      ratio: round(ours / raw, 3),
      target: '>= 0.6',
    }),
  );
  reportFigures('throughput', [
    {
      figure: `batch of ${jobs} requests, 0 ms mock, ratio to raw BullMQ no-op jobs`,
      measured: `${round(ours / raw, 3)} (${round(ours, 0)} against ${round(raw, 0)} per second)`,
      target: '≥ 0.6',
      met: ours / raw >= 0.6,
    },
  ]);
} finally {
  await redis.stop();
}
