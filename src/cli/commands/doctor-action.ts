import { checkDeployment } from '../../shared/deployment-checks.js';
import { createKeys } from '../../shared/keys.js';
import { createRedis } from '../../shared/redis.js';
import { GenerationQueues } from '../../shared/requests/generation-queues.js';
import type { CliContext } from '../context.js';
import { printJson, printTable } from '../output.js';
import { openRuntime } from '../runtime.js';

export async function runDoctor(options: { json?: boolean }, context: CliContext): Promise<void> {
  const runtime = await openRuntime({ startRedisIfMissing: false, context });
  const redis = createRedis(runtime.settings.redis);
  const keys = createKeys(runtime.settings.redis.prefix);
  const queues = new GenerationQueues(redis, keys, runtime.settings.workers, { readOnly: true });
  try {
    const findings = await checkDeployment({ redis, keys, queues, settings: runtime.settings });
    if (options.json) printJson(findings, context.print);
    else {
      printTable(
        findings.map(({ check, status, detail }) => ({ status, check, detail })),
        context.print,
      );
      for (const finding of findings.filter((entry) => entry.fix))
        context.print(`${finding.status === 'fail' ? 'fix' : 'consider'}: ${finding.check}: ${finding.fix}`);
    }
    if (findings.some((finding) => finding.status === 'fail')) context.exitCode = 1;
  } finally {
    await queues.close();
    redis.disconnect();
    await runtime.close();
  }
}
