// A process of the closed-loop and latency benchmarks (bench/closed-loop.ts, bench/latency.ts), by role
// in argv[2]:
//   raw <redisUrl> <prefix> <concurrency>   a raw BullMQ worker that completes every job at once
//   atlas <settings JSON> <concurrency>     an Atlas generation worker fleet, as deployed
//   fake                                    the OpenAI fake, printing its base URL and key
// With BENCH_STAGES=<folder>, the Atlas worker and the fake record per-request stage times
// (bench/stage-times.ts) and write them there when stopped.
import { Worker } from 'bullmq';
import { loadSettings } from '../src/shared/config/settings.js';
import { createLogger } from '../src/shared/log.js';
import { createRedis } from '../src/shared/redis.js';
import { startWorkers } from '../src/workers/generation/start-workers.js';
import { startOpenAIFake } from '../test/fakes/openai-fake.js';
import { saveStageTimes, timeFakeStages, timeWorkerStages } from './stage-times.js';

const role = process.argv[2];
let close: () => Promise<unknown>;
if (role === 'raw') {
  const [, , , url, prefix, concurrency] = process.argv;
  const connection = createRedis(url!, { role: 'blocking' });
  const worker = new Worker('rr', async () => ({ ok: true }), {
    connection,
    prefix: prefix!,
    concurrency: Number(concurrency),
  });
  await worker.waitUntilReady();
  close = () => worker.close();
  process.stdout.write('ready\n');
} else if (role === 'atlas') {
  timeWorkerStages();
  const settings = loadSettings({ env: {}, configPath: undefined, overrides: JSON.parse(process.argv[3]!) });
  const fleet = await startWorkers({
    settings,
    concurrency: Number(process.argv[4]),
    log: createLogger({ level: 'silent' }),
    sweep: false,
  });
  close = () => fleet.close();
  process.stdout.write('ready\n');
} else {
  const fake = await startOpenAIFake();
  timeFakeStages(fake);
  close = () => fake.close();
  process.stdout.write(`ready ${JSON.stringify({ baseURL: fake.baseURL, apiKey: fake.apiKey })}\n`);
}
process.once('SIGTERM', () => {
  saveStageTimes(role ?? 'fake');
  void close().then(() => process.exit(0));
});
