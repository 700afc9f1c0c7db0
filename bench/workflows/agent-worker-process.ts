// Agent-step workers in their own process for the workflow benchmark. Settings come as JSON in
// argv[2]; prints "ready" once serving.
import { loadSettings } from '../../src/shared/config/settings.js';
import { createLogger } from '../../src/shared/log.js';
import { startAgentWorkers } from '../../src/workers/agents/start-agent-workers.js';

const settings = loadSettings({
  env: {},
  configPath: undefined,
  overrides: JSON.parse(process.argv[2] ?? '{}'),
});
const workers = await startAgentWorkers({ settings, log: createLogger({ level: 'silent' }) });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void workers.close().then(() => process.exit(0));
});
