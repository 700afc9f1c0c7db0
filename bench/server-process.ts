// `atlas serve` in its own process for benchmarks, as deployed: settings as JSON in argv[2].
import { startServer } from '../src/server.js';
import { loadSettings } from '../src/shared/config/settings.js';
import { createLogger } from '../src/shared/log.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: JSON.parse(process.argv[2] ?? '{}'),
});
const server = await startServer({ settings, log: createLogger({ level: 'silent' }) });
process.stdout.write(`ready ${server.url}\n`);
process.once('SIGTERM', () => void server.close().then(() => process.exit(0)));
