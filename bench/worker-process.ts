// A worker fleet in its own process for benchmarks, as in production: settings as JSON in argv[2].
import { loadSettings } from '../src/shared/config/settings.js';
import { createLogger } from '../src/shared/log.js';
import { startWorkers } from '../src/workers/generation/start-workers.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: JSON.parse(process.argv[2] ?? '{}'),
});
const fleet = await startWorkers({
  settings,
  concurrency: Number(process.argv[3] ?? 200),
  log: createLogger({ level: 'silent' }),
  sweep: false,
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => void fleet.close().then(() => process.exit(0)));
