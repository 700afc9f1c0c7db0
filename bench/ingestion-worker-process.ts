// Ingestion workers in their own process for benchmarks: settings as JSON in argv[2].
import { loadSettings } from '../src/shared/config/settings.js';
import { createLogger } from '../src/shared/log.js';
import { startIngestionWorkers } from '../src/workers/ingestion/start-ingestion-workers.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: JSON.parse(process.argv[2] ?? '{}'),
});
const workers = await startIngestionWorkers({ settings, log: createLogger({ level: 'silent' }) });
process.stdout.write('ready\n');
process.once('SIGTERM', () => void workers.close().then(() => process.exit(0)));
