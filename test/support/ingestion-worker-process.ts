// Ingestion workers in their own process, for tests that kill them. Settings come as JSON in ATLAS_TEST_SETTINGS.
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { startIngestionWorkers } from '../../src/workers/ingestion/start-ingestion-workers.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: JSON.parse(process.env['ATLAS_TEST_SETTINGS'] ?? '{}'),
});
await startIngestionWorkers({ settings, concurrency: 2, log: createLogger({ level: 'silent' }) });
process.stdout.write('ready\n');
