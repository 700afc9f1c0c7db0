// A worker fleet in its own process, for tests that kill it. Settings come as JSON in ATLAS_TEST_SETTINGS;
// instance names in ATLAS_TEST_INSTANCES. Prints "ready" once serving.
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { startWorkers } from '../../src/workers/generation/start-workers.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: JSON.parse(process.env['ATLAS_TEST_SETTINGS'] ?? '{}'),
});
const providers = process.env['ATLAS_TEST_INSTANCES']?.split(',');
const fleet = await startWorkers({
  settings,
  ...(providers ? { providers } : {}),
  concurrency: Number(process.env['ATLAS_TEST_CONCURRENCY'] ?? 20),
  log: createLogger({ level: process.env['ATLAS_TEST_LOG_LEVEL'] ?? 'silent' }),
});
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void fleet.close().then(() => process.exit(0));
});
